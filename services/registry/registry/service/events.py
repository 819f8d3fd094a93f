"""The event each lifecycle step emits, built from the center as it is after the act."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry.domain.policy import jurisdiction_of_district
from registry.store.records import CenterRecord
from tic_shared.events import EventData
from tic_shared.events import catalog as ev


def _lead_unit(center: CenterRecord) -> ev.LeadUnit:
    return ev.LeadUnit(name=center.lead_unit_name, credit_code=center.lead_unit_credit_code, type=center.lead_unit_type)


def event_for(
    name: str,
    center: CenterRecord,
    *,
    before: CenterRecord,
    sequence: int,
    extra: dict[str, Any],
    reason: str | None,
) -> EventData:
    """The event `name` about `center` (as it is after the act; `before` as it was), the center's `sequence`th."""
    base: dict[str, Any] = {
        "center_id": center.id,
        "code": center.code,
        "tier": center.tier,
        "status": center.status,
        "district": center.district,
        "jurisdiction": jurisdiction_of_district(center.district).code,
        "sequence": sequence,
        "name_zh": center.official_name_zh or center.name_zh,
        "name_en": center.official_name_en or center.name_en,
    }
    review = center.review or {}
    builders: dict[str, Callable[[], EventData]] = {
        "CenterSubmitted": lambda: ev.CenterSubmitted(
            **base,
            field=center.field,
            origin=center.origin,
            recommender=center.recommender,
            lead_unit=_lead_unit(center),
            contacts=center.contacts,
        ),
        "CenterReviewCompleted": lambda: ev.CenterReviewCompleted(
            **base, passed=review.get("passed", False), score=review.get("score"), opinion=review.get("opinion")
        ),
        "CenterPublicNoticeStarted": lambda: ev.CenterPublicNoticeStarted(
            **base, notice_starts_on=center.notice_starts_on, notice_ends_on=center.notice_ends_on
        ),
        "CenterObjectionRaised": lambda: ev.CenterObjectionRaised(**base, **extra),
        "CenterApproved": lambda: ev.CenterApproved(
            **base,
            field=center.field,
            lead_unit=_lead_unit(center),
            contacts=center.contacts,
            recommender=center.recommender,
            document_no=center.document_no,
            approved_on=center.approved_on,
            construction_start=center.construction_start,
            construction_end=center.construction_end,
            targets=center.targets,
            origin=center.origin,
            industrial_chain=center.industrial_chain,
            independent_legal_person=center.independent_legal_person,
        ),
        "CenterRejected": lambda: ev.CenterRejected(**base, reason=reason or "", stage=before.status),
        "CenterWithdrawn": lambda: ev.CenterWithdrawn(**base, reason=reason),
        "CenterTierChanged": lambda: ev.CenterTierChanged(**base, from_tier=before.tier, to_tier=center.tier, **extra),
        "CenterAccepted": lambda: ev.CenterAccepted(**base, **extra),
        "CenterCancelled": lambda: ev.CenterCancelled(**base, reason=reason or "", **extra),
        "CenterDelisted": lambda: ev.CenterDelisted(**base, reason=reason or "", **extra),
        "CenterReinstated": lambda: ev.CenterReinstated(**base, reason=reason or "", **extra),
    }
    return builders[name]()
