"""Announcements: audience, preview, the durable outbox and its bookkeeping.

:meth:`BroadcastService.create` writes the broadcast and one outbox row per recipient in one
transaction before anything is sent. The sending worker (``bot.tg.broadcaster``) asks for due
rows and records each answer of Telegram at once (:meth:`sent`, :meth:`retry`,
:meth:`failed`, :meth:`unreachable`), so after a crash it resumes with the rows still pending:
no recipient is lost, and only a message in flight at the moment of the crash can go twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiosqlite

from bot.domain.broadcasts import (
    Audience,
    AudienceKind,
    Broadcast,
    BroadcastStatus,
    Content,
    OutboxRow,
    Progress,
    RowStatus,
)
from storage import Database
from storage import broadcasts as sql

SAMPLE = 5  # names shown in the preview


class BroadcastError(Exception):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Preview:
    count: int
    sample: list[str]


class BroadcastService:
    def __init__(
        self,
        db: Database,
        *,
        config_admins: frozenset[int] = frozenset(),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db = db
        self.config_admins = config_admins
        self.clock = clock or (lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def _iso(self, moment: datetime | None = None) -> str:
        return (moment or self.now()).astimezone(UTC).isoformat(timespec="milliseconds")

    # --- composing ----------------------------------------------------------------------------

    async def preview(self, audience: Audience, essential: bool) -> Preview:
        """How many people it would reach now, and a few of their names."""
        async with self.db.read() as conn:
            people = await sql.recipients(conn, audience, essential, self.config_admins)
        return Preview(len(people), [name for _, name in people[:SAMPLE]])

    async def units(self) -> list[str]:
        async with self.db.read() as conn:
            return await sql.units(conn)

    async def create(
        self,
        actor_id: int | None,
        content: Content,
        audience: Audience,
        *,
        essential: bool,
        scheduled_at: datetime | None = None,
        progress_chat_id: int | None = None,
    ) -> Broadcast:
        """Queue it: the broadcast and every recipient's row in one transaction. A scheduled
        one gets its rows when its time comes (the audience as it is then)."""
        now = self.now()
        if scheduled_at is not None and scheduled_at <= now:
            scheduled_at = None
        status = BroadcastStatus.SCHEDULED if scheduled_at else BroadcastStatus.SENDING
        async with self.db.transaction() as conn:
            broadcast_id = await sql.insert_broadcast(
                conn,
                created_by=actor_id,
                content=content,
                essential=essential,
                audience=audience,
                status=status,
                scheduled_at=self._iso(scheduled_at) if scheduled_at else None,
                progress_chat_id=progress_chat_id,
            )
            if status is BroadcastStatus.SENDING:
                await self._queue(conn, broadcast_id, audience, essential)
            found = await sql.get(conn, broadcast_id)
        assert found is not None
        return found

    async def _queue(
        self, conn: aiosqlite.Connection, broadcast_id: int, audience: Audience, essential: bool
    ) -> None:
        people = await sql.recipients(conn, audience, essential, self.config_admins)
        at = self._iso()
        await sql.queue(conn, broadcast_id, [uid for uid, _ in people], at)
        await sql.set_status(conn, broadcast_id, BroadcastStatus.SENDING, started_at=at)

    async def notify(
        self, notices: list[tuple[int, str]], *, actor_id: int | None = None
    ) -> Broadcast | None:
        """Notifications (each person's own text, in their language) through the same outbox,
        rate limits and retries as announcements. They are essential: muting does not stop
        them; people who blocked the bot are left out. Returns ``None`` if nobody is left."""
        async with self.db.transaction() as conn:
            wanted = Audience(kind=AudienceKind.IDS, ids=tuple(uid for uid, _ in notices))
            reachable = {
                uid for uid, _ in await sql.recipients(conn, wanted, True, self.config_admins)
            }
            kept = [(uid, text) for uid, text in notices if uid in reachable]
            if not kept:
                return None
            at = self._iso()
            broadcast_id = await sql.insert_broadcast(
                conn,
                created_by=actor_id,
                content=Content(kind="notice"),
                essential=True,
                audience=wanted,
                status=BroadcastStatus.SENDING,
                scheduled_at=None,
                progress_chat_id=None,
            )
            await sql.queue_notices(conn, broadcast_id, kept, at)
            await sql.set_status(conn, broadcast_id, BroadcastStatus.SENDING, started_at=at)
            found = await sql.get(conn, broadcast_id)
        assert found is not None
        return found

    async def start_due(self) -> list[int]:
        """Scheduled broadcasts whose time has come: queue their rows (once: the status moves
        to ``sending`` in the same transaction)."""
        started = []
        async with self.db.transaction() as conn:
            for broadcast_id in await sql.due_scheduled(conn, self._iso()):
                found = await sql.get(conn, broadcast_id)
                assert found is not None
                await self._queue(conn, broadcast_id, found.audience, found.essential)
                started.append(broadcast_id)
        return started

    async def cancel(self, broadcast_id: int) -> int:
        """Stop it: the rows not sent yet are cancelled. Returns how many."""
        async with self.db.transaction() as conn:
            found = await sql.get(conn, broadcast_id)
            if found is None:
                raise BroadcastError("broadcast.not_found")
            if found.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
                raise BroadcastError("broadcast.already_over")
            stopped = await sql.cancel(conn, broadcast_id)
            await sql.set_status(
                conn, broadcast_id, BroadcastStatus.CANCELLED, finished_at=self._iso()
            )
        return stopped

    async def get(self, broadcast_id: int) -> Broadcast | None:
        async with self.db.read() as conn:
            return await sql.get(conn, broadcast_id)

    async def recent(self, limit: int = 20) -> list[Broadcast]:
        async with self.db.read() as conn:
            return await sql.listing(conn, limit)

    async def progress(self, broadcast_id: int) -> Progress:
        async with self.db.read() as conn:
            return await sql.progress(conn, broadcast_id)

    async def failures(self, broadcast_id: int) -> list[OutboxRow]:
        async with self.db.read() as conn:
            return await sql.failures(conn, broadcast_id)

    async def set_progress_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        async with self.db.transaction() as conn:
            await sql.set_progress_message(conn, broadcast_id, chat_id, message_id)

    # --- the worker's bookkeeping -------------------------------------------------------------

    async def sending(self) -> list[Broadcast]:
        async with self.db.read() as conn:
            found = [await sql.get(conn, i) for i in await sql.sending(conn)]
        return [b for b in found if b is not None]

    async def due(self, limit: int = 100) -> list[OutboxRow]:
        async with self.db.read() as conn:
            return await sql.due_rows(conn, self._iso(), limit)

    async def next_due(self) -> datetime | None:
        async with self.db.read() as conn:
            value = await sql.next_due(conn)
        return datetime.fromisoformat(value) if value else None

    async def sent(self, row: OutboxRow, message_id: int) -> None:
        async with self.db.transaction() as conn:
            await sql.mark_sent(conn, row.id, message_id, self._iso())

    async def retry(self, row: OutboxRow, after: float, error: str, *, count: bool = True) -> None:
        async with self.db.transaction() as conn:
            at = self._iso(self.now() + timedelta(seconds=after))
            await sql.mark_retry(conn, row.id, at, error[:500], count=count)

    async def failed(self, row: OutboxRow, error: str) -> None:
        async with self.db.transaction() as conn:
            await sql.mark_final(conn, row.id, RowStatus.FAILED, error[:500])

    async def unreachable(self, row: OutboxRow) -> None:
        """403: the person blocked the bot; no retry, and no further announcement to them."""
        async with self.db.transaction() as conn:
            await sql.mark_final(conn, row.id, RowStatus.UNREACHABLE, "blocked")
            await sql.mark_unreachable_user(conn, row.user_id, self._iso())

    async def finish_if_done(self, broadcast_id: int) -> bool:
        async with self.db.transaction() as conn:
            found = await sql.get(conn, broadcast_id)
            if found is None or found.status is not BroadcastStatus.SENDING:
                return False
            if not (await sql.progress(conn, broadcast_id)).done:
                return False
            await sql.set_status(conn, broadcast_id, BroadcastStatus.DONE, finished_at=self._iso())
        return True
