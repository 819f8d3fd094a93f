"""Responsibility letters (建设责任书): what the bureau recorded for a center, what its approval carried, and what
scoring and the milestone checks use."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.domain.catalog import rules_for_year
from evaluation.domain.evaluation import check_letter, effective_letter, letter_from_approval
from evaluation.domain.indicators import LetterRefused, ResponsibilityLetter
from evaluation.service.centers import get_center
from evaluation.store import letters as letter_store
from evaluation.store.records import CenterRecord, LetterRecord
from tic_shared.auth import Principal
from tic_shared.dated_acts import today
from tic_shared.http import check_if_match, etag_for
from tic_shared.problems import Problem


@dataclass(frozen=True)
class LetterView:
    center_id: uuid.UUID
    version: int  # 0 while no letter was recorded
    recorded: ResponsibilityLetter | None
    from_approval: ResponsibilityLetter
    effective: ResponsibilityLetter


def letter_etag(view: LetterView) -> str:
    return _etag(view.center_id, view.version)


def _etag(center_id: uuid.UUID, version: int) -> str:
    return etag_for("letter", center_id, version)


def letter_of(center_id: uuid.UUID, record: LetterRecord | None) -> ResponsibilityLetter | None:
    """The recorded letter as the domain reads it (weights are stored as decimal strings)."""
    if record is None:
        return None
    return ResponsibilityLetter(
        center_id=str(center_id),
        reference=record.reference,
        weights={code: Decimal(value) for code, value in record.weights.items()},
        targets=record.targets,
        milestone_targets=record.milestone_targets,
    )


def _view(center: CenterRecord, record: LetterRecord | None) -> LetterView:
    rules, system = rules_for_year(today().year)
    approval = letter_from_approval(
        center_id=str(center.center_id), targets=center.targets or {}, system=system, rules=rules
    )
    recorded = letter_of(center.center_id, record)
    return LetterView(
        center_id=center.center_id,
        version=record.version if record is not None else 0,
        recorded=recorded,
        from_approval=approval,
        effective=effective_letter(approval=approval, letter=recorded),
    )


async def get_letter(session: AsyncSession, *, principal: Principal, center_id: uuid.UUID) -> LetterView:
    center = await get_center(session, principal=principal, center_id=center_id)
    return _view(center, await letter_store.get_letter(session, center_id=center_id))


async def put_letter(
    session: AsyncSession,
    *,
    principal: Principal,
    center_id: uuid.UUID,
    reference: str | None,
    weights: dict[str, Decimal],
    targets: dict[str, int],
    milestone_targets: dict[str, dict[str, int]],
    if_match: str | None,
) -> LetterView:
    """Record a center's responsibility-letter adjustments; refused unless weights still sum to the total."""
    center = await get_center(session, principal=principal, center_id=center_id)
    existing = await letter_store.get_letter(session, center_id=center_id)
    check_if_match(if_match, _etag(center_id, existing.version if existing else 0))
    rules, system = rules_for_year(today().year)
    letter = ResponsibilityLetter(
        center_id=str(center_id),
        reference=reference,
        weights=weights,
        targets=targets,
        milestone_targets=milestone_targets,
    )
    try:
        check_letter(letter=letter, system=system, rules=rules)
    except LetterRefused as error:
        raise Problem(422, "letter-refused", str(error)) from error
    record = await letter_store.upsert_letter(
        session,
        values={
            "center_id": center_id,
            "reference": reference,
            "weights": {code: str(value) for code, value in weights.items()},
            "targets": targets,
            "milestone_targets": milestone_targets,
            "updated_by": principal.subject,
        },
    )
    return _view(center, record)
