"""Typed configuration read from the environment and an optional ``.env`` file.

Settings are built once, in the entrypoint (:func:`load_settings`), and passed down explicitly:
there is no module-level singleton.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

OFFICIAL_API_URL = "https://api.telegram.org/bot"

# What each variable expects, in words, for the one-line error message.
EXPECTED: dict[str, str] = {
    "TELEGRAM_BOT_TOKEN": "the token BotFather gave you, like 123456:ABC-DEF...",
    "TELEGRAM_API_URL": "a Bot API base URL such as http://127.0.0.1:8081/bot",
    "DATABASE_PATH": "a file path such as data/thidua.sqlite3",
    "ADMIN_IDS": "comma-separated Telegram user ids, e.g. 12345,67890",
    "OFFICE_CHAT_ID": "a Telegram chat id (an integer, negative for groups)",
    "DEFAULT_LANGUAGE": "vi or en",
    "TIMEZONE": "an IANA time zone such as Asia/Ho_Chi_Minh",
    "LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR",
    "WEBHOOK_URL": "the public https URL Telegram posts updates to",
    "WEBHOOK_SECRET": "1-256 characters from A-Z, a-z, 0-9, _ and -",
    "WEBHOOK_LISTEN": "the address to listen on, e.g. 0.0.0.0",
    "WEBHOOK_PORT": "a port number from 1 to 65535",
    "UNITS_FILE": "a path to a TOML file with the list of units",
    "INITIATIVE_FORM_FILE": "a path to a TOML file defining the initiative form",
    "BROADCAST_RATE": "messages per second for announcements (above 30 only with BROADCAST_PAID)",
    "BROADCAST_PAID": "true or false",
    "DOCUMENT_WORKERS": "a number of helper processes from 0 to 8 (0: render in a thread)",
}


class ConfigError(Exception):
    """A setting has a bad value; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = OFFICIAL_API_URL
    database_path: Path = Path("data/thidua.sqlite3")
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    office_chat_id: int | None = None
    default_language: Literal["vi", "en"] = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"  # a server listens on all interfaces
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    units_file: Path | None = None
    initiative_form_file: Path | None = None
    broadcast_rate: float = Field(default=25.0, gt=0, le=1000)
    broadcast_paid: bool = False
    document_workers: int = Field(default=1, ge=0, le=8)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, values: object) -> object:
        """``NAME=`` (as in .env.example) means "not set": the default applies."""
        if isinstance(values, dict):
            return {k: v for k, v in values.items() if not (isinstance(v, str) and not v.strip())}
        return values

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        bot_id, sep, secret = value.get_secret_value().strip().partition(":")
        if not (sep and bot_id.isdigit() and len(secret) >= 10 and " " not in secret):
            raise ValueError("bad token")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("telegram_api_url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("bad url")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            return frozenset(int(p) for p in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("default_language", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _tz_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        raw = value.get_secret_value()
        if not (1 <= len(raw) <= 256) or not all(c.isalnum() or c in "_-" for c in raw):
            raise ValueError("bad secret")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("bad url")
        return value

    @model_validator(mode="after")
    def _paid_above_30(self) -> Settings:
        if self.broadcast_rate > 30 and not self.broadcast_paid:
            raise ValueError("BROADCAST_RATE above 30 needs BROADCAST_PAID=true")
        return self

    @model_validator(mode="after")
    def _webhook_needs_token(self) -> Settings:
        if self.webhook_url and self.telegram_bot_token is None:
            raise ValueError("WEBHOOK_URL needs TELEGRAM_BOT_TOKEN")
        return self

    # Derived values ---------------------------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def base_file_url(self) -> str:
        """``https://api.telegram.org/file/bot`` for ``https://api.telegram.org/bot``."""
        root, _, tail = self.telegram_api_url.rstrip("/").rpartition("/")
        return f"{root}/file/{tail}"

    @property
    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None


def load_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Build the settings, turning a validation error into a one-line :class:`ConfigError`."""
    try:
        return Settings(_env_file=env_file, **overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = error.get("loc") or ()
        field = str(loc[0]) if loc else ""
        if not field and "WEBHOOK_URL" in str(error.get("msg", "")):
            field = "webhook_url"
            return _raise(field, "set TELEGRAM_BOT_TOKEN as well (webhook mode needs a token)")
        if not field and "BROADCAST_PAID" in str(error.get("msg", "")):
            return _raise("broadcast_rate", "at most 30 unless BROADCAST_PAID=true")
        return _raise(field, EXPECTED.get(field.upper(), "a valid value"))


def _raise(field: str, expected: str) -> Settings:
    raise ConfigError(f"Configuration error: {field.upper()} is invalid; expected {expected}.")
