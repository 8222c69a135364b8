-- Updates received but not yet processed. An update is stored here before Telegram's offset is
-- confirmed (polling) or the webhook request is answered, and removed in the transaction that
-- records it as processed; what is left after a crash is processed at the next start.
CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY,
    data        TEXT NOT NULL,          -- the update as JSON
    received_at TEXT NOT NULL
);
