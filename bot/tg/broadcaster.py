"""The delivery engine of announcements: one worker sending the durable outbox to Telegram.

:meth:`BroadcastService.create` has written one ``pending`` row per recipient before anything is
sent. :class:`Broadcaster` (started in ``post_init``, stopped in ``post_shutdown``) runs two
asyncio tasks:

* the **sender** fetches due rows (``BroadcastService.due``) and starts one delivery task per
  row, with at most ``concurrency`` deliveries in flight (at 50 ms per call, 200 messages/s
  need 10 in flight); before each start it takes a token from a global bucket at
  ``effective_rate(BROADCAST_RATE, BROADCAST_PAID)`` requests/s (at most 30/s, up to 1000/s
  with paid broadcasts; every request counts, failed ones too, and up to ``CATCH_UP`` seconds
  of sending may be saved up to make up a hiccup of the loop), then a slot of the
  :class:`SendWindow` (never more than the rate in any one second *as Telegram receives the
  messages*, whatever stalls on the way: measured, a 40 ms stall packed enough into one second
  for a 429, which costs a whole second of sending), and skips a chat sent to less than a
  second ago or still in flight (Telegram: about one message per second per chat; a send that
  Telegram refused does not count). Rows of one broadcast go in id order, broadcasts oldest
  first; a row retried after a 5xx comes back at the head of the queue when its backoff is
  over, between the others;
* the **watcher** starts scheduled broadcasts whose time has come (``start_due``), sends the
  admin's progress message when a broadcast starts, edits it at most every ``progress_every``
  seconds (sent, failed, unreachable, remaining, estimated time left) and sends the final
  report when the broadcast is done or cancelled.

Telegram's answer to each row is recorded at once, in its own transaction:

* a message → ``sent`` with its message id;
* 429 (``RetryAfter``) → every send pauses for ``retry_after`` seconds; the row is tried again
  then, without counting an attempt;
* 403 (``Forbidden``: blocked the bot, deactivated) → the row and the person are
  ``unreachable``: no retry, and no later announcement until they write to the bot again;
* 400 (``BadRequest``) → ``failed`` with Telegram's description;
* 5xx, timeouts, network errors (``NetworkError``; ``BadRequest`` and ``TimedOut`` are its
  subclasses, hence the order of the ``except`` clauses) and anything unexpected → tried again
  after 0.25, 0.5, 1, 2, 4 s; the ``MAX_ATTEMPTS``-th failure is final (``failed``).

Notifications (``notice`` broadcasts, see :mod:`bot.services.broadcasts`) are sent like
announcements, each row with its own text.

**Cancelling** (``BroadcastService.cancel``) marks the remaining rows ``cancelled``; the handler
then calls :meth:`Broadcaster.wake`, and the sender drops the rows it had read: only the
deliveries already in flight still go out (without ``wake``, at most ``BATCH_WINDOW`` seconds of
sending). The watcher then sends the report of the cancelled broadcast.

**The bot without the rate limiter.** The application's bot goes through
:class:`~bot.tg.ratelimit.RetryingRateLimiter` (an ``AIORateLimiter``: 30 messages/s overall,
and it retries 429s itself), which would cap paid broadcasts and hide the 429s this worker must
see. Announcements go through a second :class:`telegram.Bot` with the same token and API URL but
its own request object (``ThiduaApplication.broadcast_request``, built in ``build_application``:
a dedicated HTTPX connection pool; when the application is given a request, as the terminal
chat, the tests and the benchmarks do with ``StubRequest``, that one is shared). It shares no
limiter with the application; its pacing is this module's bucket.

**After ``kill -9``**: rows are marked only once Telegram answered, so no recipient is lost:
the next start resumes with the rows still ``pending``. A message can go twice only if the
process dies after Telegram accepted it and before its row's ``sent`` commits (a few
milliseconds: the HTTP response, then one SQLite write). With ``concurrency`` deliveries in
flight, up to ``concurrency`` rows can be in that window at the moment of the kill
(:func:`concurrency_for`: 16 up to 160 messages/s, rate ÷ 10 above, e.g. 100 at 1000/s),
so **at most ``concurrency`` people can get the message twice; everyone else exactly once.**
(A timeout is also retried: Telegram may have delivered a message whose answer timed out,
which can likewise duplicate it.) :meth:`Broadcaster.stop` lets the deliveries in flight finish
first (up to ``STOP_GRACE`` seconds), so an orderly stop duplicates nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from telegram import Bot, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.config import Settings
from bot.domain.broadcasts import (
    Broadcast,
    BroadcastStatus,
    OutboxRow,
    Progress,
    RowStatus,
    effective_rate,
)
from bot.i18n import Safe
from bot.services.broadcasts import failure_message
from bot.services.container import Services

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # network errors and 5xx: tried this many times in all, then failed
BACKOFF = 0.25  # seconds before the first retry; doubled each time (0.25, 0.5, 1, 2, 4)
CATCH_UP = 0.02  # seconds of sending the bucket may save up (a hiccup of the loop is made up)
PER_CHAT_INTERVAL = 1.0  # seconds between two messages to one chat
STOP_GRACE = 10.0  # seconds stop() waits for the deliveries in flight
BATCH_WINDOW = 0.25  # seconds the sender works from one read of the due rows (a cancel shows)
FAILURES_SHOWN = 5  # failed recipients listed in the final report

T = TypeVar("T")


def concurrency_for(rate: float, paid: bool) -> int:
    """Deliveries in flight needed to keep ``rate`` with up to 100 ms per call (at least 16)."""
    return max(16, math.ceil(effective_rate(rate, paid) / 10))


def wake_outbox(application: object) -> None:
    """For handlers, after a use case queued notifications: the application's worker looks at
    the outbox now instead of at its next poll (nothing happens without a worker)."""
    wake = getattr(getattr(application, "broadcaster", None), "wake", None)
    if callable(wake):
        wake()


def broadcast_http(settings: Settings) -> BaseRequest:
    """The HTTP connection pool of announcements, separate from the application's."""
    pool = concurrency_for(settings.broadcast_rate, settings.broadcast_paid) + 4
    return HTTPXRequest(
        connection_pool_size=pool,
        connect_timeout=10,
        read_timeout=15,
        write_timeout=20,
        pool_timeout=5,
    )


