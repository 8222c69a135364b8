"""People: first contact, language, roles, consent and the right to be forgotten."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.models import LANGUAGES, Profile, Role, User
from bot.domain.profile import bare_name
from bot.domain.text import as_id, fold
from bot.services.flows import KEEP, FlowService, StepRef
from storage import Database
from storage import users as user_sql

CONSENT_NOTICE_VERSION = "nd13-2023-v1"


class UnknownUserError(LookupError):
    pass


def _to_user(row: dict[str, Any], roles: set[str], config_admins: frozenset[int]) -> User:
    registered = row.get("registered_at")
    is_admin = row["user_id"] in config_admins or Role.ADMIN in roles
    return User(
        user_id=row["user_id"],
        first_name=row.get("first_name"),
        last_name=row.get("last_name"),
        username=row.get("username"),
        tg_language=row.get("tg_language"),
        language=row.get("language"),
        profile=Profile(
            full_name=row.get("full_name"),
            unit=row.get("unit"),
            position=row.get("position"),
            phone=row.get("phone"),
        ),
        registered_at=datetime.fromisoformat(registered) if registered else None,
        roles=frozenset(roles | ({Role.ADMIN.value} if is_admin else set())),
        is_admin=is_admin,
        muted=bool(row.get("muted")),
        review_notices=bool(row.get("review_notices", 1)),
        unreachable=bool(row.get("unreachable_at")),
    )


class UserService:
    """People, cached in memory.

    Every write reads the person back inside its own transaction and caches that; a read that
    misses the cache caches its result only if no write for that person happened meanwhile.
    """

    def __init__(self, db: Database, flows: FlowService, config_admins: Iterable[int]) -> None:
        self.db = db
        self.flows = flows
        self.config_admins = frozenset(config_admins)
        self._cache: dict[int, User] = {}
        self._writes: dict[int, int] = {}  # write count per person, to detect racing reads

    async def _read(self, conn: aiosqlite.Connection, user_id: int) -> User | None:
        row = await user_sql.get(conn, user_id)
        if row is None:
            return None
        return _to_user(row, await user_sql.roles(conn, user_id), self.config_admins)

    def _store(self, user_id: int, user: User | None) -> None:
        self._writes[user_id] = self._writes.get(user_id, 0) + 1
        if user is None:
            self._cache.pop(user_id, None)
        else:
            self._cache[user_id] = user

    async def refresh(self, conn: aiosqlite.Connection, user_id: int) -> User | None:
        """Read a person back inside a write transaction; cache it once that commits (callers
        pass the result to :meth:`remember`)."""
        return await self._read(conn, user_id)

    def remember(self, user_id: int, user: User | None) -> None:
        self._store(user_id, user)

    async def get(self, user_id: int) -> User | None:
        cached = self._cache.get(user_id)
        if cached is not None:
            return cached
        writes = self._writes.get(user_id, 0)
        async with self.db.lookup() as conn:
            user = await self._read(conn, user_id)
        if user is not None and self._writes.get(user_id, 0) == writes:
            self._cache[user_id] = user
        return user

    async def require(self, user_id: int) -> User:
        user = await self.get(user_id)
        if user is None:
            raise UnknownUserError(user_id)
        return user

    async def seen(
        self,
        user_id: int,
        first_name: str | None,
        last_name: str | None,
        username: str | None,
        tg_language: str | None,
    ) -> User:
        """Record a person on first contact, or refresh their Telegram names when they change."""
        user = await self.get(user_id)
        if (
            user is not None
            and not user.unreachable
            and (
                user.first_name,
                user.last_name,
                user.username,
                user.tg_language,
            )
            == (first_name, last_name, username, tg_language)
        ):
            return user
        async with self.db.transaction() as conn:
            await user_sql.upsert_contact(
                conn, user_id, first_name, last_name, username, tg_language
            )
            user = await self._read(conn, user_id)
        self._store(user_id, user)
        assert user is not None
        return user

    async def set_language(
        self,
        ref: StepRef,
        conversation: str,
        user_id: int,
        language: str,
        state: object | None = KEEP,
    ) -> User:
        """Store the person's language as a flow step (``state`` is the conversation's next)."""
        if language not in LANGUAGES:
            raise ValueError(language)
        async with self.flows.step(ref, conversation, state) as step:
            await user_sql.set_language(step.conn, user_id, language)
            user = await self._read(step.conn, user_id)
        self._store(user_id, user)
        if user is None:
            raise UnknownUserError(user_id)
        return user

    async def find(self, reference: str) -> User | None:
        """A person by numeric id or ``@username``."""
        reference = reference.strip()
        if reference.lstrip("-").isdigit():
            ident = as_id(reference.lstrip("-"))
            if ident is None:
                return None
            return await self.get(-ident if reference.startswith("-") else ident)
        async with self.db.read() as conn:
            row = await user_sql.find_by_username(conn, reference.lstrip("@"))
        return await self.get(int(row["user_id"])) if row else None

    async def find_by_name(self, name: str) -> list[User]:
        """The registered people whose full name is ``name`` (accents, case, spacing and the
        titles in front aside: «Nguyễn Văn An» finds «KS. Nguyễn Văn An»): none, one, or
        several namesakes."""
        wanted = fold(bare_name(name))
        if not wanted:
            return []
        async with self.db.read() as conn:
            rows = await user_sql.registered_names(conn)
        found = [
            await self.get(uid) for uid, full_name in rows if fold(bare_name(full_name)) == wanted
        ]
        return [user for user in found if user is not None]

    async def known(self, user_ids: Sequence[int]) -> set[int]:
        """Which of ``user_ids`` have written to the bot (the others cannot be messaged)."""
        async with self.db.read() as conn:
            return await user_sql.known(conn, user_ids)

    async def grant(self, actor_id: int, target_id: int, role: Role) -> bool:
        async with self.db.transaction() as conn:
            changed = await user_sql.grant(conn, target_id, role.value, actor_id)
            user = await self._read(conn, target_id)
        self._store(target_id, user)
        return changed

    async def revoke(self, target_id: int, role: Role) -> bool:
        async with self.db.transaction() as conn:
            changed = await user_sql.revoke(conn, target_id, role.value)
            user = await self._read(conn, target_id)
        self._store(target_id, user)
        return changed

    async def admin_ids(self) -> list[int]:
        async with self.db.read() as conn:
            granted = await user_sql.users_with_role(conn, Role.ADMIN.value)
        return sorted(self.config_admins | set(granted))

    async def reviewer_ids(self) -> list[int]:
        """Everyone who may review initiatives: the admins and the people granted the reviewer
        role."""
        async with self.db.read() as conn:
            admins = await user_sql.users_with_role(conn, Role.ADMIN.value)
            reviewers = await user_sql.users_with_role(conn, Role.REVIEWER.value)
        return sorted(self.config_admins | set(admins) | set(reviewers))

    async def set_muted(self, user_id: int, muted: bool) -> User:
        """Ordinary announcements off (``True``) or on; essential ones always arrive."""
        async with self.db.transaction() as conn:
            await user_sql.set_muted(conn, user_id, muted)
            user = await self._read(conn, user_id)
        return self._written(user_id, user)

    async def set_review_notices(self, user_id: int, on: bool) -> User:
        """A reviewer's notice of each new or resubmitted application on or off."""
        async with self.db.transaction() as conn:
            await user_sql.set_review_notices(conn, user_id, on)
            user = await self._read(conn, user_id)
        return self._written(user_id, user)

    def _written(self, user_id: int, user: User | None) -> User:
        """The person as a committed change left them, cached."""
        self._store(user_id, user)
        if user is None:
            raise UnknownUserError(user_id)
        return user

    def forget_cached(self, user_id: int) -> None:
        """Drop the cached person (their row changed elsewhere, e.g. marked unreachable)."""
        self._store(user_id, None)

    async def has_consented(self, user_id: int) -> bool:
        async with self.db.read() as conn:
            consent = await user_sql.latest_consent(conn, user_id)
        return bool(
            consent and consent["accepted"] and consent["notice_version"] == CONSENT_NOTICE_VERSION
        )

    async def forget(
        self,
        ref: StepRef,
        user_id: int,
        *,
        before: Callable[[aiosqlite.Connection], Awaitable[None]] | None = None,
    ) -> None:
        """Delete the person's personal data: profile, Telegram names, language, roles, consent
        records, drafts and stored conversation data (every flow of theirs ends). ``before``
        runs first in the same transaction (their seats go to the waiting list)."""
        async with self.flows.step(ref, "forget") as step:
            if before is not None:
                await before(step.conn)
            await user_sql.erase(step.conn, user_id)
        self.flows.states.drop_user(user_id)
        self._store(user_id, None)
