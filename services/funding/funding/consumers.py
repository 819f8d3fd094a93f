"""The events the funding service reacts to, registered in one place."""

from tic_shared.inbox import EventHandlers

handlers = EventHandlers()
