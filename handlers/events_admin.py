"""(being written)"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler

from bot.services.container import Services
from bot.tg.context import BotContext


def handlers(services: Services) -> list[BaseHandler[Update, BotContext, object]]:
    """Handlers registered by ``bot.app`` (in the order returned)."""
    return []
