"""The example receiver's verification recipe agrees with how the service signs."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

from notification.domain import signing


def test_the_documented_recipe_verifies_our_signature() -> None:
    path = Path(__file__).parents[2] / "examples" / "webhook_receiver.py"
    spec = importlib.util.spec_from_file_location("webhook_receiver", path)
    assert spec is not None and spec.loader is not None
    receiver = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(receiver)

    secret, body, now = signing.new_secret(), b'{"id":"e1","type":"t"}', int(time.time())
    signature = signing.sign(secret, now, body)
    assert receiver.verify(secret, str(now), body, signature, now)
    assert not receiver.verify(secret, str(now), body + b" ", signature, now)
    assert not receiver.verify(secret, str(now - 301), body, signing.sign(secret, now - 301, body), now)
