"""The local terminal chat: the real Application, handlers and database, talking to a local
stand-in for the Bot API instead of Telegram.

Messages from the bot are printed; buttons appear as numbered options, and a typed number or
button text presses the button. Anything else is sent as a message. Lines starting with ``:``
are for the terminal itself (``:help``). Input from a file or a pipe is a scripted
conversation: each line waits for the bot's answer to the previous one.
"""

from __future__ import annotations

import html
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from bot.domain.choices import is_number, zero_padded
from bot.domain.text import fold
from bot.i18n import Translator
from bot.tg.stub_api import JSON, BotAPIStub, StubUser

LOCAL_USER_ID = 100001
# A scripted conversation (input from a file or a pipe) waits for each answer: the bot has
# answered once it made a call and then none for QUIET_S seconds; at most SETTLE_S seconds.
QUIET_S = 0.4
SETTLE_S = 15.0
_TAG = re.compile(r"<[^>]+>")
_BOLD = re.compile(r"</?(b|strong)>")
_DIGITS = re.compile(r"\d+")


def render_html(text: str, *, color: bool) -> str:
    if color:
        text = _BOLD.sub(lambda m: "\x1b[0m" if m.group(0).startswith("</") else "\x1b[1m", text)
    return html.unescape(_TAG.sub("", text))


def numbered_otherwise(buttons: list[tuple[str, str]]) -> bool:
    """Whether the buttons carry numbers of their own that are not their positions: «Duyệt 1»,
    «Từ chối 1», «Duyệt 2» under a list of requests, «✍️ #12» under the office's questions. A
    bare number typed then means what the message says (request 2, question 12), not the Nth
    button printed: it goes to the bot as text (every button has its typed form there)."""
    for position, (label, _) in enumerate(buttons, start=1):
        numbers = {int(n) for n in _DIGITS.findall(label)}
        if numbers and position not in numbers:
            return True
    return False


