-- Private replies: a relay row stands for one address on one list, so that two
-- members can write to each other through NAME-reply+TOKEN@ without either seeing
-- the other's address. The id is random and is what relay addresses carry.
CREATE TABLE privreply_relays (
    id         TEXT    PRIMARY KEY,
    list_id    INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    address    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (list_id, address)
);
CREATE INDEX privreply_relays_address ON privreply_relays (address);

-- An address that no longer takes private replies from the person behind a relay.
CREATE TABLE privreply_blocks (
    author     TEXT    NOT NULL,
    relay_id   TEXT    NOT NULL REFERENCES privreply_relays (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (author, relay_id)
);
CREATE INDEX privreply_blocks_relay ON privreply_blocks (relay_id);
