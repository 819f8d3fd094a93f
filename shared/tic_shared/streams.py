"""The JetStream streams (one per producer) and durable consumers, declared explicitly and idempotently."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import APIError, BadRequestError

from tic_shared.settings import ServiceSettings

PRODUCERS = ("registry", "evaluation", "funding", "notification")
_SECONDS_PER_DAY = 86_400


def stream_name(producer: str) -> str:
    return f"TIC_{producer.upper()}"


def stream_config(producer: str, settings: ServiceSettings) -> StreamConfig:
    # Limits retention (not work-queue): external subscribers replay the history at their own pace.
    return StreamConfig(
        name=stream_name(producer),
        description=f"Integration events published by the {producer} service",
        subjects=[f"tic.{producer}.>"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=settings.stream_max_age_days * _SECONDS_PER_DAY,
        duplicate_window=settings.stream_duplicate_window_s,
        num_replicas=settings.stream_replicas,
    )


class StreamReplicasRefused(RuntimeError):
    """The NATS deployment cannot hold the configured number of stream copies (fewer nodes than replicas)."""


async def ensure_stream(js: JetStreamContext, producer: str, settings: ServiceSettings, *, owner: bool = True) -> None:
    """Create the stream; its owner (the producer) also brings an existing one to the current configuration.
    A consumer only creates it when it starts first: its NATS user may not change another service's stream."""
    config = stream_config(producer, settings)
    try:
        try:
            await js.add_stream(config)
        except BadRequestError as error:
            if _about_replicas(error):
                raise
            if not owner:
                return
            # Exists with another configuration (an older release): bring it to ours.
            await js.update_stream(config)
    except APIError as error:  # a single node answers 500 "replicas > 1 not supported in non-clustered mode"
        if _about_replicas(error):
            raise StreamReplicasRefused(
                f"NATS refused {settings.stream_replicas} replicas of {config.name}: {error.description}; set "
                "TIC_STREAM_REPLICAS to at most the number of JetStream nodes"
            ) from error
        raise


def _about_replicas(error: APIError) -> bool:
    text = (error.description or "").lower()
    return "replica" in text or "insufficient resources" in text


def consumer_config(service: str, subjects: list[str], settings: ServiceSettings) -> ConsumerConfig:
    # No `backoff` list: the server applies it to a nak with delay too (the delay is added to what the list
    # says, minus the ack wait), so failed attempts came 32 s apart instead of the configured 2 s (issue 13).
    # Handler failures are spaced by nak(delay=…) alone; a crash mid-handling is redelivered after the ack
    # wait. No max_deliver: an event is only ever given up by us, as a dead letter (and never for an outage of
    # the database, however many deliveries that takes).
    return ConsumerConfig(
        durable_name=service,
        description=f"The {service} service's inbox",
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=settings.consumer_ack_wait_s,
        backoff=[],
        max_deliver=-1,
        max_ack_pending=settings.consumer_max_ack_pending,
        filter_subjects=sorted(subjects),
        num_replicas=settings.stream_replicas,
    )


async def ensure_consumer(
    js: JetStreamContext, producer: str, service: str, subjects: list[str], settings: ServiceSettings
) -> None:
    """`add_consumer` creates or updates the durable; `pull_subscribe` would silently keep an old config."""
    await ensure_stream(js, producer, settings, owner=producer == service)
    await js.add_consumer(stream_name(producer), consumer_config(service, subjects, settings))
