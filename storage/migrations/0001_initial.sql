-- People: the Telegram identity seen on first contact, plus the profile from onboarding.
CREATE TABLE users (
    user_id       INTEGER PRIMARY KEY,
    first_name    TEXT,
    last_name     TEXT,
    username      TEXT,
    tg_language   TEXT,              -- Telegram's language_code of the client
    language      TEXT,              -- the person's stored choice (vi/en), NULL if never chosen
    full_name     TEXT,
    unit          TEXT,
    position      TEXT,
    phone         TEXT,
    registered_at TEXT,              -- when the profile was completed (ISO 8601, UTC)
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX users_username ON users (lower(username));

CREATE TABLE user_roles (
    user_id    INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    role       TEXT    NOT NULL,
    granted_by INTEGER,
    granted_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, role)
);

-- Consent to the personal-data notice (Decree 13/2023/ND-CP): one row per decision.
CREATE TABLE consents (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    notice_version TEXT    NOT NULL,
    accepted       INTEGER NOT NULL CHECK (accepted IN (0, 1)),
    at             TEXT    NOT NULL
);
CREATE INDEX consents_user ON consents (user_id);

-- What a person has typed in a flow that is not finished yet, saved before the bot replies.
CREATE TABLE drafts (
    user_id    INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    flow       TEXT    NOT NULL,
    data       TEXT    NOT NULL,     -- JSON object
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, flow)
);

-- python-telegram-bot persistence (JSON values).
CREATE TABLE conversations (
    name       TEXT NOT NULL,
    key        TEXT NOT NULL,        -- JSON array, e.g. [chat_id, user_id]
    state      TEXT NOT NULL,        -- JSON value
    updated_at TEXT NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE TABLE user_data (user_id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE chat_data (chat_id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE bot_data (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
CREATE TABLE callback_data (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);

-- Updates already applied, recorded in the same transaction as their effect, so that an update
-- Telegram delivers again after a crash is recognised and skipped.
CREATE TABLE processed_updates (
    update_id    INTEGER PRIMARY KEY,
    processed_at TEXT NOT NULL
);
CREATE INDEX processed_updates_at ON processed_updates (processed_at);
