-- Lists, their members, the archive and the outbound queue.
CREATE TABLE lists (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    title       TEXT    NOT NULL DEFAULT '',
    description TEXT    NOT NULL DEFAULT '',
    archive     TEXT    NOT NULL DEFAULT 'public' CHECK (archive IN ('public', 'members', 'private')),
    moderation  TEXT    NOT NULL DEFAULT 'none' CHECK (moderation IN ('none', 'first-post', 'all')),
    topics      TEXT    NOT NULL DEFAULT '',
    anonymous   INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);

CREATE TABLE members (
    id         INTEGER PRIMARY KEY,
    list_id    INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    address    TEXT    NOT NULL,
    name       TEXT    NOT NULL DEFAULT '',
    mode       TEXT    NOT NULL DEFAULT 'each' CHECK (mode IN ('each', 'digest', 'nomail')),
    role       TEXT    NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'moderator', 'owner')),
    postal     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (list_id, address)
);
CREATE INDEX members_address ON members (address);

-- The archive: parsed fields here, the bytes as received in message_raw.
CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    list_id      INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    message_id   TEXT    NOT NULL,
    thread_id    INTEGER NOT NULL,
    parent_id    INTEGER,
    subject      TEXT    NOT NULL DEFAULT '',
    subject_key  TEXT    NOT NULL DEFAULT '',
    from_name    TEXT    NOT NULL DEFAULT '',
    from_addr    TEXT    NOT NULL DEFAULT '',
    date         INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    body_text    TEXT    NOT NULL DEFAULT '',
    size         INTEGER NOT NULL DEFAULT 0,
    parse_errors TEXT    NOT NULL DEFAULT '',
    UNIQUE (list_id, message_id)
);
CREATE INDEX messages_list_date ON messages (list_id, id);
CREATE INDEX messages_thread ON messages (thread_id, id);
CREATE INDEX messages_subject ON messages (list_id, subject_key);

CREATE TABLE message_raw (
    message_id INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    raw        BLOB    NOT NULL
);

-- Outbound queue: one row per copy. A row is claimed (in_flight, next_attempt moved
-- to the retry time) before its copy is handed to the relay, so a crash never loses
-- a row; at start, rows left in flight are due again at once.
CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    list_id      INTEGER NOT NULL,
    member_id    INTEGER,
    rcpt         TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    in_flight    INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    done_at      INTEGER
);
CREATE INDEX deliveries_due ON deliveries (next_attempt) WHERE state = 'queued';
CREATE INDEX deliveries_done ON deliveries (done_at) WHERE state <> 'queued';
CREATE INDEX deliveries_message ON deliveries (message_id);

-- Single-use tokens that have been used, kept until they expire.
CREATE TABLE used_tokens (
    digest     TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
