"""Announcements under Telegram's limits: the real bot process against a local fake Bot API.

    .venv/bin/python bench/broadcast_bench.py [--recipients 10000] [--limit 200] [--quick]

The fake Bot API (``tests/fake_api_server.py``) listens on 127.0.0.1 and behaves like Telegram
under load: at most ``--limit`` delivered messages per second, all chats together (a sliding
one-second window; beyond it a 429 with ``retry_after``), 2% of sends answered 502 (a seeded
RNG; those messages are not delivered) and 1% of the recipients have blocked the bot (403).

The database is prepared before the bot starts: ``--recipients`` people and one essential
announcement to everyone, queued with ``BroadcastService.create`` (the broadcast and one outbox
row per recipient). Then ``thidua-bot run`` (``python -m bot run``) starts with
``BROADCAST_PAID=true`` and ``BROADCAST_RATE`` = the limit; its delivery worker sends the outbox.
The bench polls the database (read-only) until every row is final, stops the bot (SIGTERM) and
compares what the fake delivered with the outbox.

Two runs: an undisturbed one, and one where the bot is killed (``kill -9``) once half of the
reachable recipients are marked sent, then started again. Reported for each:

* achieved rate: successful sends of the announcement from the first to the last, per second,
  divided by the limit (target >= 0.95 on the undisturbed run; the killed run also shows the
  rate without the restart gap). The limit counts delivered messages (as the fake does); the
  bot paces every request at the limit, refused ones included (403, 502: about 3 % here), so
  its ceiling is about 0.97 x the limit; the requests per second are printed too;
* duplicates: messages beyond the first one a chat received (target 0; after a kill -9 at most
  the worker's in-flight bound: a message Telegram accepted whose answer the killed bot never
  read is sent again);
* lost: reachable recipients who never got it (target 0), and rows still pending;
* the bookkeeping: rows by status, ``sent`` rows whose message id is not the one delivered,
  blocked people marked unreachable;
* Telegram's refusals by status (429, 403, 502), the share of sends marked paid;
* the bot process's peak RSS (``VmHWM``/``VmRSS`` from /proc every 0.2 s).

The fake server shares this process (threads) with the polling; the bot is a separate process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import EXPECTED  # noqa: E402
from bot.domain.broadcasts import Audience, AudienceKind, Content  # noqa: E402
from bot.services.broadcasts import BroadcastService  # noqa: E402
from storage import Database  # noqa: E402
from storage import users as user_sql  # noqa: E402
from tests.fake_api_server import FakeBotAPI  # noqa: E402

TOKEN = "123456:BENCH-token-abcdefghij"
ADMIN_ID = 9001
FIRST_USER_ID = 1_000_001
TEXT = "📣 <b>Thông báo</b>: hội nghị tổng kết phong trào thi đua chuyển sang 14:00 thứ Sáu."
FULL_RECIPIENTS = 10_000
QUICK_RECIPIENTS = 1_000
FAIL_RATE = 0.02
BLOCKED_SHARE = 0.01
RATE_TARGET = 0.95  # achieved rate / limit
POLL = 0.2  # seconds between database (and memory) samples
STARTUP = 20.0  # seconds for the bot to start sending
# Settings the bot reads from the environment: the bench decides every one of them.
# Every setting of the bot (bot.config.EXPECTED): none of the caller's may leak into the bot
# started here.
BOT_VARIABLES = tuple(EXPECTED)
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")


@dataclass(frozen=True)
class Options:
    recipients: int = FULL_RECIPIENTS
    limit: float = 200.0
    rate: float | None = None  # BROADCAST_RATE; None: the limit
    paid: bool = True
    fail_rate: float = FAIL_RATE
    blocked_share: float = BLOCKED_SHARE
    seed: int = 6
    timeout: float | None = None  # per run; None: from the expected duration
    kill: bool = True  # also the run killed halfway
    workdir: Path | None = None

    @property
    def bot_rate(self) -> float:
        return self.rate if self.rate is not None else self.limit

    @property
    def run_timeout(self) -> float:
        if self.timeout is not None:
            return self.timeout
        return 60.0 + 4.0 * self.recipients / min(self.limit, self.bot_rate)


# --- the bot process ---------------------------------------------------------------------------


class BotProcess:
    """One ``python -m bot run``; output to files; its memory sampled from /proc."""

    def __init__(self, workdir: Path, env: dict[str, str], name: str) -> None:
        self.workdir = workdir
        self.env = env
        self.log_path = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.peak_kb = 0
        self.cpu_s = 0.0  # user + system time, as last sampled
        self._sampler: threading.Thread | None = None
        self._stop_sampling = threading.Event()

    def start(self) -> BotProcess:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def _sample(self) -> None:
        assert self.proc is not None
        status = Path(f"/proc/{self.proc.pid}/status")
        stat = Path(f"/proc/{self.proc.pid}/stat")
        ticks = os.sysconf("SC_CLK_TCK")
        while not self._stop_sampling.is_set() and self.proc.poll() is None:
            try:
                for line in status.read_text("ascii").splitlines():
                    if line.startswith(("VmHWM:", "VmRSS:")):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                fields = stat.read_text("ascii").rpartition(")")[2].split()
                self.cpu_s = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
            except (OSError, ValueError, IndexError):
                pass  # exited meanwhile, or no /proc (not Linux)
            self._stop_sampling.wait(POLL)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._end_sampling()

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (a graceful stop), then SIGKILL if it does not exit in time."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._end_sampling()
        return self.proc.returncode

    def _end_sampling(self) -> None:
        self._stop_sampling.set()
        if self._sampler is not None:
            self._sampler.join(timeout=2)

    def output(self) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text("utf-8", errors="replace")


def bot_env(fake: FakeBotAPI, database: Path, options: Options) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in BOT_VARIABLES + PROXY_VARIABLES}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=fake.url,
        DATABASE_PATH=str(database),
        ADMIN_IDS=str(ADMIN_ID),
        LOG_LEVEL="INFO",
        BROADCAST_RATE=f"{options.bot_rate:g}",
        BROADCAST_PAID="true" if options.paid else "false",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    return env


# --- the database ------------------------------------------------------------------------------


async def prepare(database: Path, user_ids: Sequence[int]) -> int:
    """People, and one essential announcement to everyone queued (returns its id)."""
    db = Database(database)
    await db.open()
    try:
        async with db.transaction() as conn:
            for uid in user_ids:
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
    assert broadcast.total == len(user_ids), (broadcast.total, len(user_ids))
    return broadcast.id


def query(database: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Read the bot's database (read-only: the bot may be running)."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


def row_counts(database: Path, broadcast_id: int) -> Counter[str]:
    rows = query(
        database,
        "SELECT status, count(*) FROM outbox WHERE broadcast_id = ? GROUP BY status",
        broadcast_id,
    )
    return Counter({str(status): int(str(n)) for status, n in rows})


# --- one run ------------------------------------------------------------------------------------


@dataclass
class RunReport:
    label: str
    recipients: int
    reachable: int
    blocked: int
    limit: float
    killed: bool = False
    delivered_chats: int = 0  # reachable chats that received it at least once
    deliveries: int = 0
    duplicates: int = 0
    lost: int = 0
    not_final: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    wrong_message_id: int = 0  # sent rows whose message id is not one delivered to that chat
    blocked_delivered: int = 0
    blocked_marked: int = 0  # blocked people with users.unreachable_at
    reachable_marked: int = 0  # reachable people wrongly marked unreachable
    broadcast_status: str = ""
    rate: float = 0.0  # successful sends per second, first to last
    rate_without_gap: float | None = None  # the killed run: minus the restart gap
    rate_middle: float = 0.0  # between the 5th and the 95th percentile of the sends
    request_rate: float = 0.0  # every send Telegram answered (refusals too), same period
    tail_s: float = 0.0  # from the 99th percentile send to the last one (retries)
    gap_s: float | None = None
    send_period_s: float = 0.0
    first_send_s: float = 0.0  # from the start of the bot to its first delivered message
    total_s: float = 0.0  # from the start of the bot to every row final
    refused: dict[int, int] = field(default_factory=dict)
    paid_share: float = 0.0
    rss_peak_mb: float = 0.0
    bot_cpu_s: float = 0.0
    kill_at_sent: int | None = None
    exit_codes: list[int | None] = field(default_factory=list)
    error: str | None = None

    @property
    def ratio(self) -> float:
        return self.rate / self.limit if self.limit else 0.0


def run_once(options: Options, workdir: Path, *, kill: bool) -> RunReport:
    rng = random.Random(options.seed)
    user_ids = list(range(FIRST_USER_ID, FIRST_USER_ID + options.recipients))
    blocked = set(rng.sample(user_ids, round(len(user_ids) * options.blocked_share)))
    reachable = [uid for uid in user_ids if uid not in blocked]
    label = "killed halfway (kill -9) and restarted" if kill else "undisturbed"
    report = RunReport(
        label=label,
        recipients=len(user_ids),
        reachable=len(reachable),
        blocked=len(blocked),
        limit=options.limit,
        killed=kill,
    )
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "bot.sqlite3"
    broadcast_id = asyncio.run(prepare(database, user_ids))

    fake = FakeBotAPI(
        TOKEN,
        limit=options.limit,
        blocked=blocked,
        fail_rate=options.fail_rate,
        seed=options.seed,
    ).start()
    processes: list[BotProcess] = []
    restarted_at: float | None = None  # the killed run: when the second bot started
    began = time.monotonic()
    try:
        env = bot_env(fake, database, options)
        processes.append(BotProcess(workdir, env, "bot1").start())
        deadline = began + options.run_timeout
        half = len(reachable) // 2
        while True:
            counts = row_counts(database, broadcast_id)
            if counts["pending"] == 0:
                break
            if kill and len(processes) == 1 and counts["sent"] >= half:
                processes[0].kill9()
                report.kill_at_sent = counts["sent"]
                restarted_at = time.monotonic()
                processes.append(BotProcess(workdir, env, "bot2").start())
            if not processes[-1].alive():
                report.error = f"the bot exited early:\n{processes[-1].output()[-3000:]}"
                break
            if time.monotonic() > deadline:
                report.error = f"timed out after {options.run_timeout:.0f}s: {dict(counts)}"
                break
            time.sleep(POLL)
        report.total_s = time.monotonic() - began
        # the worker closes the broadcast right after its last row: give it a moment
        finish = time.monotonic() + 5
        while time.monotonic() < finish:
            status = query(database, "SELECT status FROM broadcasts WHERE id = ?", broadcast_id)
            report.broadcast_status = str(status[0][0])
            if report.broadcast_status != "sending" or report.error:
                break
            time.sleep(POLL)
    finally:
        report.exit_codes = [p.stop() for p in processes]
        fake.stop()
    report.rss_peak_mb = max((p.peak_kb for p in processes), default=0) / 1024
    report.bot_cpu_s = sum(p.cpu_s for p in processes)
    _measure(report, fake, database, broadcast_id, reachable, blocked, began, restarted_at)
    return report


def _measure(
    report: RunReport,
    fake: FakeBotAPI,
    database: Path,
    broadcast_id: int,
    reachable: list[int],
    blocked: set[int],
    began: float,
    restarted_at: float | None,
) -> None:
    delivered = fake.delivered(TEXT)
    report.deliveries = sum(len(items) for items in delivered.values())
    report.duplicates = sum(len(items) - 1 for items in delivered.values())
    report.delivered_chats = sum(1 for uid in reachable if uid in delivered)
    report.lost = len(reachable) - report.delivered_chats
    report.blocked_delivered = sum(1 for uid in blocked if uid in delivered)
    counts = row_counts(database, broadcast_id)
    report.rows = dict(sorted(counts.items()))
    report.not_final = counts["pending"]
    sent_rows = query(
        database,
        "SELECT user_id, message_id FROM outbox WHERE broadcast_id = ? AND status = 'sent'",
        broadcast_id,
    )
    report.wrong_message_id = sum(
        1
        for uid, message_id in sent_rows
        if message_id not in {d.message_id for d in delivered.get(int(str(uid)), [])}
    )
    marked = {
        int(str(uid))
        for (uid,) in query(database, "SELECT user_id FROM users WHERE unreachable_at IS NOT NULL")
    }
    report.blocked_marked = len(marked & blocked)
    report.reachable_marked = len(marked - blocked)
    report.refused = dict(sorted(fake.refused.items()))
    everything = [d for items in delivered.values() for d in items]
    report.paid_share = sum(d.paid for d in everything) / len(everything) if everything else 0.0
    times = sorted(d.at for d in everything)
    if len(times) >= 2:
        report.first_send_s = times[0] - began
        report.send_period_s = times[-1] - times[0]
        report.rate = (len(times) - 1) / report.send_period_s if report.send_period_s else 0.0
        requests = len(times) + sum(report.refused.values())
        if report.send_period_s:
            report.request_rate = requests / report.send_period_s
        low, high = int(len(times) * 0.05), int(len(times) * 0.95)
        if high > low and times[high] > times[low]:
            report.rate_middle = (high - low) / (times[high] - times[low])
        report.tail_s = times[-1] - times[int(len(times) * 0.99)]
        if restarted_at is not None:
            before = [t for t in times if t < restarted_at]
            after = [t for t in times if t >= restarted_at]
            if before and after:  # the last send of the killed bot, the first of the new one
                report.gap_s = after[0] - before[-1]
                active = report.send_period_s - report.gap_s
                report.rate_without_gap = (len(times) - 1) / active if active > 0 else None


# --- the whole bench ----------------------------------------------------------------------------


def in_flight_bound(options: Options) -> int:
    """How many messages the worker may have sent but not yet marked: what a kill -9 can send
    twice (``bot.tg.broadcaster``: at most ``concurrency`` deliveries in flight)."""
    from bot.tg.broadcaster import concurrency_for

    return concurrency_for(options.bot_rate, options.paid)


@dataclass
class BenchReport:
    options: Options
    runs: list[RunReport]
    in_flight: int
    wall_s: float

    @property
    def targets_apply(self) -> bool:
        """The rate target is meant for a run long enough to reach steady state."""
        return self.options.recipients >= QUICK_RECIPIENTS

    def checks(self) -> dict[str, bool]:
        found: dict[str, bool] = {}
        for run in self.runs:
            tag = "killed run" if run.killed else "run"
            found[f"{tag}: finished (every row final, no error)"] = (
                run.error is None and run.not_final == 0
            )
            found[f"{tag}: lost == 0"] = run.lost == 0
            if run.killed:
                bound = self.in_flight
                found[f"{tag}: duplicates <= in-flight bound ({bound})"] = run.duplicates <= bound
            else:
                found[f"{tag}: duplicates == 0"] = run.duplicates == 0
            found[f"{tag}: bookkeeping (sent rows = deliveries, blocked marked)"] = (
                run.wrong_message_id == 0
                and run.blocked_delivered == 0
                and run.blocked_marked == run.blocked
                and run.reachable_marked == 0
                and run.rows.get("sent", 0) == run.delivered_chats
            )
            if self.targets_apply and not run.killed:
                found[f"{tag}: achieved rate / limit >= {RATE_TARGET}"] = run.ratio >= RATE_TARGET
        return found

    @property
    def ok(self) -> bool:
        return all(self.checks().values())


def run(options: Options) -> BenchReport:
    began = time.monotonic()
    runs = []
    with tempfile.TemporaryDirectory(prefix="broadcast-bench-", dir=options.workdir) as tmp:
        runs.append(run_once(options, Path(tmp) / "undisturbed", kill=False))
        if options.kill:
            runs.append(run_once(options, Path(tmp) / "killed", kill=True))
    return BenchReport(options, runs, in_flight_bound(options), time.monotonic() - began)


def format_report(report: BenchReport) -> str:
    o = report.options
    lines = [
        f"Announcement to {o.recipients} recipients: fake Bot API limit {o.limit:g} msg/s "
        f"(429 beyond), {o.fail_rate:.0%} of sends 502, {o.blocked_share:.0%} blocked (403); "
        f"bot BROADCAST_RATE={o.bot_rate:g} BROADCAST_PAID={'true' if o.paid else 'false'}",
        f"worker in-flight bound: {report.in_flight} (deliveries in flight at once: what a "
        "kill -9 can send twice)",
    ]
    for r in report.runs:
        lines += [
            "",
            f"== {r.label}",
            f"  recipients         {r.recipients} ({r.reachable} reachable, {r.blocked} blocked)",
            f"  achieved rate      {r.rate:.1f} msg/s = {r.ratio:.3f} x limit "
            f"(first to last successful send, {r.send_period_s:.1f} s)",
            f"  steady rate        {r.rate_middle:.1f} msg/s between the 5th and 95th percentile "
            f"send; the last 1% took {r.tail_s:.1f} s (retries)",
            f"  requests           {r.request_rate:.1f}/s over the same period (refused ones too: "
            "the bot paces every request at the limit)",
        ]
        if r.killed:
            gap = f"{r.gap_s:.1f} s" if r.gap_s is not None else "?"
            without = f"{r.rate_without_gap:.1f} msg/s" if r.rate_without_gap else "?"
            lines.append(
                f"  without restart    {without} (restart gap {gap}, killed at "
                f"{r.kill_at_sent} rows sent)"
            )
        lines += [
            f"  delivered          {r.delivered_chats}/{r.reachable} reachable chats, "
            f"{r.deliveries} messages",
            f"  duplicates         {r.duplicates}",
            f"  lost               {r.lost} (rows not final: {r.not_final})",
            f"  rows               {', '.join(f'{k} {v}' for k, v in r.rows.items())}; "
            f"broadcast {r.broadcast_status}",
            f"  bookkeeping        sent rows with a wrong message id {r.wrong_message_id}; "
            f"blocked marked unreachable {r.blocked_marked}/{r.blocked}; reachable marked "
            f"{r.reachable_marked}; blocked delivered {r.blocked_delivered}",
            f"  Telegram refused   {', '.join(f'{k}: {v}' for k, v in r.refused.items()) or '-'}",
            f"  paid sends         {r.paid_share:.0%}",
            f"  timing             first send {r.first_send_s:.1f} s after start, all rows final "
            f"after {r.total_s:.1f} s",
            f"  bot peak RSS       {r.rss_peak_mb:.0f} MB (VmHWM); CPU {r.bot_cpu_s:.1f} s",
            f"  bot exit codes     {r.exit_codes}",
        ]
        if r.error:
            lines.append(f"  ERROR              {r.error}")
    lines.append("")
    if not report.targets_apply:
        lines.append(f"(fewer than {QUICK_RECIPIENTS} recipients: the rate target is not checked)")
    for name, passed in report.checks().items():
        lines.append(f"{'PASS' if passed else 'FAIL'}  {name}")
    lines.append(f"(bench wall time {report.wall_s:.0f} s)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> BenchReport:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--recipients", type=int, default=FULL_RECIPIENTS, help=f"default {FULL_RECIPIENTS}"
    )
    parser.add_argument(
        "--limit", type=float, default=200.0, help="the fake's messages/s (default 200)"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"a smoke run: {QUICK_RECIPIENTS} recipients"
    )
    parser.add_argument(
        "--rate", type=float, default=None, help="the bot's BROADCAST_RATE (default: the limit)"
    )
    parser.add_argument("--free", action="store_true", help="BROADCAST_PAID=false (rate <= 30)")
    parser.add_argument("--fail-rate", type=float, default=FAIL_RATE, help="share of 502s")
    parser.add_argument("--blocked", type=float, default=BLOCKED_SHARE, help="share blocked")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=None, help="seconds per run")
    parser.add_argument("--no-kill", action="store_true", help="skip the kill -9 run")
    parser.add_argument("--workdir", type=Path, default=None, help="for the temporary files")
    args = parser.parse_args(argv)
    options = Options(
        recipients=QUICK_RECIPIENTS if args.quick else args.recipients,
        limit=args.limit,
        rate=args.rate,
        paid=not args.free,
        fail_rate=args.fail_rate,
        blocked_share=args.blocked,
        seed=args.seed,
        timeout=args.timeout,
        kill=not args.no_kill,
        workdir=args.workdir,
    )
    report = run(options)
    print(format_report(report), flush=True)
    return report


if __name__ == "__main__":
    sys.exit(0 if main().ok else 1)
