-- Privacy: posts their authors withdrew, the public Message-IDs of anonymous lists, and
-- how long each list keeps its posts.

-- A withdrawn post keeps its row (and so its place in the thread) without its text,
-- author or bytes. Unix seconds, like received_at.
ALTER TABLE messages ADD COLUMN withdrawn_at INTEGER;

-- The local part of the Message-ID an anonymous list shows for a post, with the
-- list's domain after it: an HMAC of the original (see public_id_key), so it names
-- neither the sender's machine nor provider. Replies from members refer to it, so
-- threading looks it up. Posts archived before this migration get a random one:
-- SQLite has no HMAC, and a random value is as stable once stored.
ALTER TABLE messages ADD COLUMN public_id TEXT NOT NULL DEFAULT '';
UPDATE messages SET public_id = lower(hex(randomblob(16)));
CREATE INDEX messages_public_id ON messages (list_id, public_id);

-- The HMAC key of public_id, made once here and kept with the data it belongs to.
CREATE TABLE public_id_key (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    key BLOB    NOT NULL
);
INSERT INTO public_id_key (id, key) VALUES (1, randomblob(32));

-- Months a list keeps its posts, counted from when they arrived; 0 keeps them.
ALTER TABLE lists ADD COLUMN retention_months INTEGER NOT NULL DEFAULT 0 CHECK (retention_months >= 0);
CREATE INDEX messages_list_received ON messages (list_id, received_at);

-- Deleting from the full-text index removes the tokens from its segments at once,
-- instead of leaving them there under a delete marker until segments merge: a
-- withdrawn or expired post leaves no words behind (the store also deletes with
-- PRAGMA secure_delete, which zeroes freed pages).
INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
