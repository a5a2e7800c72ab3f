-- Writing on the web: following and muting threads, the follows of posts not yet
-- archived (a held post's author), the idempotency of web forms, questions that wait
-- for their confirmation link, and first posts counted by channel (never per person).

-- A member's choice for one thread: follow (every reply by mail, whatever the
-- member's mode) or mute (none, though the mode would send them).
CREATE TABLE thread_follows (
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    thread_id INTEGER NOT NULL,
    state     TEXT    NOT NULL CHECK (state IN ('follow', 'mute')),
    PRIMARY KEY (member_id, thread_id)
) WITHOUT ROWID;
CREATE INDEX thread_follows_thread ON thread_follows (thread_id, state);

-- The author of a post that waits (held for the moderators) follows its thread once
-- it is archived: AcceptPost turns these rows into thread_follows.
CREATE TABLE follow_pending (
    list_id    INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    message_id TEXT    NOT NULL,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (list_id, message_id, member_id)
) WITHOUT ROWID;

-- A web form's idempotency token (its MAC), and the post it made: a form sent twice
-- makes one post.
CREATE TABLE web_submits (
    key        TEXT    PRIMARY KEY,
    message_id TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- A visitor's question, waiting for the emailed link that confirms the address.
CREATE TABLE asks (
    nonce      TEXT    PRIMARY KEY,
    list_id    INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    address    TEXT    NOT NULL,
    name       TEXT    NOT NULL DEFAULT '',
    postal     TEXT    NOT NULL DEFAULT '',
    mode       TEXT    NOT NULL CHECK (mode IN ('each', 'digest', 'thread')),
    language   TEXT    NOT NULL DEFAULT '',
    subject    TEXT    NOT NULL DEFAULT '',
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX asks_expires ON asks (expires_at);
CREATE INDEX asks_address ON asks (address);

-- First posts by channel: a count, nobody's name.
CREATE TABLE first_posts (
    list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    channel TEXT    NOT NULL CHECK (channel IN ('mail', 'web')),
    count   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (list_id, channel)
) WITHOUT ROWID;
