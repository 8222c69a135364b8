"""The delivery engine of announcements, offline: the application's real ``post_init`` starts the
worker, which sends the outbox to the stub Bot API (``StubRequest`` shared with the app)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram.error import NetworkError, TimedOut

from bot.domain.broadcasts import (
    Audience,
    AudienceKind,
    Broadcast,
    BroadcastStatus,
    Content,
)
from bot.tg.broadcaster import (
    MAX_ATTEMPTS,
    Broadcaster,
    SendWindow,
    TokenBucket,
    maybe_delivered,
)
from bot.tg.stub_api import ApiCall
from bot.tg.stub_request import StubRequest
from tests.harness import ADMIN_ID, Harness, make_settings

TEXT = Content(text="Hội nghị chuyển sang <b>14:00</b>")
EVERYONE = Audience(kind=AudienceKind.ALL)
PEOPLE = range(2001, 2100)

Factory = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Factory]:
    """A harness with settings overrides; the worker is stopped as post_shutdown would."""
    started: list[Harness] = []

    async def factory(**overrides: Any) -> Harness:
        harness = await Harness(make_settings(tmp_path, **overrides)).start()
        started.append(harness)
        return harness

    yield factory
    for harness in started:
        await stop_worker(harness)
        await harness.stop()


async def stop_worker(harness: Harness) -> None:
    if harness.app is not None and harness.app.broadcaster is not None:
        await harness.app.broadcaster.stop()
        harness.app.broadcaster = None


def worker(harness: Harness) -> Broadcaster:
    assert harness.app is not None and harness.app.broadcaster is not None
    return harness.app.broadcaster


async def people(harness: Harness, count: int, language: str = "vi") -> list[int]:
    ids = list(PEOPLE[:count])
    for uid in ids:
        await harness.services.users.seen(uid, f"Người {uid}", None, None, language)
    return ids


async def send(
    harness: Harness,
    audience: Audience = EVERYONE,
    content: Content = TEXT,
    **kwargs: Any,
) -> Broadcast:
    kwargs.setdefault("essential", False)
    broadcast = await harness.services.broadcasts.create(ADMIN_ID, content, audience, **kwargs)
    worker(harness).wake()
    return broadcast


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def finished(harness: Harness, broadcast_id: int, seconds: float = 10.0) -> Broadcast:
    async def over() -> bool:
        found = await harness.services.broadcasts.get(broadcast_id)
        assert found is not None
        return found.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED)

    await until(over, seconds)
    found = await harness.services.broadcasts.get(broadcast_id)
    assert found is not None
    return found


def delivered(harness: Harness, chat_id: int) -> list[ApiCall]:
    """Messages Telegram accepted for ``chat_id``."""
    return [
        c
        for c in harness.stub.sent(chat_id, "sendMessage")
        if isinstance(c.result, dict) and "message_id" in c.result
    ]


async def row_of(harness: Harness, broadcast_id: int, user_id: int) -> dict[str, Any]:
    row = await harness.db_row(
        "SELECT * FROM outbox WHERE broadcast_id = ? AND user_id = ?", broadcast_id, user_id
    )
    assert row is not None
    return row


async def test_every_recipient_gets_exactly_one_message(make: Factory) -> None:
    bot = await make()
    ids = await people(bot, 20)
    broadcast = await send(bot)
    assert (await finished(bot, broadcast.id)).status is BroadcastStatus.DONE
    for uid in ids:
        calls = delivered(bot, uid)
        assert len(calls) == 1, uid
        assert calls[0].params["text"] == TEXT.text
        assert calls[0].params["parse_mode"] == "HTML"
        row = await row_of(bot, broadcast.id, uid)
        assert row["status"] == "sent" and row["message_id"] == calls[0].result["message_id"]
    progress = await bot.services.broadcasts.progress(broadcast.id)
    assert (progress.sent, progress.pending) == (20, 0)


async def test_photo_and_document_carry_their_caption(make: Factory) -> None:
    bot = await make()
    (uid,) = await people(bot, 1)
    photo = await send(bot, content=Content(kind="photo", file_id="AgAD-photo", text="Ảnh"))
    await finished(bot, photo.id)
    document = await send(bot, content=Content(kind="document", file_id="BQAD-doc", text="Tệp"))
    await finished(bot, document.id)
    (sent_photo,) = bot.stub.sent(uid, "sendPhoto")
    assert (sent_photo.params["photo"], sent_photo.params["caption"]) == ("AgAD-photo", "Ảnh")
    (sent_document,) = bot.stub.sent(uid, "sendDocument")
    assert sent_document.params["document"] == "BQAD-doc"
    assert (await row_of(bot, document.id, uid))["status"] == "sent"


async def test_flood_limit_pauses_everything_then_retries(make: Factory) -> None:
    bot = await make()
    first, *others = await people(bot, 4)
    bot.stub.chat_failures[first] = [(429, "Too Many Requests: retry after 1", {"retry_after": 1})]
    broadcast = await send(bot)
    await finished(bot, broadcast.id)
    refused = next(c for c in bot.stub.sent(first) if c.result.get("error_code") == 429)
    assert len(delivered(bot, first)) == 1
    assert delivered(bot, first)[0].at - refused.at >= 0.95
    for uid in others:  # nobody was sent anything during the pause
        (call,) = delivered(bot, uid)
        assert call.at - refused.at >= 0.95 or call.at < refused.at
    row = await row_of(bot, broadcast.id, first)
    assert row["status"] == "sent" and row["attempts"] == 1  # the 429 did not count
    assert worker(bot).stats.paused == 1


async def test_blocked_person_is_unreachable_and_skipped_next_time(make: Factory) -> None:
    bot = await make()
    blocker, *others = await people(bot, 3)
    bot.stub.chat_failures[blocker] = [(403, "Forbidden: bot was blocked by the user", None)]
    broadcast = await send(bot)
    await finished(bot, broadcast.id)
    row = await row_of(bot, broadcast.id, blocker)
    assert row["status"] == "unreachable"
    assert len(bot.stub.sent(blocker)) == 1  # no retry
    assert await bot.db_value("SELECT unreachable_at FROM users WHERE user_id = ?", blocker)
    user = await bot.services.users.get(blocker)
    assert user is not None and user.unreachable  # the cache was dropped
    again = await send(bot, essential=True)
    assert again.total == len(others)
    await finished(bot, again.id)
    assert len(bot.stub.sent(blocker)) == 1
    assert all(len(delivered(bot, uid)) == 2 for uid in others)


async def test_bad_gateway_is_retried_and_then_sent(make: Factory) -> None:
    bot = await make()
    (uid,) = await people(bot, 1)
    worker(bot).backoff = 0.05
    bot.stub.chat_failures[uid] = [(502, "Bad Gateway", None), (500, "Internal Server Error", None)]
    broadcast = await send(bot)
    await finished(bot, broadcast.id)
    assert len(bot.stub.sent(uid)) == 3 and len(delivered(bot, uid)) == 1
    row = await row_of(bot, broadcast.id, uid)
    assert row["status"] == "sent" and row["attempts"] == 3


async def test_timeouts_beyond_the_attempts_end_failed(
    make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = await make()
    stuck, fine = await people(bot, 2)
    worker(bot).backoff = 0.1
    worker(bot).per_chat_interval = 0.0  # only the backoff spaces the attempts here
    original = StubRequest.do_request
    tries: list[float] = []

    async def timing_out(
        self: StubRequest, url: str, method: str, request_data: Any = None, **kw: Any
    ) -> Any:
        if request_data is not None and str(request_data.parameters.get("chat_id")) == str(stuck):
            tries.append(time.monotonic())
            raise TimedOut("Timed out")
        return await original(self, url, method, request_data, **kw)

    monkeypatch.setattr(StubRequest, "do_request", timing_out)
    broadcast = await send(bot)
    await finished(bot, broadcast.id)
    row = await row_of(bot, broadcast.id, stuck)
    assert row["status"] == "failed" and row["attempts"] == MAX_ATTEMPTS
    assert "Timed out" in row["error"]
    assert len(tries) == MAX_ATTEMPTS
    gaps = [b - a for a, b in itertools.pairwise(tries)]
    assert all(gap >= 0.1 * 2**i * 0.9 for i, gap in enumerate(gaps)), gaps  # 0.1, 0.2, 0.4...
    assert (await row_of(bot, broadcast.id, fine))["status"] == "sent"


async def test_bad_request_is_recorded_with_its_description(make: Factory) -> None:
    bot = await make()
    uid, _ = await people(bot, 2)
    bot.stub.chat_failures[uid] = [(400, "Bad Request: chat not found", None)]
    broadcast = await send(bot, progress_chat_id=ADMIN_ID)
    await finished(bot, broadcast.id)
    row = await row_of(bot, broadcast.id, uid)
    assert row["status"] == "failed" and row["error"] == "Chat not found"
    assert len(bot.stub.sent(uid)) == 1  # not retried
    failures = await bot.services.broadcasts.failures(broadcast.id)
    assert [(f.user_id, f.error) for f in failures] == [(uid, "Chat not found")]

    async def reported() -> bool:
        return any("Chat not found" in text for text in bot.texts(ADMIN_ID))

    await until(reported)  # the final report lists it


async def test_cancel_stops_the_remaining_rows(make: Factory) -> None:
    bot = await make(broadcast_rate=10)
    ids = await people(bot, 40)
    broadcast = await send(bot, progress_chat_id=ADMIN_ID)
    await asyncio.sleep(0.5)
    stopped = await bot.services.broadcasts.cancel(broadcast.id)
    worker(bot).wake()
    assert stopped > 20
    at_cancel = sum(len(delivered(bot, uid)) for uid in ids)
    await asyncio.sleep(0.6)
    assert sum(len(delivered(bot, uid)) for uid in ids) <= at_cancel + 1  # the one in flight
    progress = await bot.services.broadcasts.progress(broadcast.id)
    assert progress.cancelled == stopped and progress.pending == 0
    assert 0 < progress.sent < 40
    report = bot.t(
        "broadcast.report_cancelled",
        id=broadcast.id,
        sent=progress.sent,
        total=40,
        failed=0,
        unreachable=0,
        cancelled=stopped,
    )

    async def reported() -> bool:
        return report in bot.texts(ADMIN_ID)

    await until(reported, seconds=5)


async def test_a_scheduled_broadcast_fires_once(make: Factory) -> None:
    bot = await make()
    ids = await people(bot, 3)
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    bot.services.broadcasts.clock = lambda: now
    later = await send(bot, scheduled_at=now + timedelta(hours=1))
    assert later.status is BroadcastStatus.SCHEDULED
    await asyncio.sleep(1.2)  # a poll and more: not yet
    assert all(delivered(bot, uid) == [] for uid in ids)
    now += timedelta(hours=1, seconds=1)
    bot.services.broadcasts.clock = lambda: now
    assert (await finished(bot, later.id)).status is BroadcastStatus.DONE
    await asyncio.sleep(1.2)  # another poll: not again
    assert all(len(delivered(bot, uid)) == 1 for uid in ids)


async def test_a_scheduled_broadcast_that_finds_nobody_says_so(make: Factory) -> None:
    bot = await make()
    (uid,) = await people(bot, 1)
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    bot.services.broadcasts.clock = lambda: now
    later = await send(
        bot,
        Audience(kind=AudienceKind.IDS, ids=(uid,)),
        scheduled_at=now + timedelta(hours=1),
        progress_chat_id=ADMIN_ID,
    )
    async with bot.services.db.transaction() as conn:  # meanwhile: ordinary ones muted
        await conn.execute("UPDATE users SET muted = 1 WHERE user_id = ?", (uid,))
    now += timedelta(hours=1, seconds=1)
    bot.services.broadcasts.clock = lambda: now
    assert (await finished(bot, later.id)).status is BroadcastStatus.DONE
    report = bot.t("broadcast.report_nobody", id=later.id)

    async def reported() -> bool:
        return report in bot.texts(ADMIN_ID)  # not "✅ Đã gửi xong ... 0/0"

    await until(reported, seconds=5)
    assert delivered(bot, uid) == []


async def test_one_message_per_second_per_chat(make: Factory) -> None:
    bot = await make()
    uid, other = await people(bot, 2)
    first = await send(bot, Audience(kind=AudienceKind.IDS, ids=(uid,)))
    second = await send(bot, Audience(kind=AudienceKind.IDS, ids=(uid, other)))
    await finished(bot, first.id)
    await finished(bot, second.id)
    one, two = delivered(bot, uid)
    assert two.at - one.at >= 1.0
    (to_other,) = delivered(bot, other)
    assert to_other.at - one.at < 0.9  # other chats do not wait


async def test_the_global_rate(make: Factory) -> None:
    bot = await make(broadcast_rate=30)
    await people(bot, 60)
    broadcast = await send(bot)
    await finished(bot, broadcast.id)
    times = sorted(c.at for c in bot.stub.sent(method="sendMessage"))
    assert len(times) == 60
    assert times[-1] - times[0] >= 1.9
    for i, start in enumerate(times):  # no second holds more than 30 (+1: bucket edge)
        assert sum(1 for t in times[i:] if t - start < 1.0) <= 31


async def test_deliveries_overlap_when_telegram_is_slow(make: Factory) -> None:
    """50 ms per call: 200 messages/s need about 10 in flight (paid broadcasts)."""
    bot = await make(broadcast_rate=200, broadcast_paid=True)
    ids = await people(bot, 99)
    request = bot.app.broadcast_request if bot.app else None
    assert isinstance(request, StubRequest)
    request.delay = 0.05
    started = time.monotonic()
    broadcast = await send(bot)
    await finished(bot, broadcast.id)
    assert time.monotonic() - started < 2.5  # one at a time would take 5 s
    assert all(len(delivered(bot, uid)) == 1 for uid in ids)
    assert all(c.params.get("allow_paid_broadcast") for uid in ids for c in delivered(bot, uid))


async def test_token_bucket_paces() -> None:
    bucket = TokenBucket(rate=100)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(21):
        await bucket.take()
    assert loop.time() - start >= 0.19


async def test_progress_message_edited_then_final_report(make: Factory) -> None:
    bot = await make(broadcast_rate=10)
    await bot.services.users.seen(ADMIN_ID, "Admin", None, None, "en")
    ids = await people(bot, 30)
    worker(bot).progress_every = 0.3
    audience = Audience(kind=AudienceKind.IDS, ids=tuple(ids))
    broadcast = await send(bot, audience, progress_chat_id=ADMIN_ID)
    await finished(bot, broadcast.id)
    counts = {"id": broadcast.id, "total": 30, "failed": 0, "unreachable": 0}
    title = bot.t("broadcast.progress", "en", sent=0, remaining=0, eta="", **counts)
    report = bot.t("broadcast.report", "en", sent=30, elapsed="", **counts)

    async def reported() -> bool:
        return any(text.startswith(report.split("\n")[0]) for text in bot.texts(ADMIN_ID))

    await until(reported)
    first, *_ = bot.stub.sent(ADMIN_ID, "sendMessage")
    assert first.params["text"].split("\n")[0] == title.split("\n")[0]  # the admin's language
    stored = await bot.services.broadcasts.get(broadcast.id)
    assert stored is not None and stored.progress_message_id == first.result["message_id"]
    *edits, last = bot.stub.sent(ADMIN_ID, "editMessageText")
    assert len(edits) >= 2
    assert all(e.params["message_id"] == stored.progress_message_id for e in (*edits, last))
    # every progress_every (0.3 s) at most, and one message per second in a chat
    assert all(b.at - a.at >= 0.99 for a, b in itertools.pairwise(edits))
    assert "Remaining:" in edits[0].params["text"] and "Time left:" in edits[0].params["text"]
    assert last.params["text"] == bot.t("broadcast.progress_over", "en", id=broadcast.id)
    reports = [t for t in bot.texts(ADMIN_ID) if t.startswith(report.split("\n")[0])]
    assert len(reports) == 1
    assert reports[0].startswith(report.rsplit(":", 1)[0])  # its counts


async def test_stop_and_restart_resume_without_duplicates(make: Factory) -> None:
    bot = await make(broadcast_rate=10)
    ids = await people(bot, 20)
    broadcast = await send(bot)
    await asyncio.sleep(0.6)
    await stop_worker(bot)  # what post_shutdown does
    progress = await bot.services.broadcasts.progress(broadcast.id)
    assert 0 < progress.sent < 20
    assert sum(len(delivered(bot, uid)) for uid in ids) == progress.sent  # all recorded
    await bot.restart(crash=False)
    assert (await finished(bot, broadcast.id)).status is BroadcastStatus.DONE
    assert all(len(delivered(bot, uid)) == 1 for uid in ids)


async def test_after_a_crash_nobody_is_lost(make: Factory) -> None:
    bot = await make(broadcast_rate=30)
    ids = await people(bot, 30)
    broadcast = await send(bot)
    await asyncio.sleep(0.4)
    await bot.restart(crash=True)  # the database goes away under the worker: kill -9
    assert (await finished(bot, broadcast.id)).status is BroadcastStatus.DONE
    counts = [len(delivered(bot, uid)) for uid in ids]
    assert min(counts) == 1  # no recipient lost
    assert sum(counts) - len(ids) <= worker(bot).concurrency  # at most the ones in flight


async def test_notices_carry_their_own_text_to_people_and_groups(make: Factory) -> None:
    """Notifications (``BroadcastService.notify`` or a use case's ``Notify``): each row's own
    text, delivered once; a group (the office chat) is addressed by its chat id."""
    bot = await make()
    uid, other = await people(bot, 2)
    notice = await bot.services.broadcasts.notify(
        [(uid, "Xin chào <b>một</b>"), (other, "Hello two"), (-100777, "📊 Văn phòng")]
    )
    assert notice is not None and notice.total == 3
    worker(bot).wake()
    await finished(bot, notice.id)
    assert [c.params["text"] for c in delivered(bot, uid)] == ["Xin chào <b>một</b>"]
    assert [c.params["text"] for c in delivered(bot, other)] == ["Hello two"]
    assert [c.params["text"] for c in delivered(bot, -100777)] == ["📊 Văn phòng"]
    assert await bot.services.broadcasts.recent() == []  # not in the office's list


async def test_the_send_window_counts_what_telegram_counts() -> None:
    """Never more than ``limit`` messages in any second as Telegram receives them: the ones
    answered during the last second plus the ones in flight; an error answer frees its slot."""
    window = SendWindow(3)
    loop = asyncio.get_running_loop()
    for _ in range(3):
        await window.acquire()
    blocked = asyncio.ensure_future(window.acquire())
    await asyncio.sleep(0.05)
    assert not blocked.done()  # 3 in flight (a stall: they may all arrive at once)
    window.release(counted=False)  # a 403 / 502: nothing delivered
    await asyncio.wait_for(blocked, 1)
    started = loop.time()
    window.release()  # delivered: it stays in the count for a second
    window.release()
    window.release()
    await window.acquire()  # the slots of the answered ones come back a second later
    await window.acquire()
    await window.acquire()
    assert loop.time() - started >= 0.95
    assert maybe_delivered(TimedOut()) and not maybe_delivered(NetworkError("Bad Gateway"))
