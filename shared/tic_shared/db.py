"""The async SQLAlchemy engine of one service schema, and the one place a transaction commits or rolls back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import asyncpg
from sqlalchemy import ARRAY, JSON, BindParameter, ClauseElement, MetaData, Table, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

from tic_shared.telemetry import recording, statement_span

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata(schema: str) -> MetaData:
    """Metadata whose tables all live in the service's own schema."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def async_url(url: str) -> URL:
    """`postgresql://…` as the asyncpg dialect URL SQLAlchemy wants."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg")


def asyncpg_dsn(url: str) -> str:
    """The same database as a plain libpq-style DSN for a raw asyncpg connection."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# The JSON text every service writes: compact, UTF-8 as it is (no \u escapes), keys in the order given. PostgreSQL
# normalises a jsonb value whatever its text; a `json` column keeps this text as it is (notification's log of
# received events, whose text is each webhook's body).
JSON_TEXT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class DriverQuery:
    """A Core statement compiled once to asyncpg's own SQL, run on the driver's connection by `Database.fetch_row`
    (a read, outside any transaction) or `fetch_row_in` (inside a session's transaction).

    For the few statements so hot that SQLAlchemy's execution machinery (the session, the connection's execution
    context, the greenlet hop, the result's processors) costs more than the statement: the query is still written
    in Core, against the same tables, and its named parameters are bound in the compiled order. JSON values are
    serialised as SQLAlchemy would (the codecs its dialect installs on each connection take JSON text)."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=_DIALECT)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self.verb = self.sql.split(None, 1)[0].upper()  # what its span is called (`telemetry.statement_span`)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        # Values written into the statement itself (`status == "open"`) are bound parameters too.
        self.fixed = {name: value for name, value in compiled.params.items() if value is not None}
        self.json = frozenset(name for name in self.names if isinstance(compiled.binds[name].type, JSON))
        # An array of JSON values (a column's values for `unnest`): each element serialised on its own.
        self.json_arrays = frozenset(
            name
            for name in self.names
            if isinstance(kind := compiled.binds[name].type, ARRAY) and isinstance(kind.item_type, JSON)
        )

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        bound = [values[name] if name in values else self.fixed[name] for name in self.names]
        if not self.json and not self.json_arrays:
            return bound
        return [self._serialised(name, value) for name, value in zip(self.names, bound, strict=True)]

    def _serialised(self, name: str, value: Any) -> Any:
        if value is None:
            return None
        if name in self.json:
            return JSON_TEXT.encode(value)
        if name in self.json_arrays:
            return [None if item is None else JSON_TEXT.encode(item) for item in value]
        return value


def bound(table: Table, names: Iterable[str]) -> dict[str, BindParameter[Any]]:
    """Each named column as a parameter of its own name and type: the values of a driver statement's insert or
    update, bound per row by `DriverQuery.arguments`."""
    return {name: bindparam(name, type_=table.c[name].type) for name in names}


def insert_from_arrays(table: Table, names: Sequence[str]) -> Insert:
    """`INSERT INTO table (names) SELECT … FROM unnest(:name, …)`: many rows in one statement whatever their
    number, each parameter one column's values as an array of that column's type (one SQL text, prepared once)."""
    arrays = [bindparam(name, type_=ARRAY(table.c[name].type)) for name in names]
    source = func.unnest(*arrays).table_valued(*names).render_derived()
    return insert(table).from_select(list(names), select(*(source.c[name] for name in names)))


@cache
def inserting(table: Table, names: tuple[str, ...]) -> DriverQuery:
    """The plain insert of rows naming `names` into `table`, built once for each such set."""
    return DriverQuery(table.insert().values(bound(table, names)))


async def fetch_row_in(session: AsyncSession, query: DriverQuery, values: Mapping[str, Any]) -> asyncpg.Record | None:
    """One row of `query` run on the driver's connection under the session's transaction: the row as asyncpg gives
    it (JSON decoded, UUIDs as asyncpg's own `UUID`, a subclass of `uuid.UUID`), or None.

    SQLAlchemy's asyncpg adapter sends BEGIN with its first statement; if the session has not run one yet, the
    transaction is begun here first, so the statement is always inside it. A statement's error is the driver's own
    (`asyncpg.PostgresError`), not wrapped; a connection found lost is invalidated, as SQLAlchemy would, and
    reported as `asyncpg.ConnectionDoesNotExistError`."""
    arguments = query.arguments(values)
    row: asyncpg.Record | None = await _run_in(session, query, lambda driver: driver.fetchrow(query.sql, *arguments))
    return row


async def fetch_in(session: AsyncSession, query: DriverQuery, values: Mapping[str, Any]) -> list[asyncpg.Record]:
    """Every row of `query`, run as `fetch_row_in` runs it (in the session's transaction; the driver's rows and
    errors)."""
    arguments = query.arguments(values)
    return list(await _run_in(session, query, lambda driver: driver.fetch(query.sql, *arguments)))


async def execute_many_in(session: AsyncSession, query: DriverQuery, rows: Sequence[Mapping[str, Any]]) -> None:
    """`query` once per row, all sent at once and run in order (asyncpg's `executemany`), as `fetch_row_in` runs
    a statement: in the session's transaction, with the driver's errors."""
    if rows:
        arguments = [query.arguments(row) for row in rows]
        await _run_in(session, query, lambda driver: driver.executemany(query.sql, arguments))


async def _run_in(
    session: AsyncSession, query: DriverQuery, run: Callable[[asyncpg.Connection], Awaitable[Any]]
) -> Any:
    """The session's connection is looked up once per transaction and kept in `session.info` (asking the session
    for it each time passed through SQLAlchemy's greenlet bridge: a tenth of a consumer's time per event)."""
    transaction = session.sync_session.get_transaction()
    held = session.info.get(_HELD)
    if transaction is not None and held is not None and held[0] is transaction:
        _, connection, adapted, driver = held
    else:
        connection = await session.connection()
        pooled = await connection.get_raw_connection()
        adapted = pooled.dbapi_connection  # SQLAlchemy's asyncpg adapter
        driver = pooled.driver_connection
        session.info[_HELD] = (session.sync_session.get_transaction(), connection, adapted, driver)
    try:
        if adapted._transaction is None and adapted.isolation_level != "autocommit":
            await adapted._start_transaction()
        return await _traced(query, lambda: run(driver))
    except Exception as exc:
        if not _connection_lost(driver, exc):
            raise  # the statement's own error: the connection is sound
        session.info.pop(_HELD, None)
        await connection.invalidate(exc)
        # However the loss showed itself (a closed socket, the server's notice, the protocol caught between two
        # states by it), it is an outage to the caller, as `Database.fetch_row` says it.
        raise asyncpg.ConnectionDoesNotExistError("the database connection was lost during a statement") from exc


async def _traced(query: DriverQuery, run: Callable[[], Awaitable[Any]]) -> Any:
    """The statement, a client span around it while spans are recorded; otherwise not even a context is entered
    (the GET of one center reads on the driver)."""
    if not recording():
        return await run()
    with statement_span(query.sql, query.verb):
        return await run()


_DIALECT = PGDialect_asyncpg()
_HELD = "tic.driver_connection"  # session.info: (transaction, connection, adapter, driver connection)

# The server refusing or ending sessions: a restart, a crash, too many connections.
_SERVER_UNAVAILABLE = (
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)


def driver_says_connection_lost(exc: BaseException) -> bool:
    """Whether asyncpg's `exc` says the connection or the server is gone, rather than that a statement is wrong."""
    if isinstance(exc, (asyncpg.PostgresConnectionError, *_SERVER_UNAVAILABLE)):
        return True
    # asyncpg's DataError is an InterfaceError too (a bad argument, not an outage): only a closed connection.
    return (
        isinstance(exc, asyncpg.InterfaceError) and not isinstance(exc, asyncpg.DataError) and "connection" in str(exc)
    )


def _connection_lost(driver: asyncpg.Connection, exc: Exception) -> bool:
    # On the driver itself, a broken socket and asyncpg's protocol left between two states (by the server's
    # shutdown notice arriving mid-operation) lose the connection too.
    return (
        driver.is_closed() or isinstance(exc, OSError | asyncpg.InternalClientError) or driver_says_connection_lost(exc)
    )


class Database:
    """Engine and session factory for one service; created in the app lifespan, never at import."""

    def __init__(self, url: str, *, schema: str, pool_size: int = 10, application_name: str = "tic") -> None:
        self.schema = schema
        self.engine: AsyncEngine = create_async_engine(
            async_url(url),
            # A fixed pool: a burst beyond it waits its turn (at most `pool_timeout`) rather than opening
            # connections that are closed again as soon as they are returned, which costs a connect per request.
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=10,
            # No ping before every checkout (three round trips per request): a connection that died is found out
            # by the statement that uses it, which invalidates the whole pool, so one request per outage fails.
            pool_pre_ping=False,
            # A failed statement's error names its SQL, never its parameters: they hold secrets and personal data.
            hide_parameters=True,
            json_serializer=JSON_TEXT.encode,
            connect_args={"server_settings": {"application_name": application_name}},
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block ends, rolls back when it raises. Nothing else commits."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit: each statement runs on its own (autocommit), without BEGIN and COMMIT round trips.
        For requests that change nothing; a write needs `transaction()`."""
        async with self.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            async with AsyncSession(bind=autocommit, expire_on_commit=False, autoflush=False) as session:
                yield session

    async def fetch_row(self, query: DriverQuery, values: Mapping[str, Any]) -> asyncpg.Record | None:
        """One row of a read, on a pooled connection's driver, in autocommit (no BEGIN, no COMMIT): the row as
        asyncpg gives it (JSON already decoded by the codecs the dialect installed on connect), or None.

        A connection found dead is thrown away with the whole pool, as SQLAlchemy does for its own statements,
        so that the connections that died with it are not handed to the requests after this one.

        The connection is checked out of the pool bare (no `AsyncConnection` around it: building one per read was
        a twentieth of a request's time) and checked back in however the read ends."""
        pooled = await greenlet_spawn(self.engine.sync_engine.raw_connection)
        try:
            driver: asyncpg.Connection = pooled.driver_connection
            try:
                arguments = query.arguments(values)
                row: asyncpg.Record | None = await _traced(query, lambda: driver.fetchrow(query.sql, *arguments))
                return row
            except Exception as exc:
                if not _connection_lost(driver, exc):
                    raise  # the statement's own error (a bad value, say): the connection is sound
                await greenlet_spawn(pooled.invalidate, exc)
                await self.engine.dispose(close=False)
                # However the loss showed itself (a closed socket, the server's shutdown notice, or the protocol
                # caught between two states by it), it is an outage to the caller: 503, retry later.
                raise asyncpg.ConnectionDoesNotExistError("the database connection was lost during a read") from exc
        finally:
            await greenlet_spawn(pooled.close)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
