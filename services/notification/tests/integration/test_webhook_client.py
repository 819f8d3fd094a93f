"""The webhook sender against a real HTTP server: what each answer, each failure on the way, becomes."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from notification.channels import WebhookClient, webhook_body
from notification.domain import signing
from tic_platform.embedded import free_port

SECRET = "whsec_test"


def _payload() -> dict[str, Any]:
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "type": "tic.registry.CenterApproved.v1", "data": {}}


def _signed(payload: dict[str, Any]) -> dict[str, Any]:
    """What `WebhookClient.send` takes of an event besides where and under which delivery."""
    return {"secret": SECRET, "body": webhook_body(payload), "event_id": payload["id"]}


async def _send(url: str, *, timeout_s: float = 2.0) -> Any:
    client = WebhookClient(timeout_s=timeout_s, sends=4)
    try:
        return await client.send(url=url, delivery_id="d-1", **_signed(_payload()))
    finally:
        await client.aclose()


async def test_a_2xx_answer_is_a_delivery_of_the_signed_body(receiver: Any) -> None:
    payload = _payload()
    client = WebhookClient(timeout_s=2.0, sends=4)
    try:
        outcome = await client.send(url=receiver.url, delivery_id="d-1", **_signed(payload))
    finally:
        await client.aclose()
    assert outcome.ok and outcome.http_status == 200 and outcome.error is None
    [hit] = receiver.hits
    assert hit.body == webhook_body(payload)
    assert hit.headers["x-tic-delivery"] == "d-1" and hit.event_id == payload["id"]
    assert hit.headers["content-type"] == "application/cloudevents+json; charset=utf-8"
    assert signing.verify(
        SECRET, hit.headers["x-tic-timestamp"], hit.body, hit.headers["x-tic-signature"], now=time.time()
    )


async def test_an_error_answer_is_a_failed_attempt_named_by_its_status(receiver: Any) -> None:
    receiver.status = 503
    outcome = await _send(receiver.url)
    assert not outcome.ok and outcome.http_status == 503 and outcome.error == "HTTP 503"


async def test_a_redirect_is_not_followed(receiver: Any) -> None:
    receiver.status = 302
    outcome = await _send(receiver.url)
    assert not outcome.ok and outcome.http_status == 302 and outcome.error == "HTTP 302"


async def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(receiver: Any) -> None:
    receiver.delay_s = 1.0
    outcome = await _send(receiver.url, timeout_s=0.2)
    assert not outcome.ok and outcome.http_status is None
    assert outcome.error is not None and outcome.error.startswith("ReadTimeout: no answer within 0.2 s")


async def test_nobody_listening_is_a_failed_attempt() -> None:
    outcome = await _send(f"http://127.0.0.1:{free_port()}/hook")
    assert not outcome.ok and outcome.http_status is None
    assert outcome.error is not None and outcome.error.startswith("ConnectError")


async def test_an_address_of_another_scheme_is_a_failed_attempt_not_a_crash() -> None:
    outcome = await _send("ftp://127.0.0.1/hook")
    assert not outcome.ok and outcome.error is not None and outcome.error.startswith("UnsupportedProtocol")


async def test_sends_to_one_receiver_share_a_kept_alive_connection(receiver: Any) -> None:
    client = WebhookClient(timeout_s=2.0, sends=4)
    try:
        for n in range(3):
            outcome = await client.send(url=receiver.url, delivery_id=f"d-{n}", **_signed(_payload()))
            assert outcome.ok
    finally:
        await client.aclose()
    assert len({hit.peer for hit in receiver.hits}) == 1


async def test_a_long_answer_is_dropped_and_the_next_send_still_goes_out(receiver: Any) -> None:
    receiver.answer = b"x" * (1024 * 1024)
    client = WebhookClient(timeout_s=2.0, sends=4)
    try:
        first = await client.send(url=receiver.url, delivery_id="d-1", **_signed(_payload()))
        second = await client.send(url=receiver.url, delivery_id="d-2", **_signed(_payload()))
    finally:
        await client.aclose()
    assert first.ok and second.ok and len(receiver.hits) == 2


async def test_a_receiver_that_hangs_up_without_answering_is_a_failed_attempt() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        outcome = await _send(f"http://127.0.0.1:{port}/hook")
    finally:
        server.close()
        await server.wait_closed()
    assert not outcome.ok and outcome.http_status is None
    assert outcome.error is not None and outcome.error.startswith("ProtocolError")
