-- Conference events, invitations, answers (RSVP) with seats and waitlist, reminders, alerts.
CREATE TABLE events (
    id         TEXT PRIMARY KEY,               -- slug, e.g. hoi-nghi-tuyen-duong-2025
    data       TEXT NOT NULL,                  -- JSON of bot.domain.events.Event
    deleted_at TEXT,                           -- a deleted event answers nothing any more
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE invitees (
    id         INTEGER PRIMARY KEY,
    event_id   TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    code       TEXT    NOT NULL UNIQUE,        -- personal code of the invitation (deep link)
    full_name  TEXT    NOT NULL,
    unit       TEXT    NOT NULL DEFAULT '',
    position   TEXT    NOT NULL DEFAULT '',
    group_id   TEXT,
    phone      TEXT    NOT NULL DEFAULT '',
    email      TEXT    NOT NULL DEFAULT '',
    user_id    INTEGER REFERENCES users (user_id) ON DELETE SET NULL,  -- who redeemed it
    bound_at   TEXT,
    created_at TEXT    NOT NULL
);
CREATE INDEX invitees_event ON invitees (event_id);
CREATE UNIQUE INDEX invitees_person ON invitees (event_id, full_name, unit);

CREATE TABLE rsvps (
    id            INTEGER PRIMARY KEY,
    event_id      TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    invitee_id    INTEGER REFERENCES invitees (id) ON DELETE SET NULL,
    answer        TEXT    NOT NULL,            -- yes | no | maybe
    seat          TEXT    NOT NULL,            -- confirmed | waitlisted | pending | none
    full_name     TEXT    NOT NULL,
    unit          TEXT    NOT NULL DEFAULT '',
    position      TEXT    NOT NULL DEFAULT '',
    group_id      TEXT,
    note          TEXT    NOT NULL DEFAULT '',
    answered_at   TEXT    NOT NULL,
    queued_at     TEXT,                        -- order of the waitlist
    queue_seq     INTEGER,                     -- tie-break of the waitlist (insertion order)
    checkin_code  TEXT    NOT NULL UNIQUE,
    checked_in_at TEXT,
    checked_in_by INTEGER,
    UNIQUE (event_id, user_id)
);
CREATE INDEX rsvps_event_seat ON rsvps (event_id, seat, queued_at, queue_seq);

-- One row per (answer, reminder offset); sent_at is set once sent.
CREATE TABLE reminders (
    rsvp_id  INTEGER NOT NULL REFERENCES rsvps (id) ON DELETE CASCADE,
    minutes  INTEGER NOT NULL,
    due_at   TEXT    NOT NULL,
    sent_at  TEXT,
    PRIMARY KEY (rsvp_id, minutes)
);
CREATE INDEX reminders_due ON reminders (sent_at, due_at);

-- Capacity alerts already sent to the office (50, 80, 100 % of the seats).
CREATE TABLE event_alerts (
    event_id  TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    threshold INTEGER NOT NULL,
    at        TEXT    NOT NULL,
    PRIMARY KEY (event_id, threshold)
);
