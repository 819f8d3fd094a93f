"""Events: the CloudEvents envelope, the typed catalog and its JSON Schemas."""

from tic_shared.events.catalog import BY_TYPE, CATALOG
from tic_shared.events.envelope import CloudEvent, EventData

__all__ = ["BY_TYPE", "CATALOG", "CloudEvent", "EventData"]
