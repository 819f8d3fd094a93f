"""Alembic environment of the notification schema (version table inside it, advisory-locked)."""

from notification.store.tables import metadata
from tic_shared.migrations import run_env

run_env(metadata)
