"""The events the notification service reacts to, registered in one place: every event of the catalog."""

from sqlalchemy.ext.asyncio import AsyncSession

from notification.cache import FanOutCache
from notification.service import fanout
from notification.settings import NotificationSettings
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import CATALOG
from tic_shared.inbox import EventHandlers


def build_handlers(settings: NotificationSettings, cache: FanOutCache) -> EventHandlers:
    """One app's handlers, bound to its settings (the chassis calls a handler with the session and event only)."""
    handlers = EventHandlers()

    async def notify(session: AsyncSession, event: CloudEvent) -> None:
        """Fan the event out per the rules: deliveries (email, webhook) for the worker, inbox items right away."""
        await fanout.fan_out(session, event, settings=settings, cache=cache)

    for model in CATALOG:
        handlers.on(model)(notify)
    handlers.before_batch(fanout.prepare)
    return handlers
