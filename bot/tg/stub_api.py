"""A local stand-in for the Telegram Bot API: the subset of methods the bot uses, in memory.

Pure and thread-safe. Three adapters share it:

* :class:`bot.tg.stub_request.StubRequest` answers the bot in-process (terminal chat, tests);
* ``tests/fake_api_server.py`` serves it over HTTP on 127.0.0.1 for end-to-end tests;
* the terminal chat renders what the bot sends and turns typed lines into updates.

Updates people "send" are queued here and handed out by ``getUpdates`` with Telegram's offset
semantics: an update is forgotten once a later call confirms it with a higher offset.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.domain import telegram_html

JSON = dict[str, Any]
Outgoing = Callable[[str, JSON, JSON], None]  # (method, params, result)

_SEND_METHODS = {
    "sendMessage": "text",
    "sendDocument": "document",
    "sendPhoto": "photo",
    "sendAudio": "audio",
    "sendVideo": "video",
    "sendVoice": "voice",
    "sendAnimation": "animation",
    "sendSticker": "sticker",
    "sendLocation": "location",
}
_TRUE_METHODS = {
    "deleteWebhook",
    "setWebhook",
    "setMyCommands",
    "deleteMyCommands",
    "setChatMenuButton",
    "sendChatAction",
    "answerCallbackQuery",
    "setMyDescription",
    "setMyShortDescription",
    "setMyName",
    "deleteMessage",
    "close",
    "logOut",
    "pinChatMessage",
    "unpinChatMessage",
}


@dataclass
class StubUser:
    id: int
    first_name: str = "Người dùng"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "vi"

    def as_json(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for name in ("last_name", "username", "language_code"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data


@dataclass
class ApiCall:
    method: str
    params: JSON
    result: Any
    at: float = field(default_factory=time.time)


class BotAPIStub:
    def __init__(
        self,
        bot_id: int = 7_000_000_001,
        username: str = "thidua_local_bot",
        first_name: str = "Thi đua (máy cục bộ)",
    ) -> None:
        self.bot = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._lock = threading.RLock()
        self._updates: list[JSON] = []
        self._next_update_id = int(time.time() * 1000)  # grows across restarts of the stub
        self._message_ids: dict[int, itertools.count[int]] = {}
        self.messages: dict[tuple[int, int], JSON] = {}  # (chat_id, message_id) -> message
        self.calls: list[ApiCall] = []
        self.listeners: list[Outgoing] = []
        self.update_listeners: list[Callable[[], None]] = []
        # Errors to return for the next calls of a method: method -> [(status, description)]
        self.failures: dict[str, list[tuple[int, str, JSON | None]]] = {}
        # The same, for the next calls addressed to one chat (any method): chat_id -> [...]
        self.chat_failures: dict[int, list[tuple[int, str, JSON | None]]] = {}
        self.webhook: JSON | None = None
        self.files: dict[str, bytes] = {}  # file_path -> bytes, for getFile and downloads
        # Messages refused for their content, as Telegram would (bad HTML, too long...)
        self.refused: list[ApiCall] = []

    # --- people's side --------------------------------------------------------------------

    def _chat_of(self, user: StubUser, chat_id: int | None) -> JSON:
        if chat_id is None or chat_id == user.id:
            chat: JSON = {"id": user.id, "type": "private", "first_name": user.first_name}
            if user.username:
                chat["username"] = user.username
            return chat
        return {"id": chat_id, "type": "supergroup", "title": "Nhóm"}

    def _push(self, payload: JSON) -> JSON:
        with self._lock:
            self._next_update_id += 1
            update = {"update_id": self._next_update_id, **payload}
            self._updates.append(update)
        for listener in list(self.update_listeners):
            listener()
        return update

    def new_message_id(self, chat_id: int) -> int:
        with self._lock:
            counter = self._message_ids.setdefault(chat_id, itertools.count(1))
            return next(counter)

    def user_message(
        self,
        user: StubUser,
        text: str | None = None,
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
        extra: JSON | None = None,
    ) -> JSON:
        """Queue a message from ``user``; a leading ``/command`` gets its entity."""
        chat = self._chat_of(user, chat_id)
        message: JSON = {
            "message_id": self.new_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": user.as_json(),
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                length = len(text.split(maxsplit=1)[0])
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to is not None:
            original = self.messages.get((chat["id"], reply_to))
            if original:
                message["reply_to_message"] = original
        if extra:
            message.update(extra)
        with self._lock:
            self.messages[(chat["id"], message["message_id"])] = message
        return self._push({"message": message})

    def user_document(
        self,
        user: StubUser,
        filename: str,
        data: bytes,
        caption: str | None = None,
        mime_type: str = "application/octet-stream",
    ) -> JSON:
        """Queue a file sent by ``user`` (a caption starting with a command gets its entity)."""
        with self._lock:
            file_id = f"doc-{len(self.files) + 1}"
            self.files[f"documents/{file_id}"] = data
        extra: JSON = {
            "document": {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_name": filename,
                "mime_type": mime_type,
                "file_size": len(data),
            }
        }
        if caption:
            extra["caption"] = caption
            if caption.startswith("/"):
                length = len(caption.split(maxsplit=1)[0])
                extra["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.user_message(user, None, extra=extra)

    def user_press(self, user: StubUser, message: JSON, data: str) -> JSON:
        """Queue a button press on ``message`` (one the bot sent)."""
        with self._lock:
            query_id = str(self._next_update_id + 1)
        return self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.as_json(),
                    "message": message,
                    "chat_instance": str(message["chat"]["id"]),
                    "data": data,
                }
            }
        )

    def pending_updates(self, offset: int | None, limit: int = 100) -> list[JSON]:
        """``getUpdates`` without waiting: confirms everything below ``offset``."""
        with self._lock:
            if offset is not None:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            return list(self._updates[:limit])

    # --- the bot's side -------------------------------------------------------------------

    def handle(self, method: str, params: JSON) -> tuple[int, JSON]:
        """Answer one Bot API call: (HTTP status, JSON body)."""
        with self._lock:
            queued = self.failures.get(method)
            chat = str(params.get("chat_id", ""))
            if not queued and chat.lstrip("-").isdigit():
                queued = self.chat_failures.get(int(chat))
            if queued:
                status, description, extra = queued.pop(0)
                body: JSON = {"ok": False, "error_code": status, "description": description}
                if extra:
                    body["parameters"] = extra
                self.calls.append(ApiCall(method, params, body))
                return status, body
        try:
            result = self._result(method, params)
        except LookupError as exc:
            body = {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
            with self._lock:
                self.calls.append(ApiCall(method, params, body))
                if isinstance(exc, Refused):
                    self.refused.append(self.calls[-1])
            return 400, body
        with self._lock:
            self.calls.append(ApiCall(method, params, result))
        if method != "getUpdates":
            for listener in list(self.listeners):
                listener(method, params, result)
        return 200, {"ok": True, "result": result}

    def _bot_message(self, chat_id: int, params: JSON) -> JSON:
        chat_type = "private" if chat_id > 0 else "supergroup"
        message: JSON = {
            "message_id": self.new_message_id(chat_id),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type},
            "from": self.bot,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _result(self, method: str, params: JSON) -> Any:
        if method == "getMe":
            return self.bot
        if method == "getUpdates":
            return self.pending_updates(params.get("offset"), int(params.get("limit", 100)))
        if method in _TRUE_METHODS:
            if method == "setWebhook":
                self.webhook = params
            return True
        if method == "getMyCommands":
            return []
        if method == "getFile":
            path = f"documents/{params['file_id']}"
            if path not in self.files:
                raise LookupError("wrong file_id or the file is temporarily unavailable")
            return {
                "file_id": params["file_id"],
                "file_unique_id": f"u-{params['file_id']}",
                "file_size": len(self.files[path]),
                "file_path": path,
            }
        if method == "getWebhookInfo":
            return {
                "url": (self.webhook or {}).get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
        if method in _SEND_METHODS or method.startswith("editMessage"):
            _check_message(method, params)
        if method in _SEND_METHODS:
            chat_id = int(params["chat_id"])
            message = self._bot_message(chat_id, params)
            kind = _SEND_METHODS[method]
            if kind == "text":
                message["text"] = params.get("text", "")
            else:
                name = params.get("_filename") or "file"
                file_json = {
                    "file_id": f"stub-{message['message_id']}",
                    "file_name": name,
                    "file_unique_id": f"u{message['message_id']}",
                }
                if kind == "photo":  # a PhotoSize has no name, and has a size
                    del file_json["file_name"]
                    file_json.update(width=512, height=512)
                    message[kind] = [file_json]
                else:
                    message[kind] = file_json
                if params.get("caption"):
                    message["caption"] = params["caption"]
            with self._lock:
                self.messages[(chat_id, message["message_id"])] = message
            return message
        if method in ("editMessageText", "editMessageReplyMarkup", "editMessageCaption"):
            key = (int(params["chat_id"]), int(params["message_id"]))
            with self._lock:
                if key not in self.messages:
                    raise LookupError("message to edit not found")
                message = dict(self.messages[key])
                if method == "editMessageText":
                    message["text"] = params.get("text", "")
                if method == "editMessageCaption":
                    message["caption"] = params.get("caption", "")
                if params.get("reply_markup"):
                    message["reply_markup"] = params["reply_markup"]
                else:
                    message.pop("reply_markup", None)
                message["edit_date"] = int(time.time())
                self.messages[key] = message
            return message
        raise LookupError(f"method {method} is not supported by the local stand-in")

    # --- inspection helpers ---------------------------------------------------------------

    def sent(self, chat_id: int | None = None, method: str | None = None) -> list[ApiCall]:
        with self._lock:
            return [
                call
                for call in self.calls
                if (method is None or call.method == method)
                and call.method not in ("getUpdates", "getMe")
                and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
            ]

    def texts(self, chat_id: int) -> list[str]:
        return [
            str(call.params.get("text") or call.params.get("caption") or "")
            for call in self.sent(chat_id)
            if call.method in ("sendMessage", "editMessageText", "sendDocument", "sendPhoto")
            and isinstance(call.result, dict)
        ]


class Refused(LookupError):
    """A message Telegram would refuse for its content (answered 400, kept in ``refused``)."""


def _check_message(method: str, params: JSON) -> None:
    """Refuse what Telegram refuses: HTML it cannot parse, text over its limits, a keyboard
    with bad buttons (a 400 with Telegram's description)."""
    html = str(params.get("parse_mode") or "").upper() == "HTML"
    try:
        if method in ("sendMessage", "editMessageText"):
            telegram_html.check_text(str(params.get("text") or ""), html=html)
        elif params.get("caption") is not None:
            telegram_html.check_caption(str(params["caption"]), html=html)
        telegram_html.check_keyboard(params.get("reply_markup"))
    except ValueError as exc:
        raise Refused(str(exc)) from None
