-- Announcements: one broadcast, and one outbox row per recipient written in the same
-- transaction before anything is sent; the worker marks each row as Telegram answers.
ALTER TABLE users ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;      -- ordinary announcements off
ALTER TABLE users ADD COLUMN unreachable_at TEXT;                   -- blocked the bot (403)

CREATE TABLE broadcasts (
    id                  INTEGER PRIMARY KEY,
    created_by          INTEGER,
    created_at          TEXT    NOT NULL,
    kind                TEXT    NOT NULL,           -- text | photo | document | notice
    text                TEXT    NOT NULL DEFAULT '',-- HTML (the caption for a file)
    file_id             TEXT,
    essential           INTEGER NOT NULL DEFAULT 0, -- sent to muted people too
    audience            TEXT    NOT NULL,           -- JSON of bot.domain.broadcasts.Audience
    status              TEXT    NOT NULL,           -- scheduled | sending | done | cancelled
    scheduled_at        TEXT,
    started_at          TEXT,
    finished_at         TEXT,
    progress_chat_id    INTEGER,
    progress_message_id INTEGER,
    total               INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX broadcasts_status ON broadcasts (status, scheduled_at);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    broadcast_id    INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    status          TEXT    NOT NULL,               -- pending | sent | failed | unreachable | cancelled
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    message_id      INTEGER,
    error           TEXT,
    sent_at         TEXT,
    text            TEXT,                           -- this person's own text (a notification)
    UNIQUE (broadcast_id, user_id)
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_broadcast ON outbox (broadcast_id, status);
