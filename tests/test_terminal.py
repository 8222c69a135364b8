"""The terminal chat as a person uses it: ``python -m bot`` without a token, typing into stdin."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.config import EXPECTED
from bot.domain.units import load_units
from bot.i18n import Translator
from bot.tg.terminal import TerminalChat, numbered_otherwise, render_html

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 10.0
NAME = "Nguyễn Văn An"
UNITS = load_units()

_translator = Translator.load()


def t(key: str, **params: object) -> str:
    """What the terminal prints for ``key`` (HTML tags removed, entities decoded)."""
    return render_html(_translator("vi", key, **params), color=False)


def plain(text: str) -> str:
    """``text`` without Vietnamese diacritics, as typed on a keyboard without them."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def chat_env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.upper() not in EXPECTED}
    env["DATABASE_PATH"] = str(database)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONUTF8"] = "1"
    return env


class TerminalSession:
    """One ``python -m bot`` process; what it prints is collected by a reader thread."""

    def __init__(self, cwd: Path, database: Path) -> None:
        # stderr goes to a file: a pipe nobody reads could fill up and block the chat.
        self.stderr_path = cwd / f"stderr-{time.monotonic_ns()}.txt"
        self._stderr_file = self.stderr_path.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=cwd,
            env=chat_env(database),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output = ""  # everything printed so far
        self.pos = 0  # what expect() has already consumed
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def expect(self, *fragments: str, timeout: float = TIMEOUT) -> str:
        """Wait until every fragment appears in new output; returns that output."""
        deadline = time.monotonic() + timeout
        while True:
            new = self.output[self.pos :]
            if all(fragment in new for fragment in fragments):
                end = max(new.index(f) + len(f) for f in fragments)
                self.pos += end
                return new
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {fragments!r}; new output:\n{new}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(
                    f"the chat exited (rc={self.proc.wait()}) before printing {fragments!r};"
                    f"\nnew output:\n{new}\nstderr:\n{self.stderr()}"
                )
            self.output += line

    def type(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def quit(self) -> int:
        self.type(":q")
        return self.proc.wait(timeout=TIMEOUT)

    def rest(self) -> str:
        """Everything printed after the last expect(), once the process has exited."""
        self.reader.join(TIMEOUT)
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.output += line
        return self.output[self.pos :]

    def stderr(self) -> str:
        self._stderr_file.flush()
        return self.stderr_path.read_text(encoding="utf-8")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=TIMEOUT)
        for stream in (self.proc.stdin, self.proc.stdout, self._stderr_file):
            if stream is not None:
                stream.close()


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "db" / "chat.sqlite3"


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    path = tmp_path / "cwd"
    path.mkdir()
    return path


@pytest.fixture
def open_chat(cwd: Path, database: Path) -> Iterator[Callable[[], TerminalSession]]:
    sessions: list[TerminalSession] = []

    def start() -> TerminalSession:
        session = TerminalSession(cwd, database)
        sessions.append(session)
        session.expect("BotFather", "TELEGRAM_BOT_TOKEN")
        return session

    yield start
    for session in sessions:
        session.close()


def onboard(chat: TerminalSession) -> None:
    chat.type("/start")
    chat.expect(t("start.welcome"))
    chat.expect(t("onboarding.consent"), "[1] " + t("onboarding.consent_yes"), "[2] ")
    chat.type("1")
    chat.expect(t("onboarding.ask_full_name"))
    chat.type(NAME)
    chat.expect(t("onboarding.ask_unit"), f"[2] {UNITS[1]}")
    chat.type("2")
    chat.expect(t("onboarding.ask_position"))
    chat.type("Chuyên viên")
    chat.expect(t("onboarding.ask_phone"), "[1] " + t("onboarding.skip"))
    chat.type("bỏ qua")
    summary = chat.expect(t("onboarding.confirm"), "[1] " + t("profile.confirm"))
    assert f"Họ và tên: {NAME}" in summary
    assert f"Đơn vị: {UNITS[1]}" in summary
    assert "Chức vụ: Chuyên viên" in summary
    chat.type("1")
    chat.expect(t("onboarding.done", name=NAME))


OpenChat = Callable[[], TerminalSession]


def test_onboarding_in_the_terminal(open_chat: OpenChat, database: Path) -> None:
    chat = open_chat()
    onboard(chat)
    assert chat.quit() == 0
    assert t("terminal.bye") in chat.rest()
    assert "Traceback" not in chat.stderr()
    assert database.exists()


def test_restart_welcomes_back(open_chat: OpenChat) -> None:
    first = open_chat()
    onboard(first)
    assert first.quit() == 0

    second = open_chat()
    second.type("/start")
    second.expect(t("start.welcome_back", name=NAME))
    assert t("onboarding.consent") not in second.output
    assert second.quit() == 0


