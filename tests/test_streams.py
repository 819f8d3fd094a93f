"""Streams are replicated as configured, and a replica count the NATS deployment cannot hold is refused clearly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import nats
import pytest

from tic_platform.embedded import NatsServer
from tic_shared.streams import StreamReplicasRefused, ensure_stream, stream_config


def test_streams_and_consumers_take_their_replicas_from_the_settings(make_settings: Callable[..., Any]) -> None:
    assert stream_config("registry", make_settings("registry")).num_replicas == 1
    assert stream_config("registry", make_settings("registry", stream_replicas=3)).num_replicas == 3


async def test_more_replicas_than_nodes_is_refused_with_what_to_change(
    make_settings: Callable[..., Any], own_nats: NatsServer
) -> None:
    nc = await nats.connect(own_nats.admin_url, max_reconnect_attempts=0)
    try:
        js = nc.jetstream()
        with pytest.raises(StreamReplicasRefused, match="TIC_STREAM_REPLICAS"):
            await ensure_stream(js, "funding", make_settings("funding", stream_replicas=3))
        await ensure_stream(js, "funding", make_settings("funding", stream_replicas=1))  # one node holds one copy
        assert (await js.stream_info("TIC_FUNDING")).config.num_replicas == 1
    finally:
        await nc.close()
