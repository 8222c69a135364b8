"""Adapters between the Telegram framework and the services (the only part of ``bot`` that
imports ``telegram``, together with ``bot.app`` and ``handlers``)."""
