"""Framework-free domain: models, parsing and validation rules (no Telegram, no SQL)."""
