"""Steps of multi-message flows, saved before the bot replies.

A step writes, in *one* transaction: the person's answer (the caller's statements), the
conversation's next state, and the id of the update that caused it. So

* a ``kill -9`` right after the reply loses nothing: the answer and the state are on disk;
* an update Telegram delivers again after a crash is recognised (its id is recorded with its
  effect) and is never applied twice nor read as the answer to the next question.

:class:`FlowStates` mirrors the conversation states in memory so that filters can ask "is this
person in the middle of a flow?" without a query.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage import Database
from storage import flows as flow_sql
from storage import persistence as persistence_sql

ConversationKey = tuple[int | str, ...]


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: object = _Keep()  # "the conversation stays where it is"


@dataclass(frozen=True)
class StepRef:
    """The update being applied and the conversation key (chat, user) it belongs to."""

    update_id: int
    key: ConversationKey


@dataclass
class Step:
    """An open flow step: run statements on ``conn``; set ``state`` to move the conversation
    (``None`` ends it, :data:`KEEP` leaves it)."""

    conn: aiosqlite.Connection
    state: object | None = KEEP


class FlowStates:
    """In-memory mirror of every persisted conversation state."""

    def __init__(self) -> None:
        self._states: dict[ConversationKey, dict[str, object]] = {}

    def set(self, name: str, key: ConversationKey, state: object | None) -> None:
        key = tuple(key)
        if state is None:
            per_key = self._states.get(key)
            if per_key is not None:
                per_key.pop(name, None)
                if not per_key:
                    del self._states[key]
        else:
            self._states.setdefault(key, {})[name] = state

    def get(self, name: str, key: ConversationKey) -> object | None:
        return self._states.get(tuple(key), {}).get(name)

    def active(self, key: ConversationKey) -> str | None:
        """The name of a flow this key is in, if any."""
        per_key = self._states.get(tuple(key))
        return next(iter(per_key)) if per_key else None

    def drop_user(self, user_id: int) -> None:
        for key in [k for k in self._states if k and k[-1] == user_id]:
            del self._states[key]

    async def load(self, db: Database) -> None:
        self._states.clear()
        async with db.read() as conn:
            rows = await persistence_sql.all_conversation_states(conn)
        for name, key_json, state in rows:
            self.set(name, tuple(json.loads(key_json)), state)


class FlowService:
    def __init__(self, db: Database, states: FlowStates) -> None:
        self.db = db
        self.states = states
        # updates recorded by a step; the update processor need not record them again
        self.recently_marked: set[int] = set()
        # The highest update id recorded as processed (None: not known, see :meth:`load`).
        # Telegram numbers updates in increasing order, so any id above it is new and
        # :meth:`is_processed` answers without a query (most updates).
        self._high_water: int | None = None

    async def load(self) -> None:
        """Read the highest update id processed so far (at start)."""
        async with self.db.read() as conn:
            latest = await flow_sql.latest_processed(conn)
        self._high_water = latest if latest is not None else -1

    def _processed(self, update_id: int) -> None:
        if self._high_water is not None and update_id > self._high_water:
            self._high_water = update_id

    @asynccontextmanager
    async def step(
        self, ref: StepRef, conversation: str, state: object | None = KEEP, *, record: bool = True
    ) -> AsyncIterator[Step]:
        """A transaction that also records the update and the conversation's next state.

        Raises :class:`storage.DuplicateUpdateError` (and changes nothing) when the update was
        already applied.
        """
        async with self.db.transaction() as conn:
            if record:  # False when the update's effect already recorded it
                await flow_sql.mark_processed(conn, ref.update_id)
            step = Step(conn, state)
            yield step
            if step.state is not KEEP:
                await flow_sql.set_state(conn, conversation, ref.key, step.state)
        if record:
            self.recently_marked.add(ref.update_id)
            self._processed(ref.update_id)
        if step.state is not KEEP:
            self.states.set(conversation, ref.key, step.state)

    async def move(
        self, ref: StepRef, conversation: str, state: object | None, *, record: bool = True
    ) -> None:
        """A step that only moves the conversation (``None`` ends it)."""
        async with self.step(ref, conversation, state, record=record):
            pass

    async def draft(self, user_id: int, flow: str) -> dict[str, Any] | None:
        async with self.db.lookup() as conn:
            return await flow_sql.get_draft(conn, user_id, flow)

    async def is_processed(self, update_id: int) -> bool:
        if self._high_water is not None and update_id > self._high_water:
            return False  # newer than every update processed
        async with self.db.lookup() as conn:
            return await flow_sql.is_processed(conn, update_id)

    async def mark_processed(self, update_id: int) -> None:
        if update_id in self.recently_marked:
            self.recently_marked.discard(update_id)
            return
        async with self.db.transaction() as conn:
            await flow_sql.mark_processed_quietly(conn, update_id)
        self._processed(update_id)

    async def receive(self, update_id: int, data: str) -> None:
        """Store an update as it arrives, before Telegram considers it delivered."""
        async with self.db.transaction() as conn:
            await flow_sql.receive(conn, update_id, data)

    async def receive_batch(self, items: list[tuple[int, str]]) -> None:
        """Store updates as they arrive (update id, JSON), in one transaction."""
        async with self.db.transaction() as conn:
            await flow_sql.receive_many(conn, items)

    async def drop_received(self, update_id: int) -> None:
        """An update delivered again after it was processed: its stored copy is not needed."""
        async with self.db.transaction() as conn:
            await flow_sql.drop_received(conn, update_id)

    async def unprocessed(self) -> list[str]:
        async with self.db.read() as conn:
            return await flow_sql.unprocessed(conn)

    async def prune(self, older_than_iso: str) -> int:
        async with self.db.transaction() as conn:
            return await flow_sql.prune_processed(conn, older_than_iso)
