"""A fake Telegram Bot API over HTTP on 127.0.0.1, for end-to-end tests of the real bot process.

Standard library only: a ``ThreadingHTTPServer`` in a background thread answers
``/bot<TOKEN>/<method>`` with :class:`bot.tg.stub_api.BotAPIStub` (which holds the semantics of
every method); this module only decodes requests the way python-telegram-bot (httpx) encodes
them, and makes ``getUpdates`` long-poll like Telegram does.

Every wait is bounded: a long poll lasts at most its ``timeout`` (capped), and every helper that
waits for the bot takes a timeout.

For announcements it can also behave like Telegram under load (all off by default): a global
limit of ``limit`` delivered messages per second (a sliding one-second window; beyond it a 429
with ``retry_after``), ``blocked`` chats (403, the person blocked the bot) and a ``fail_rate`` of
sends answered 502 (a seeded RNG). Every delivered message is recorded per chat
(:attr:`FakeBotAPI.deliveries`), and refusals are counted by status (:attr:`FakeBotAPI.refused`).
"""

from __future__ import annotations

import bisect
import json
import math
import random
import select
import socket
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.tg.stub_api import JSON, ApiCall, BotAPIStub, StubUser

DEFAULT_TOKEN = "123456:TEST-token-abcdefghij"
MAX_LONG_POLL = 30.0  # seconds; whatever timeout the bot asks for
INT_PARAMS = frozenset({"chat_id", "offset", "timeout", "limit", "message_id", "user_id"})

TextMatch = str | Callable[[str], bool]

# What the announcement options (limit, blocked chats, failures) apply to: messages to a chat.
LIMITED_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
BLOCKED_DESCRIPTION = "Forbidden: bot was blocked by the user"


@dataclass(frozen=True)
class Delivery:
    """One message the fake accepted (Telegram delivered it)."""

    chat_id: int
    message_id: int
    method: str
    text: str  # the text or the caption
    at: float  # time.monotonic() when it was accepted
    paid: bool  # sent with allow_paid_broadcast


def decode_value(name: str, raw: str) -> Any:
    """One form field as the Bot API reads it.

    python-telegram-bot sends strings as they are and JSON-encodes everything else (keyboards,
    lists, numbers). Objects and arrays are decoded; a few id/number parameters become ints;
    anything else, ``text`` that looks like a number included, stays the string it was.
    """
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(value, dict | list):
        return value
    if name in INT_PARAMS and isinstance(value, int) and not isinstance(value, bool):
        return value
    return raw


def decode_body(content_type: str, body: bytes, query: str = "") -> JSON:
    """The parameters of one request (query string, then the body)."""
    params: JSON = {name: decode_value(name, value) for name, value in parse_qsl(query)}
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return params
    if media_type == "application/json":
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("a JSON body must be an object")
        params.update(data)
    elif media_type == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        if not message.is_multipart():
            raise ValueError("malformed multipart body")
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            decoded = part.get_payload(decode=True)
            payload = decoded if isinstance(decoded, bytes) else b""
            filename = part.get_filename()
            if filename is not None:
                # like StubRequest: the (first) file's name and bytes
                params.setdefault("_filename", filename)
                params.setdefault("_bytes", payload)
                continue
            charset = part.get_content_charset() or "utf-8"
            params[str(name)] = decode_value(str(name), payload.decode(charset))
    else:  # application/x-www-form-urlencoded, what httpx sends without files
        text = body.decode("utf-8")
        for name, value in parse_qsl(text, keep_blank_values=True):
            params[name] = decode_value(name, value)
    return params


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # long polls end on their own (bounded); do not join them
    fake: FakeBotAPI

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the bot closed the connection or was killed: expected in these tests
        super().handle_error(request, client_address)


