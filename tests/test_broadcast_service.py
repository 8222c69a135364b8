"""The broadcast service on SQLite: audiences, muting, the outbox written before sending,
scheduling, cancelling and the worker's bookkeeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.broadcasts import (
    Audience,
    AudienceKind,
    Content,
    OutboxRow,
    RowStatus,
    effective_rate,
)
from bot.services.broadcasts import BroadcastError, BroadcastService
from storage import Database
from storage import users as user_sql

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def setup(tmp_path: Path) -> tuple[Database, BroadcastService, Clock]:
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    clock = Clock()
    async with db.transaction() as conn:
        for uid, unit in ((1, "Văn phòng Sở"), (2, "Văn phòng Sở"), (3, "Thanh tra Sở"), (4, None)):
            await user_sql.upsert_contact(conn, uid, f"N{uid}", None, None, "vi")
            if unit:
                await user_sql.set_profile(
                    conn, uid, {"full_name": f"Người {uid}", "unit": unit}, complete=True
                )
        await user_sql.set_muted(conn, 2, True)
        await user_sql.grant(conn, 3, "reviewer", 1)
    return db, BroadcastService(db, config_admins=frozenset({4}), clock=clock), clock


TEXT = Content(text="Hội nghị chuyển sang <b>14:00</b>")


async def test_audiences_and_muting(tmp_path: Path) -> None:
    db, service, _ = await setup(tmp_path)
    everyone = Audience(kind=AudienceKind.ALL)
    assert (await service.preview(everyone, essential=False)).count == 3  # 2 muted
    assert (await service.preview(everyone, essential=True)).count == 4
    unit = Audience(kind=AudienceKind.UNIT, unit="Văn phòng Sở")
    assert (await service.preview(unit, essential=True)).sample == ["Người 1", "Người 2"]
    role = Audience(kind=AudienceKind.ROLE, role="reviewer")
    assert (await service.preview(role, essential=False)).count == 1
    admins = Audience(kind=AudienceKind.ROLE, role="admin")
    assert (await service.preview(admins, essential=False)).count == 1  # from the config
    ids = Audience(kind=AudienceKind.IDS, ids=(1, 3, 999))
    assert (await service.preview(ids, essential=False)).count == 2  # 999 is unknown
    with pytest.raises(ValueError):
        Audience(kind=AudienceKind.UNIT)
    await db.close()


async def test_outbox_rows_equal_the_preview_and_bookkeeping(tmp_path: Path) -> None:
    db, service, _ = await setup(tmp_path)
    audience = Audience(kind=AudienceKind.ALL)
    preview = await service.preview(audience, essential=False)
    broadcast = await service.create(9, TEXT, audience, essential=False)
    assert broadcast.total == preview.count == 3
    rows = await service.due()
    assert [r.user_id for r in rows] == [1, 3, 4]
    await service.sent(rows[0], 111)
    await service.unreachable(rows[1])
    await service.retry(rows[2], 30, "timed out")
    assert [r.user_id for r in await service.due()] == []  # the retry waits 30 s
    progress = await service.progress(broadcast.id)
    assert (progress.sent, progress.unreachable, progress.pending) == (1, 1, 1)
    # 3 blocked the bot: not in later audiences
    assert (await service.preview(audience, essential=True)).count == 3
    await service.failed(rows[2], "Bad Request: chat not found")
    assert await service.finish_if_done(broadcast.id)
    failures = await service.failures(broadcast.id)
    assert [(f.user_id, f.status) for f in failures] == [
        (3, RowStatus.UNREACHABLE),
        (4, RowStatus.FAILED),
    ]
    await db.close()


async def test_scheduled_fires_once_and_cancel_stops(tmp_path: Path) -> None:
    db, service, clock = await setup(tmp_path)
    audience = Audience(kind=AudienceKind.ALL)
    later = await service.create(
        9, TEXT, audience, essential=True, scheduled_at=NOW + timedelta(hours=1)
    )
    assert later.status == "scheduled" and await service.due() == []
    assert await service.start_due() == []
    clock.now = NOW + timedelta(hours=1, seconds=1)
    assert await service.start_due() == [later.id]
    assert await service.start_due() == []  # once
    assert len(await service.due()) == 4
    assert await service.cancel(later.id) == 4
    assert await service.due() == []
    with pytest.raises(BroadcastError):
        await service.cancel(later.id)
    assert effective_rate(200, paid=False) == 30 and effective_rate(200, paid=True) == 200
    await db.close()


async def test_notifications_carry_their_own_text(tmp_path: Path) -> None:
    db, service, _ = await setup(tmp_path)
    await service.unreachable(_row(3))  # 3 blocked the bot
    notice = await service.notify([(1, "Xin chào <b>1</b>"), (2, "Hello 2"), (3, "x"), (77, "y")])
    assert notice is not None and notice.total == 2  # 3 blocked the bot, 77 unknown
    rows = await service.due()
    assert [(r.user_id, r.text) for r in rows] == [(1, "Xin chào <b>1</b>"), (2, "Hello 2")]
    assert await service.notify([(3, "x")]) is None
    await db.close()


def _row(user_id: int) -> OutboxRow:
    return OutboxRow(id=-1, broadcast_id=-1, user_id=user_id, attempts=0)