class TokenBucket:
    """``rate`` tokens per second, at most ``capacity`` saved up. A taker waits its turn: the
    reservation is made before sleeping, so concurrent takers queue instead of bursting."""

    def __init__(self, rate: float, capacity: float = 1.0) -> None:
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self._tokens = self.capacity
        self._updated: float | None = None

    def drain(self) -> None:
        self._tokens = min(self._tokens, 0.0)

    async def take(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._updated is not None:
            elapsed = now - self._updated
            self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._updated = now
        self._tokens -= 1.0
        if self._tokens < 0:
            await asyncio.sleep(-self._tokens / self.rate)


class SendWindow:
    """At most ``limit`` requests in any one second **as Telegram counts them** (when it
    receives them), whatever the delays between this process and Telegram.

    The bucket spaces the *starts* of the requests; but Telegram counts them when they arrive,
    and a stall on the way (the server, the network, this process's loop) followed by a burst
    of arrivals packs more than a second's worth into one second: a 429 and a whole second lost
    (measured: a stall of about 40 ms was enough at 200/s). This window counts instead, at each
    start, the requests answered during the last second (each arrived at most when its answer
    came back) plus those still in flight (they may arrive at any moment): when that reaches
    ``limit``, the next start waits for an answer or for the oldest one to leave the window.
    Every request of the last second as Telegram saw it is one of those, so its count never
    goes above ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.in_flight = 0
        self._answered: deque[float] = deque()
        self._changed = asyncio.Event()

    def _count(self, now: float) -> int:
        while self._answered and self._answered[0] <= now - 1.0:
            self._answered.popleft()
        return len(self._answered) + self.in_flight

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if self._count(now) < self.limit:
                self.in_flight += 1
                return
            self._changed.clear()
            wait = self._answered[0] + 1.0 - now if self._answered else 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), max(wait, 0.0005))

    def cancel(self) -> None:
        """A start acquired but not made."""
        self.in_flight = max(0, self.in_flight - 1)
        self._changed.set()

    def release(self, *, counted: bool = True) -> None:
        """The request was answered (or failed): it arrived by now, if at all. ``counted``: it
        delivered a message (or may have: a timeout), which Telegram counts against the
        limit; an error answer (429, 403, 400, 5xx) delivered nothing and leaves the count."""
        self.in_flight = max(0, self.in_flight - 1)
        if counted:
            self._answered.append(asyncio.get_running_loop().time())
        self._changed.set()


def maybe_delivered(exc: BaseException) -> bool:
    """After a failed send: may Telegram have delivered the message anyway? Not when it
    answered with an error (429, 403, 400, a 5xx: the message was not sent); perhaps after a
    timeout or a broken connection (the request may have arrived), or anything unexpected."""
    if isinstance(exc, TimedOut):
        return True
    if isinstance(exc, NetworkError):  # an error answer, or a transport error (with a cause)
        return exc.__cause__ is not None
    return not isinstance(exc, TelegramError)


def retry_after_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds, whether PTB gives an int or a timedelta (without the
    deprecation warning of the int form)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass
class _Tracked:
    """A broadcast being sent that the watcher follows (its progress message)."""

    broadcast_id: int
    started: float  # loop time when followed
    answered_before: int  # rows answered before that (a restart): not part of the rate
    next_edit: float
    last_text: str = ""


@dataclass
class _Stats:
    """What the worker did since it started (tests, logs)."""

    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    retried: int = 0
    paused: int = 0
    bookkeeping_errors: int = 0


class Broadcaster:
    """Sends the outbox. :meth:`start` in ``post_init``, :meth:`stop` in ``post_shutdown``;
    :meth:`wake` when new work was queued (or a broadcast cancelled)."""

    def __init__(
        self,
        bot: Bot,
        services: Services,
        *,
        rate: float,
        paid: bool,
        concurrency: int = 16,
        progress_every: float = 3.0,
        poll: float = 1.0,
    ) -> None:
        self.bot = bot
        self.services = services
        self.paid = paid
        self.rate = effective_rate(rate, paid)
        self.concurrency = max(1, concurrency)
        self.progress_every = progress_every
        self.poll = poll
        self.max_attempts = MAX_ATTEMPTS
        self.backoff = BACKOFF
        self.per_chat_interval = PER_CHAT_INTERVAL
        self.stop_grace = STOP_GRACE
        # Spaced at the rate, with a few milliseconds to catch up after a hiccup; the window
        # keeps Telegram's count under the rate even when arrivals bunch up (a burst allowance
        # without it was the measured cause of 0.54 x the limit: one 429 costs a second).
        self.bucket = TokenBucket(self.rate, self.rate * CATCH_UP)
        self.window = SendWindow(math.floor(self.rate))
        self.stats = _Stats()
        self.owns_bot = False  # shut the bot down in stop() (built by launch())
        self._paused_until = 0.0  # loop time: a 429 pauses every send until then
        self._last_sent: dict[int, float] = {}  # chat id -> loop time of the last answer
        self._busy: set[int] = set()  # chats with a message in flight
        self._inflight: dict[int, OutboxRow] = {}  # row id -> row being delivered
        self._deliveries: set[asyncio.Task[None]] = set()
        self._broadcasts: dict[int, Broadcast] = {}  # content of the broadcasts being sent
        self._tracked: dict[int, _Tracked] = {}
        self._reported: set[int] = set()
        self._locks: dict[int, asyncio.Lock] = {}
        self._kick = asyncio.Event()  # the sender: a delivery ended, or new work
        self._wakeup = asyncio.Event()  # the watcher: new work, or a cancel
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._refetch = False  # wake(): drop the rows read so far (a broadcast was cancelled)

    @classmethod
    async def launch(cls, services: Services, token: str, request: BaseRequest) -> Broadcaster:
        """Build the announcements' own :class:`telegram.Bot` (no rate limiter; ``request``
        from ``build_application``) and start the worker with the configured rate."""
        settings = services.settings
        bot = Bot(
            token=token,
            base_url=settings.telegram_api_url,
            base_file_url=settings.base_file_url,
            request=request,
            get_updates_request=request,  # never polls: no second pool
        )
        await bot.initialize()
        worker = cls(
            bot,
            services,
            rate=settings.broadcast_rate,
            paid=settings.broadcast_paid,
            concurrency=concurrency_for(settings.broadcast_rate, settings.broadcast_paid),
        )
        worker.owns_bot = True
        worker.start()
        return worker

    # --- life cycle ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Deliveries in flight (their rows are still pending until answered)."""
        return bool(self._inflight)

    @property
    def running(self) -> bool:
        return any(not task.done() for task in self._tasks)

    def start(self) -> None:
        if self.running:
            return
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._send_loop(), name="broadcast-sender"),
            asyncio.create_task(self._watch_loop(), name="broadcast-watcher"),
        ]

    def wake(self) -> None:
        """New work was queued (or a broadcast cancelled): look now instead of at the next poll."""
        self._refetch = True
        self._kick.set()
        self._wakeup.set()

    async def pause(self) -> None:
        """Stop sending for now: deliveries in flight finish (``stop_grace`` s at most) and are
        recorded; :meth:`start` goes on with the rows still pending (the offline tests deliver
        on demand this way, so that what people receive comes in a set order)."""
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._deliveries:
            _, late = await asyncio.wait(set(self._deliveries), timeout=self.stop_grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def stop(self) -> None:
        """Stop sending for good (:meth:`pause`, then the worker's own connection closes): a
        row is only ever marked after Telegram answered, so nothing pending is lost."""
        await self.pause()
        if self.owns_bot:
            self.owns_bot = False
            await self.bot.shutdown()

    async def abandon(self) -> None:
        """What ``kill -9`` leaves (tests): every task cancelled at once, deliveries in flight
        included; nothing more is recorded (their rows stay pending and go again)."""
        self._stopping = True
        tasks = [*self._tasks, *self._deliveries]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks = []

    def _open(self) -> bool:
        return not self._stopping and self.services.db.is_open

    async def _sleep(self, event: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(0.0, seconds))
        event.clear()

    # --- the sender ---------------------------------------------------------------------------

    async def _send_loop(self) -> None:
        while self._open():
            try:
                wait = await self._dispatch()
            except asyncio.CancelledError:
                raise
            except Exception:
                if not self._open():
                    break
                log.exception("broadcast sender: unexpected error")
                wait = self.poll
            if wait > 0:
                await self._sleep(self._kick, wait)

    async def _dispatch(self) -> float:
        """Start the deliveries of what is due now; return how long to wait before looking
        again (0: at once; a finished delivery or :meth:`wake` cuts the wait short)."""
        loop = asyncio.get_running_loop()
        paused = self._paused_until - loop.time()
        if paused > 0:
            return paused
        room = self.concurrency - len(self._inflight)
        if room <= 0:
            return self.poll
        broadcasts = self.services.broadcasts
        # Rows in flight when the query starts: what it reads of them may be older than their
        # answer (recorded meanwhile), so they are skipped even if their delivery ended since.
        stale = set(self._inflight)
        self._refetch = False
        rows = await broadcasts.due(limit=len(stale) + 2 * room + 16)
        fetched = loop.time()
        wait = self.poll
        started = 0
        for row in rows:
            now = loop.time()
            if row.id in stale or row.id in self._inflight:
                continue
            if (
                len(self._inflight) >= self.concurrency
                or now - fetched > BATCH_WINDOW
                or self._refetch
            ):
                break  # full, or read again (a cancel) before going on
            if self._paused_until > now:
                return self._paused_until - now
            chat = row.user_id
            if chat in self._busy:
                continue  # its turn comes when the message in flight is answered
            ready = self._last_sent.get(chat, -math.inf) + self.per_chat_interval
            if ready > now:
                wait = min(wait, ready - now)
                continue
            self._busy.add(chat)
            self._inflight[row.id] = row
            try:
                await self.bucket.take()
                await self.window.acquire()
            except BaseException:
                self._busy.discard(chat)
                self._inflight.pop(row.id, None)
                raise
            if self._paused_until > loop.time() or self._refetch:  # a 429, or a cancel, came
                self.window.cancel()  # while waiting for the token
                self._busy.discard(chat)
                self._inflight.pop(row.id, None)
                return max(0.0, self._paused_until - loop.time())
            task = asyncio.create_task(self._deliver(row), name=f"broadcast-row-{row.id}")
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)
            started += 1
        if started:
            return 0.0
        if not rows:
            upcoming = await broadcasts.next_due()
            if upcoming is not None:
                seconds = (upcoming - broadcasts.now()).total_seconds()
                wait = min(wait, max(0.01, seconds))
        return wait

    async def _content(self, broadcast_id: int) -> Broadcast | None:
        found = self._broadcasts.get(broadcast_id)
        if found is None:
            found = await self.services.broadcasts.get(broadcast_id)
            if found is not None:
                self._broadcasts[broadcast_id] = found
        return found

    async def _send(self, broadcast: Broadcast, row: OutboxRow) -> Message:
        content = broadcast.content
        chat_id = row.user_id
        paid = True if self.paid else None
        caption = content.text or None
        if content.kind == "photo":
            return await self.bot.send_photo(
                chat_id,
                photo=str(content.file_id),
                caption=caption,
                parse_mode=ParseMode.HTML,
                allow_paid_broadcast=paid,
            )
        if content.kind == "document":
            return await self.bot.send_document(
                chat_id,
                document=str(content.file_id),
                caption=caption,
                parse_mode=ParseMode.HTML,
                allow_paid_broadcast=paid,
            )
        text = row.text if content.kind == "notice" and row.text else content.text
        return await self.bot.send_message(
            chat_id, text, parse_mode=ParseMode.HTML, allow_paid_broadcast=paid
        )

    async def _deliver(self, row: OutboxRow) -> None:
        """Send one row and record Telegram's answer (its own transaction)."""
        loop = asyncio.get_running_loop()
        broadcasts = self.services.broadcasts
        # Did the chat (maybe) get a message? Then its next one waits a second. Not after an
        # answer that says it did not (429, 403, 400, a 5xx): a retry need not wait for that.
        reached = True
        try:
            try:
                broadcast = await self._content(row.broadcast_id)
                if broadcast is None:
                    self.window.cancel()
                    return
            except BaseException:
                self.window.cancel()
                raise
            try:
                try:
                    message = await self._send(broadcast, row)
                except BaseException as exc:
                    reached = maybe_delivered(exc)
                    self.window.release(counted=reached)
                    raise
                self.window.release(counted=True)
            except RetryAfter as exc:
                seconds = retry_after_seconds(exc)
                self._paused_until = max(self._paused_until, loop.time() + seconds)
                self.bucket.drain()  # no saved-up burst right after the pause
                self.stats.paused += 1
                log.warning("broadcast %d: flood limit, pausing %.1fs", row.broadcast_id, seconds)
                await broadcasts.retry(row, seconds, str(exc), count=False)
            except Forbidden as exc:
                log.info("broadcast %d: %d unreachable (%s)", row.broadcast_id, row.user_id, exc)
                self.stats.unreachable += 1
                await broadcasts.unreachable(row)
                self.services.users.forget_cached(row.user_id)
            except BadRequest as exc:  # before NetworkError: BadRequest is a subclass
                self.stats.failed += 1
                await broadcasts.failed(row, exc.message)
            except ChatMigrated as exc:
                self.stats.failed += 1
                await broadcasts.failed(row, str(exc))
            except NetworkError as exc:  # 5xx, TimedOut, connection errors
                await self._retry_later(row, str(exc) or type(exc).__name__)
            except TelegramError as exc:
                log.warning("broadcast %d: %d: %r", row.broadcast_id, row.user_id, exc)
                await self._retry_later(row, str(exc) or type(exc).__name__)
            except Exception as exc:
                log.exception("broadcast %d: sending to %d", row.broadcast_id, row.user_id)
                await self._retry_later(row, repr(exc))
            else:
                await broadcasts.sent(row, message.message_id)
                self.stats.sent += 1
        except asyncio.CancelledError:
            raise
        except Exception:  # the bookkeeping itself (the database went away)
            if self.services.db.is_open:
                log.exception("broadcast %d: recording row %d", row.broadcast_id, row.id)
            self.stats.bookkeeping_errors += 1
            return
        finally:
            self._inflight.pop(row.id, None)
            self._busy.discard(row.user_id)
            if reached:
                self._last_sent[row.user_id] = loop.time()
            self._kick.set()
        if any(r.broadcast_id == row.broadcast_id for r in self._inflight.values()):
            return  # not the last one (rows in flight are still pending)
        try:
            if await broadcasts.finish_if_done(row.broadcast_id):
                await self._final(row.broadcast_id)
        except Exception:  # the watcher looks again at its next round
            if self.services.db.is_open:
                log.exception("broadcast %d: final report", row.broadcast_id)

    async def _retry_later(self, row: OutboxRow, error: str) -> None:
        attempt = row.attempts + 1
        if attempt >= self.max_attempts:
            self.stats.failed += 1
            await self.services.broadcasts.failed(row, error)
            return
        self.stats.retried += 1
        delay = self.backoff * 2 ** (attempt - 1)
        await self.services.broadcasts.retry(row, delay, error)

    # --- the watcher: scheduled broadcasts, progress, reports ---------------------------------

    async def _watch_loop(self) -> None:
        while self._open():
            forced = self._wakeup.is_set()
            self._wakeup.clear()
            try:
                await self._watch(forced)
            except asyncio.CancelledError:
                raise
            except Exception:
                if not self._open():
                    break
                log.exception("broadcast watcher: unexpected error")
            await self._sleep(self._wakeup, min(self.poll, self.progress_every))

    async def _watch(self, forced: bool) -> None:
        broadcasts = self.services.broadcasts
        if await broadcasts.start_due():
            self._kick.set()
        sending = await broadcasts.sending()
        for broadcast in sending:
            if broadcast.id not in self._tracked and broadcast.id not in self._reported:
                await self._follow(broadcast)
        now = asyncio.get_running_loop().time()
        for tracked in list(self._tracked.values()):
            if forced or now >= tracked.next_edit:
                await self._update(tracked)
        self._forget_old_chats(now)

    def _forget_old_chats(self, now: float) -> None:
        old = [c for c, t in self._last_sent.items() if now - t > self.per_chat_interval]
        for chat in old:
            del self._last_sent[chat]

    def _lock(self, broadcast_id: int) -> asyncio.Lock:
        return self._locks.setdefault(broadcast_id, asyncio.Lock())

    async def _locale(self, broadcast: Broadcast) -> str:
        default = self.services.settings.default_language
        if broadcast.created_by is None:
            return default
        admin = await self.services.users.get(broadcast.created_by)
        return admin.locale(default) if admin else default

    async def _follow(self, broadcast: Broadcast) -> None:
        """A broadcast started (or the bot restarted while it was being sent): follow it, and
        send the progress message if it has none yet."""
        async with self._lock(broadcast.id):
            if broadcast.id in self._tracked or broadcast.id in self._reported:
                return
            progress = await self.services.broadcasts.progress(broadcast.id)
            now = asyncio.get_running_loop().time()
            tracked = _Tracked(
                broadcast.id,
                started=now,
                answered_before=progress.total - progress.pending,
                next_edit=now + self.progress_every,
            )
            self._tracked[broadcast.id] = tracked
            chat_id = broadcast.progress_chat_id
            if chat_id is None or broadcast.progress_message_id is not None:
                return
            text = await self._progress_text(broadcast, tracked, progress)
            message = await self._to_admin(
                chat_id, lambda: self.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
            )
            if isinstance(message, Message):
                tracked.last_text = text
                await self.services.broadcasts.set_progress_message(
                    broadcast.id, chat_id, message.message_id
                )

    async def _update(self, tracked: _Tracked) -> None:
        """Every ``progress_every`` s: the final report if it is over, else edit the progress."""
        broadcasts = self.services.broadcasts
        broadcast_id = tracked.broadcast_id
        broadcast = await broadcasts.get(broadcast_id)
        if broadcast is None:
            self._tracked.pop(broadcast_id, None)
            return
        if broadcast.status is BroadcastStatus.SENDING and await broadcasts.finish_if_done(
            broadcast_id
        ):
            broadcast = await broadcasts.get(broadcast_id) or broadcast
        if broadcast.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
            await self._final(broadcast_id)
            return
        now = asyncio.get_running_loop().time()
        if now < tracked.next_edit:
            return  # woken early: only the status mattered
        async with self._lock(broadcast_id):
            if broadcast_id in self._reported:
                return
            tracked.next_edit = now + self.progress_every
            progress = await broadcasts.progress(broadcast_id)
            await self._edit_progress(broadcast, tracked, progress)

    async def _edit_progress(
        self, broadcast: Broadcast, tracked: _Tracked, progress: Progress
    ) -> None:
        chat_id, message_id = broadcast.progress_chat_id, broadcast.progress_message_id
        if chat_id is None or message_id is None:
            return
        text = await self._progress_text(broadcast, tracked, progress)
        if text == tracked.last_text:
            return
        tracked.last_text = text
        await self._to_admin(
            chat_id,
            lambda: self.bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML
            ),
        )

    async def _progress_text(
        self, broadcast: Broadcast, tracked: _Tracked, progress: Progress
    ) -> str:
        translator = self.services.translator
        locale = await self._locale(broadcast)
        answered = progress.total - progress.pending - tracked.answered_before
        elapsed = asyncio.get_running_loop().time() - tracked.started
        if answered > 0 and elapsed > 0:
            eta = "~" + self._duration(locale, progress.pending / (answered / elapsed))
        else:
            eta = translator(locale, "broadcast.eta_unknown")
        return translator(
            locale,
            "broadcast.progress",
            id=broadcast.id,
            sent=progress.sent,
            total=progress.total,
            failed=progress.failed,
            unreachable=progress.unreachable,
            remaining=progress.pending,
            eta=eta,
        )

    async def _over_text(self, broadcast: Broadcast) -> str:
        """The progress message's last state: over, the figures in the report that follows
        in a message of its own (one report, not two)."""
        locale = await self._locale(broadcast)
        return self.services.translator(locale, "broadcast.progress_over", id=broadcast.id)

    def _duration(self, locale: str, seconds: float) -> str:
        translator = self.services.translator
        whole = max(0, math.ceil(seconds))
        hours, rest = divmod(whole, 3600)
        minutes, secs = divmod(rest, 60)
        if hours:
            return translator(locale, "broadcast.duration_hm", h=hours, m=minutes)
        if minutes:
            return translator(locale, "broadcast.duration_ms", m=minutes, s=secs)
        return translator(locale, "broadcast.duration_s", s=secs)

    async def _final(self, broadcast_id: int) -> None:
        """Done or cancelled: the last edit of the progress message and the report (once)."""
        async with self._lock(broadcast_id):
            if broadcast_id in self._reported:
                return
            self._reported.add(broadcast_id)
            tracked = self._tracked.pop(broadcast_id, None)
            self._broadcasts.pop(broadcast_id, None)
            broadcast = await self.services.broadcasts.get(broadcast_id)
            if broadcast is None:
                return
            progress = await self.services.broadcasts.progress(broadcast_id)
            log.info("broadcast %d %s: %s", broadcast_id, broadcast.status.value, progress)
            chat_id = broadcast.progress_chat_id
            if chat_id is None:
                await self._undelivered_notices(broadcast, progress)
                return
            if tracked is not None and broadcast.progress_message_id is not None:
                over = await self._over_text(broadcast)
                message_id = broadcast.progress_message_id
                if over != tracked.last_text:
                    await self._to_admin(
                        chat_id,
                        lambda: self.bot.edit_message_text(
                            over, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML
                        ),
                    )
            report = await self._report_text(broadcast, progress)
            await self._to_admin(
                chat_id, lambda: self.bot.send_message(chat_id, report, parse_mode=ParseMode.HTML)
            )

    async def _undelivered_notices(self, broadcast: Broadcast, progress: Progress) -> None:
        """Notifications someone's action sent (a review decision, an approval, a changed
        event): whoever acted is told who could not be reached (blocked the bot, never wrote
        to it), so that they reach them another way. Automatic ones (reminders) tell nobody."""
        actor = broadcast.created_by
        if broadcast.content.kind != "notice" or actor is None:
            return
        if not (progress.failed or progress.unreachable):
            return
        rows = await self.services.broadcasts.failures(broadcast.id)
        names = []
        for row in rows:
            if row.user_id == actor:
                continue
            person = await self.services.users.get(row.user_id)
            names.append(person.display_name if person else str(row.user_id))
        if not names:
            return
        shown = ", ".join(names[:FAILURES_SHOWN]) + (" …" if len(names) > FAILURES_SHOWN else "")
        text = self.services.translator(
            await self._locale(broadcast),
            "broadcast.notice_undelivered",
            count=len(names),
            names=shown,
        )
        await self._to_admin(
            actor, lambda: self.bot.send_message(actor, text, parse_mode=ParseMode.HTML)
        )

    async def _report_text(self, broadcast: Broadcast, progress: Progress) -> str:
        translator = self.services.translator
        locale = await self._locale(broadcast)
        if broadcast.status is not BroadcastStatus.CANCELLED and progress.total == 0:
            # scheduled, and by its time nobody was left to receive it (muted, blocked, gone)
            return translator(locale, "broadcast.report_nobody", id=broadcast.id)
        if broadcast.status is BroadcastStatus.CANCELLED:
            text = translator(
                locale,
                "broadcast.report_cancelled",
                id=broadcast.id,
                sent=progress.sent,
                total=progress.total,
                failed=progress.failed,
                unreachable=progress.unreachable,
                cancelled=progress.cancelled,
            )
        else:
            seconds = 0.0
            if broadcast.started_at and broadcast.finished_at:
                seconds = (broadcast.finished_at - broadcast.started_at).total_seconds()
            text = translator(
                locale,
                "broadcast.report",
                id=broadcast.id,
                sent=progress.sent,
                total=progress.total,
                failed=progress.failed,
                unreachable=progress.unreachable,
                elapsed=self._duration(locale, seconds),
            )
        failed = [
            row
            for row in await self.services.broadcasts.failures(broadcast.id)
            if row.status is RowStatus.FAILED
        ]
        lines = [text]
        for row in failed[:FAILURES_SHOWN]:
            person = await self.services.users.get(row.user_id)
            name = person.display_name if person else str(row.user_id)
            key, params = failure_message(row.error)
            error = Safe(translator(locale, key, **params))
            lines.append(translator(locale, "broadcast.report_failure", name=name, error=error))
        if len(failed) > FAILURES_SHOWN:
            lines.append(
                translator(
                    locale, "broadcast.report_more_failures", count=len(failed) - FAILURES_SHOWN
                )
            )
        return "\n".join(lines)

    async def _to_admin(self, chat_id: int, call: Callable[[], Awaitable[T]]) -> T | None:
        """A progress message or report: paced like the rest (the global bucket, one message
        per second in the chat, a 429 pause); errors are logged, never raised."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            ready = max(
                self._paused_until,
                self._last_sent.get(chat_id, -math.inf) + self.per_chat_interval,
            )
            if chat_id not in self._busy and ready <= now:
                break
            await asyncio.sleep(min(max(ready - now, 0.05), 1.0))
        self._busy.add(chat_id)
        try:
            await self.bucket.take()
            await self.window.acquire()
            try:
                result = await call()
            except BaseException as exc:
                self.window.release(counted=maybe_delivered(exc))
                raise
            self.window.release(counted=True)
            return result
        except RetryAfter as exc:
            seconds = retry_after_seconds(exc)
            self._paused_until = max(self._paused_until, loop.time() + seconds)
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                log.warning("broadcast progress to %d: %s", chat_id, exc.message)
        except TelegramError as exc:
            log.warning("broadcast progress to %d: %s", chat_id, exc)
        finally:
            self._busy.discard(chat_id)
            self._last_sent[chat_id] = loop.time()
            self._kick.set()
        return None
