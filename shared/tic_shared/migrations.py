"""Alembic for one service schema: version table inside the schema, an advisory lock around every run."""

from __future__ import annotations

import asyncio
from importlib import resources

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tic_shared.db import async_url, service_metadata
from tic_shared.messaging import messaging_tables, outbox_channel


def alembic_config(service: str, url: str) -> Config:
    """Config for `service`'s migrations, which ship inside its package (`<service>/migrations`)."""
    config = Config()
    config.set_main_option("script_location", str(resources.files(service).joinpath("migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["service"] = service
    return config


def _locked_run(connection: Connection, schema: str, metadata: MetaData) -> None:
    # Two replicas starting together both try to migrate: the lock makes the second wait, and it then finds
    # the schema already at head. Session-level, so it also spans a run of several migrations.
    key = {"key": f"tic-migrate:{schema}"}
    connection.execute(text("SELECT pg_advisory_lock(hashtext(:key))"), key)
    try:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=lambda name, type_, _parent: type_ != "schema" or name == schema,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    except BaseException:
        # A failed migration leaves the transaction aborted: end it first, or the unlock below fails too and its
        # error hides the migration's own.
        connection.rollback()
        raise
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"), key)
        connection.commit()


def run_env(metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py`."""
    config = context.config
    schema = str(metadata.schema)
    connection = config.attributes.get("connection")
    if connection is not None:
        _locked_run(connection, schema, metadata)
        return

    async def standalone() -> None:
        engine = create_async_engine(
            async_url(config.get_main_option("sqlalchemy.url") or ""), poolclass=NullPool, hide_parameters=True
        )
        async with engine.connect() as conn:
            await conn.run_sync(_locked_run, schema, metadata)
        await engine.dispose()

    asyncio.run(standalone())


# Alembic keeps its migration context in a module global: within one process, one run at a time.
_IN_PROCESS = asyncio.Lock()


async def _run(service: str, url: str, action: str, revision: str) -> None:
    async with _IN_PROCESS:
        await _run_alone(service, url, action, revision)


async def _run_alone(service: str, url: str, action: str, revision: str) -> None:
    config = alembic_config(service, url)
    engine = create_async_engine(async_url(url), poolclass=NullPool, hide_parameters=True)
    try:
        async with engine.connect() as conn:

            def go(sync_conn: Connection) -> None:
                config.attributes["connection"] = sync_conn
                getattr(command, action)(config, revision)

            await conn.run_sync(go)
    finally:
        await engine.dispose()


async def upgrade(service: str, url: str, revision: str = "head") -> None:
    await _run(service, url, "upgrade", revision)


async def downgrade(service: str, url: str, revision: str = "base") -> None:
    await _run(service, url, "downgrade", revision)


def create_messaging_tables(schema: str) -> None:
    """Inside a migration: the outbox, inbox and dead-letter tables, and the trigger that wakes the relay."""
    bind = context.get_bind()
    tables = messaging_tables(service_metadata(schema))
    for table in (tables.outbox, tables.inbox, tables.dead_letters, tables.idempotency_keys):
        table.create(bind)
    bind.execute(
        text(
            f"""
            CREATE FUNCTION "{schema}".notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('{outbox_channel(schema)}', '');
                RETURN NULL;
            END $$
            """
        )
    )
    bind.execute(
        text(
            f'CREATE TRIGGER outbox_notify AFTER INSERT ON "{schema}".outbox '
            f'FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".notify_outbox()'
        )
    )


def drop_messaging_tables(schema: str) -> None:
    bind = context.get_bind()
    bind.execute(text(f'DROP TRIGGER IF EXISTS outbox_notify ON "{schema}".outbox'))
    bind.execute(text(f'DROP FUNCTION IF EXISTS "{schema}".notify_outbox()'))
    tables = messaging_tables(service_metadata(schema))
    for table in (tables.idempotency_keys, tables.dead_letters, tables.inbox, tables.outbox):
        table.drop(bind)
