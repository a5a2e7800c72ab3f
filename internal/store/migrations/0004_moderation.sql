-- Moderation: hold rules per list, held posts, and the log of every decision.

ALTER TABLE lists ADD COLUMN nonmember TEXT NOT NULL DEFAULT 'hold' CHECK (nonmember IN ('hold', 'reject', 'discard'));
ALTER TABLE lists ADD COLUMN first_posts INTEGER NOT NULL DEFAULT 1;
ALTER TABLE lists ADD COLUMN max_size INTEGER NOT NULL DEFAULT 0;          -- bytes; 0: the site's limit only
ALTER TABLE lists ADD COLUMN attachment_types TEXT NOT NULL DEFAULT '';   -- allowed types, comma separated; '' for the default set
ALTER TABLE lists ADD COLUMN hold_keywords TEXT NOT NULL DEFAULT '';      -- words that hold a post, comma separated
ALTER TABLE lists ADD COLUMN emergency INTEGER NOT NULL DEFAULT 0;        -- hold everything

ALTER TABLE members ADD COLUMN posts INTEGER NOT NULL DEFAULT 0;          -- posts that reached the list
ALTER TABLE members ADD COLUMN trusted INTEGER NOT NULL DEFAULT 0;        -- never held by first-post rules

CREATE TABLE held (
    id            INTEGER PRIMARY KEY,
    list_id       INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    message_id    TEXT    NOT NULL,
    env_from      TEXT    NOT NULL DEFAULT '',
    from_addr     TEXT    NOT NULL DEFAULT '',
    from_name     TEXT    NOT NULL DEFAULT '',
    subject       TEXT    NOT NULL DEFAULT '',
    reason        TEXT    NOT NULL,
    raw           BLOB    NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'approved', 'rejected', 'discarded', 'expired')),
    claimed_by    TEXT    NOT NULL DEFAULT '',
    decided_by    TEXT    NOT NULL DEFAULT '',
    decided_at    INTEGER,
    note          TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    summarized_at INTEGER
);
CREATE INDEX held_waiting ON held (list_id, state);
CREATE UNIQUE INDEX held_message ON held (list_id, message_id);

CREATE TABLE mod_log (
    id      INTEGER PRIMARY KEY,
    held_id INTEGER NOT NULL,
    list_id INTEGER NOT NULL,
    actor   TEXT    NOT NULL,   -- the moderator's address, "cli", or "system"
    action  TEXT    NOT NULL,   -- held, approve, reject, discard, always, claim, expire, refused
    note    TEXT    NOT NULL DEFAULT '',
    at      INTEGER NOT NULL
);
CREATE INDEX mod_log_held ON mod_log (held_id);

-- Senders a moderator said to always let through ("immer"), members or not.
CREATE TABLE trusted_senders (
    list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    address TEXT    NOT NULL,
    PRIMARY KEY (list_id, address)
);
