"""The SQLite database: connections, pragmas, migrations and transactions.

One writer connection guarded by an asyncio lock (SQLite has a single writer anyway, and the lock
keeps concurrent tasks from interleaving statements inside each other's transactions) and a small
pool of reader connections, which in WAL mode read committed data without waiting for the
writer. A reader is lent to one task at a time: two tasks interleaving statements on one
connection would share one read snapshot, and the later one could miss a write committed in
between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


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


async def _configure(conn: aiosqlite.Connection, *, writer: bool) -> None:
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA foreign_keys = ON")
    if writer:
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
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


class Database:
    """Owns the connections to one SQLite file. Open it once, share it, close it at shutdown."""

    def __init__(self, path: Path | str, readers: int = 4) -> None:
        self.path = Path(path)
        self.readers = readers
        self._writer: aiosqlite.Connection | None = None
        self._all_readers: list[aiosqlite.Connection] = []
        self._idle_readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._write_lock = asyncio.Lock()
        self._open_lock = asyncio.Lock()

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
            writer = await aiosqlite.connect(self.path, isolation_level=None)
            writer.row_factory = aiosqlite.Row
            await _configure(writer, writer=True)
            await apply_migrations(writer)
            for _ in range(self.readers):
                reader = await aiosqlite.connect(self.path, isolation_level=None)
                reader.row_factory = aiosqlite.Row
                await _configure(reader, writer=False)
                self._all_readers.append(reader)
                self._idle_readers.put_nowait(reader)
            self._writer = writer

    async def close(self) -> None:
        async with self._open_lock:
            for conn in (*self._all_readers, self._writer):
                if conn is not None:
                    await conn.close()
            self._writer = None
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
        finally:
            self._idle_readers.put_nowait(conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: ``BEGIN IMMEDIATE`` takes the write lock first, then commit or
        roll back as a whole."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        async with self._write_lock:
            conn = self._writer
            try:
                await conn.execute("BEGIN IMMEDIATE")
                yield conn
            except BaseException:
                await _settle(_rollback(conn))
                raise
            else:
                await conn.commit()

    async def user_version(self) -> int:
        async with self.read() as conn, conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0


async def _rollback(conn: aiosqlite.Connection) -> None:
    """Roll back whatever is open. Queued in the connection's thread after the statements
    already sent (a ``BEGIN`` still on its way included), so it always sees them."""
    await conn.rollback()


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
