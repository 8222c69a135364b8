"""Office review of initiatives (``/review``) and the person's own list (``/my_initiatives``)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler

from bot.services.container import Services
from bot.tg.context import BotContext


def handlers(services: Services) -> list[BaseHandler[Update, BotContext, object]]:
    """Single-step handlers (commands and buttons), registered by ``bot.app``."""
    return []
