"""The events the evaluation service reacts to, registered in one place: the registry's center lifecycle."""

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.service import centers
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import (
    CenterAccepted,
    CenterApproved,
    CenterCancelled,
    CenterDelisted,
    CenterTierChanged,
    RegistryEvent,
)
from tic_shared.inbox import EventHandlers

handlers = EventHandlers()

# Which centers can be evaluated, their approval, construction period, targets and district: kept from these.
_TRACKED: tuple[type[RegistryEvent], ...] = (
    CenterApproved,
    CenterTierChanged,
    CenterAccepted,
    CenterCancelled,
    CenterDelisted,
)


async def track_center(session: AsyncSession, event: CloudEvent) -> None:
    """评价跟踪: keep the center projection; stale events (sequence not greater) are ignored."""
    model = next(model for model in _TRACKED if model.ce_type() == event.type)
    await centers.apply_registry_event(session, data=event.data_as(model))


for _model in _TRACKED:
    handlers.on(_model)(track_center)