def _client_gone(sock: socket.socket) -> bool:
    """Has the client closed the connection? (It sends nothing while it waits for an answer.)"""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects from Telegram
    timeout = 60  # an idle keep-alive connection is dropped after this
    wbufsize = -1  # an answer leaves in one write (flushed in _reply), not headers then body
    server: _Server

    def setup(self) -> None:
        super().setup()
        # no Nagle: small answers go at once (else ~40 ms each with delayed ACKs)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        return None  # quiet: the URL contains the token

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _reply(self, status: int, body: JSON) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the bot went away (killed) while we were answering
            self.close_connection = True

    def _serve(self) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the bot died (kill -9) while sending: Telegram got no request
            self.close_connection = True
            return
        prefix, _, method = url.path.rpartition("/")
        if not prefix.startswith("/bot") or not method:
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        if prefix[len("/bot") :] != fake.token:
            self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        try:
            params = decode_body(self.headers.get("Content-Type", ""), body, url.query)
        except (ValueError, UnicodeDecodeError) as exc:
            self._reply(400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"})
            return
        fake._arrived(method, params)
        if method == "getUpdates" and not fake._long_poll(
            params, lambda: _client_gone(self.connection)
        ):
            self.close_connection = True  # nobody is waiting for the answer any more
            return
        delay = fake.delays.get(method)
        if delay:
            time.sleep(min(delay, MAX_LONG_POLL))  # a slow network or a slow Telegram
        refusal = fake._refuse(method, params)
        if refusal is not None:
            self._reply(*refusal)
            return
        status, answer = fake.stub.handle(method, params)
        if status == 200 and method in LIMITED_METHODS:
            fake._delivered(method, params, answer["result"])
        self._reply(status, answer)


class FakeBotAPI:
    """``BotAPIStub`` served over HTTP: ``url`` is what ``TELEGRAM_API_URL`` should be."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        stub: BotAPIStub | None = None,
        *,
        limit: float | None = None,
        blocked: Iterable[int] = (),
        fail_rate: float = 0.0,
        seed: int = 0,
        retry_after: int | None = None,
    ) -> None:
        """``limit``: messages per second, all chats together (None: no limit); ``blocked``:
        chat ids answered 403; ``fail_rate``: the share of sends answered 502 (before they are
        delivered), drawn from ``random.Random(seed)``; ``retry_after``: the seconds a 429
        asks to wait (None: until the window has room, rounded up to whole seconds)."""
        self.token = token
        self.stub = stub or BotAPIStub()
        self._changed = threading.Condition()  # an update arrived, or the bot called something
        self._stopping = False
        self.received: list[tuple[str, JSON]] = []  # (method, params) as requests arrive
        self.delays: dict[str, float] = {}  # method -> seconds to wait before answering
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.stub.update_listeners.append(self._notify)
        self.stub.listeners.append(self._on_call)
        # announcements: Telegram's limits and failures, and what was delivered
        self.limit = limit
        self.blocked: set[int] = set(blocked)
        self.fail_rate = fail_rate
        self.rng = random.Random(seed)
        self.retry_after = retry_after
        self.deliveries: dict[int, list[Delivery]] = {}  # chat id -> accepted messages
        self.refused: Counter[int] = Counter()  # HTTP status -> how many sends got it
        self._window: deque[float] = deque()  # when the messages of the last second went
        self._sending = threading.Lock()

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> FakeBotAPI:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._stopping = False
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The Bot API base URL (the token and the method are appended by the client)."""
        return f"http://127.0.0.1:{self.port}/bot"

    # --- announcements: limits, failures, deliveries ---------------------------------------

    def _refuse(self, method: str, params: JSON) -> tuple[int, JSON] | None:
        """The error Telegram would answer this send with instead of delivering it, if any.
        Only delivered messages count against ``limit``."""
        if method not in LIMITED_METHODS:
            return None
        try:
            chat_id = int(str(params.get("chat_id")))
        except (TypeError, ValueError):
            return None
        with self._sending:
            now = time.monotonic()
            if self.limit is not None:
                while self._window and self._window[0] <= now - 1.0:
                    self._window.popleft()
                if len(self._window) >= self.limit:
                    wait = self.retry_after or max(1, math.ceil(self._window[0] + 1.0 - now))
                    self.refused[429] += 1
                    return 429, {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {wait}",
                        "parameters": {"retry_after": wait},
                    }
            if chat_id in self.blocked:
                self.refused[403] += 1
                return 403, {"ok": False, "error_code": 403, "description": BLOCKED_DESCRIPTION}
            if self.fail_rate and self.rng.random() < self.fail_rate:
                self.refused[502] += 1
                return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
            if self.limit is not None:
                self._window.append(now)  # the slot is taken before the stub answers
        return None

    def _delivered(self, method: str, params: JSON, result: JSON) -> None:
        delivery = Delivery(
            chat_id=int(result["chat"]["id"]),
            message_id=int(result["message_id"]),
            method=method,
            text=str(params.get("text") or params.get("caption") or ""),
            at=time.monotonic(),
            paid=str(params.get("allow_paid_broadcast", "")).lower() == "true",
        )
        with self._sending:
            self.deliveries.setdefault(delivery.chat_id, []).append(delivery)

    def delivered(self, text: str | None = None) -> dict[int, list[Delivery]]:
        """Accepted messages per chat (only those whose text contains ``text``, if given)."""
        with self._sending:
            found = {
                chat: [d for d in items if text is None or text in d.text]
                for chat, items in self.deliveries.items()
            }
        return {chat: items for chat, items in found.items() if items}

    # --- waiting ---------------------------------------------------------------------------

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def _on_call(self, method: str, params: JSON, result: JSON) -> None:
        self._notify()

    def _arrived(self, method: str, params: JSON) -> None:
        with self._changed:
            self.received.append((method, params))
            self._changed.notify_all()

    def _long_poll(self, params: JSON, client_gone: Callable[[], bool]) -> bool:
        """Hold a ``getUpdates`` until an update at or above ``offset`` is pending, or for its
        ``timeout``. False when the client went away meanwhile (a killed bot): then the request
        must not be answered, so that it does not confirm anything again."""
        try:
            timeout = min(float(params.get("timeout") or 0), MAX_LONG_POLL)
        except (TypeError, ValueError):
            timeout = 0.0
        offset = params.get("offset")
        floor = offset if isinstance(offset, int) and offset > 0 else None
        self.stub.pending_updates(offset)  # Telegram confirms when the request arrives
        deadline = time.monotonic() + timeout
        with self._changed:
            # checked under the condition: a push notifies only after it appended the update
            while not self._stopping:
                if client_gone():
                    return False
                with self.stub._lock:
                    if any(floor is None or u["update_id"] >= floor for u in self.stub._updates):
                        break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(min(remaining, 0.1))
        return True

    def wait_until(self, predicate: Callable[[], Any], timeout: float = 10, what: str = "") -> Any:
        """Wait until ``predicate()`` is truthy (re-checked whenever the bot calls the API or an
        update is queued); return its value, or fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {what or predicate}"
                    )
                self._changed.wait(min(remaining, 0.1))

    def mark(self) -> int:
        """A position in the call log, for ``since=`` arguments."""
        with self.stub._lock:
            return len(self.stub.calls)

    def calls(self, method: str | None = None, since: int = 0) -> list[ApiCall]:
        with self.stub._lock:
            calls = list(self.stub.calls[since:])
        return [c for c in calls if method is None or c.method == method]

    def received_mark(self) -> int:
        """A position in the log of requests as they arrive, for ``wait_for_request``."""
        with self._changed:
            return len(self.received)

    def wait_for_request(self, method: str, timeout: float = 10, since: int = 0) -> JSON:
        """Wait until a ``method`` request *arrives* (a long poll is logged in ``calls`` only
        when it is answered); returns its parameters."""

        def arrived() -> tuple[JSON] | None:  # a tuple: truthy even for empty parameters
            return next(((p,) for m, p in self.received[since:] if m == method), None)

        return dict(self.wait_until(arrived, timeout, what=f"a {method} request")[0])

    def wait_for_call(self, method: str, timeout: float = 10, since: int = 0) -> ApiCall:
        """Wait until the fake has answered a ``method`` call (see ``calls``)."""
        calls: list[ApiCall] = self.wait_until(
            lambda: self.calls(method, since), timeout, what=f"a {method} call"
        )
        return calls[0]

    def texts(self, chat_id: int, since: int = 0) -> list[str]:
        """What the bot sent to (or edited in) ``chat_id``, in order."""
        return [
            str(call.params.get("text") or call.params.get("caption") or "")
            for call in self.calls(since=since)
            if call.method in ("sendMessage", "editMessageText", "sendDocument", "sendPhoto")
            and str(call.params.get("chat_id")) == str(chat_id)
            and isinstance(call.result, dict)
        ]

    def wait_for_text(
        self, chat_id: int, match: TextMatch, timeout: float = 10, since: int = 0
    ) -> str:
        """Wait until the bot has sent ``chat_id`` a text containing ``match`` (a substring) or
        satisfying it (a predicate); returns that text."""

        def test(text: str) -> bool:
            return match in text if isinstance(match, str) else bool(match(text))

        def found() -> str | None:
            return next((text for text in self.texts(chat_id, since) if test(text)), None)

        return str(self.wait_until(found, timeout, what=f"a text matching {match!r}"))

    def wait_confirmed(self, update_id: int, timeout: float = 10) -> None:
        """Wait until the bot confirmed ``update_id`` (asked for updates above it)."""

        def confirmed() -> bool:
            # getUpdates drops what its offset confirms as soon as the request arrives
            with self.stub._lock:
                return all(u["update_id"] != update_id for u in self.stub._updates)

        self.wait_until(confirmed, timeout, what=f"confirmation of update {update_id}")

    # --- people's side -----------------------------------------------------------------------

    def say(self, user: StubUser, text: str, **kwargs: Any) -> JSON:
        return self.stub.user_message(user, text, **kwargs)

    def latest_with_button(self, chat_id: int, data: str) -> JSON:
        """The latest bot message in ``chat_id`` whose inline keyboard has ``data``."""
        with self.stub._lock:
            items = sorted(self.stub.messages.items(), key=lambda kv: kv[0][1], reverse=True)
        for (chat, _), message in items:
            if chat != chat_id or not message.get("from", {}).get("is_bot"):
                continue
            markup = message.get("reply_markup") or {}
            rows = (markup.get("inline_keyboard") or []) if isinstance(markup, dict) else []
            if any(b.get("callback_data") == data for row in rows for b in row):
                return message
        raise AssertionError(f"no bot message in chat {chat_id} with a button {data!r}")

    def press_latest(self, user: StubUser, data: str, *, chat_id: int | None = None) -> JSON:
        """Press the button ``data`` on the latest bot message that has it (returns the update)."""
        message = self.latest_with_button(user.id if chat_id is None else chat_id, data)
        return self.stub.user_press(user, message, data)

    def redeliver(self, update: JSON) -> None:
        """Hand ``update`` out again with the same ``update_id``, as Telegram does when the bot
        died before confirming it."""
        with self.stub._lock:
            pending = self.stub._updates
            if all(u["update_id"] != update["update_id"] for u in pending):
                ids = [u["update_id"] for u in pending]
                pending.insert(bisect.bisect(ids, update["update_id"]), update)
        for listener in list(self.stub.update_listeners):
            listener()
