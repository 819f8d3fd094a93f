"""The CloudEvents 1.0 envelope (structured JSON mode) every event travels in."""

from __future__ import annotations

import builtins
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tic_shared.tracing import current_traceparent

T = TypeVar("T", bound="EventData")


class EventData(BaseModel):
    """The `data` of one event type. Subclasses name their producer and event; fields are the contract."""

    model_config = ConfigDict(extra="allow", frozen=True)

    producer: ClassVar[str]
    event_name: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def ce_type(cls) -> str:
        return f"tic.{cls.producer}.{cls.event_name}.v{cls.version}"

    @classmethod
    def nats_subject(cls) -> str:
        return f"tic.{cls.producer}.{cls.event_name}"

    def aggregate_sequence(self) -> int | None:
        """The per-aggregate sequence number, for producers whose events carry one."""
        value = getattr(self, "sequence", None)
        return value if isinstance(value, int) else None


class CloudEvent(BaseModel):
    """One event on the wire: the CloudEvents 1.0 attributes, our `traceparent` extension and the data."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    source: str = Field(examples=["/services/registry"])
    type: str = Field(examples=["tic.registry.CenterApproved.v1"])
    subject: str | None = Field(default=None, description="The aggregate the event is about (a center id).")
    time: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: Literal["application/json"] = "application/json"
    traceparent: str | None = None
    data: dict[str, Any]

    @classmethod
    def of(cls, data: EventData, *, subject: str | None = None) -> Self:
        """Wrap typed data, continuing the current trace."""
        return cls(
            source=f"/services/{data.producer}",
            type=data.ce_type(),
            subject=subject,
            traceparent=current_traceparent(),
            data=data.model_dump(mode="json"),
        )

    @property
    def nats_subject(self) -> str:
        """`tic.registry.CenterApproved.v1` travels on `tic.registry.CenterApproved`."""
        return self.type.rsplit(".", 1)[0]

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    def data_as(self, model: builtins.type[T]) -> T:
        return model.model_validate(self.data)
