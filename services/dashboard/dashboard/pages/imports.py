"""Import an existing register from an Excel file: every row checked by the registry as creating it would, a
report per row, and nothing written until the person chooses to import the rows that passed."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from openpyxl import Workbook, load_workbook
from starlette.datastructures import UploadFile

from dashboard import i18n
from dashboard.auth import CheckedForm, CurrentUser
from dashboard.clients import Api, gather
from dashboard.i18n import N_
from dashboard.refusals import field_sentence, input_key
from dashboard.web import api_for, locale_of, render

router = APIRouter(include_in_schema=False)
MAX_ROWS = 2_000
MAX_BYTES = 5 * 1024 * 1024

# The columns of the import workbook: the key the form uses, and the header names it may have (zh and en).
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("name_zh", "中心名称", N_("Name (Chinese)")),
    ("name_en", "英文名称", N_("Name (English)")),
    ("tier", "层级", N_("Tier")),
    ("origin", "来源", N_("Origin")),
    ("recommender", "推荐单位", N_("Recommended by")),
    ("field", "领域", N_("Field")),
    ("industrial_chain", "产业链", N_("Industrial chain")),
    ("district", "区县（市）", N_("District")),
    ("lead_unit_name", "依托单位", N_("Lead unit")),
    ("lead_unit_credit_code", "统一社会信用代码", N_("Unified social credit code")),
    ("lead_unit_type", "依托单位类型", N_("Lead unit type")),
    ("contact_name", "联系人", N_("Contact")),
    ("contact_email", "联系人邮箱", N_("Email")),
    ("independent_legal_person", "独立法人", N_("Independent legal person")),
)


# Why a row was refused, naming the cell as read where the rule is about its value; any other rule as every form
# says it (`refusals`), the registry's English sentence only where the console has no words for the rule.
VALUE_RULES: dict[str, str] = {
    "enum": N_("%(value)s is not one of the allowed values"),
    "literal_error": N_("%(value)s is not one of the allowed values"),
    "credit_code": N_("%(value)s is not a valid unified social credit code"),
    "district": N_("%(value)s is not a district of the city"),
}
FIELD_RULES: dict[tuple[str, str], str] = {
    ("contact_email", "value_error"): N_("%(value)s is not a valid email address"),
}


def explain(error: dict[str, Any], values: dict[str, Any], gettext: Any) -> tuple[str, str]:
    """One refusal as (column label, sentence), both in the reader's language where we know the rule."""
    key = input_key(str(error.get("field", "")))
    label = next((gettext(en) for column, _zh, en in COLUMNS if column == key), key)
    kind = str(error.get("type", ""))
    rule = FIELD_RULES.get((key, kind)) or VALUE_RULES.get(kind)
    if rule is None:
        return label, field_sentence(error, gettext, None)[1]
    return label, gettext(rule) % {"value": f"“{_text(values.get(key))}”"}


@dataclass
class Row:
    number: int
    values: dict[str, Any]
    body: dict[str, Any]
    problems: list[tuple[str, str]]

    @property
    def valid(self) -> bool:
        return not self.problems


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def body_of(values: dict[str, Any]) -> dict[str, Any]:
    """The registry's CenterCreate from one row (empty cells left out)."""
    body: dict[str, Any] = {
        key: _text(values.get(key))
        for key in ("name_zh", "name_en", "tier", "origin", "recommender", "field", "industrial_chain", "district")
        if _text(values.get(key))
    }
    body["lead_unit"] = {
        "name": _text(values.get("lead_unit_name")),
        "credit_code": _text(values.get("lead_unit_credit_code")).upper(),
        "type": _text(values.get("lead_unit_type")) or "enterprise",
    }
    if _text(values.get("contact_name")):
        contact = {"name": _text(values.get("contact_name")), "role": "联系人"}
        if _text(values.get("contact_email")):
            contact["email"] = _text(values.get("contact_email"))
        body["contacts"] = [contact]
    legal = _text(values.get("independent_legal_person")).lower()
    if legal:
        body["independent_legal_person"] = legal in ("是", "yes", "true", "1", "y")
    return body


