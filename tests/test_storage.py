"""Migrations, pragmas, transactions, the framework persistence and the processed-update log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.services.flows import FlowStates
from bot.tg.persistence import SQLitePersistence
from storage import Database, DuplicateUpdateError
from storage import flows as flow_sql
from storage.db import latest_version, migrations


async def test_every_migration_applies_to_a_fresh_database(tmp_path: Path) -> None:
    db = Database(tmp_path / "fresh.sqlite3")
    await db.open()
    try:
        assert await db.user_version() == latest_version() == len(migrations())
        async with db.read() as conn:
            rows = await conn.execute_fetchall("SELECT name FROM sqlite_master WHERE type='table'")
            pragmas = {
                name: (await conn.execute_fetchall(f"PRAGMA {name}"))[0][0]
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
        tables = {row[0] for row in rows}
        assert {
            "users",
            "user_roles",
            "consents",
            "drafts",
            "conversations",
            "user_data",
            "chat_data",
            "bot_data",
            "processed_updates",
            "inbox",
        } <= tables
        assert pragmas["journal_mode"] == "wal"
        assert pragmas["foreign_keys"] == 1
        assert pragmas["busy_timeout"] >= 5000
    finally:
        await db.close()
    # Opening again applies nothing and keeps the data.
    again = Database(tmp_path / "fresh.sqlite3")
    await again.open()
    assert await again.user_version() == latest_version()
    await again.close()


def test_migrations_are_numbered_without_gaps() -> None:
    numbers = [n for n, _, _ in migrations()]
    assert numbers == list(range(1, len(numbers) + 1))


async def test_transaction_rolls_back_as_a_whole(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.sqlite3")
    await db.open()
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await flow_sql.mark_processed(conn, 1)
            # foreign keys are enforced: no draft for an unknown person
            await flow_sql.put_draft(conn, 424242, "profile", {"a": 1})
    async with db.read() as conn:
        assert not await flow_sql.is_processed(conn, 1)
    async with db.transaction() as conn:
        await flow_sql.mark_processed(conn, 2)
    with pytest.raises(DuplicateUpdateError):
        async with db.transaction() as conn:
            await flow_sql.mark_processed(conn, 2)
    await db.close()


async def test_persistence_round_trip(tmp_path: Path) -> None:
    db = Database(tmp_path / "p.sqlite3")
    states = FlowStates()
    persistence = SQLitePersistence(db, states)
    await persistence.update_user_data(7, {"seen": 1, "nested": {"x": [1, 2]}})
    await persistence.update_chat_data(-100, {"title": "Văn phòng"})
    await persistence.update_bot_data({"version": 3})
    await persistence.update_conversation("profile", (7, 7), "unit")
    await persistence.update_conversation("language", (7, 7), "choose")
    await persistence.update_conversation("language", (7, 7), None)
    await db.close()

    fresh_states = FlowStates()
    reloaded = SQLitePersistence(Database(tmp_path / "p.sqlite3"), fresh_states)
    assert await reloaded.get_user_data() == {7: {"seen": 1, "nested": {"x": [1, 2]}}}
    assert await reloaded.get_chat_data() == {-100: {"title": "Văn phòng"}}
    assert await reloaded.get_bot_data() == {"version": 3}
    assert await reloaded.get_conversations("profile") == {(7, 7): "unit"}
    assert await reloaded.get_conversations("language") == {}
    assert fresh_states.active((7, 7)) == "profile"
    await reloaded.drop_user_data(7)
    assert await reloaded.get_user_data() == {}
    await reloaded.db.close()


async def test_unchanged_data_is_not_written_again(tmp_path: Path) -> None:
    db = Database(tmp_path / "w.sqlite3")
    persistence = SQLitePersistence(db, FlowStates())
    await persistence.get_user_data()
    writes = 0
    original = db.transaction

    def counting():  # type: ignore[no-untyped-def]
        nonlocal writes
        writes += 1
        return original()

    db.transaction = counting  # type: ignore[method-assign]
    await persistence.update_user_data(1, {"a": 1})
    await persistence.update_user_data(1, {"a": 1})
    await persistence.update_user_data(2, {})  # empty and never stored: nothing to write
    assert writes == 1
    await db.close()
