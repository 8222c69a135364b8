"""End to end: the real ``thidua-bot run`` process, talking HTTP to a fake Bot API on 127.0.0.1.

Each test starts the bot as a subprocess (``python -m bot run``) pointed at
:class:`tests.fake_api_server.FakeBotAPI` through ``TELEGRAM_API_URL``, chats with it as a person
would (messages and button presses handed out by ``getUpdates``, or posted to its webhook) and
looks at what it answered and at its SQLite database. Nothing but 127.0.0.1 is contacted.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import InvalidToken

from bot.config import EXPECTED
from bot.i18n import Translator
from bot.tg.stub_api import JSON, StubUser
from tests.fake_api_server import FakeBotAPI

TOKEN = "123456:TEST-token-abcdefghij"
ADMIN_ID = 9001
STARTUP = 15.0  # seconds for the process to import, migrate and start polling
REPLY = 10.0  # seconds for one answer
# Settings the bot reads from the environment: the tests decide every one of them.
# Every setting of the bot (bot.config.EXPECTED): none of the caller's may leak into the bot
# started here.
BOT_VARIABLES = tuple(EXPECTED)
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")


@pytest.fixture(scope="module")
def tr() -> Translator:
    return Translator.load()


def t(tr: Translator, key: str, **params: object) -> str:
    return tr("vi", key, **params)


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def alice() -> StubUser:
    return StubUser(1001, first_name="Lan", last_name="Nguyễn", username="lan_ng")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotProcess:
    """One ``thidua-bot run`` subprocess; its output goes to files in the test's directory."""

    def __init__(self, workdir: Path, env: dict[str, str], name: str) -> None:
        self.workdir = workdir
        self.env = env
        self.stdout_path = workdir / f"{name}.out"
        self.stderr_path = workdir / f"{name}.err"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> BotProcess:
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        """``kill -9``: no shutdown, no flush."""
        assert self.proc is not None
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> int | None:
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
        return self.proc.returncode

    def output(self) -> str:
        parts = []
        for path in (self.stdout_path, self.stderr_path):
            if path.exists():
                parts.append(path.read_text("utf-8", errors="replace"))
        return "\n".join(parts)

    def wait_for_log(self, needle: str, timeout: float = REPLY) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.output():
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not logged in {timeout}s:\n{self.output()}")
            if not self.alive():
                raise AssertionError(f"the bot exited before logging {needle!r}:\n{self.output()}")
            time.sleep(0.05)


class Bots:
    """Starts bot processes for one test and always stops them afterwards."""

    def __init__(self, workdir: Path, fake: FakeBotAPI) -> None:
        self.workdir = workdir
        self.fake = fake
        self.database = workdir / "bot.sqlite3"
        self.started: list[BotProcess] = []

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in BOT_VARIABLES + PROXY_VARIABLES}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=self.fake.url,
            DATABASE_PATH=str(self.database),
            ADMIN_IDS=str(ADMIN_ID),
            LOG_LEVEL="INFO",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def start(self, *, wait_polling: bool = True, **extra: str) -> BotProcess:
        mark = self.fake.received_mark()
        process = BotProcess(self.workdir, self.env(**extra), f"bot{len(self.started) + 1}")
        self.started.append(process)
        process.start()
        if wait_polling:
            try:
                self.fake.wait_for_request("getMe", STARTUP, since=mark)
                self.fake.wait_for_request("getUpdates", STARTUP, since=mark)
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{process.output()}") from None
        return process

    def stop_all(self) -> None:
        for process in self.started:
            process.stop()

    def output(self) -> str:
        return "\n".join(process.output() for process in self.started)


@pytest.fixture
def bots(tmp_path: Path, fake: FakeBotAPI) -> Iterator[Bots]:
    manager = Bots(tmp_path, fake)
    try:
        yield manager
    finally:
        manager.stop_all()
    assert TOKEN not in manager.output()
    assert TOKEN.split(":", 1)[1] not in manager.output()


# --- conversation helpers --------------------------------------------------------------------


def say(fake: FakeBotAPI, user: StubUser, text: str, expect: str) -> tuple[JSON, str]:
    """Send ``text``; wait for a reply containing ``expect``; (the update, the reply)."""
    mark = fake.mark()
    update = fake.say(user, text)
    return update, fake.wait_for_text(user.id, expect, REPLY, since=mark)


