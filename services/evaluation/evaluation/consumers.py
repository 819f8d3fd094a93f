"""The events the evaluation service reacts to, registered in one place."""

from tic_shared.inbox import EventHandlers

handlers = EventHandlers()
