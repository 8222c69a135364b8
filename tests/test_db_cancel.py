"""A write transaction cancelled at any point (a worker stopped mid-transaction, even while its
BEGIN is on its way) leaves the connection out of any transaction and the lock free."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage import Database


async def test_cancelled_transactions_never_leave_one_open(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()

    async def write(n: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO processed_updates VALUES (?, 'x')", (n,))
            await asyncio.sleep(0.001)
            await conn.execute("INSERT INTO processed_updates VALUES (?, 'x')", (-n,))

    for n in range(1, 60):
        task = asyncio.create_task(write(n))
        for _ in range(n % 6):  # cancel at a different point each time
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        async with db.transaction() as conn:  # never "cannot start a transaction within..."
            await conn.execute("SELECT 1")
    async with db.read() as conn, conn.execute("SELECT count(*) FROM processed_updates") as cur:
        row = await cur.fetchone()
    assert row is not None and row[0] % 2 == 0  # each one whole or not at all
    await db.close()
