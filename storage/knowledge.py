"""SQL for the knowledge base: documents and their sections, curated Q&A entries, feedback on
answers and the questions passed to the office (see ``bot.services.knowledge``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import aiosqlite

from storage.db import utcnow

_SECTION_COLUMNS = "id, document_id, ordinal, kind, path, heading, text, parents"
_QUESTION_COLUMNS = (
    "id, user_id, chat_id, question, asked_at, office_chat_id, office_message_id, answer, "
    "answered_by, answered_at, faq_id"
)
_FAQ_COLUMNS = "id, question, answer, source, author_id, created_at"


def _row(row: aiosqlite.Row | None) -> dict[str, Any] | None:
    return dict(row) if row is not None else None


def _section(row: aiosqlite.Row) -> dict[str, Any]:
    data = dict(row)
    data["parents"] = json.loads(data["parents"])
    return data


# --- documents and sections --------------------------------------------------------------------


async def replace_document(
    conn: aiosqlite.Connection,
    document_id: str,
    meta: dict[str, Any],
    sections: Sequence[dict[str, Any]],
) -> list[int]:
    """Store a document with its sections, replacing a document with the same id (its old
    sections go with it). Call inside one transaction. Returns the new section ids in order.

    ``sections``: dicts with ``kind``, ``path``, ``heading``, ``text`` and ``parents`` (a list
    of strings); their order is their ordinal."""
    await conn.execute("DELETE FROM documents WHERE id = ?", (document_id,))
    await conn.execute(
        "INSERT INTO documents (id, meta, imported_at) VALUES (?, ?, ?)",
        (document_id, json.dumps(meta, ensure_ascii=False), utcnow()),
    )
    ids: list[int] = []
    for ordinal, section in enumerate(sections):
        cur = await conn.execute(
            """INSERT INTO sections (document_id, ordinal, kind, path, heading, text, parents)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (
                document_id,
                ordinal,
                section["kind"],
                section["path"],
                section["heading"],
                section["text"],
                json.dumps(list(section.get("parents", [])), ensure_ascii=False),
            ),
        )
        assert cur.lastrowid is not None
        ids.append(cur.lastrowid)
    return ids


async def delete_document(conn: aiosqlite.Connection, document_id: str) -> bool:
    cur = await conn.execute("DELETE FROM documents WHERE id = ?", (document_id,))
    return cur.rowcount > 0


async def documents(conn: aiosqlite.Connection) -> list[dict[str, Any]]:
    """Every document, in import order: ``id``, ``meta`` (dict), ``imported_at``, ``sections``
    (how many)."""
    async with conn.execute(
        """SELECT d.id, d.meta, d.imported_at,
                  (SELECT count(*) FROM sections s WHERE s.document_id = d.id) AS sections
           FROM documents d ORDER BY d.imported_at, d.rowid"""
    ) as cur:
        rows = await cur.fetchall()
    return [
        {
            "id": r["id"],
            "meta": json.loads(r["meta"]),
            "imported_at": r["imported_at"],
            "sections": int(r["sections"]),
        }
        for r in rows
    ]


async def count_documents(conn: aiosqlite.Connection) -> int:
    async with conn.execute("SELECT count(*) FROM documents") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def sections(
    conn: aiosqlite.Connection, document_id: str | None = None
) -> list[dict[str, Any]]:
    """Sections of one document, or of all, in document order (``parents`` decoded)."""
    if document_id is None:
        sql = f"SELECT {_SECTION_COLUMNS} FROM sections ORDER BY document_id, ordinal"
        params: tuple[Any, ...] = ()
    else:
        sql = f"SELECT {_SECTION_COLUMNS} FROM sections WHERE document_id = ? ORDER BY ordinal"
        params = (document_id,)
    async with conn.execute(sql, params) as cur:
        return [_section(r) for r in await cur.fetchall()]


# --- curated entries ---------------------------------------------------------------------------


