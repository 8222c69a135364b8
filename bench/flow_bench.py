"""Throughput of the initiative form (``/sangkien``) with many people filling it at once.

    .venv/bin/python bench/flow_bench.py [--people 1000] [--delay 0.05] [--quick]

N simulated people fill the whole form at the same time (30 updates each: typed answers, button
presses, a co-author, two description messages, ``/xong``, the review, the commitment). Each
person is an asyncio task that sends its next update only once the bot has finished the
previous one, like a human waiting for the answer.

Titles are distinct. The database starts with ``--earlier`` initiatives of past years (default:
as many as people), so that the similar-title check of every title scans a realistic table (the
people move in step: nobody has submitted yet when the titles are typed); one person in 20
types a near-copy of an earlier title and should get the "similar title" warning.

The bot is the real application (``build_application`` + ``post_init``) on a SQLite database
on disk, running as in production (``Application.start``: the update fetcher, the job queue,
the persistence flush; ``Updater.start_polling``). Every update takes the production path: the
people's messages and button presses wait at the simulated Telegram until the bot's long poll
(``getUpdates``, up to 100 updates an answer) fetches them; the getUpdates request stores each
answer in the inbox table (one transaction), the framework parses it, the durable update queue,
the update fetcher, the ``KeyedUpdateProcessor`` with its before/after hooks (processed-update
log, persistence flush), the handlers. ``--feed direct`` skips polling and the queue and calls
the processor directly, as the test harness does. Every Bot API call is answered by
``StubRequest`` after ``--delay`` seconds (simulated network latency), except ``getUpdates``,
answered as soon as updates are waiting: with a delay, one long poll would cap any bot at 100
updates per round trip (Telegram's limit, not the bot's). The rate limiter is off unless
``--rate-limiter``: it would cap sending at Telegram's ~30 messages/s, and this measures the
bot's own throughput.

The people are registered directly in the database beforehand: onboarding is not measured.
The event loop's lag (how late a 10 ms timer fires) is sampled: a blocked loop shows there.

The same number of updates, in the same per-person pattern, goes first through a no-op echo
bot (a bare ``ApplicationBuilder`` app, same ``StubRequest`` and delay, same polling, same
update processor, one handler that sends one message per update): the framework's floor on this
machine.

Reported: updates/s, p50/p99 time from an update to the bot's last reply to it (its last
sendMessage/sendDocument answered), per step; CPU time; memory (the process's peak RSS from
``getrusage`` and the RSS growth sampled from /proc during each phase; the simulated Telegram
side keeps only the last message per chat, so the figure is the bot's); how much of the time
the database's single write lock was held; CPU used by other processes meanwhile (a noisy run).
Exit status 1 when a check fails (every person submitted; on a full run, the targets).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import pstats
import resource
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.app import build_application, post_init, post_shutdown  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.domain.initiative import Person, Status, load_form, similar_titles, title_key  # noqa: E402
from bot.services.users import CONSENT_NOTICE_VERSION  # noqa: E402
from bot.tg.processor import KeyedUpdateProcessor  # noqa: E402
from bot.tg.stub_api import JSON, BotAPIStub, StubUser  # noqa: E402
from bot.tg.stub_request import StubRequest  # noqa: E402
from storage import initiatives as initiative_sql  # noqa: E402
from storage import users as user_sql  # noqa: E402

TARGET_RATE = 500.0  # updates/s, for the full run
TARGET_RATIO = 0.5  # of the echo bot's rate
FULL_RUN = 1000  # people: the targets apply from this many on
QUICK_PEOPLE = 50
FIRST_USER_ID = 100_000
NEAR_COPY_EVERY = 20  # one person in 20 types a near-copy of an earlier title
UPDATE_TIMEOUT = 120.0  # seconds one update may take before the person gives up
REPLY_METHODS = frozenset({"sendMessage", "sendDocument"})

Kind = Literal["say", "press"]
Feed = Literal["poll", "direct"]


# --- the script of one person ------------------------------------------------------------------

_ACTIONS = (
    "Ứng dụng phần mềm",
    "Số hóa quy trình",
    "Cải tiến phương pháp",
    "Xây dựng cơ sở dữ liệu",
    "Tự động hóa việc",
    "Chuẩn hóa biểu mẫu",
    "Đổi mới cách thức",
    "Nâng cao hiệu quả",
    "Tin học hóa khâu",
    "Rút ngắn thời gian",
)
_OBJECTS = (
    "tiếp nhận hồ sơ",
    "quản lý công văn đến",
    "theo dõi nhiệm vụ",
    "thẩm định đề tài khoa học",
    "kiểm tra đo lường",
    "cấp phép bức xạ",
    "quản lý tài sản công",
    "lưu trữ tài liệu",
    "báo cáo thống kê",
    "đánh giá thi đua",
)
_PLACES = (
    "tại bộ phận một cửa",
    "của Văn phòng Sở",
    "ở Chi cục Tiêu chuẩn Đo lường Chất lượng",
    "tại Trung tâm Thông tin",
    "của Phòng Quản lý khoa học",
    "cho cán bộ cấp xã",
    "trong cơ quan nhà nước",
    "tại các huyện",
    "phục vụ doanh nghiệp",
    "năm 2025",
)


# Titles of earlier years: other words, so that only the intended near-copies look alike.
_EARLIER_ACTIONS = (
    "Nghiên cứu",
    "Triển khai",
    "Hoàn thiện",
    "Phát triển",
    "Thí điểm",
    "Xây dựng mô hình",
    "Đề xuất giải pháp",
    "Cải thiện",
    "Tối ưu hóa",
    "Hiện đại hóa",
)
_EARLIER_OBJECTS = (
    "hệ thống giám sát môi trường",
    "mạng lưới khuyến nông",
    "quy trình kiểm định thiết bị",
    "cổng dịch vụ công",
    "kho dữ liệu nông nghiệp",
    "hệ thống chiếu sáng công cộng",
    "phòng thí nghiệm",
    "mô hình trồng nấm",
    "công tác thông tin khoa học",
    "thư viện số",
)
_EARLIER_PLACES = (
    "tỉnh Hưng Yên",
    "tại Sở Khoa học và Công nghệ",
    "ở cấp huyện",
    "cho hợp tác xã",
    "tại Trung tâm Ứng dụng",
    "giai đoạn 2021-2025",
    "trong trường học",
    "cho làng nghề",
    "tại bệnh viện tỉnh",
    "ở vùng nông thôn",
)


def _words(index: int, *slots: Sequence[str]) -> str:
    return " ".join(slot[(index // 10**n) % len(slot)] for n, slot in enumerate(slots))


def earlier_title(index: int) -> str:
    """The title of an initiative of an earlier year."""
    words = _words(index, _EARLIER_ACTIONS, _EARLIER_OBJECTS, _EARLIER_PLACES)
    return f"{words} (năm {2015 + index % 10})"


def title(index: int, earlier: int = 0) -> str:
    """A distinct, realistic title (1,000 word combinations, then a number); one in
    ``NEAR_COPY_EVERY`` is a near-copy of an earlier title when there are some."""
    if earlier and index % NEAR_COPY_EVERY == NEAR_COPY_EVERY - 1:
        words = _words(index % earlier, _EARLIER_ACTIONS, _EARLIER_OBJECTS, _EARLIER_PLACES)
        return f"{words} (cập nhật)"
    return f"{_words(index, _ACTIONS, _OBJECTS, _PLACES)} (đề xuất {index + 1})"


def near_copies(people: int, earlier: int) -> int:
    return people // NEAR_COPY_EVERY if earlier else 0


@dataclass(frozen=True)
class Step:
    name: str
    kind: Kind
    value: str


def script(index: int, earlier: int = 0) -> list[Step]:
    """The whole form, as a person fills it: 30 updates."""
    say: Kind = "say"
    press: Kind = "press"
    steps: list[tuple[str, Kind, str]] = [
        ("/sangkien", say, "/sangkien"),
        ("recipient", press, "sk:c:0"),
        ("birth date", say, "15/8/1985"),
        ("qualification", say, "Thạc sĩ quản lý công"),
        ("add co-author", press, "sk:add"),
        ("co-author name", say, "Trần Văn Bình"),
        ("co-author birth", say, "02-03-1980"),
        ("co-author workplace", say, "Văn phòng Sở"),
        ("co-author position", say, "Chuyên viên"),
        ("co-author qualif.", say, "Kỹ sư phần mềm"),
        ("authors done", press, "sk:done"),
        ("shares", say, "60, 40"),
        ("title", say, title(index, earlier)),
        ("solution type", press, "sk:c:1"),
        ("campaign", press, "sk:c:0"),
        ("investor (skip)", press, "sk:skip"),
        ("state funds", press, "sk:yes"),
        ("domain", say, "Cải cách hành chính"),
        ("problem", say, "Hồ sơ xử lý chậm, khó tra cứu, dễ thất lạc"),
        ("first applied", say, "1/3/2025"),
        ("description 1", say, "Phần một: số hóa toàn bộ quy trình tiếp nhận hồ sơ."),
        ("description 2", say, "Phần hai: tra cứu trực tuyến, nhắc hạn xử lý tự động."),
        ("/xong", say, "/xong"),
        ("confidential skip", press, "sk:skip"),
        ("conditions", say, "Máy tính kết nối mạng, cán bộ được tập huấn"),
        ("benefit", say, "Giảm 50% thời gian xử lý hồ sơ"),
        ("benefit others skip", press, "sk:skip"),
        ("appliers skip", press, "sk:done"),
        ("submit", press, "sk:submit"),
        ("commit", press, "sk:commit"),
    ]
    return [Step(name, kind, value) for name, kind, value in steps]


STEP_NAMES = [s.name for s in script(0)]


# --- measuring ---------------------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (0 for no samples)."""
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))
    return ordered[index]


