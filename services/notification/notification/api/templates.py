"""Message templates per event type and locale: list, read, replace (checked first), preview with a sample."""

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import BaseModel, Field

from notification.service import templates as templates_service
from notification.store.records import TemplateRecord
from tic_shared.auth import Principal, scoped
from tic_shared.http import IfMatch, set_etag
from tic_shared.pagination import Page, decode_cursor, encode_cursor
from tic_shared.problems import Problem
from tic_shared.request_model import RequestModel
from tic_shared.service_app import SessionDep

router = APIRouter(tags=["templates"])

Locale = Literal["zh", "en"]
EventName = Annotated[str, Path(max_length=100, examples=["CenterApproved"])]


class TemplateOut(BaseModel):
    event_name: str = Field(examples=["CenterApproved"])
    locale: Locale
    subject: str = Field(examples=["【创新中心】{{ center_name }} 启动建设"])
    body: str = Field(examples=["<p>“{{ center_name }}”于 {{ data.approved_on }} 正式认定。</p>"])
    version: int
    source: str = Field(description="package (as shipped) or api (edited)")
    updated_by: str | None
    updated_at: datetime


class TemplateIn(RequestModel):
    subject: str = Field(min_length=1, max_length=500, examples=["【创新中心】{{ center_name }} 启动建设"])
    body: str = Field(min_length=1, max_length=20000, examples=["<p>“{{ center_name }}”已获批。</p>"])


class PreviewIn(RequestModel):
    subject: str | None = Field(default=None, min_length=1, max_length=500, description="Unsaved; else the stored.")
    body: str | None = Field(default=None, min_length=1, max_length=20000, description="Unsaved; else the stored.")
    data: dict[str, Any] | None = Field(default=None, description="The event's data; else the packaged sample.")


class PreviewOut(BaseModel):
    subject: str
    body: str = Field(description="HTML")
    text: str = Field(description="The plain-text part of an email")
    data: dict[str, Any] = Field(description="The event data it was rendered with")


def _out(record: TemplateRecord) -> TemplateOut:
    return TemplateOut.model_validate(asdict(record))


@router.get("/templates", response_model=Page[TemplateOut], summary="List templates")
async def list_templates(
    session: SessionDep,
    _: Annotated[Principal, scoped("notification:manage")],
    event_name: Annotated[str | None, Query(max_length=100)] = None,
    locale: Annotated[Locale | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query()] = None,
) -> Page[TemplateOut]:
    after = None
    if cursor:
        position = decode_cursor(cursor)
        if not isinstance(position.get("e"), str) or not isinstance(position.get("l"), str):
            raise Problem(400, "invalid-cursor", "query.cursor is not a cursor this API returned")
        after = (position["e"], position["l"])
    rows = await templates_service.list_templates(
        session, event_name=event_name, locale=locale, after=after, limit=limit + 1
    )
    items = [_out(row) for row in rows[:limit]]
    next_cursor = encode_cursor({"e": items[-1].event_name, "l": items[-1].locale}) if len(rows) > limit else None
    return Page[TemplateOut](items=items, next_cursor=next_cursor)


@router.get("/templates/{event_name}/{locale}", response_model=TemplateOut, summary="One template")
async def get_template(
    session: SessionDep,
    response: Response,
    _: Annotated[Principal, scoped("notification:manage")],
    event_name: EventName,
    locale: Locale,
) -> TemplateOut:
    found = await templates_service.get_template(session, event_name=event_name, locale=locale)
    set_etag(response, templates_service.etag(event_name, locale, found.version))
    return _out(found)


@router.put(
    "/templates/{event_name}/{locale}",
    response_model=TemplateOut,
    summary="Replace a template; refused (422) unless it renders with the sample event",
    responses={412: {"description": "If-Match names another version"}},
)
async def put_template(
    request: Request,
    session: SessionDep,
    response: Response,
    principal: Annotated[Principal, scoped("notification:manage")],
    event_name: EventName,
    locale: Locale,
    template: TemplateIn,
    if_match: IfMatch = None,
) -> TemplateOut:
    saved = await templates_service.put_template(
        session,
        event_name=event_name,
        locale=locale,
        subject=template.subject,
        body=template.body,
        by=principal.subject,
        if_match=if_match,
        cache=request.app.state.fanout_cache,
    )
    set_etag(response, templates_service.etag(event_name, locale, saved.version))
    return _out(saved)


@router.post(
    "/templates/{event_name}/{locale}/preview",
    response_model=PreviewOut,
    summary="Render a template (stored or given) with a sample event; nothing is stored or sent",
)
async def preview_template(
    session: SessionDep,
    _: Annotated[Principal, scoped("notification:manage")],
    event_name: EventName,
    locale: Locale,
    preview: Annotated[PreviewIn | None, Body()] = None,
) -> PreviewOut:
    preview = preview or PreviewIn()
    rendered, context = await templates_service.preview_template(
        session, event_name=event_name, locale=locale, subject=preview.subject, body=preview.body, data=preview.data
    )
    return PreviewOut(subject=rendered.subject, body=rendered.body, text=rendered.text, data=context["data"])
