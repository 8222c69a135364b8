"""Typed context: ``context.services``, ``context.locale`` and ``context.t(...)``."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext
from telegram.request import BaseRequest

from bot.domain.models import User
from bot.services.container import Services
from bot.tg.broadcaster import Broadcaster
from bot.tg.replybot import ReplyBot
from bot.tg.throttle import ErrorReporter


class ThiduaApplication(Application[Any, Any, Any, Any, Any, Any]):
    """The framework's Application with the bot's services attached as a typed attribute."""

    def __init__(self, *, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services
        self.error_reporter = ErrorReporter()
        # Announcements (bot.tg.broadcaster): the HTTP request of their own Bot, without the
        # rate limiter (set by build_application), and the running worker (set in post_init;
        # handlers call ``broadcaster.wake()`` after queueing or cancelling a broadcast).
        self.broadcast_request: BaseRequest | None = None
        self.broadcaster: Broadcaster | None = None


class BotContext(CallbackContext[ReplyBot, dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """One context per update, shared by the handlers of every group."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.user: User | None = None
        self._locale: str | None = None
        # What a data filter picked for the handler (a typed button: its callback data).
        self.picked: list[str] = []

    @property
    def services(self) -> Services:
        app = self.application
        assert isinstance(app, ThiduaApplication)
        return app.services

    @property
    def locale(self) -> str:
        return self._locale or self.services.settings.default_language

    @locale.setter
    def locale(self, value: str) -> None:
        self._locale = value

    def t(self, key: str, /, **params: object) -> str:
        """The message ``key`` in this person's language, parameters HTML-escaped."""
        return self.services.translator(self.locale, key, **params)

    def labels(self, key: str) -> list[str]:
        """The text of ``key`` in every language: what a person may type instead of a button."""
        return self.services.translator.all(key)

    @property
    def user_id(self) -> int:
        assert self._user_id is not None
        return self._user_id

    @classmethod
    def key_of(cls, update: Update) -> tuple[int, int]:
        """The conversation key the framework uses (per chat and per user)."""
        assert update.effective_chat is not None and update.effective_user is not None
        return (update.effective_chat.id, update.effective_user.id)
