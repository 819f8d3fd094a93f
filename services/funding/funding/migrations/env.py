"""Alembic environment of the funding schema (version table inside it, advisory-locked)."""

from funding.store.tables import metadata
from tic_shared.migrations import run_env

run_env(metadata)