def test_bad_input_keeps_the_step(open_chat: OpenChat) -> None:
    chat = open_chat()
    chat.type("/start")
    chat.expect("[2] " + t("onboarding.consent_no"))
    chat.type("1")
    chat.expect(t("onboarding.ask_full_name"))
    chat.type("12345")
    chat.expect(t("error.name_chars"))
    chat.type("A")
    chat.expect(t("error.name_short"))
    chat.type(NAME)
    chat.expect(t("onboarding.ask_unit"))
    chat.type("99")
    chat.expect(t("error.choice_range", count=len(UNITS)))
    chat.type(plain(UNITS[1]).lower())  # a button's label, typed without accents
    chat.expect(t("onboarding.ask_position"))
    chat.type("Chuyên viên")
    chat.expect(t("onboarding.ask_phone"))
    chat.type("123")
    chat.expect(t("error.phone"))
    chat.type("0912 345 678")
    summary = chat.expect(t("onboarding.confirm"), "[5] ")
    assert "Điện thoại: 0912345678" in summary
    assert "Đơn vị: Thanh tra Sở" in summary
    assert chat.quit() == 0
    assert "Traceback" not in chat.stderr()


def test_end_of_input_exits_cleanly(open_chat: OpenChat) -> None:
    chat = open_chat()
    assert chat.proc.stdin is not None
    chat.proc.stdin.close()  # Ctrl-D
    assert chat.proc.wait(timeout=TIMEOUT) == 0
    assert t("terminal.bye") in chat.rest()


def test_superscript_digit_while_buttons_are_shown(open_chat: OpenChat) -> None:
    chat = open_chat()
    chat.type("/start")
    chat.expect("[2] " + t("onboarding.consent_no"))
    chat.type("²")
    chat.type("1")
    chat.expect(t("onboarding.ask_full_name"), timeout=4)


def test_a_scripted_conversation_waits_for_each_answer(open_chat: OpenChat) -> None:
    """Input from a pipe, all at once: "1" still presses the button the previous answer showed,
    and the last answer is printed before the chat ends."""
    chat = open_chat()
    assert chat.proc.stdin is not None
    chat.proc.stdin.write("/start\n1\nNguyễn Văn An\n")
    chat.proc.stdin.close()
    assert chat.proc.wait(timeout=TIMEOUT) == 0
    output = chat.rest()
    assert t("onboarding.ask_full_name") in output  # "1" was the consent button
    assert output.index(t("onboarding.ask_full_name")) < output.index(t("terminal.bye"))
    after_name = output.split(t("onboarding.ask_full_name"))[1]
    assert t("onboarding.ask_unit") in after_name  # the name was taken: the next question
    assert "CRITICAL" not in chat.stderr() and "Traceback" not in chat.stderr()


def test_a_number_under_a_message_without_buttons_is_text(open_chat: OpenChat) -> None:
    """Typed input presses only the buttons of the bot's latest message; under an older one a
    "1" is text, as it would be in Telegram (not a press of a stale button)."""
    chat = open_chat()
    onboard(chat)
    chat.type("/sangkien")
    chat.expect("[1] ")  # "Kính gửi": buttons
    chat.type("1")
    chat.expect("15/8/1985")  # the birth date question: no buttons
    chat.type("1")  # so "1" is a (bad) date
    said = chat.expect(t("error.date_format"))
    assert t("button.stale") not in said and t("error.stale_choice") not in said
    assert chat.quit() == 0


def test_a_number_is_the_messages_own_when_the_buttons_are_numbered_otherwise() -> None:
    """qa14 M8: under /rsvp_pending's «Duyệt 1», «Từ chối 1», «Duyệt 2», «Từ chối 2», a typed
    «2» is request 2 (the bot asks what to do), never the second button (decline request 1)."""
    pending = [("✅ Duyệt 1", "ck:a:1"), ("❌ Từ chối 1", "ck:d:1"), ("✅ Duyệt 2", "ck:a:2")]
    assert numbered_otherwise(pending)
    assert TerminalChat._match("2", pending) is None  # sent as text
    assert TerminalChat._match("❌ Từ chối 1", pending) == "ck:d:1"  # a label still presses
    questions = [("✍️ #12", "kb:ans:12"), ("✍️ #15", "kb:ans:15")]
    assert TerminalChat._match("1", questions) is None
    items = [("1. Tên hội nghị", "eve:f:title"), ("2. Thời gian bắt đầu", "eve:f:starts_at")]
    assert not numbered_otherwise(items)
    assert TerminalChat._match("2", items) == "eve:f:starts_at"
    plain_buttons = [("Có", "y"), ("Không", "n")]
    assert TerminalChat._match("2", plain_buttons) == "n"
    # qa20: «0002» is the end of an initiative's number (SK-2026-0002), never the 2nd button
    assert TerminalChat._match("0002", plain_buttons) is None
