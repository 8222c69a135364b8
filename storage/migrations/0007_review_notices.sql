-- A reviewer's notice of each new (or corrected and resubmitted) application: on by default;
-- off, the reviewer follows the queue with /review instead.
ALTER TABLE users ADD COLUMN review_notices INTEGER NOT NULL DEFAULT 1;
