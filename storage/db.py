"""The SQLite database: connections, pragmas, migrations and transactions.

One writer connection guarded by an asyncio lock (SQLite has a single writer anyway, and the lock
keeps concurrent tasks from interleaving statements inside each other's transactions) and a small
pool of reader connections, which in WAL mode read committed data without waiting for the
writer. A reader is lent to one task at a time: two tasks interleaving statements on one
connection would share one read snapshot, and the later one could miss a write committed in
between.

Every connection is an aiosqlite connection (a worker thread per connection), with one twist
(:class:`Connection`): its statements can also run directly on the event loop's thread. A write
transaction does that: once ``BEGIN IMMEDIATE`` holds SQLite's write lock, a statement is a few
microseconds of work, far less than a round trip to the worker thread, and the write lock is
held for that work only (with a thread round trip per statement it was held while the loop got
round to each result: most of the time, under load). A transaction that keeps the loop longer
than :data:`INLINE_BUDGET_S` goes on in the worker thread, so that a bulk import does not stall
everyone. ``BEGIN IMMEDIATE`` itself first tries without waiting and, when another process holds
the lock, waits for it (``busy_timeout``) in the worker thread. The commit does not sync (WAL,
``synchronous = NORMAL``: a ``kill -9`` loses nothing committed), and the WAL is checkpointed in
the background (``wal_autocheckpoint`` is off on the writer, which would otherwise copy pages and
sync on the loop every thousand pages). :meth:`Database.lookup` lends a reader whose statements
run on the loop likewise, for the few point queries of the hot path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
# How long one transaction (or one lookup block) may run statements on the event loop's thread;
# past that its statements go to the connection's worker thread (the loop serves others between
# them). A flow step takes well under a millisecond.
INLINE_BUDGET_S = 0.010
# Commits between two background checkpoints of the WAL (SQLite's automatic one, which the
# writer no longer does, runs every 1000 pages: a few hundred small transactions).
CHECKPOINT_EVERY = 200
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

T = TypeVar("T")


class DuplicateUpdateError(Exception):
    """The update was already applied: its effect is in the database."""


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migrations shipped in ``storage/migrations``, in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..N without gaps, found {numbers}")
    return found


def latest_version() -> int:
    return len(migrations())


class Connection(aiosqlite.Connection):
    """An aiosqlite connection that can run its statements on the calling thread.

    aiosqlite sends every call (``execute``, a cursor's ``fetchone``, ``commit``...) through
    ``_execute`` to the connection's worker thread. While :meth:`inline` is on, ``_execute``
    runs the call right away instead, until the block has used its time budget. The owner
    (:class:`Database`) makes sure that only one task uses the connection at a time, so the
    worker thread is idle whenever a call runs inline (the sqlite3 connection is opened with
    ``check_same_thread=False`` for that).

    It overrides aiosqlite's ``_execute`` and reads ``_running``, ``_connection`` and
    ``_conn``: internals, hence the upper bound on aiosqlite in pyproject.toml;
    tests/test_db_inline.py fails if a new version moves them.
    """

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._inline_until: float | None = None  # perf_counter deadline while inline

    @asynccontextmanager
    async def inline(self, budget_s: float | None = None) -> AsyncIterator[None]:
        """Run this block's calls on the calling thread, for ``budget_s`` (default
        :data:`INLINE_BUDGET_S`) at most; the rest go to the worker thread."""
        budget = INLINE_BUDGET_S if budget_s is None else budget_s
        self._inline_until = time.perf_counter() + budget
        try:
            yield
        finally:
            self._inline_until = None

    def run_now(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn`` on the calling thread (the worker thread must be idle: see above)."""
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        deadline = self._inline_until
        if deadline is not None:
            if time.perf_counter() < deadline:
                return self.run_now(fn, *args, **kwargs)
            self._inline_until = None  # over budget: the rest of the block goes to the thread
        result: T = await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        return result

    async def begin_immediate(self) -> None:
        """``BEGIN IMMEDIATE``: right away when the write lock is free, else waiting for it
        (up to ``busy_timeout``) in the worker thread."""
        if not self.run_now(_begin_now, self._conn):
            await super()._execute(_begin_waiting, self._conn)  # type: ignore[no-untyped-call]


async def connect(path: Path | str) -> Connection:
    """A :class:`Connection` to ``path`` in autocommit mode (transactions are explicit)."""
    connector = partial(sqlite3.connect, str(path), isolation_level=None, check_same_thread=False)
    conn = Connection(connector)
    await conn
    conn.row_factory = aiosqlite.Row
    return conn


async def _configure(conn: aiosqlite.Connection, *, writer: bool) -> None:
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA foreign_keys = ON")
    if writer:
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        # Checkpoints run in the background (Database._checkpoint), not on the loop's thread.
        await conn.execute("PRAGMA wal_autocheckpoint = 0")
    else:
        await conn.execute("PRAGMA query_only = ON")


async def apply_migrations(conn: aiosqlite.Connection) -> list[str]:
    """Apply every migration above ``PRAGMA user_version``; each one in its own transaction."""
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    current = int(row[0]) if row else 0
    applied = []
    for number, name, sql in migrations():
        if number <= current:
            continue
        try:
            await conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                await conn.rollback()
            raise
        log.info("applied migration %s", name)
        applied.append(name)
    return applied


