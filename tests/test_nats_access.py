"""Issue 12 (10): NATS is not open. A service connects as itself and may publish only its own subjects, so
nothing that merely reaches NATS (or holds another service's password) can publish a CenterDelisted."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import shutil
import ssl
import tempfile
import uuid
from pathlib import Path
from typing import Any

import nats
import nats.errors
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from nats.js.api import StreamConfig

from tic_platform.embedded import NatsServer, NatsUsers
from tic_shared.events import CloudEvent
from tic_shared.events.catalog import CenterDelisted
from tic_shared.nats_access import CONSUMES, inbox_prefix, permissions
from tic_shared.settings import ServiceSettings
from tic_shared.streams import PRODUCERS
from tic_shared.vocabulary import CenterStatus, Tier


def center_delisted() -> CloudEvent:
    center_id = uuid.uuid4()
    data = CenterDelisted(
        center_id=center_id,
        tier=Tier.MUNICIPAL_TIC,
        status=CenterStatus.DELISTED,
        district="yinzhou",
        sequence=9,
        reason="forged by whoever reached NATS",
        effective_on=dt.date(2027, 6, 1),
    )
    return CloudEvent.of(data, subject=str(center_id))


async def test_a_connection_without_credentials_is_refused(own_nats: NatsServer) -> None:
    with pytest.raises(nats.errors.Error, match=r"(?i)authorization violation"):
        await nats.connect(own_nats.url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2)


async def test_a_wrong_password_is_refused(own_nats: NatsServer) -> None:
    url = own_nats.url.replace("nats://", "nats://registry:not-the-password@")
    with pytest.raises(nats.errors.Error, match=r"(?i)authorization violation"):
        await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2)


async def test_funding_cannot_publish_a_center_delisted_and_nothing_arrives(own_nats: NatsServer) -> None:
    admin = await nats.connect(own_nats.admin_url)
    errors: list[Exception] = []

    async def collect(exc: Exception) -> None:
        errors.append(exc)

    funding = await nats.connect(
        own_nats.url_as("funding"), error_cb=collect, inbox_prefix=inbox_prefix("funding"), allow_reconnect=False
    )
    try:
        ajs = admin.jetstream()
        await ajs.add_stream(StreamConfig(name="TIC_REGISTRY", subjects=["tic.registry.>"]))
        event = center_delisted()
        # Through JetStream: no acknowledgement ever comes, the server drops the message.
        with pytest.raises(nats.errors.TimeoutError):
            await funding.jetstream().publish(event.nats_subject, event.to_json(), timeout=1.0)
        # And as a plain publish.
        await funding.publish(event.nats_subject, event.to_json())
        await funding.flush()
        await asyncio.sleep(0.3)
        assert any("permissions violation for publish" in str(e).lower() for e in errors), errors
        assert any("tic.registry.centerdelisted" in str(e).lower() for e in errors), errors
        assert (await ajs.stream_info("TIC_REGISTRY")).state.messages == 0

        # Its own subjects it may publish (the stream is there for it).
        await ajs.add_stream(StreamConfig(name="TIC_FUNDING", subjects=["tic.funding.>"]))
        ack = await funding.jetstream().publish("tic.funding.Probe", b"{}", timeout=2.0)
        assert ack.stream == "TIC_FUNDING"
    finally:
        await funding.close()
        await admin.close()


async def test_a_service_cannot_read_another_services_replies(own_nats: NatsServer) -> None:
    errors: list[Exception] = []

    async def collect(exc: Exception) -> None:
        errors.append(exc)

    funding = await nats.connect(own_nats.url_as("funding"), error_cb=collect, allow_reconnect=False)
    try:
        await funding.subscribe(f"{inbox_prefix('registry')}.>")
        await funding.flush()
        await asyncio.sleep(0.3)
        assert any("permissions violation for subscription" in str(e).lower() for e in errors), errors
    finally:
        await funding.close()


def test_each_service_may_publish_only_its_own_events() -> None:
    for service in PRODUCERS:
        event_subjects = [s for s in permissions(service)["publish"] if s.startswith("tic.")]
        assert event_subjects == [f"tic.{service}.>"]
        assert not [s for s in permissions(service)["publish"] if s in (">", "$JS.API.>", "$JS.>")]
        assert permissions(service)["subscribe"] == [f"_INBOX_{service}.>"]


def test_the_consumed_streams_are_the_ones_the_handlers_read() -> None:
    import importlib

    for service in ("registry", "evaluation", "funding"):
        handlers = importlib.import_module(f"{service}.consumers").handlers
        assert sorted(CONSUMES[service]) == handlers.producers(), service
    from notification.consumers import CATALOG

    assert sorted(CONSUMES["notification"]) == sorted({model.producer for model in CATALOG})


def test_production_refuses_to_connect_without_credentials() -> None:
    from tic_shared.nats_link import NatsLink
    from tic_shared.settings import Environment

    settings = ServiceSettings(
        service="funding", environment=Environment.PRODUCTION, jwks_url="https://idp.example/jwks.json"
    )
    with pytest.raises(ValueError, match="TIC_NATS_USER"):
        NatsLink.for_service(settings)


def test_settings_keep_the_password_secret() -> None:
    settings = ServiceSettings(service="funding", nats_user="funding", nats_password="s3cret-pw")  # type: ignore[arg-type]
    assert "s3cret-pw" not in repr(settings)
    assert settings.nats_password is not None
    assert settings.nats_password.get_secret_value() == "s3cret-pw"


async def test_services_run_and_talk_under_their_own_users(run_service: Any) -> None:
    """The services' real traffic (stream declared, consumers bound) passes their permissions."""
    from tic_platform.testing import eventually

    async with run_service("funding") as (app, _):
        assert app.state.settings.nats_user == "funding"
        await eventually(lambda: _all_bound(app), timeout_s=15)


