"""Domain models."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

LANGUAGES = ("vi", "en")


class Role(StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"  # reviews initiatives (the office's council)
    CHECKER = "checker"  # checks delegates in at the conference door
    STAFF = "staff"  # everyone who is not something more

    @classmethod
    def grantable(cls) -> tuple[Role, ...]:
        return (cls.ADMIN, cls.REVIEWER, cls.CHECKER)


class Profile(BaseModel):
    model_config = ConfigDict(frozen=True)

    full_name: str | None = None
    unit: str | None = None
    position: str | None = None
    phone: str | None = None


class User(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: int
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    tg_language: str | None = None
    language: str | None = None
    profile: Profile = Profile()
    registered_at: datetime | None = None
    roles: frozenset[str] = frozenset()
    is_admin: bool = False
    muted: bool = False  # ordinary announcements off
    review_notices: bool = True  # a reviewer: a notice of each new application
    unreachable: bool = False  # blocked the bot: no announcement is sent

    @property
    def is_reviewer(self) -> bool:
        """May review initiatives: admins and people granted the reviewer role."""
        return self.is_admin or Role.REVIEWER.value in self.roles

    @property
    def is_checker(self) -> bool:
        """May check delegates in: admins and people granted the checker role."""
        return self.is_admin or Role.CHECKER.value in self.roles

    @property
    def registered(self) -> bool:
        return self.registered_at is not None

    def locale(self, default: str) -> str:
        return resolve_locale(self.language, self.tg_language, default)

    @property
    def display_name(self) -> str:
        if self.profile.full_name:
            return self.profile.full_name
        names = " ".join(n for n in (self.first_name, self.last_name) if n)
        return names or (f"@{self.username}" if self.username else str(self.user_id))


def resolve_locale(stored: str | None, telegram_code: str | None, default: str) -> str:
    """Stored preference, else Telegram's ``language_code``, else the default (Vietnamese)."""
    if stored in LANGUAGES:
        return stored
    if telegram_code:
        base = telegram_code.split("-")[0].split("_")[0].lower()
        if base in LANGUAGES:
            return base
    return default if default in LANGUAGES else "vi"
