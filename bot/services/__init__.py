"""Use cases as plain async Python over ``storage`` (no Telegram imports)."""
