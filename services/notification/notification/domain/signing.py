"""Webhook signatures: HMAC-SHA256 over `timestamp + "." + body` with the subscription's secret."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-TIC-Signature"
TIMESTAMP_HEADER = "X-TIC-Timestamp"
DELIVERY_HEADER = "X-TIC-Delivery"
EVENT_ID_HEADER = "X-TIC-Event-Id"
TOLERANCE_S = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value: `sha256=<hex>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, now: float, tolerance_s: int = TOLERANCE_S
) -> bool:
    """What a receiver does: a fresh timestamp and a matching signature (compared in constant time)."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs(now - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)
