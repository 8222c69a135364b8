"""End to end: an announcement sent by the real bot process under Telegram's limits.

The database is prepared before the bot starts (people, and one essential announcement to
everyone queued with ``BroadcastService.create``); the fake Bot API on 127.0.0.1 delivers at
most ``LIMIT`` messages per second (429 with ``retry_after`` beyond that), answers some sends
502 and refuses the people who blocked the bot (403). The bot's delivery worker sends the outbox
faster than the limit allows, so it has to honour the 429s.

Every reachable person receives the announcement exactly once; blocked people receive nothing
and are marked unreachable; every row ends ``sent`` with the id of the delivered message. After
a ``kill -9`` halfway and a restart nobody is lost, and only messages in flight at the kill can
go twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.domain.broadcasts import Audience, AudienceKind, Content
from bot.services.broadcasts import BroadcastService
from bot.tg.broadcaster import concurrency_for
from storage import Database
from storage import users as user_sql
from tests.fake_api_server import Delivery, FakeBotAPI
from tests.test_e2e import ADMIN_ID, TOKEN, BotProcess, Bots, db_rows

USERS = list(range(500_001, 500_301))  # 300 people
BLOCKED = set(USERS[7::20])  # 15 of them blocked the bot
REACHABLE = [uid for uid in USERS if uid not in BLOCKED]
LIMIT = 100  # messages per second the fake delivers
RATE = 150  # the bot's BROADCAST_RATE (paid): faster than the limit, so it meets 429s
FAIL_RATE = 0.05  # 502s
TEXT = "📣 <b>Thông báo</b>: hội nghị sơ kết chuyển sang phòng 301, 14:00 hôm nay."
DONE = 25.0  # seconds for the whole announcement


async def _prepare(database: Path) -> int:
    db = Database(database)
    await db.open()  # creates the file and migrates
    try:
        async with db.transaction() as conn:
            for uid in USERS:
                await user_sql.upsert_contact(conn, uid, f"Người {uid}", None, None, "vi")
                await user_sql.set_profile(
                    conn,
                    uid,
                    {"full_name": f"Người dùng {uid}", "unit": "Văn phòng Sở"},
                    complete=True,
                )
        service = BroadcastService(db, config_admins=frozenset({ADMIN_ID}))
        broadcast = await service.create(
            ADMIN_ID, Content(text=TEXT), Audience(kind=AudienceKind.ALL), essential=True
        )
    finally:
        await db.close()
    assert broadcast.total == len(USERS)
    return broadcast.id


def prepare(database: Path) -> int:
    return asyncio.run(_prepare(database))


def start(bots: Bots) -> BotProcess:
    return bots.start(BROADCAST_RATE=str(RATE), BROADCAST_PAID="true")


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN, limit=LIMIT, blocked=BLOCKED, fail_rate=FAIL_RATE, seed=6)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def bots(tmp_path: Path, fake: FakeBotAPI) -> Iterator[Bots]:
    manager = Bots(tmp_path, fake)
    try:
        yield manager
    finally:
        manager.stop_all()
    assert TOKEN not in manager.output()


def counts(database: Path, broadcast_id: int) -> dict[str, int]:
    rows = db_rows(
        database,
        "SELECT status, count(*) AS n FROM outbox WHERE broadcast_id = ? GROUP BY status",
        broadcast_id,
    )
    return {row["status"]: row["n"] for row in rows}


def wait_rows(
    bots: Bots,
    broadcast_id: int,
    done: Callable[[dict[str, int]], bool],
    timeout: float = DONE,
    what: str = "",
) -> dict[str, int]:
    """Poll the database (read-only) until ``done(counts)``."""
    deadline = time.monotonic() + timeout
    while True:
        found = counts(bots.database, broadcast_id)
        if done(found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {found}\n{bots.output()}")
        process = bots.started[-1]
        if not process.alive():
            raise AssertionError(f"the bot exited: {found}\n{bots.output()}")
        time.sleep(0.05)


def all_final(found: dict[str, int]) -> bool:
    return found.get("pending", 0) == 0


def wait_done(bots: Bots, broadcast_id: int) -> None:
    """Every row final; then the broadcast itself is closed."""
    wait_rows(bots, broadcast_id, all_final, what="every row final")
    deadline = time.monotonic() + 5
    while True:
        [row] = db_rows(bots.database, "SELECT status FROM broadcasts WHERE id = ?", broadcast_id)
        if row["status"] == "done":
            return
        assert time.monotonic() < deadline, f"broadcast still {row['status']}\n{bots.output()}"
        time.sleep(0.05)


def assert_outcome(bots: Bots, fake: FakeBotAPI, broadcast_id: int) -> dict[int, list[Delivery]]:
    """Nobody reachable lost, blocked people untouched and marked, rows match deliveries."""
    delivered = fake.delivered(TEXT)
    missing = [uid for uid in REACHABLE if uid not in delivered]
    assert not missing, f"never delivered to {missing}"
    assert not BLOCKED & set(delivered), "a blocked person got it"
    assert set(delivered) == set(REACHABLE)

    rows = {
        row["user_id"]: row
        for row in db_rows(
            bots.database,
            "SELECT user_id, status, message_id FROM outbox WHERE broadcast_id = ?",
            broadcast_id,
        )
    }
    assert set(rows) == set(USERS)
    for uid in REACHABLE:
        row = rows[uid]
        assert row["status"] == "sent", row
        ids = {d.message_id for d in delivered[uid]}
        assert row["message_id"] in ids, (row, ids)
    for uid in BLOCKED:
        assert rows[uid]["status"] == "unreachable", rows[uid]

    marked = {
        row["user_id"]
        for row in db_rows(
            bots.database, "SELECT user_id FROM users WHERE unreachable_at IS NOT NULL"
        )
    }
    assert marked == BLOCKED
    assert all(d.paid for items in delivered.values() for d in items)  # BROADCAST_PAID=true
    return delivered


def test_every_reachable_person_receives_it_exactly_once(bots: Bots, fake: FakeBotAPI) -> None:
    broadcast_id = prepare(bots.database)
    began = time.monotonic()
    process = start(bots)
    wait_done(bots, broadcast_id)
    elapsed = time.monotonic() - began
    assert process.stop() == 0, process.output()

    delivered = assert_outcome(bots, fake, broadcast_id)
    twice = {uid: len(items) for uid, items in delivered.items() if len(items) > 1}
    assert not twice, f"delivered more than once: {twice}"
    # the limits were met on the way: the test exercised the 429, 502 and 403 paths
    assert fake.refused[429] > 0 and fake.refused[502] > 0
    assert fake.refused[403] == len(BLOCKED)  # one try each: a 403 is final
    times = sorted(d.at for items in delivered.values() for d in items)
    rate = (len(times) - 1) / (times[-1] - times[0])
    print(
        f"\n{len(REACHABLE)} delivered in {times[-1] - times[0]:.1f} s ({rate:.0f}/s, "
        f"limit {LIMIT}/s), all final after {elapsed:.1f} s; refused {dict(fake.refused)}"
    )
    assert rate <= LIMIT * 1.1  # the fake enforces the limit (a sanity check of the setup)


def test_kill_9_halfway_loses_nobody(bots: Bots, fake: FakeBotAPI) -> None:
    # the worker keeps at most this many deliveries in flight: what a kill -9 can send twice
    bound = concurrency_for(RATE, paid=True)
    broadcast_id = prepare(bots.database)
    # 50 ms per send: several deliveries are in flight when the bot is killed (the fake still
    # delivers them; the bot never reads the answers)
    fake.delays["sendMessage"] = 0.05
    first = start(bots)
    half = len(REACHABLE) // 2
    at_kill = wait_rows(
        bots, broadcast_id, lambda c: c.get("sent", 0) >= half, what="half the rows sent"
    )
    first.kill9()
    time.sleep(0.3)  # the sends the fake was still answering are delivered now
    delivered_at_kill = sum(len(items) for items in fake.delivered(TEXT).values())
    rows_at_kill = counts(bots.database, broadcast_id)
    assert rows_at_kill.get("pending", 0) > 0, "finished before the kill: nothing to test"

    second = start(bots)
    wait_done(bots, broadcast_id)
    assert second.stop() == 0, second.output()

    delivered = assert_outcome(bots, fake, broadcast_id)
    duplicates = sum(len(items) - 1 for items in delivered.values())
    print(
        f"\nkilled at {at_kill.get('sent')} rows sent ({delivered_at_kill} delivered, "
        f"{rows_at_kill.get('sent')} marked sent); duplicates after the restart: {duplicates} "
        f"(in-flight bound {bound})"
    )
    assert duplicates <= bound
    # a duplicate can only be a message delivered before the kill whose row was still pending
    assert duplicates <= delivered_at_kill - rows_at_kill.get("sent", 0)
