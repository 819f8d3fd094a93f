"""Webhook secrets at rest: sealed with a key from settings, opened only to sign a delivery.

A database dump, a replica or a backup then holds no usable signing key. Fernet (AES-128-CBC with an
HMAC-SHA256 tag, from `cryptography`) is authenticated: a tampered value fails to open rather than signing
with garbage.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "sealed:v1:"
DEV_KEY = "0TayjcxAIbkdQx9-09GizfaOdHIckdCBi2it29fAMA8="
"""The development key: public, so refused in production (see NotificationSettings)."""


class SecretUnreadable(ValueError):
    """A sealed secret the configured key cannot open (another key, or a tampered value)."""


class SecretBox:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def seal(self, secret: str) -> str:
        return PREFIX + self._fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        """The secret; a value stored before secrets were sealed is returned as it is."""
        if not is_sealed(stored):
            return stored
        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable("the webhook secret cannot be opened with the configured key") from exc


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)