def _begin_now(raw: sqlite3.Connection) -> bool:
    """``BEGIN IMMEDIATE`` without waiting (the writer's ``busy_timeout`` is 0 between
    transactions): False when another connection (another process) holds the write lock."""
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
            return False
        raise
    return True


def _begin_waiting(raw: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting up to ``BUSY_TIMEOUT_MS`` for the other writer."""
    raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    try:
        raw.execute("BEGIN IMMEDIATE")
    finally:
        raw.execute("PRAGMA busy_timeout = 0")


class Database:
    """Owns the connections to one SQLite file. Open it once, share it, close it at shutdown."""

    def __init__(self, path: Path | str, readers: int = 4) -> None:
        self.path = Path(path)
        self.readers = readers
        self._writer: Connection | None = None
        self._checkpointer: Connection | None = None
        self._all_readers: list[Connection] = []
        self._idle_readers: asyncio.Queue[Connection] = asyncio.Queue()
        self._write_lock = asyncio.Lock()
        self._open_lock = asyncio.Lock()
        self._commits = 0  # since the last checkpoint started
        self._checkpoint_task: asyncio.Task[None] | None = None

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    async def open(self) -> None:
        """Open the connections and migrate; safe to call more than once."""
        async with self._open_lock:
            if self._writer is not None:
                return
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            writer = await connect(self.path)
            await _configure(writer, writer=True)
            await apply_migrations(writer)
            # The writer only waits for the write lock in BEGIN IMMEDIATE, and does that in its
            # worker thread (Connection.begin_immediate): on the loop's thread it must not wait.
            # Inside a WAL write transaction nothing else waits on a lock.
            await writer.execute("PRAGMA busy_timeout = 0")
            for _ in range(self.readers):
                reader = await connect(self.path)
                await _configure(reader, writer=False)
                self._all_readers.append(reader)
                self._idle_readers.put_nowait(reader)
            self._checkpointer = await connect(self.path)
            await _configure(self._checkpointer, writer=False)
            self._writer = writer

    async def close(self) -> None:
        async with self._open_lock:
            task, self._checkpoint_task = self._checkpoint_task, None
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
            for conn in (*self._all_readers, self._checkpointer, self._writer):
                if conn is not None:
                    await conn.close()
            self._writer = None
            self._checkpointer = None
            self._all_readers = []
            self._idle_readers = asyncio.Queue()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A reader connection, for this task alone while the block runs."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        conn = await self._idle_readers.get()
        try:
            yield conn
        except BaseException:
            # A cancelled borrower may leave a statement running in the worker thread: the
            # next borrower could run its own on the loop's thread meanwhile (lookup).
            await _settle(_drain(conn))
            raise
        finally:
            self._idle_readers.put_nowait(conn)

    @asynccontextmanager
    async def lookup(self) -> AsyncIterator[aiosqlite.Connection]:
        """A reader whose statements run on the event loop's thread: for a few point queries
        (by primary key or index), where a round trip to a worker thread costs more than the
        query. Anything that may scan a table belongs in :meth:`read`."""
        async with self.read() as conn:
            assert isinstance(conn, Connection)
            async with conn.inline():
                yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: ``BEGIN IMMEDIATE`` takes the write lock first, then commit or
        roll back as a whole."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        async with self._write_lock:
            conn = self._writer
            try:
                await conn.begin_immediate()
                async with conn.inline():
                    yield conn
                    await conn.commit()
            except BaseException:
                # In the worker thread: queued after whatever a cancellation left on its way
                # there (a BEGIN waiting for another process, a statement past the budget).
                await _settle(_rollback(conn))
                raise
        self._committed()

    def _committed(self) -> None:
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY and self._checkpoint_task is None:
            self._commits = 0
            self._checkpoint_task = asyncio.get_running_loop().create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        """Copy the WAL into the database file, in a worker thread (``PASSIVE``: never waits
        for, nor blocks, the writer or the readers)."""
        try:
            conn = self._checkpointer
            if conn is not None:
                await conn.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        except (sqlite3.Error, ValueError) as exc:
            log.warning("WAL checkpoint failed: %s", exc)
        finally:
            self._checkpoint_task = None

    async def user_version(self) -> int:
        async with self.read() as conn, conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0


async def _rollback(conn: aiosqlite.Connection) -> None:
    """Roll back whatever is open (nothing: a no-op). Queued in the connection's thread after
    the statements already sent (a ``BEGIN`` still on its way included), so it always sees
    them."""
    await conn.rollback()


async def _drain(conn: aiosqlite.Connection) -> None:
    """Wait until the worker thread of ``conn`` has run what was sent to it."""
    with contextlib.suppress(sqlite3.Error, ValueError):  # closed: nothing runs there
        await conn.execute_fetchall("SELECT 1")


async def _settle(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` to the end even if the task is cancelled meanwhile (a worker stopped in
    the middle of a transaction): the write lock is released only once the connection is out
    of its transaction. The cancellation is not lost: the caller re-raises."""
    task = asyncio.ensure_future(work)
    while not task.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(task)
    task.result()


def backup(source: Path | str, target: Path | str) -> int:
    """Copy a live database with SQLite's online backup API (safe while the bot writes to it).

    Returns the number of pages copied.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{Path(source)}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        dst = sqlite3.connect(target)
        try:
            # In one step: a stepwise copy restarts whenever the bot writes in between, and
            # may never finish on a busy database. WAL readers do not block the writer.
            src.backup(dst)
            pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
        finally:
            dst.close()
    finally:
        src.close()
    return pages
