"""Announcements: audience, preview, the durable outbox and its bookkeeping.

:meth:`BroadcastService.create` writes the broadcast and one outbox row per recipient in one
transaction before anything is sent. The sending worker (``bot.tg.broadcaster``) asks for due
rows and records each answer of Telegram at once (:meth:`sent`, :meth:`retry`,
:meth:`failed`, :meth:`unreachable`), so after a crash it resumes with the rows still pending:
no recipient is lost, and only a message in flight at the moment of the crash can go twice.

**Notifications** (a review decision to the author, an event's new time to its delegates, a seat
from the waiting list, the office's capacity alerts, reminders) go through the same outbox, as
``notice`` broadcasts whose rows carry each person's own text. They are written **in the
transaction of the change they tell about**: the service doing the change is given a
:class:`Notify` (built by :meth:`BroadcastService.notices` from a framework-free callable that
turns the change into ``(chat id, HTML text)`` pairs) and calls it on its connection before
committing. So a crash can neither lose a notification of a change that was saved nor send one
for a change that was rolled back. Notices are essential (muting does not stop them); people
who blocked the bot are left out; groups (the office chat) are addressed by their chat id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

import aiosqlite

from bot.domain.broadcasts import (
    IDS_MAX,
    Audience,
    AudienceKind,
    Broadcast,
    BroadcastStatus,
    Content,
    OutboxRow,
    Progress,
    RowStatus,
)
from bot.i18n import N_
from storage import Database
from storage import broadcasts as sql

SAMPLE = 5  # names shown in the preview

Notice = tuple[int, str]  # (chat id, HTML text in the recipient's language)
R = TypeVar("R")


# Telegram's descriptions of a failed message (English) -> what the office reads instead.
_FAILURES = (
    ("chat not found", N_("broadcast.error.chat_not_found")),
    ("blocked", N_("broadcast.error.blocked")),
    ("deactivated", N_("broadcast.error.deactivated")),
    ("kicked", N_("broadcast.error.blocked")),
    ("timed out", N_("broadcast.error.network")),
    ("network", N_("broadcast.error.network")),
    ("connect", N_("broadcast.error.network")),
)


def failure_message(error: str | None) -> tuple[str, dict[str, object]]:
    """The catalog key (and its parameters) that explains a failed message's ``error`` as
    Telegram described it; the original description goes along, for whoever investigates."""
    raw = (error or "").strip()
    lowered = raw.lower()
    for needle, key in _FAILURES:
        if needle in lowered:
            return key, {"error": raw}
    return N_("broadcast.error.other"), {"error": raw or "?"}


class BroadcastError(Exception):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Preview:
    count: int
    sample: list[str]


@dataclass(frozen=True)
class Queued:
    """What a batch of notices became: the chats queued in the outbox, and those left out
    (blocked the bot, or unknown to it)."""

    broadcast_ids: tuple[int, ...] = ()
    chats: tuple[int, ...] = ()
    left_out: tuple[int, ...] = ()


async def queue_notices(
    conn: aiosqlite.Connection,
    notices: Sequence[Notice],
    *,
    actor_id: int | None,
    at: str,
) -> Queued:
    """Write ``notices`` to the outbox on ``conn``, in the caller's transaction: one ``notice``
    broadcast (per :data:`IDS_MAX` chats) with one pending row per chat. Several texts for one
    chat become one message (in order)."""
    merged: dict[int, list[str]] = {}
    for chat_id, text in notices:
        if text.strip():
            merged.setdefault(chat_id, []).append(text)
    if not merged:
        return Queued()
    reachable = await sql.reachable_chats(conn, list(merged))
    kept = [(chat, "\n\n".join(texts)) for chat, texts in merged.items() if chat in reachable]
    left_out = tuple(chat for chat in merged if chat not in reachable)
    broadcast_ids = []
    for start in range(0, len(kept), IDS_MAX):
        chunk = kept[start : start + IDS_MAX]
        broadcast_id = await sql.insert_broadcast(
            conn,
            created_by=actor_id,
            content=Content(kind="notice"),
            essential=True,
            audience=Audience(kind=AudienceKind.IDS, ids=tuple(chat for chat, _ in chunk)),
            status=BroadcastStatus.SENDING,
            scheduled_at=None,
            progress_chat_id=None,
        )
        await sql.queue_notices(conn, broadcast_id, chunk, at)
        await sql.set_status(conn, broadcast_id, BroadcastStatus.SENDING, started_at=at)
        broadcast_ids.append(broadcast_id)
    return Queued(tuple(broadcast_ids), tuple(chat for chat, _ in kept), left_out)


class Notify(Generic[R]):
    """The notifications of one use case, queued in its transaction.

    ``texts`` turns the outcome of the change (``R``: a review decision, a saved event, an
    answer with its promotions and alerts...) into ``(chat id, HTML text)`` pairs. It runs
    inside the write transaction, so it must only read (through the services' readers) and
    never open a write transaction itself. The service calls the object with its connection
    and the outcome; afterwards :attr:`queued` says who will be told (once committed)."""

    def __init__(
        self,
        texts: Callable[[R], Awaitable[Sequence[Notice]]],
        *,
        actor_id: int | None,
        clock: Callable[[], str],
    ) -> None:
        self.texts = texts
        self.actor_id = actor_id
        self.clock = clock
        self.queued = Queued()

    async def __call__(self, conn: aiosqlite.Connection, outcome: R) -> Queued:
        notices = await self.texts(outcome)
        self.queued = await queue_notices(conn, notices, actor_id=self.actor_id, at=self.clock())
        return self.queued


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

    def notices(
        self, texts: Callable[[R], Awaitable[Sequence[Notice]]], *, actor_id: int | None = None
    ) -> Notify[R]:
        """The notifications of a use case, for the service that writes the change: it queues
        them in its own transaction (see :class:`Notify`)."""
        return Notify(texts, actor_id=actor_id, clock=self._iso)

    async def notify(
        self, notices: list[Notice], *, actor_id: int | None = None
    ) -> Broadcast | None:
        """Notifications (each person's own text, in their language) in a transaction of
        their own, through the same outbox, rate limits and retries as announcements. They are
        essential: muting does not stop them; people who blocked the bot are left out. Returns
        the (first) notice broadcast, or ``None`` if nobody is left."""
        async with self.db.transaction() as conn:
            queued = await queue_notices(conn, notices, actor_id=actor_id, at=self._iso())
            if not queued.broadcast_ids:
                return None
            found = await sql.get(conn, queued.broadcast_ids[0])
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
