-- Initiatives ("sáng kiến") submitted through the official form, and their review.
-- The answers are kept as JSON (content) in the form's own structure; the authors are also kept
-- as rows for lists and exports; each status change is logged.
CREATE TABLE initiatives (
    id           INTEGER PRIMARY KEY,
    number       TEXT    NOT NULL UNIQUE,        -- SK-2025-0007
    year         INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    submitter_id INTEGER REFERENCES users (user_id) ON DELETE SET NULL,
    draft_id     TEXT    NOT NULL UNIQUE,        -- the draft submitted: a second tap finds it
    status       TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    title_key    TEXT    NOT NULL,               -- folded, for similar titles
    unit         TEXT,                           -- the submitter's unit when submitted
    form_version TEXT    NOT NULL,
    content      TEXT    NOT NULL,               -- JSON: answers by field id
    last_comment TEXT,
    submitted_at TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    UNIQUE (year, seq)
);
CREATE INDEX initiatives_submitter ON initiatives (submitter_id);
CREATE INDEX initiatives_status ON initiatives (status, submitted_at);

CREATE TABLE initiative_authors (
    initiative_id INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    ord           INTEGER NOT NULL,
    full_name     TEXT    NOT NULL,
    birth_date    TEXT,
    workplace     TEXT,
    position      TEXT,
    qualification TEXT,
    share         REAL,
    PRIMARY KEY (initiative_id, ord)
);

CREATE TABLE initiative_history (
    id            INTEGER PRIMARY KEY,
    initiative_id INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    at            TEXT    NOT NULL,
    actor_id      INTEGER,
    actor_name    TEXT    NOT NULL,
    from_status   TEXT,
    to_status     TEXT    NOT NULL,
    comment       TEXT
);
CREATE INDEX initiative_history_initiative ON initiative_history (initiative_id, id);

-- Drafts already reminded once (a draft untouched for days gets one reminder).
ALTER TABLE drafts ADD COLUMN reminded_at TEXT;
