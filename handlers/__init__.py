"""Thin Telegram handlers, one module per flow. Registration order lives in ``bot.app``."""
