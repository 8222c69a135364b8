"""The database's write path: a transaction's statements run on the event loop's thread (no
round trip to a worker thread), a long one goes on in the worker thread, the write lock of
another process is waited for without blocking the loop, the WAL is checkpointed in the
background."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import aiosqlite
import pytest

import storage.db as db_module
from storage import Database
from storage import flows as flow_sql


async def _thread_of(conn: aiosqlite.Connection) -> int:
    """The thread that runs the connection's statements now (a SQL function reports it)."""
    await conn.create_function("thread_id", 0, threading.get_ident)
    rows = await conn.execute_fetchall("SELECT thread_id()")
    return int(next(iter(rows))[0])


async def test_a_transaction_runs_on_the_loop_thread_and_reads_lend_worker_threads(
    tmp_path: Path,
) -> None:
    db = Database(tmp_path / "inline.sqlite3")
    await db.open()
    try:
        loop_thread = threading.get_ident()
        async with db.transaction() as conn:
            assert await _thread_of(conn) == loop_thread
            await flow_sql.mark_processed(conn, 1)
        async with db.lookup() as conn:
            assert await _thread_of(conn) == loop_thread
            assert await flow_sql.is_processed(conn, 1)
        async with db.read() as conn:
            assert await _thread_of(conn) != loop_thread  # scans stay off the loop
            assert await flow_sql.is_processed(conn, 1)
    finally:
        await db.close()


async def test_a_long_transaction_goes_on_in_the_worker_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(tmp_path / "budget.sqlite3")
    await db.open()
    try:
        monkeypatch.setattr(db_module, "INLINE_BUDGET_S", 0.0)
        async with db.transaction() as conn:
            assert await _thread_of(conn) != threading.get_ident()
            await flow_sql.mark_processed(conn, 7)
        with pytest.raises(sqlite3.IntegrityError):  # rolled back as a whole there too
            async with db.transaction() as conn:
                await flow_sql.mark_processed(conn, 8)
                await flow_sql.put_draft(conn, 424242, "profile", {"a": 1})  # no such person
        monkeypatch.undo()
        async with db.read() as conn:
            assert await flow_sql.is_processed(conn, 7)
            assert not await flow_sql.is_processed(conn, 8)
        async with db.transaction() as conn:  # and the writer is back on the loop
            assert await _thread_of(conn) == threading.get_ident()
    finally:
        await db.close()


async def test_the_write_lock_of_another_process_is_waited_for_off_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "busy.sqlite3"
    db = Database(path)
    await db.open()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process writes

        async def write() -> None:
            async with db.transaction() as conn:
                await flow_sql.mark_processed(conn, 42)

        task = asyncio.create_task(write())
        ticks = 0
        for _ in range(20):  # the loop goes on meanwhile
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 20 and not task.done()
        other.execute("COMMIT")
        await asyncio.wait_for(task, 5)
        async with db.read() as conn:
            assert await flow_sql.is_processed(conn, 42)

        other.execute("BEGIN IMMEDIATE")  # a waiting transaction can be given up
        task = asyncio.create_task(write())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        other.execute("COMMIT")
        async with db.transaction() as conn:  # the writer is usable again
            await flow_sql.mark_processed(conn, 43)
    finally:
        other.close()
        await db.close()


async def test_the_wal_is_checkpointed_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY", 3)
    path = tmp_path / "wal.sqlite3"
    db = Database(path)
    await db.open()
    try:
        async with db.transaction() as conn:  # the writer itself never checkpoints
            rows = await conn.execute_fetchall("PRAGMA wal_autocheckpoint")
            assert next(iter(rows))[0] == 0
        for update_id in range(100, 102):
            async with db.transaction() as conn:
                await flow_sql.mark_processed(conn, update_id)
        task = db._checkpoint_task
        assert task is not None
        await task
        # The main file alone (the WAL ignored) has every update.
        main_only = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            rows = main_only.execute("SELECT update_id FROM processed_updates").fetchall()
        finally:
            main_only.close()
        assert sorted(r[0] for r in rows) == [100, 101]
    finally:
        await db.close()


async def test_a_reader_given_back_by_a_cancelled_task_is_idle_before_the_next_lookup(
    tmp_path: Path,
) -> None:
    """A cancelled borrower leaves its statement running in the reader's worker thread; the
    next lookup (statements on the loop's thread) must not block the loop waiting for it."""
    db = Database(tmp_path / "drain.sqlite3", readers=1)  # one reader: the next task gets it
    await db.open()
    busy = threading.Event()

    def slow() -> int:
        busy.set()
        threading.Event().wait(0.4)
        return 1

    gaps: list[float] = []

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(0.01)
            now = loop.time()
            gaps.append(now - last)
            last = now

    try:
        async with db.read() as conn:
            await conn.create_function("slow", 0, slow)

        async def borrower() -> None:
            async with db.read() as conn:
                await conn.execute_fetchall("SELECT slow()")

        async def next_one() -> None:
            async with db.lookup() as conn:
                await flow_sql.is_processed(conn, 1)

        task = asyncio.create_task(borrower())
        assert await asyncio.to_thread(busy.wait, 5)
        ticking = asyncio.create_task(ticker())
        task.cancel()
        await asyncio.gather(task, next_one(), return_exceptions=True)
        await asyncio.sleep(0.05)
        ticking.cancel()
        assert task.cancelled()
        assert max(gaps) < 0.2  # the loop went on while the slow statement ended
    finally:
        await db.close()
