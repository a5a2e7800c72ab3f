-- Joining and leaving on one's own, bounces, standalone mails and web sessions.

ALTER TABLE members ADD COLUMN language TEXT NOT NULL DEFAULT 'de';
ALTER TABLE members ADD COLUMN consent_text TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN consent_at INTEGER;
ALTER TABLE members ADD COLUMN disabled_at INTEGER;        -- delivery stopped by bounces
ALTER TABLE members ADD COLUMN bounce_score REAL NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN bounce_last INTEGER;
ALTER TABLE members ADD COLUMN dmarc_bounces INTEGER NOT NULL DEFAULT 0;

-- A request to join or leave that waits for the address's confirmation.
CREATE TABLE pending (
    id           INTEGER PRIMARY KEY,
    list_id      INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    address      TEXT    NOT NULL,
    action       TEXT    NOT NULL CHECK (action IN ('subscribe', 'unsubscribe')),
    nonce        TEXT    NOT NULL UNIQUE,
    mode         TEXT    NOT NULL DEFAULT 'each',
    name         TEXT    NOT NULL DEFAULT '',
    postal       TEXT    NOT NULL DEFAULT '',
    language     TEXT    NOT NULL DEFAULT 'de',
    consent_text TEXT    NOT NULL DEFAULT '',
    consent_at   INTEGER,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    UNIQUE (list_id, address, action)
);
CREATE INDEX pending_expires ON pending (expires_at);

-- Mails that are not list posts (confirmations, welcome, notices), kept whole until
-- their deliveries are retired.
CREATE TABLE mails (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    mail_from  TEXT    NOT NULL,
    raw        BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

-- The queue now carries either an archived post or a standalone mail.
CREATE TABLE deliveries_new (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    mail_id      INTEGER REFERENCES mails (id) ON DELETE CASCADE,
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
    CHECK ((message_id IS NULL) <> (mail_id IS NULL))
);
INSERT INTO deliveries_new (id, message_id, list_id, member_id, rcpt, state, attempts, next_attempt, in_flight,
                            last_error, created_at, done_at)
    SELECT id, message_id, list_id, member_id, rcpt, state, attempts, next_attempt, in_flight, last_error,
           created_at, done_at FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (next_attempt) WHERE state = 'queued';
CREATE INDEX deliveries_done ON deliveries (done_at) WHERE state <> 'queued';
CREATE INDEX deliveries_message ON deliveries (message_id);
CREATE INDEX deliveries_mail ON deliveries (mail_id);

-- Counters for rate limits: one row per key and window.
CREATE TABLE rates (
    key          TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- Web sessions after an emailed login link; only a hash of the cookie is kept.
CREATE TABLE sessions (
    id_hash    TEXT    PRIMARY KEY,
    address    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Emailed login links that wait to be used; only a hash of their nonce is kept.
CREATE TABLE logins (
    nonce_hash TEXT    PRIMARY KEY,
    address    TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