def peak_rss_mb() -> float:
    """``ru_maxrss``: the process's peak resident set (KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:  # noqa: PTH123
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024
    except (OSError, ValueError):
        return peak_rss_mb()


def cpu_times() -> tuple[int, int, int]:
    """(busy, steal, total) clock ticks of the whole machine (/proc/stat)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:  # noqa: PTH123
            values = [int(v) for v in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0, 0, 0
    values += [0] * (8 - len(values))
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle - values[7], values[7], sum(values)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of another process so far (/proc/PID/stat), 0 if gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # noqa: PTH123
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_peak_rss_mb(pid: int) -> float:
    """Peak resident set of another process (VmHWM), 0 if gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:  # noqa: PTH123
            lines = [line for line in status if line.startswith("VmHWM:")]
        return int(lines[0].split()[1]) / 1024 if lines else 0.0
    except (OSError, ValueError, IndexError):
        return 0.0


class LoopLag:
    """How late a 10 ms timer fires, sampled all along a phase (a blocked loop shows here)."""

    def __init__(self) -> None:
        self.samples_ms: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(0.01)
            self.samples_ms.append(max(0.0, (time.perf_counter() - began - 0.01) * 1000))

    def __enter__(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


class RssSampler:
    """The highest RSS seen while a phase runs (sampled every 100 ms)."""

    def __init__(self) -> None:
        self.start_mb = current_rss_mb()
        self.peak_mb = self.start_mb
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            self.peak_mb = max(self.peak_mb, current_rss_mb())
            await asyncio.sleep(0.1)

    def __enter__(self) -> RssSampler:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        self.peak_mb = max(self.peak_mb, current_rss_mb())
        if self._task is not None:
            self._task.cancel()


@dataclass
class Phase:
    """What one bot did with the whole load."""

    name: str
    people: int
    updates: int = 0
    failed: int = 0  # updates that timed out
    wall_s: float = 0.0
    cpu_s: float = 0.0
    api_calls: Counter[str] = field(default_factory=Counter)
    polls: int = 0  # getUpdates answers that carried updates
    polled: int = 0  # updates they carried
    reply_ms: dict[str, list[float]] = field(default_factory=dict)  # step -> samples
    done_ms: list[float] = field(default_factory=list)  # update -> processing finished
    rss_start_mb: float = 0.0
    rss_peak_mb: float = 0.0
    maxrss_mb: float = 0.0  # process peak after the phase
    loop_lag_ms: list[float] = field(default_factory=list)
    steal: float = 0.0  # share of the machine's CPU time stolen by the host meanwhile
    others: float = 0.0  # share of the machine's CPU time used by other processes meanwhile
    lock_hold_ms: list[float] = field(default_factory=list)  # SQLite write transactions
    initiatives: int | None = None  # submitted during the run
    documents_sent: int = 0
    similar_warnings: int = 0
    docx_render_ms: float | None = None
    helpers: int = 0  # helper processes of the bot (the .docx renderer)
    helper_cpu_s: float = 0.0
    helper_rss_mb: float = 0.0

    @property
    def rate(self) -> float:
        return self.updates / self.wall_s if self.wall_s else 0.0

    def all_reply_ms(self) -> list[float]:
        return [x for samples in self.reply_ms.values() for x in samples]


@dataclass
class Report:
    people: int
    delay: float
    feed: Feed
    rate_limiter: bool
    updates_per_person: int
    earlier: int  # initiatives of past years in the database
    echo: Phase | None
    bot: Phase
    title_check_ms: float  # one similar-title check against every title, alone
    database: str
    docx_render_ms: float | None = None  # one .docx of a submitted initiative, alone

    @property
    def ratio(self) -> float | None:
        if self.echo is None or not self.echo.rate:
            return None
        return self.bot.rate / self.echo.rate

    @property
    def targets_apply(self) -> bool:
        return self.people >= FULL_RUN and not self.rate_limiter

    def passed(self) -> dict[str, bool]:
        checks = {
            "every person submitted (initiatives == people)": self.bot.initiatives == self.people
            and self.bot.failed == 0,
        }
        if self.targets_apply:
            checks[f"bot >= {TARGET_RATE:.0f} updates/s"] = self.bot.rate >= TARGET_RATE
            ratio = self.ratio
            if ratio is not None:
                checks[f"bot >= {TARGET_RATIO:.0%} of the echo bot's rate"] = ratio >= TARGET_RATIO
        return checks


# --- the simulated Telegram side ---------------------------------------------------------------


class Telegram:
    """One ``BotAPIStub`` and what the people need from it: the last message with buttons in
    each chat, the time of the bot's last reply in each chat, call counts. Old messages are
    dropped from the stub (only the last keyboard message of a chat can still be pressed), so
    that the stub's memory does not count as the bot's."""

    def __init__(self, feed: Feed = "poll") -> None:
        self.stub = BotAPIStub()
        self.feed = feed
        self.polls = 0  # getUpdates answers with updates
        self.polled = 0
        self.last_reply: dict[int, float] = {}
        self.keyboard: dict[int, JSON] = {}  # chat -> last message with buttons
        self.last_message: dict[int, JSON] = {}  # chat -> last message from the bot
        self.counts: Counter[str] = Counter()
        self.documents = 0
        self.watch: str | None = None  # replies starting with this are counted in `watched`
        self.watched = 0
        self._keys: dict[int, list[tuple[int, int]]] = {}
        self.stub.listeners.append(self._on_call)

    def requests(self, delay: float) -> tuple[StubRequest, StubRequest]:
        """The bot's request (answers after ``delay``) and its getUpdates request."""
        request, updates = StubRequest(self.stub, delay=delay), StubRequest(self.stub)
        self.stub.update_listeners.clear()
        if self.feed == "poll":  # the long poll wakes up when a person sends something
            self.stub.update_listeners.append(updates._notify)
        return request, updates

    def _on_call(self, method: str, params: JSON, result: JSON) -> None:
        self.counts[method] += 1
        for call in self.stub.calls:  # getUpdates since the last reply (no listener sees them)
            if call.method == "getUpdates" and isinstance(call.result, list) and call.result:
                self.polls += 1
                self.polled += len(call.result)
        self.stub.calls.clear()  # the log would keep every call (and every .docx) forever
        if method in REPLY_METHODS and isinstance(result, dict):
            chat = int(params["chat_id"])
            self.last_reply[chat] = time.perf_counter()
            self.last_message[chat] = result
            self._keys.setdefault(chat, []).append((chat, result["message_id"]))
            if result.get("reply_markup"):
                self.keyboard[chat] = result
            if method == "sendDocument":
                self.documents += 1
            elif self.watch and str(params.get("text", "")).startswith(self.watch):
                self.watched += 1

    def message(self, user: StubUser, text: str) -> JSON:
        update = self.stub.user_message(user, text)
        if self.feed == "direct":  # not polled: confirm it
            self.stub.pending_updates(update["update_id"] + 1)
        self._keys.setdefault(user.id, []).append((user.id, update["message"]["message_id"]))
        return update

    def press(self, user: StubUser, data: str, *, any_message: bool = False) -> JSON:
        message = self.last_message.get(user.id) if any_message else self.keyboard.get(user.id)
        if message is None:
            raise RuntimeError(f"no message to press {data!r} on in chat {user.id}")
        update = self.stub.user_press(user, message, data)
        if self.feed == "direct":
            self.stub.pending_updates(update["update_id"] + 1)
        return update

    def prune(self, chat: int) -> None:
        """Forget the chat's old messages (keep the one whose buttons may be pressed next)."""
        keep = self.keyboard.get(chat)
        kept = (chat, keep["message_id"]) if keep else None
        for key in self._keys.pop(chat, []):
            if key != kept:
                self.stub.messages.pop(key, None)
        if kept is not None:
            self._keys[chat] = [kept]


# --- driving a bot -----------------------------------------------------------------------------


class Driver:
    """Feeds updates into a running application and tells when each one is processed."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], feed: Feed) -> None:
        self.app = app
        self.feed_mode = feed
        self._waiting: dict[int, asyncio.Future[None]] = {}
        processor = app.update_processor
        assert isinstance(processor, KeyedUpdateProcessor)
        previous = processor.after

        async def after(update: Update) -> None:
            try:
                if previous is not None:
                    await previous(update)
            finally:
                waiter = self._waiting.pop(update.update_id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)

        processor.after = after

    async def start(self) -> None:
        """The bot's long poll, as ``run_polling`` starts it (after ``Application.start``)."""
        if self.feed_mode == "poll":
            updater = self.app.updater
            assert updater is not None
            await updater.start_polling(poll_interval=0.0, timeout=10)

    async def stop(self) -> None:
        updater = self.app.updater
        if updater is not None and updater.running:
            await updater.stop()

    async def feed(self, data: JSON) -> None:
        """Waits until the update sent to the simulated Telegram (``data``) is processed:
        fetched by the long poll, queued, processed (``--feed direct``: processed at once)."""
        if self.feed_mode == "direct":
            update = Update.de_json(data, self.app.bot)
            assert update is not None
            await self.app.update_processor.process_update(update, self.app.process_update(update))
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting[data["update_id"]] = waiter
        try:
            await asyncio.wait_for(waiter, UPDATE_TIMEOUT)
        finally:
            self._waiting.pop(data["update_id"], None)


async def drive(
    phase: Phase,
    telegram: Telegram,
    driver: Driver,
    *,
    echo: bool,
    earlier: int = 0,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Every person at once, each update after the previous one is done."""
    phase.reply_ms = {name: [] for name in STEP_NAMES}
    start_gate = asyncio.Event()
    finished = 0

    async def person(index: int) -> None:
        nonlocal finished
        user = StubUser(FIRST_USER_ID + index, first_name=f"Người {index}", language_code="vi")
        await start_gate.wait()
        for step in script(index, earlier):
            if step.kind == "press":
                data = telegram.press(user, step.value, any_message=echo)
            else:
                data = telegram.message(user, step.value)
            telegram.last_reply.pop(user.id, None)
            began = time.perf_counter()
            try:
                await driver.feed(data)
            except TimeoutError:
                phase.failed += 1
                return
            done = time.perf_counter()
            replied = telegram.last_reply.get(user.id, done)
            phase.updates += 1
            phase.reply_ms[step.name].append((replied - began) * 1000)
            phase.done_ms.append((done - began) * 1000)
            telegram.prune(user.id)
        finished += 1
        if progress is not None and finished % max(1, phase.people // 10) == 0:
            progress(f"  {phase.name}: {finished}/{phase.people} people done")

    tasks = [asyncio.create_task(person(i)) for i in range(phase.people)]
    await asyncio.sleep(0)
    with RssSampler() as rss, LoopLag() as lag:
        phase.rss_start_mb = rss.start_mb
        cpu = cpu_seconds()
        busy, steal, total = cpu_times()
        began = time.perf_counter()
        start_gate.set()
        await asyncio.gather(*tasks)
        phase.wall_s = time.perf_counter() - began
        phase.cpu_s = cpu_seconds() - cpu
        busy_after, steal_after, total_after = cpu_times()
        ticks = max(1, total_after - total)
        phase.steal = (steal_after - steal) / ticks
        others_s = (busy_after - busy) / os.sysconf("SC_CLK_TCK") - phase.cpu_s
        phase.others = max(0.0, others_s) / max(1e-9, phase.wall_s * (os.cpu_count() or 1))
    phase.rss_peak_mb = rss.peak_mb
    phase.loop_lag_ms = lag.samples_ms
    phase.maxrss_mb = peak_rss_mb()
    phase.api_calls = Counter(telegram.counts)
    phase.polls, phase.polled = telegram.polls, telegram.polled
    phase.documents_sent = telegram.documents


# --- the echo bot ------------------------------------------------------------------------------


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(chat.id, "ok")


async def run_echo(people: int, delay: float, feed: Feed, progress: Callable[[str], None]) -> Phase:
    telegram = Telegram(feed)
    request, updates_request = telegram.requests(delay)
    app = (
        ApplicationBuilder()
        .token("0:echo-bot-benchmark")
        .request(request)
        .get_updates_request(updates_request)
        .concurrent_updates(KeyedUpdateProcessor())
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, _echo))
    app.add_handler(CallbackQueryHandler(_echo))
    await app.initialize()
    phase = Phase("echo bot", people)
    driver = Driver(app, feed)
    await app.start()
    await driver.start()
    try:
        await drive(phase, telegram, driver, echo=True, progress=progress)
    finally:
        await driver.stop()
        await app.stop()
        await app.shutdown()
    return phase


# --- the bot -----------------------------------------------------------------------------------


async def register(app: Any, people: int) -> None:
    """The people, registered as onboarding leaves them (names as their updates carry them,
    so that the first update of each changes nothing)."""
    services = app.services
    async with services.db.transaction() as conn:
        for index in range(people):
            user_id = FIRST_USER_ID + index
            await user_sql.upsert_contact(conn, user_id, f"Người {index}", None, None, "vi")
            await user_sql.record_consent(conn, user_id, CONSENT_NOTICE_VERSION, True)
            await user_sql.set_profile(
                conn,
                user_id,
                {
                    "full_name": f"Nguyễn Văn Người {index}",
                    "unit": "Phòng Quản lý khoa học",
                    "position": "Chuyên viên",
                    "phone": None,
                },
                complete=True,
            )


def watch_write_lock(db: Any, phase: Phase) -> None:
    """Record how long each write transaction holds the database's write lock (one writer:
    every step of every person queues for it)."""
    original = db.transaction

    @asynccontextmanager
    async def transaction() -> AsyncIterator[Any]:
        async with original() as conn:
            began = time.perf_counter()
            try:
                yield conn
            finally:
                phase.lock_hold_ms.append((time.perf_counter() - began) * 1000)

    db.transaction = transaction


async def seed_earlier(app: Any, count: int, people: int) -> None:
    """Initiatives of past years (submitted by the same people), for the similar-title check."""
    if not count:
        return
    year = datetime.now(app.services.settings.tz).year - 1
    at = datetime.now(UTC).isoformat(timespec="seconds")
    form = app.services.initiatives.form
    async with app.services.db.transaction() as conn:
        for index in range(count):
            name = earlier_title(index)
            author = Person(full_name=f"Nguyễn Văn Người {index % people}", share=100.0)
            await initiative_sql.insert(
                conn,
                number=f"{form.number_prefix}-{year}-{index + 1:04d}",
                year=year,
                seq=index + 1,
                submitter_id=FIRST_USER_ID + index % people,
                draft_id=f"earlier-{index}",
                title=name,
                title_key=title_key(name),
                unit="Phòng Quản lý khoa học",
                form_version=form.version,
                content={"title": name, "authors": [author.model_dump(mode="json")]},
                authors=[author],
                at=at,
            )
            if index % 10 == 0:  # some were recognised since
                await conn.execute(
                    "UPDATE initiatives SET status = ? WHERE seq = ? AND year = ?",
                    (Status.RECOGNISED.value, index + 1, year),
                )


async def run_bot(
    people: int,
    delay: float,
    feed: Feed,
    rate_limiter: bool,
    earlier: int,
    database: Path,
    progress: Callable[[str], None],
    profile: cProfile.Profile | None = None,
) -> Phase:
    telegram = Telegram(feed)
    request, updates_request = telegram.requests(delay)
    settings = load_settings(None, database_path=database, admin_ids="9001")
    app = build_application(
        settings, request=request, updates_request=updates_request, rate_limiter=rate_limiter
    )
    await app.initialize()
    await post_init(app)
    await register(app, people)
    await seed_earlier(app, earlier, people)
    similar = app.services.translator("vi", "initiative.similar", items="\x00")
    telegram.watch = similar.split("\x00", 1)[0]
    phase = Phase("initiative bot", people)
    driver = Driver(app, feed)
    watch_write_lock(app.services.db, phase)
    await app.start()
    await driver.start()
    helpers = app.services.documents.processes
    helper_cpu = sum(process_cpu_seconds(pid) for pid in helpers)
    try:
        if profile is not None:
            profile.enable()
        await drive(phase, telegram, driver, echo=False, earlier=earlier, progress=progress)
        if profile is not None:
            profile.disable()
        phase.helpers = len(helpers)
        phase.helper_cpu_s = sum(process_cpu_seconds(pid) for pid in helpers) - helper_cpu
        phase.helper_rss_mb = sum(process_peak_rss_mb(pid) for pid in helpers)
        machine = max(1e-9, phase.wall_s * (os.cpu_count() or 1))
        phase.others = max(0.0, phase.others - phase.helper_cpu_s / machine)  # not "others"
        phase.docx_render_ms = await time_render(app)
    finally:
        if profile is not None:
            profile.disable()
        await driver.stop()
        await app.stop()
        await app.shutdown()
        await post_shutdown(app)  # the delivery worker, then the database
    phase.similar_warnings = telegram.watched
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT count(*) FROM initiatives WHERE draft_id NOT LIKE 'earlier-%'"
        ).fetchone()
        phase.initiatives = int(row[0])
    finally:
        conn.close()
    return phase


async def time_render(app: Any, runs: int = 5) -> float | None:
    """CPU time of rendering the .docx of the last initiative submitted, in ms."""
    from bot.documents.initiative_docx import render_form

    services = app.services
    async with services.db.read() as conn, conn.execute("SELECT max(id) FROM initiatives") as cur:
        row = await cur.fetchone()
    item = await services.initiatives.get(int(row[0])) if row and row[0] else None
    if item is None:
        return None
    today = datetime.now(services.settings.tz).date()
    began = time.process_time()
    for _ in range(runs):
        render_form(services.initiatives.form, item, today=today)
    return (time.process_time() - began) / runs * 1000


def time_title_check(people: int, earlier: int, threshold: int) -> float:
    """One similar-title check (rapidfuzz) against every title of the run's end, in ms."""
    titles = [(f"E-{i}", title_key(earlier_title(i))) for i in range(earlier)]
    titles += [(f"P-{i}", title_key(title(i, earlier))) for i in range(people)]
    candidate = title(people + 1, earlier)
    runs = 20
    began = time.perf_counter()
    for _ in range(runs):
        similar_titles(candidate, titles, threshold)
    return (time.perf_counter() - began) / runs * 1000


async def run(
    people: int = 1000,
    delay: float = 0.05,
    *,
    feed: Feed = "poll",
    rate_limiter: bool = False,
    earlier: int | None = None,
    echo: bool = True,
    db_dir: Path | None = None,
    profile: cProfile.Profile | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Measure the echo bot, then the initiative bot, with the same load."""
    say = progress or (lambda _: None)
    earlier = people if earlier is None else earlier
    echo_phase = await run_echo(people, delay, feed, say) if echo else None
    with tempfile.TemporaryDirectory(dir=db_dir) as tmp:
        database = Path(tmp) / "bench.sqlite3"
        bot_phase = await run_bot(
            people, delay, feed, rate_limiter, earlier, database, say, profile
        )
    threshold = load_form().limits.similar_title_score
    return Report(
        people=people,
        delay=delay,
        feed=feed,
        rate_limiter=rate_limiter,
        updates_per_person=len(STEP_NAMES),
        earlier=earlier,
        echo=echo_phase,
        bot=bot_phase,
        title_check_ms=time_title_check(people, earlier, threshold),
        docx_render_ms=bot_phase.docx_render_ms,
        database=str(db_dir or tempfile.gettempdir()),
    )


# --- the report --------------------------------------------------------------------------------


def _phase_lines(phase: Phase) -> list[str]:
    replies = phase.all_reply_ms()
    calls = sum(phase.api_calls.values())
    lines = [
        f"{phase.name}:",
        f"  updates            {phase.updates} in {phase.wall_s:.2f} s = "
        f"{phase.rate:,.0f} updates/s" + (f"  ({phase.failed} timed out)" if phase.failed else ""),
        f"  reply latency      p50 {percentile(replies, 0.5):.0f} ms, "
        f"p99 {percentile(replies, 0.99):.0f} ms (update -> last reply answered); "
        f"processing done p99 {percentile(phase.done_ms, 0.99):.0f} ms",
        f"  Bot API calls      {calls} ({calls / max(1, phase.updates):.2f} per update: "
        + ", ".join(f"{m} {n}" for m, n in phase.api_calls.most_common() if m != "getMe")
        + ")",
        *(
            [
                f"  long poll          {phase.polled} updates in {phase.polls} getUpdates answers "
                f"({phase.polled / phase.polls:.1f} per answer)"
            ]
            if phase.polls
            else []
        ),
        f"  event loop lag     p50 {percentile(phase.loop_lag_ms, 0.5):.1f} ms, "
        f"p99 {percentile(phase.loop_lag_ms, 0.99):.0f} ms, "
        f"max {max(phase.loop_lag_ms, default=0):.0f} ms (how late a 10 ms timer fires)",
        f"  CPU time (process) {phase.cpu_s:.1f} s ({phase.cpu_s / max(phase.wall_s, 1e-9):.0%} of "
        f"one core; {phase.cpu_s / max(1, phase.updates) * 1000:.2f} ms per update, all threads)",
    ]
    if phase.helpers:
        total = phase.cpu_s + phase.helper_cpu_s
        lines.append(
            f"  helper processes   {phase.helpers} (.docx rendering): CPU "
            f"{phase.helper_cpu_s:.1f} s"
            f" ({phase.helper_cpu_s / max(1, phase.updates) * 1000:.2f} ms per update), peak RSS "
            f"{phase.helper_rss_mb:.0f} MB; bot + helpers: "
            f"{total / max(1, phase.updates) * 1000:.2f} ms of CPU per update"
        )
    lines += [
        f"  memory             RSS {phase.rss_start_mb:.0f} -> peak {phase.rss_peak_mb:.0f} MB "
        f"(+{phase.rss_peak_mb - phase.rss_start_mb:.0f} MB, /proc sampled every 100 ms); "
        f"process peak so far (ru_maxrss) {phase.maxrss_mb:.0f} MB",
    ]
    if phase.lock_hold_ms:
        held = sum(phase.lock_hold_ms) / 1000
        lines.append(
            f"  SQLite write lock  held {held / max(phase.wall_s, 1e-9):.0%} of the time by "
            f"{len(phase.lock_hold_ms)} transactions (p50 {percentile(phase.lock_hold_ms, 0.5):.1f}"
            f" ms, p99 {percentile(phase.lock_hold_ms, 0.99):.0f} ms each; one writer at a time)"
        )
    if phase.steal >= 0.01 or phase.others >= 0.05:
        lines.append(
            f"  note               meanwhile other processes used {phase.others:.0%} of the "
            f"machine's CPUs and the host took {phase.steal:.0%} (steal): a noisy measurement"
        )
    return lines


def format_report(report: Report) -> str:
    bot = report.bot
    if report.feed == "poll":
        path = (
            "the long poll (getUpdates answered at once) + inbox + durable update queue + "
            "update fetcher"
        )
    else:
        path = "KeyedUpdateProcessor.process_update directly"
    lines = [
        f"flow_bench: {report.people} people x {report.updates_per_person} updates "
        f"(the whole /sangkien form, a co-author, submit), all at once",
        f"  Bot API answered after {report.delay * 1000:.0f} ms per call (simulated network); "
        f"rate limiter {'ON (Telegram limits: ~30 msg/s)' if report.rate_limiter else 'off'}"
        + (
            ""
            if report.rate_limiter
            else " (the bot's own throughput is measured, not Telegram's ~30 msg/s limit)"
        ),
        f"  updates via {path} -> KeyedUpdateProcessor (production path); "
        f"SQLite on disk in {report.database}",
        "  people registered directly in the database beforehand: onboarding is not measured;"
        f" {report.earlier} initiatives of past years in it",
        f"  python {sys.version.split()[0]}, {os.cpu_count()} CPUs",
        "",
    ]
    if report.echo is not None:
        lines += _phase_lines(report.echo)
        lines.append("")
    lines += _phase_lines(bot)
    lines.append(
        f"  initiatives in DB  {bot.initiatives} (expected {report.people}); "
        f"{bot.documents_sent} .docx sent; {bot.similar_warnings} similar-title warnings "
        f"({near_copies(report.people, report.earlier)} near-copies typed)"
    )
    lines.append("")
    lines.append(f"  {'step':<22}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, samples in bot.reply_ms.items():
        lines.append(
            f"  {name:<22}{percentile(samples, 0.5):>9.0f}{percentile(samples, 0.99):>9.0f}"
            f"{max(samples, default=0):>9.0f}"
        )
    lines.append("")
    other_text = [
        x for name in ("domain", "problem", "conditions", "benefit") for x in bot.reply_ms[name]
    ]
    title_p50 = percentile(bot.reply_ms["title"], 0.5)
    check_s = report.title_check_ms * report.people / 1000
    share = check_s / max(bot.wall_s, 1e-9)
    lines.append(
        f"similar-title check: {report.title_check_ms:.2f} ms per title against "
        f"{report.people + report.earlier} titles (rapidfuzz, alone) = {check_s:.1f} s for "
        f"{report.people} titles, {share:.1%} of the run -> "
        + ("a bottleneck" if share > 0.1 else "not the bottleneck")
        + f"; title step p50 {title_p50:.0f} ms vs other typed answers p50 "
        f"{percentile(other_text, 0.5):.0f} ms (it reads every title after the step's write "
        "transaction and matches them in a worker thread)"
    )
    if report.docx_render_ms is not None:
        lines.append(
            f"the .docx of the commit step: render_form takes {report.docx_render_ms:.0f} ms of "
            "CPU per form, measured in the bench's process after the run (the bot renders in "
            "its helper process(es), DOCUMENT_WORKERS, after the receipt is sent; the commits "
            "come together at the end of the run, so their .docx queue up there)"
        )
    echo = report.echo
    if echo is not None and report.ratio is not None:
        lines.append(
            f"bot / echo rate: {report.ratio:.2f} ({bot.rate:,.0f} vs {echo.rate:,.0f} updates/s)"
        )
    lines.append("")
    for check, ok in report.passed().items():
        lines.append(f"{'PASS' if ok else 'FAIL'}  {check}")
    if not report.targets_apply:
        lines.append(
            f"(targets >= {TARGET_RATE:.0f} updates/s and >= {TARGET_RATIO:.0%} of the echo bot "
            f"apply to a full run: >= {FULL_RUN} people, no rate limiter)"
        )
    return "\n".join(lines)


def print_profile(profile: cProfile.Profile, limit: int = 30) -> None:
    for sort in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats(sort).print_stats(limit)
        print(f"\n--- cProfile of the initiative bot (main thread), by {sort} ---")
        print(out.getvalue())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=FULL_RUN, help="default 1000")
    parser.add_argument(
        "--delay", type=float, default=0.05, help="seconds per Bot API call (default 0.05)"
    )
    parser.add_argument("--quick", action="store_true", help=f"a smoke run: {QUICK_PEOPLE} people")
    parser.add_argument(
        "--feed",
        choices=("poll", "direct"),
        default="poll",
        help="poll: getUpdates, the durable update queue and fetcher (default); direct: the "
        "processor",
    )
    parser.add_argument(
        "--rate-limiter", action="store_true", help="with the production rate limiter"
    )
    parser.add_argument(
        "--earlier",
        type=int,
        default=None,
        help="initiatives of past years in the database (default: as many as people)",
    )
    parser.add_argument("--no-echo", action="store_true", help="skip the echo bot")
    parser.add_argument(
        "--db-dir", type=Path, default=None, help="where the temporary database goes"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the initiative bot and print the top"
    )
    args = parser.parse_args(argv)
    people = QUICK_PEOPLE if args.quick else args.people
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    profile = cProfile.Profile() if args.profile else None

    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    report = asyncio.run(
        run(
            people,
            args.delay,
            feed=args.feed,
            rate_limiter=args.rate_limiter,
            earlier=args.earlier,
            echo=not args.no_echo,
            db_dir=args.db_dir,
            profile=profile,
            progress=progress,
        )
    )
    print(format_report(report))
    if profile is not None:
        print_profile(profile)
    return 0 if all(report.passed().values()) else 1


if __name__ == "__main__":
    sys.exit(main())
