"""Alembic environment of the registry schema (version table inside it, advisory-locked)."""

from registry.store.tables import metadata
from tic_shared.migrations import run_env

run_env(metadata)