def press(fake: FakeBotAPI, user: StubUser, data: str, expect: str) -> tuple[JSON, str]:
    mark = fake.mark()
    update = fake.press_latest(user, data)
    return update, fake.wait_for_text(user.id, expect, REPLY, since=mark)


def start_onboarding(fake: FakeBotAPI, tr: Translator, user: StubUser) -> None:
    """/start, the welcome and the consent notice, then "I agree": the bot asks the name."""
    mark = fake.mark()
    fake.say(user, "/start")
    fake.wait_for_text(user.id, t(tr, "start.welcome"), REPLY, since=mark)
    fake.wait_for_text(user.id, t(tr, "onboarding.consent"), REPLY, since=mark)
    press(fake, user, "pf:yes", t(tr, "onboarding.ask_full_name"))


def db_rows(database: Path, sql: str, *params: object) -> list[dict[str, Any]]:
    """Read the bot's database (read-only: the bot may still be running)."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def profile_of(database: Path, user_id: int) -> dict[str, Any]:
    rows = db_rows(
        database,
        "SELECT full_name, unit, position, phone, registered_at FROM users WHERE user_id = ?",
        user_id,
    )
    assert rows, f"user {user_id} is not in the database"
    return rows[0]


def conversation_state(database: Path, user_id: int) -> Any:
    rows = db_rows(
        database,
        "SELECT state FROM conversations WHERE name = 'profile' AND key = ?",
        json.dumps([user_id, user_id], separators=(",", ":")),
    )
    return json.loads(rows[0]["state"]) if rows else None


def draft_of(database: Path, user_id: int) -> dict[str, Any] | None:
    rows = db_rows(
        database, "SELECT data FROM drafts WHERE user_id = ? AND flow = 'profile'", user_id
    )
    return json.loads(rows[0]["data"]) if rows else None


def assert_registered(database: Path, user_id: int) -> None:
    row = profile_of(database, user_id)
    assert row["full_name"] == "Nguyễn Thị Lan"
    assert row["unit"] == "Văn phòng Sở"
    assert row["position"] == "Chuyên viên"
    assert row["phone"] is None
    assert row["registered_at"]
    assert conversation_state(database, user_id) is None
    assert draft_of(database, user_id) is None


# --- the fake server itself --------------------------------------------------------------------


async def test_fake_server_decodes_what_ptb_sends(fake: FakeBotAPI) -> None:
    async with Bot(TOKEN, base_url=fake.url) as bot:
        me = await bot.get_me()
        assert me.username == fake.stub.bot["username"]
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="x:1")]])
        sent = await bot.send_message(5, "123", reply_markup=markup)
        assert sent.text == "123"
        call = fake.calls("sendMessage")[-1]
        assert call.params["text"] == "123"  # stays a string although it looks like a number
        assert call.params["chat_id"] == 5
        assert call.params["reply_markup"] == {
            "inline_keyboard": [[{"text": "A", "callback_data": "x:1"}]]
        }
        await bot.send_document(5, document=b"\x00hello\xff", filename="a.txt", caption="7")
        call = fake.calls("sendDocument")[-1]
        assert call.params["_filename"] == "a.txt"
        assert call.params["_bytes"] == b"\x00hello\xff"
        assert call.params["chat_id"] == 5
        assert call.params["caption"] == "7"
        await bot.edit_message_text("edited", chat_id=5, message_id=sent.message_id)
        assert fake.calls("editMessageText")[-1].params["message_id"] == sent.message_id


async def test_fake_server_rejects_a_wrong_token(fake: FakeBotAPI) -> None:
    bot = Bot("999:wrong-token-abcdef", base_url=fake.url)
    try:
        with pytest.raises(InvalidToken):
            await bot.initialize()  # calls getMe
    finally:
        await bot.shutdown()
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    try:
        conn.request("POST", "/bot999:nope/getMe", body=b"{}", headers={"Content-Type": "a/b"})
        response = conn.getresponse()
        assert response.status == 401
        assert json.loads(response.read()) == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    finally:
        conn.close()


def test_fake_server_json_body_and_long_poll(fake: FakeBotAPI, alice: StubUser) -> None:
    def call(method: str, params: JSON, timeout: float = 5) -> tuple[int, JSON]:
        conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=timeout)
        try:
            conn.request(
                "POST",
                f"/bot{TOKEN}/{method}",
                body=json.dumps(params).encode(),
                headers={"Content-Type": "application/json"},
            )
            response = conn.getresponse()
            return response.status, json.loads(response.read())
        finally:
            conn.close()

    began = time.monotonic()
    status, body = call("getUpdates", {"offset": 0, "timeout": 0.3})
    assert (status, body) == (200, {"ok": True, "result": []})
    assert time.monotonic() - began >= 0.25  # it waited for the timeout

    timer = threading.Timer(0.3, fake.say, args=(alice, "hello"))
    timer.start()
    try:
        began = time.monotonic()
        status, body = call("getUpdates", {"offset": 0, "timeout": 5}, timeout=10)
        assert time.monotonic() - began < 4  # answered as soon as the message arrived
    finally:
        timer.cancel()
    assert status == 200
    [update] = body["result"]
    assert update["message"]["text"] == "hello"
    # not confirmed yet: handed out again, then forgotten once the offset confirms it
    assert call("getUpdates", {"offset": 0})[1]["result"] == [update]
    assert call("getUpdates", {"offset": update["update_id"] + 1})[1]["result"] == []
    fake.redeliver(update)
    assert call("getUpdates", {"offset": 0})[1]["result"] == [update]


# --- the bot process -------------------------------------------------------------------------


def test_onboarding_over_http(
    fake: FakeBotAPI, bots: Bots, tr: Translator, alice: StubUser
) -> None:
    process = bots.start()
    start_onboarding(fake, tr, alice)
    say(fake, alice, "nguyễn thị lan", t(tr, "onboarding.ask_unit"))
    say(fake, alice, "1", t(tr, "onboarding.ask_position"))
    say(fake, alice, "Chuyên viên", t(tr, "onboarding.ask_phone"))
    _, summary = press(fake, alice, "pf:skip", t(tr, "onboarding.confirm"))
    assert "Nguyễn Thị Lan" in summary
    assert "Văn phòng Sở" in summary
    assert "Chuyên viên" in summary
    press(fake, alice, "pf:ok", t(tr, "onboarding.done", name="Nguyễn Thị Lan"))
    # every press was answered (the spinner stops) and its keyboard taken off
    assert len(fake.calls("answerCallbackQuery")) >= 3
    # read while the bot is running, then again after a graceful stop
    assert_registered(bots.database, alice.id)
    assert process.stop() == 0, process.output()
    assert_registered(bots.database, alice.id)
    assert "starting in long-polling mode" in process.output()
    assert TOKEN not in process.output()


def test_kill_9_mid_onboarding_resumes_at_the_same_step(
    fake: FakeBotAPI, bots: Bots, tr: Translator, alice: StubUser
) -> None:
    first = bots.start()
    start_onboarding(fake, tr, alice)
    say(fake, alice, "nguyễn thị lan", t(tr, "onboarding.ask_unit"))
    unit, _ = say(fake, alice, "1", t(tr, "onboarding.ask_position"))
    fake.wait_confirmed(unit["update_id"])
    first.kill9()
    assert first.proc is not None and first.proc.returncode == -signal.SIGKILL
    assert conversation_state(bots.database, alice.id) == "position"

    mark = fake.mark()
    bots.start()
    say(fake, alice, "Chuyên viên", t(tr, "onboarding.ask_phone"))
    asked = fake.texts(alice.id, since=mark)
    assert asked == [t(tr, "onboarding.ask_phone")], asked  # not the name (nor anything) again
    _, summary = press(fake, alice, "pf:skip", t(tr, "onboarding.confirm"))
    assert "Nguyễn Thị Lan" in summary  # typed before the crash
    assert "Văn phòng Sở" in summary
    assert "Chuyên viên" in summary
    press(fake, alice, "pf:ok", t(tr, "onboarding.done", name="Nguyễn Thị Lan"))
    assert_registered(bots.database, alice.id)
    bots.stop_all()
    assert_registered(bots.database, alice.id)


def test_update_redelivered_after_a_crash_is_skipped(
    fake: FakeBotAPI, bots: Bots, tr: Translator, alice: StubUser
) -> None:
    first = bots.start()
    start_onboarding(fake, tr, alice)
    say(fake, alice, "nguyễn thị lan", t(tr, "onboarding.ask_unit"))
    unit, _ = say(fake, alice, "1", t(tr, "onboarding.ask_position"))
    fake.wait_confirmed(unit["update_id"])
    first.kill9()

    # Telegram never got the confirmation: it hands the unit answer out again, same update_id.
    fake.redeliver(unit)
    mark = fake.mark()
    second = bots.start()
    fake.wait_confirmed(unit["update_id"])
    second.wait_for_log(f"skipping update {unit['update_id']}: already processed")
    assert fake.texts(alice.id, since=mark) == []  # no second reply to it
    assert conversation_state(bots.database, alice.id) == "position"  # not moved on
    assert draft_of(bots.database, alice.id) == {
        "mode": "onboarding",
        "consent": True,
        "full_name": "Nguyễn Thị Lan",
        "unit": "Văn phòng Sở",
    }

    # The next message is the answer to the position, and gets exactly one reply.
    say(fake, alice, "Chuyên viên", t(tr, "onboarding.ask_phone"))
    assert fake.texts(alice.id, since=mark) == [t(tr, "onboarding.ask_phone")]
    assert conversation_state(bots.database, alice.id) == "phone"
    draft = draft_of(bots.database, alice.id)
    assert draft is not None and draft["position"] == "Chuyên viên"


def test_update_fetched_but_not_processed_survives_a_crash(
    fake: FakeBotAPI, bots: Bots, tr: Translator, alice: StubUser
) -> None:
    first = bots.start()
    start_onboarding(fake, tr, alice)
    say(fake, alice, "nguyễn thị lan", t(tr, "onboarding.ask_unit"))
    say(fake, alice, "1", t(tr, "onboarding.ask_position"))
    # The reply to the position is slow; the phone, sent right after it, waits its turn.
    fake.delays["sendMessage"] = 2.0
    mark = fake.received_mark()
    fake.say(alice, "Chuyên viên")
    phone = fake.say(alice, "0912345678")
    fake.wait_confirmed(phone["update_id"])  # the bot told Telegram it has the phone message
    fake.wait_for_request("sendMessage", REPLY, since=mark)  # the position step is committed
    first.kill9()  # ... while the bot is still answering the position
    fake.delays.clear()
    assert conversation_state(bots.database, alice.id) == "phone"

    bots.start()
    # Telegram will not hand the phone message out again: the bot must have kept it itself.
    try:
        fake.wait_until(
            lambda: conversation_state(bots.database, alice.id) == "confirm",
            timeout=3,
            what="the phone answer to be applied after the restart",
        )
    except AssertionError as exc:
        pytest.fail(f"the phone message was lost: {exc}")
    draft = draft_of(bots.database, alice.id)
    assert draft is not None and draft["phone"] == "0912345678"


def test_webhook_mode(fake: FakeBotAPI, bots: Bots, tr: Translator, alice: StubUser) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg"
    process = bots.start(
        wait_polling=False,
        WEBHOOK_URL=url,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET="s3cret_ok",
    )
    try:
        call = fake.wait_for_call("setWebhook", STARTUP)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{process.output()}") from None
    assert call.params["url"] == url
    assert call.params["secret_token"] == "s3cret_ok"
    assert not fake.calls("getUpdates")

    def post(update: JSON, secret: str) -> int:
        deadline = time.monotonic() + STARTUP
        while True:  # the server starts listening right after setWebhook
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                conn.request(
                    "POST",
                    "/tg",
                    body=json.dumps(update).encode(),
                    headers={
                        "Content-Type": "application/json",
                        "X-Telegram-Bot-Api-Secret-Token": secret,
                    },
                )
                response = conn.getresponse()
                response.read()
                return response.status
            except ConnectionRefusedError:
                if time.monotonic() > deadline or not process.alive():
                    raise
                time.sleep(0.05)
            finally:
                conn.close()

    def start_update() -> JSON:
        update = fake.say(alice, "/start")
        fake.stub.pending_updates(update["update_id"] + 1)  # webhook mode: nothing polls
        return update

    mark = fake.mark()
    assert post(start_update(), "wrong_secret") == 403
    assert post(start_update(), "") == 403
    time.sleep(0.5)
    assert fake.texts(alice.id, since=mark) == []

    assert post(start_update(), "s3cret_ok") == 200
    fake.wait_for_text(alice.id, t(tr, "start.welcome"), REPLY, since=mark)
    fake.wait_for_text(alice.id, t(tr, "onboarding.consent"), REPLY, since=mark)
    welcomes = [x for x in fake.texts(alice.id, since=mark) if x == t(tr, "start.welcome")]
    assert len(welcomes) == 1  # the rejected posts had no effect
    assert conversation_state(bots.database, alice.id) == "consent"
    assert process.stop() == 0, process.output()
    assert "starting in webhook mode" in process.output()
    assert "s3cret_ok" not in process.output()
