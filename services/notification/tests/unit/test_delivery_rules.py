"""Signatures, backoff, subscription filters and who a rule reaches."""

from __future__ import annotations

import random
import uuid

import pytest

from notification.domain import retry, rules, signing


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    secret, body = "whsec_test", b'{"id":"1"}'
    expected = "sha256=" + hmac.new(secret.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signing.sign(secret, 1700000000, body) == expected
    assert signing.verify(secret, "1700000000", body, expected, now=1700000100)
    assert not signing.verify(secret, "1700000000", body, expected, now=1700000000 + 301)  # too old: a replay
    assert not signing.verify(secret, "1700000000", body + b" ", expected, now=1700000000)
    assert not signing.verify(secret, "soon", body, expected, now=1700000000)


def test_new_secrets_differ() -> None:
    assert signing.new_secret() != signing.new_secret()


def test_backoff_doubles_is_capped_and_jittered() -> None:
    rng = random.Random(7)
    delays = [retry.backoff_s(n, base_s=1, max_s=60, rng=rng) for n in range(1, 10)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(60, 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(retry.backoff_s(3, base_s=1, max_s=60), 6) for _ in range(20)}) > 1


def test_exhaustion_and_pausing() -> None:
    assert not retry.is_exhausted(2, 3) and retry.is_exhausted(3, 3)
    assert not retry.should_pause(59.0, 60.0) and retry.should_pause(60.0, 60.0)
    assert retry.should_warn(40.0, pause_after_s=60.0, warn_before_s=20.0)
    assert not retry.should_warn(39.0, pause_after_s=60.0, warn_before_s=20.0)


@pytest.mark.parametrize(
    ("pattern", "valid"),
    [
        ("*", True),
        ("tic.registry.*", True),
        ("tic.registry.CenterApproved.v1", True),
        ("tic.nowhere.*", False),
        ("tic.registry.CenterEaten.v1", False),
        ("registry", False),
        ("tic.registry.CenterApproved", False),
    ],
)
def test_subscription_filters(pattern: str, valid: bool) -> None:
    assert (rules.invalid_filter(pattern) is None) is valid


def test_filters_match() -> None:
    assert rules.matches(["tic.funding.*"], "tic.funding.SubsidyDisbursed.v1")
    assert not rules.matches(["tic.funding.*"], "tic.registry.CenterApproved.v1")
    assert rules.matches(["*"], "tic.registry.CenterApproved.v1")


def test_center_approved_reaches_contacts_center_district_bureau_and_matching_subscribers() -> None:
    rule = rules.package_rules().for_event("CenterApproved")
    assert rule is not None
    center = uuid.uuid4()
    finance, other = uuid.uuid4(), uuid.uuid4()
    found = rules.targets(
        rule,
        event_type="tic.registry.CenterApproved.v1",
        center_id=center,
        district="yinzhou",
        contacts=[{"email": "A@Example.com"}, {"email": "a@example.com"}, {"name": "no email"}],
        subscribers=[
            rules.Subscriber(finance, ("tic.registry.*",)),
            rules.Subscriber(other, ("tic.funding.*",)),
        ],
    )
    keys = {(t.channel, t.recipient) for t in found}
    assert keys == {
        ("email", "a@example.com"),
        ("inbox", f"role:center_user/center:{center}"),
        ("inbox", "role:district_officer/district:yinzhou"),
        ("inbox", "role:bureau_admin"),
        ("webhook", f"subscription:{finance}"),
    }