def read_rows(data: bytes) -> list[dict[str, Any]]:
    """The workbook's first sheet as rows keyed by column (headers in either language); empty rows skipped."""
    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
    if sheet is None:
        return []
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    names = (
        {zh: key for key, zh, _en in COLUMNS} | {en: key for key, _zh, en in COLUMNS} | {k: k for k, _, _ in COLUMNS}
    )
    keys = [names.get(_text(cell)) for cell in header]
    found = []
    for cells in rows:
        if cells is None or all(_text(cell) == "" for cell in cells):
            continue
        found.append({key: cell for key, cell in zip(keys, cells, strict=False) if key})
        if len(found) > MAX_ROWS:
            break
    return found


async def _check(api: Api, rows: list[dict[str, Any]], gettext: Any) -> list[Row]:
    """Each row through the registry's dry run, all at once; refusals told in the reader's language."""
    bodies = [body_of(values) for values in rows]
    answers = await gather(
        **{str(index): api.post("registry", "/api/v1/centers/validate", body) for index, body in enumerate(bodies)}
    )
    checked = []
    for index, (values, body) in enumerate(zip(rows, bodies, strict=True)):
        answer = answers[str(index)]
        problems: list[tuple[str, str]] = []
        if not answer.ok:
            errors = (answer.problem or {}).get("errors") or []
            problems = [explain(error, values, gettext) for error in errors]
            if not problems:
                problems = [("", answer.detail or str(answer.status))]
        checked.append(Row(index + 2, values, body, problems))  # row 1 is the header
    return checked


@router.get("/import", response_class=HTMLResponse)
async def import_page(request: Request, user: CurrentUser) -> HTMLResponse:
    gettext = i18n.translations(locale_of(request)).gettext
    return render(request, "pages/import.html", user=user, title=gettext("Import"), rows=None, error=None, payload="")


@router.get("/import/template.xlsx")
async def template(request: Request, user: CurrentUser) -> Response:
    book = Workbook()
    sheet = book.active
    sheet.append([zh for _, zh, _ in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="centers-import.xlsx"'},
    )


@router.post("/import/check", response_class=HTMLResponse)
async def check(request: Request, user: CurrentUser, form: CheckedForm) -> HTMLResponse:
    catalog = i18n.translations(locale_of(request))
    gettext = catalog.gettext
    upload = form.get("workbook")
    error = None
    rows: list[Row] = []
    if not isinstance(upload, UploadFile):
        error = gettext("Choose an Excel workbook (.xlsx) to check.")
    else:
        data = await upload.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            error = gettext("The workbook is larger than 5 MB.")
        else:
            try:
                read = read_rows(data)
            except Exception:
                read = None
            if read is None:
                error = gettext("This file is not an Excel workbook (.xlsx) that can be read.")
            elif not read:
                error = gettext("The workbook has no rows under its header.")
            elif len(read) > MAX_ROWS:
                error = catalog.ngettext(
                    "The workbook has more than %(count)s row; split it.",
                    "The workbook has more than %(count)s rows; split it.",
                    MAX_ROWS,
                ) % {"count": MAX_ROWS}
            else:
                rows = await _check(api_for(request, user), read, gettext)
    valid = [row.body for row in rows if row.valid]
    return render(
        request,
        "pages/import.html",
        user=user,
        title=gettext("Import"),
        rows=rows,
        error=error,
        payload=json.dumps(valid, ensure_ascii=False),
        batch=str(uuid.uuid4()),
        valid_count=len(valid),
        columns=COLUMNS,
    )


@router.post("/import/confirm", response_class=HTMLResponse)
async def confirm(request: Request, user: CurrentUser, form: CheckedForm) -> HTMLResponse:
    """Create the rows that passed; each under an Idempotency-Key of its own, so a repeated click adds nothing."""
    gettext = i18n.translations(locale_of(request)).gettext
    bodies: list[dict[str, Any]] = json.loads(str(form.get("payload") or "[]"))
    batch = str(form.get("batch") or uuid.uuid4())
    api = api_for(request, user)
    answers = await gather(
        **{
            str(index): api.call(
                "registry",
                "POST",
                "/api/v1/centers",
                json=body,
                headers={"Idempotency-Key": hashlib.sha256(f"{batch}:{index}".encode()).hexdigest()[:40]},
            )
            for index, body in enumerate(bodies)
        }
    )
    created = [answer.data for answer in answers.values() if answer.ok]
    failed = [(index, answer.detail) for index, answer in answers.items() if not answer.ok]
    return render(
        request,
        "pages/import_done.html",
        user=user,
        title=gettext("Import"),
        created=created,
        failed=failed,
    )
