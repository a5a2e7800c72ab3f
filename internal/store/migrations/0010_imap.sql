-- IMAP: app passwords that mail programs log in with, and the \Seen flags each
-- reader sets on archived posts. Both belong to an address and go when it is erased.

-- Only a hash of each password is kept: the passwords are random 128-bit secrets, so
-- SHA-256 cannot be reversed by guessing and needs no slow, salted hash.
CREATE TABLE app_passwords (
    id           INTEGER PRIMARY KEY,
    address      TEXT    NOT NULL,
    hash         TEXT    NOT NULL UNIQUE,
    label        TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX app_passwords_address ON app_passwords (address);

CREATE TABLE imap_seen (
    address    TEXT    NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (address, message_id)
) WITHOUT ROWID;
CREATE INDEX imap_seen_message ON imap_seen (message_id);
