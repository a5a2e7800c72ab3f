-- Digests: per-list schedule, the issues sent, and queue rows that carry an issue.

ALTER TABLE lists ADD COLUMN digest_freq TEXT NOT NULL DEFAULT 'daily' CHECK (digest_freq IN ('daily', 'weekly'));
ALTER TABLE lists ADD COLUMN digest_time TEXT NOT NULL DEFAULT '07:00';
ALTER TABLE lists ADD COLUMN digest_tz TEXT NOT NULL DEFAULT 'Europe/Berlin';
ALTER TABLE lists ADD COLUMN digest_day INTEGER NOT NULL DEFAULT 1;          -- weekly: 0 Sunday .. 6 Saturday
ALTER TABLE lists ADD COLUMN digest_max_posts INTEGER NOT NULL DEFAULT 50;   -- send early at this many new posts
ALTER TABLE lists ADD COLUMN digest_last_id INTEGER NOT NULL DEFAULT 0;      -- the last archived post in an issue
ALTER TABLE lists ADD COLUMN digest_last_at INTEGER NOT NULL DEFAULT 0;      -- when the last issue was made

ALTER TABLE members ADD COLUMN digest_format TEXT NOT NULL DEFAULT 'newsletter'
    CHECK (digest_format IN ('newsletter', 'mime', 'plain'));

CREATE TABLE digest_issues (
    id         INTEGER PRIMARY KEY,
    list_id    INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    volume     INTEGER NOT NULL,
    number     INTEGER NOT NULL,
    from_id    INTEGER NOT NULL,   -- posts with from_id < id <= to_id
    to_id      INTEGER NOT NULL,
    period_from INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (list_id, volume, number)
);

CREATE TABLE deliveries_new (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    mail_id      INTEGER REFERENCES mails (id) ON DELETE CASCADE,
    digest_id    INTEGER REFERENCES digest_issues (id) ON DELETE CASCADE,
    list_id      INTEGER NOT NULL,
    member_id    INTEGER,
    rcpt         TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    in_flight    INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    done_at      INTEGER,
    CHECK ((message_id IS NOT NULL) + (mail_id IS NOT NULL) + (digest_id IS NOT NULL) = 1)
);
INSERT INTO deliveries_new (id, message_id, mail_id, list_id, member_id, rcpt, state, attempts, next_attempt, in_flight,
                            last_error, created_at, done_at)
    SELECT id, message_id, mail_id, list_id, member_id, rcpt, state, attempts, next_attempt, in_flight, last_error,
           created_at, done_at FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (next_attempt) WHERE state = 'queued';
CREATE INDEX deliveries_done ON deliveries (done_at) WHERE state <> 'queued';
CREATE INDEX deliveries_message ON deliveries (message_id);
CREATE INDEX deliveries_mail ON deliveries (mail_id);
CREATE INDEX deliveries_digest ON deliveries (digest_id);
CREATE INDEX deliveries_member ON deliveries (member_id);