class TerminalChat:
    def __init__(
        self,
        stub: BotAPIStub,
        translator: Translator,
        locale: str,
        *,
        out: TextIO | None = None,
        files_dir: Path = Path("data/terminal-files"),
    ) -> None:
        self.stub = stub
        self.translator = translator
        self.locale = locale
        self.out = out or sys.stdout
        self.color = bool(getattr(self.out, "isatty", lambda: False)())
        self.files_dir = files_dir
        self.user = StubUser(LOCAL_USER_ID, first_name="Bạn", language_code=locale)
        self.keyboards: dict[int, tuple[JSON, list[tuple[str, str]]]] = {}
        self.latest: int | None = None  # the id of the bot's latest message shown
        self.quitting = False
        self.lock = threading.Lock()
        self._activity = threading.Condition()
        self._calls = 0  # Bot API calls made by the bot so far
        self._last_call = 0.0  # monotonic time of the last one
        stub.listeners.append(self.on_bot)

    def t(self, key: str, **params: object) -> str:
        return self.translator(self.locale, key, **params)

    # --- what the bot sends ---------------------------------------------------------------

    def _print(self, text: str) -> None:
        with self.lock:
            self.out.write(text + "\n")
            self.out.flush()

    def on_bot(self, method: str, params: JSON, result: Any) -> None:
        with self._activity:
            self._calls += 1
            self._last_call = time.monotonic()
            self._activity.notify_all()
        if method != "answerCallbackQuery" and str(params.get("chat_id")) != str(self.user.id):
            return
        if method == "sendMessage":
            self._show(result, str(params.get("text", "")))
        elif method == "editMessageText":
            self._show(result, str(params.get("text", "")), edited=True)
        elif method == "editMessageReplyMarkup":
            if not params.get("reply_markup"):
                self.keyboards.pop(int(params["message_id"]), None)
        elif method == "answerCallbackQuery" and params.get("text"):
            self._print("ℹ️  " + str(params["text"]))
        elif method in ("sendDocument", "sendPhoto"):
            self._file(params, result)

    def _show(self, message: JSON, text: str, *, edited: bool = False) -> None:
        prefix = "🤖 " + (self.t("terminal.edited") + " " if edited else "")
        lines = [prefix + render_html(text, color=self.color)]
        markup = message.get("reply_markup") or {}
        buttons = [
            (b.get("text", ""), b.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for b in row
            if b.get("callback_data")
        ]
        if not edited:
            self.latest = int(message["message_id"])
        if buttons:
            self.keyboards[int(message["message_id"])] = (message, buttons)
            lines += [f"   [{i}] {label}" for i, (label, _) in enumerate(buttons, 1)]
        self._print("\n".join(lines))

    def _file(self, params: JSON, message: JSON) -> None:
        name = Path(str(params.get("_filename") or "file")).name
        data = params.get("_bytes")
        path = self.files_dir / name
        if isinstance(data, bytes | bytearray):
            self.files_dir.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        caption = render_html(str(params.get("caption") or ""), color=self.color)
        self._print(f"🤖 📎 {path}" + (f"\n{caption}" if caption else ""))

    # --- what the person types ------------------------------------------------------------

    def _active_keyboard(self) -> tuple[JSON, list[tuple[str, str]]] | None:
        """The buttons of the bot's latest message, if it has any: what a typed number or
        label presses. Under an older message they stay, as in Telegram, but typed text is
        then text (every button also takes its typed form), not a press of a stale button."""
        return self.keyboards.get(self.latest) if self.latest is not None else None

    def submit(self, line: str, stop: Callable[[], None]) -> bool:
        """One line typed; True when it went to the bot (a message, a press, a file)."""
        line = line.rstrip("\r\n")
        if not line.strip():
            return False
        if line.startswith(":"):
            return self._terminal_command(line[1:].strip(), stop)
        active = self._active_keyboard()
        if active is not None:
            message, buttons = active
            data = self._match(line.strip(), buttons)
            if data is not None:
                self.keyboards.pop(int(message["message_id"]), None)
                self.stub.user_press(self.user, message, data)
                return True
        self.stub.user_message(self.user, line)
        return True

    def settle(self, calls_before: int, *, quiet: float = QUIET_S, limit: float = SETTLE_S) -> None:
        """Wait until the bot has answered (a call after ``calls_before``) and then stayed
        quiet for ``quiet`` seconds; at most ``limit`` seconds."""
        deadline = time.monotonic() + limit
        with self._activity:
            while (now := time.monotonic()) < deadline:
                if self._calls > calls_before and now - self._last_call >= quiet:
                    return
                self._activity.wait(timeout=0.05)

    @staticmethod
    def _match(text: str, buttons: list[tuple[str, str]]) -> str | None:
        if is_number(text) and not zero_padded(text) and 1 <= int(text) <= len(buttons):
            if numbered_otherwise(buttons):
                return None  # the message's own numbers: the bot reads what was typed
            return buttons[int(text) - 1][1]
        folded = fold(text)
        for label, data in buttons:
            if folded and fold(label) == folded:
                return data
        return None

    def _terminal_command(self, command: str, stop: Callable[[], None]) -> bool:
        """``:q``, ``:file PATH [caption]``, ``:user ID``, else the help. True when something
        went to the bot."""
        name, _, arg = command.partition(" ")
        if name in ("q", "quit", "exit"):
            self.quitting = True
            stop()
        elif name == "file" and arg.strip():
            return self._send_file(arg.strip())
        elif name == "user" and is_number(arg.strip()):
            self.user = StubUser(
                int(arg), first_name=f"Người dùng {arg}", language_code=self.user.language_code
            )
            self.keyboards.clear()
            self._print(self.t("terminal.switched", user_id=arg))
        else:
            self._print(self.t("terminal.help"))
        return False

    def _send_file(self, arg: str) -> bool:
        """``:file PATH [caption]``: send a file, as from the phone (e.g. caption ``/kb_add``)."""
        path_text, _, caption = arg.partition(" ")
        path = Path(path_text).expanduser()
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._print(self.t("terminal.file_error", path=str(path), error=str(exc)))
            return False
        self.stub.user_document(self.user, path.name, data, caption.strip() or None)
        return True

    def read_input(self, stream: TextIO, stop: Callable[[], None]) -> None:
        """Blocking loop for a thread: one line, one message; ":q" or the end of input stops
        the bot, once (a second stop during shutdown would break it). Input that is not typed
        (a file or a pipe: a scripted conversation) waits for the bot's answer to each line,
        as a person would, so that "1" presses the button the previous answer showed and the
        last answer is seen before the end."""
        typed = bool(getattr(stream, "isatty", lambda: False)())
        for line in stream:
            calls_before = self._calls
            sent = self.submit(line, stop)
            if self.quitting:
                return
            if sent and not typed:
                self.settle(calls_before)
        self.quitting = True
        stop()


def start_input_thread(chat: TerminalChat, stream: TextIO, stop: Callable[[], None]) -> None:
    thread = threading.Thread(
        target=chat.read_input, args=(stream, stop), daemon=True, name="terminal-input"
    )
    thread.start()
