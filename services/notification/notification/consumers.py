"""The events the notification service reacts to, registered in one place."""

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification.store.tables import received_events
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import CenterApproved
from tic_shared.inbox import EventHandlers

handlers = EventHandlers()


@handlers.on(CenterApproved)
async def record_center_approved(session: AsyncSession, event: CloudEvent) -> None:
    await session.execute(
        insert(received_events).values(
            event_id=event.id,
            event_type=event.type,
            subject=event.subject,
            payload=event.model_dump(mode="json"),
        )
    )