async def _all_bound(app: Any) -> bool:
    return all(consumer.bound.is_set() for consumer in app.state.consumers)


def _issue_tls(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it: (ca, cert, key) files."""
    now = dt.datetime.now(dt.UTC)

    def certificate(subject: str, key: Any, issuer: str, signer: Any, *, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
            builder = builder.add_extension(san, critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    server_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = certificate("tic test CA", ca_key, "tic test CA", ca_key, ca=True)
    server_cert = certificate("127.0.0.1", server_key, "tic test CA", ca_key, ca=False)
    pem = serialization.Encoding.PEM
    paths = (folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    paths[0].write_bytes(ca_cert.public_bytes(pem))
    paths[1].write_bytes(server_cert.public_bytes(pem))
    paths[2].write_bytes(server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


async def test_a_service_connects_over_tls_when_told_the_ca(nats_users: NatsUsers) -> None:
    from tic_shared.nats_link import NatsLink

    folder = Path(tempfile.mkdtemp(prefix="tic-nats-tls-", dir="/tmp"))
    ca, cert, key = _issue_tls(folder)
    server = NatsServer(folder / "nats", users=nats_users, tls=(cert, key)).start()
    link: NatsLink | None = None
    try:
        assert server.url.startswith("tls://")
        settings = ServiceSettings(service="funding", nats_tls_ca_file=str(ca), **server.settings_for("funding"))
        link = NatsLink.for_service(settings)
        link.start()
        await asyncio.wait_for(link.ready.wait(), timeout=10)
        assert link.nc is not None and link.nc.connected_url is not None
        assert link.nc.connected_url.scheme == "tls"
        # Without the CA the server's certificate is not trusted: no connection.
        with pytest.raises(ssl.SSLCertVerificationError):
            await nats.connect(
                server.url_as("funding"), allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2
            )
    finally:
        if link is not None:
            await link.close()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