async def add_faq(
    conn: aiosqlite.Connection, question: str, answer: str, source: str, author_id: int | None
) -> int:
    cur = await conn.execute(
        """INSERT INTO faq (question, answer, source, author_id, created_at)
           VALUES (?, ?, ?, ?, ?)""",
        (question, answer, source, author_id, utcnow()),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def get_faq(conn: aiosqlite.Connection, faq_id: int) -> dict[str, Any] | None:
    async with conn.execute(f"SELECT {_FAQ_COLUMNS} FROM faq WHERE id = ?", (faq_id,)) as cur:
        return _row(await cur.fetchone())


async def faq_entries(conn: aiosqlite.Connection) -> list[dict[str, Any]]:
    async with conn.execute(f"SELECT {_FAQ_COLUMNS} FROM faq ORDER BY id") as cur:
        return [dict(r) for r in await cur.fetchall()]


async def delete_faq(conn: aiosqlite.Connection, faq_id: int) -> bool:
    cur = await conn.execute("DELETE FROM faq WHERE id = ?", (faq_id,))
    return cur.rowcount > 0


# --- feedback ----------------------------------------------------------------------------------


async def add_feedback(
    conn: aiosqlite.Connection,
    user_id: int,
    question: str,
    section_id: int | None,
    helpful: bool,
) -> int:
    """A 👍/👎; a section that no longer exists (its document was re-imported) is stored as
    NULL rather than refused. One vote per person and answer (question and section): a
    second one replaces the first (a change of mind, a double tap)."""
    await conn.execute(
        """DELETE FROM feedback WHERE user_id = ? AND question = ?
           AND section_id IS (SELECT id FROM sections WHERE id = ?)""",
        (user_id, question, section_id),
    )
    cur = await conn.execute(
        """INSERT INTO feedback (user_id, question, section_id, helpful, at)
           VALUES (?, ?, (SELECT id FROM sections WHERE id = ?), ?, ?)""",
        (user_id, question, section_id, int(helpful), utcnow()),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def feedback(conn: aiosqlite.Connection, limit: int = 100) -> list[dict[str, Any]]:
    """The latest feedback, newest first, with the section's document and path if it still
    exists."""
    async with conn.execute(
        """SELECT f.id, f.user_id, f.question, f.section_id, f.helpful, f.at,
                  s.document_id, s.path, s.heading
           FROM feedback f LEFT JOIN sections s ON s.id = f.section_id
           ORDER BY f.id DESC LIMIT ?""",
        (limit,),
    ) as cur:
        rows = [dict(r) for r in await cur.fetchall()]
    for row in rows:
        row["helpful"] = bool(row["helpful"])
    return rows


# --- questions passed to the office ------------------------------------------------------------


async def add_question(
    conn: aiosqlite.Connection, user_id: int, chat_id: int, question: str
) -> dict[str, Any]:
    cur = await conn.execute(
        "INSERT INTO office_questions (user_id, chat_id, question, asked_at) VALUES (?, ?, ?, ?)",
        (user_id, chat_id, question, utcnow()),
    )
    assert cur.lastrowid is not None
    row = await get_question(conn, cur.lastrowid)
    assert row is not None
    return row


async def get_question(conn: aiosqlite.Connection, question_id: int) -> dict[str, Any] | None:
    async with conn.execute(
        f"SELECT {_QUESTION_COLUMNS} FROM office_questions WHERE id = ?", (question_id,)
    ) as cur:
        return _row(await cur.fetchone())


async def link_message(
    conn: aiosqlite.Connection, question_id: int, chat_id: int, message_id: int
) -> bool:
    """Remember a message that carries the question to the office; ``False`` if the question
    does not exist."""
    if await get_question(conn, question_id) is None:
        return False
    await conn.execute(
        """INSERT INTO office_question_messages (chat_id, message_id, question_id)
           VALUES (?, ?, ?)
           ON CONFLICT (chat_id, message_id) DO UPDATE SET question_id = excluded.question_id""",
        (chat_id, message_id, question_id),
    )
    await conn.execute(
        """UPDATE office_questions SET office_chat_id = ?, office_message_id = ?
           WHERE id = ? AND office_message_id IS NULL""",
        (chat_id, message_id, question_id),
    )
    return True


async def question_for_message(
    conn: aiosqlite.Connection, chat_id: int, message_id: int
) -> dict[str, Any] | None:
    columns = ", ".join(f"q.{c.strip()}" for c in _QUESTION_COLUMNS.split(","))
    async with conn.execute(
        f"""SELECT {columns} FROM office_question_messages m
            JOIN office_questions q ON q.id = m.question_id
            WHERE m.chat_id = ? AND m.message_id = ?""",
        (chat_id, message_id),
    ) as cur:
        return _row(await cur.fetchone())


async def answer_question(
    conn: aiosqlite.Connection, question_id: int, answered_by: int, answer: str
) -> bool:
    """Record the office's answer; ``False`` if unknown or already answered (first one wins)."""
    cur = await conn.execute(
        """UPDATE office_questions SET answer = ?, answered_by = ?, answered_at = ?
           WHERE id = ? AND answered_at IS NULL""",
        (answer, answered_by, utcnow(), question_id),
    )
    return cur.rowcount > 0


async def add_to_answer(conn: aiosqlite.Connection, question_id: int, text: str) -> bool:
    """Append the office's supplement (a correction, more detail) to an answered question's
    answer, after a blank line; ``False`` if unknown or not answered yet."""
    cur = await conn.execute(
        """UPDATE office_questions SET answer = answer || ? || ?
           WHERE id = ? AND answered_at IS NOT NULL""",
        ("\n\n", text, question_id),
    )
    return cur.rowcount > 0


async def unanswered(conn: aiosqlite.Connection, limit: int = 20) -> list[dict[str, Any]]:
    """Questions still waiting for the office, oldest first."""
    async with conn.execute(
        f"""SELECT {_QUESTION_COLUMNS} FROM office_questions WHERE answered_at IS NULL
            ORDER BY id LIMIT ?""",
        (limit,),
    ) as cur:
        return [dict(r) for r in await cur.fetchall()]


async def set_question_faq(conn: aiosqlite.Connection, question_id: int, faq_id: int) -> None:
    await conn.execute("UPDATE office_questions SET faq_id = ? WHERE id = ?", (faq_id, question_id))
