"""From application to launch: submission, the expert review, the executive meeting's decision, the approval that
launches construction and names the center — or a rejection or withdrawal on the way."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from registry.domain import lifecycle
from registry.domain.lifecycle import Action, ApprovalCheck
from registry.domain.naming import Domain, NamingError, construction_end, official_names, registry_code
from registry.domain.policy import jurisdiction_of_district
from registry.service.acts import ACT_NAMES, Details, check_date, invalid, today, transition
from registry.store import centers as store
from registry.store.records import CenterRecord
from tic_shared.auth import Principal
from tic_shared.problems import Conflict

SIMPLE_ACTS = frozenset({Action.SUBMIT, Action.START_REVIEW, Action.WITHDRAW, Action.REJECT})


async def record_act(
    session: AsyncSession,
    *,
    action: Action,
    principal: Principal,
    center_id: uuid.UUID,
    on: date | None,
    reason: str | None,
    if_match: str | None,
) -> CenterRecord:
    """Submission, start of the review, withdrawal or rejection: an act that records who did it, on which day
    (today unless given), and a reason when there is one."""
    if action not in SIMPLE_ACTS:
        raise ValueError(f"{action} carries more than a day and a reason")
    return await transition(
        session,
        center_id=center_id,
        action=action,
        on=on or today(),
        date_field="body.on",
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        reason=reason,
    )


async def record_review(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    passed: bool,
    score: Decimal,
    opinion: str,
    experts: list[str],
    reviewed_on: date | None,
    if_match: str | None,
) -> CenterRecord:
    """The expert panel's result (论证): passed goes on to the decision, failed rejects."""
    on = reviewed_on or today()
    review = {
        "passed": passed,
        "score": float(score),
        "opinion": opinion,
        "experts": experts,
        "reviewed_on": on.isoformat(),
    }
    return await transition(
        session,
        center_id=center_id,
        action=Action.REVIEW,
        on=on,
        date_field="body.reviewed_on",
        outcome="passed" if passed else "failed",
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        changes=lambda _: {"review": review},
        reason=None if passed else f"expert review not passed: {opinion}",
        details=review,
    )


async def record_decision(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    approved: bool,
    meeting_ref: str,
    decided_on: date,
    reason: str | None,
    if_match: str | None,
) -> CenterRecord:
    """The executive meeting's ruling: approved goes on to the public notice, otherwise rejected."""
    decision = {
        "approved": approved,
        "meeting_ref": meeting_ref,
        "decided_on": decided_on.isoformat(),
        "reason": reason,
    }
    return await transition(
        session,
        center_id=center_id,
        action=Action.DECIDE,
        on=decided_on,
        date_field="body.decided_on",
        outcome="approved" if approved else "rejected",
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        changes=lambda _: {"decision": decision},
        reason=reason,
        details=decision,
    )


async def _official_names(
    session: AsyncSession, center: CenterRecord, *, domain_zh: str | None, domain_en: str | None
) -> tuple[str, str]:
    """The names the approval gives (its jurisdiction's pattern); each is unique among the live centers."""
    jurisdiction = jurisdiction_of_district(center.district)
    name_zh: str
    name_en: str | None
    try:
        if center.tier == "municipal_tic":
            if domain_zh is None or domain_en is None:
                raise invalid(
                    "body.domain_zh",
                    "a municipal TIC is named after its own technology domain (the ××× of "
                    f"{jurisdiction.official_names.zh.format(domain_zh='×××')}, "
                    f"{jurisdiction.official_names.clause}): give domain_zh and domain_en",
                )
            names = official_names(jurisdiction, center.field, Domain(domain_zh, domain_en))
            name_zh, name_en = names.zh, names.en
        else:
            name_zh, name_en = center.name_zh, center.name_en
    except NamingError as bad:
        raise invalid("body.domain_zh", str(bad)) from bad
    if not name_en:
        raise invalid("name_en", "an English name is needed to approve a center that is not a municipal TIC")
    # Two approvals of one name at once would both find it free: serialize them on the name.
    await store.lock_name(session, name=name_zh)
    taken = await store.live_center_named(session, name_zh=name_zh, name_en=name_en, other_than=center.id)
    if taken is not None:
        raise Conflict(
            "name-taken",
            f"the name {name_zh} / {name_en} is held by the live center {taken.code} ({taken.official_name_zh}); "
            "give the domain that distinguishes this center",
            field="body.domain_zh",
            held_by=taken.code,
        )
    return name_zh, name_en


async def approve(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    document_no: str,
    approved_on: date,
    domain_zh: str | None,
    domain_en: str | None,
    construction_start: date | None,
    construction_years: int | None,
    if_match: str | None,
) -> CenterRecord:
    """Approve after the public notice: construction starts, the center gets its official names and registry code
    (each after its jurisdiction's pattern)."""
    prepared: Details = {}

    async def prepare(center: CenterRecord) -> dict[str, Any]:
        # Names, code and construction period follow the jurisdiction of the center's district.
        jurisdiction = jurisdiction_of_district(center.district)
        start = construction_start or approved_on
        if start < approved_on:
            raise invalid(
                "body.construction_start",
                f"construction starts with the launch document, not before the approval on {approved_on}",
            )
        if start > today():
            raise invalid("body.construction_start", f"{start.isoformat()} is in the future")
        try:
            end = construction_end(jurisdiction, start, construction_years)
        except NamingError as bad:
            raise invalid("body.construction_years", str(bad)) from bad
        name_zh, name_en = await _official_names(session, center, domain_zh=domain_zh, domain_en=domain_en)
        seq = await store.next_code_seq(session, jurisdiction=jurisdiction.code, year=approved_on.year)
        return {
            "official_name_zh": name_zh,
            "official_name_en": name_en,
            "code": registry_code(jurisdiction, year=approved_on.year, seq=seq),
            "document_no": document_no,
            "approved_on": approved_on,
            "tier_since": approved_on,
            "construction_start": start,
            "construction_end": end,
        }

    async def guard(center: CenterRecord) -> ApprovalCheck | None:
        if center.status != lifecycle.State.PUBLIC_NOTICE or center.notice_starts_on is None:
            return None
        dismissed = await store.last_dismissal(session, center_id=center_id)
        check = ApprovalCheck(
            today=approved_on,
            notice_end=lifecycle.public_notice_end(
                jurisdiction_of_district(center.district), center.notice_starts_on, last_dismissal=dismissed
            ),
            open_objections=await store.open_objection_count(session, center_id=center_id),
        )
        # Refuse before allocating a registry code: a refused approval leaves nothing behind.
        lifecycle.transition(center.status, Action.APPROVE, approval=check)
        check_date(center, field="body.approved_on", act=ACT_NAMES[Action.APPROVE], on=approved_on)
        prepared.update(await prepare(center))
        return check

    return await transition(
        session,
        center_id=center_id,
        action=Action.APPROVE,
        on=approved_on,
        date_field="body.approved_on",
        actor=principal.subject,
        principal=principal,
        if_match=if_match,
        approval=guard,
        changes=lambda _: prepared,
        details={"document_no": document_no, "approved_on": approved_on.isoformat()},
    )
