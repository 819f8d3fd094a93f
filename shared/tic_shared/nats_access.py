"""Who may say what on NATS: each service publishes only its own subjects and touches only its own consumers.

Issue 12 (10): with an open NATS, anything that reached it could publish a `CenterDelisted` and trigger a
clawback. One table here is the source of the permissions the embedded dev NATS enforces, the tests check and
the Helm example values write out, so the three cannot drift apart.
"""

from __future__ import annotations

import ssl
from typing import Any

from tic_shared.settings import ServiceSettings
from tic_shared.streams import PRODUCERS, stream_name

# Whose streams each service reads (a test holds this equal to what its EventHandlers register).
CONSUMES: dict[str, tuple[str, ...]] = {
    "registry": ("evaluation",),
    "evaluation": ("registry",),
    "funding": ("evaluation", "registry"),
    "notification": PRODUCERS,
}

# Full rights, for the operators' tools and the tests' fake producers; never given to a service.
ADMIN_USER = "tic-admin"


def inbox_prefix(service: str) -> str:
    """Replies (JetStream API answers, pulled messages) come to inboxes only this service may read."""
    return f"_INBOX_{service}"


def permissions(service: str) -> dict[str, list[str]]:
    """The NATS `publish` and `subscribe` allow-lists of one service."""
    if service not in PRODUCERS:
        raise ValueError(f"unknown service {service!r}")
    own = stream_name(service)
    publish = [
        f"tic.{service}.>",
        # Its own stream: declared and brought up to date by the service itself.
        f"$JS.API.STREAM.CREATE.{own}",
        f"$JS.API.STREAM.UPDATE.{own}",
        f"$JS.API.STREAM.INFO.{own}",
    ]
    for producer in CONSUMES[service]:
        stream = stream_name(producer)
        if producer != service:
            # A consumer may create the producer's stream when it starts first, never change it.
            publish.append(f"$JS.API.STREAM.CREATE.{stream}")
        publish += [
            # Only its own durable (named after the service) on that stream, and its acks.
            f"$JS.API.CONSUMER.CREATE.{stream}.{service}",
            f"$JS.API.CONSUMER.CREATE.{stream}.{service}.>",
            f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{service}",
            f"$JS.API.CONSUMER.INFO.{stream}.{service}",
            f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{service}",
            f"$JS.ACK.{stream}.{service}.>",
        ]
    return {"publish": sorted(set(publish)), "subscribe": [f"{inbox_prefix(service)}.>"]}


def tls_context(settings: ServiceSettings) -> ssl.SSLContext | None:
    """A client TLS context when a CA or client certificate is configured (or the URL says `tls://`)."""
    wants_tls = settings.nats_url.startswith("tls://") or settings.nats_tls_ca_file or settings.nats_tls_cert_file
    if not wants_tls:
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=settings.nats_tls_ca_file)
    if settings.nats_tls_cert_file:
        context.load_cert_chain(settings.nats_tls_cert_file, settings.nats_tls_key_file)
    return context


def connect_options(settings: ServiceSettings) -> dict[str, Any]:
    """The credentials, TLS and inbox prefix `nats.connect` gets for this service."""
    options: dict[str, Any] = {}
    if settings.nats_user:
        options["user"] = settings.nats_user
        options["password"] = settings.nats_password.get_secret_value() if settings.nats_password else ""
    context = tls_context(settings)
    if context is not None:
        options["tls"] = context
    if settings.service in PRODUCERS:
        options["inbox_prefix"] = inbox_prefix(settings.service)
    return options
