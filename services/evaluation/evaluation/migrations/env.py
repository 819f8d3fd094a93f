"""Alembic environment of the evaluation schema (version table inside it, advisory-locked)."""

from evaluation.store.tables import metadata
from tic_shared.migrations import run_env

run_env(metadata)
