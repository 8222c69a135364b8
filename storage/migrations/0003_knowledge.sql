-- The knowledge base: official documents cut into citable sections, curated Q&A entries,
-- feedback on answers and the questions passed to the office.

-- One imported document; its metadata (bot.kb.models.DocumentMeta) as a JSON object.
CREATE TABLE documents (
    id          TEXT PRIMARY KEY,         -- stable slug, e.g. "ke-hoach-2025-hoi-nghi-tuyen-duong"
    meta        TEXT NOT NULL,            -- JSON object
    imported_at TEXT NOT NULL             -- ISO 8601, UTC
);

-- Citable sections, word for word; re-importing a document replaces all of its sections.
-- AUTOINCREMENT: an id is never reused, so a button or a feedback row that names a section of a
-- replaced document cannot point at another passage.
CREATE TABLE sections (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id TEXT    NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL,         -- position in the document, from 0
    kind        TEXT    NOT NULL,         -- title | preamble | part | item | closing | note | ...
    path        TEXT    NOT NULL,         -- "II.2.c", "" for unnumbered blocks
    heading     TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    parents     TEXT    NOT NULL DEFAULT '[]',  -- JSON array of the enclosing headings
    UNIQUE (document_id, ordinal)
);

-- Curated answers the office adds (/faq_add, or an office reply saved as an entry).
CREATE TABLE faq (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    question   TEXT    NOT NULL,
    answer     TEXT    NOT NULL,
    source     TEXT    NOT NULL,          -- free-text citation
    author_id  INTEGER,                   -- who added it (an office member; no link to users)
    created_at TEXT    NOT NULL
);

-- 👍/👎 on an answer. Personal: removed with the person (/forget_me deletes the users row).
CREATE TABLE feedback (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    question   TEXT    NOT NULL,
    section_id INTEGER REFERENCES sections (id) ON DELETE SET NULL,
    helpful    INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    at         TEXT    NOT NULL
);
CREATE INDEX feedback_at ON feedback (at);

-- Questions the bot could not answer, passed to the office, with the office's answer.
-- Personal: removed with the person; an answer saved as a curated entry stays in faq.
CREATE TABLE office_questions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    chat_id           INTEGER NOT NULL,   -- where to relay the answer
    question          TEXT    NOT NULL,
    asked_at          TEXT    NOT NULL,
    office_chat_id    INTEGER,            -- the first message that carried it to the office
    office_message_id INTEGER,            -- (all of them: office_question_messages)
    answer            TEXT,
    answered_by       INTEGER,
    answered_at       TEXT,
    faq_id            INTEGER REFERENCES faq (id) ON DELETE SET NULL
);
CREATE INDEX office_questions_open ON office_questions (answered_at, id);

-- Every message that carries a question to the office (the office chat, or each admin's private
-- chat when there is none): a reply to any of them answers the question.
CREATE TABLE office_question_messages (
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    question_id INTEGER NOT NULL REFERENCES office_questions (id) ON DELETE CASCADE,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX office_question_messages_question ON office_question_messages (question_id);
