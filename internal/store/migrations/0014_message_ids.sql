-- The highest archive id ever given out. Archive ids are IMAP UIDs and permalinks, so
-- an id whose post was erased must never be given to another post.
CREATE TABLE id_high (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO id_high (name, value) SELECT 'messages', COALESCE(MAX(id), 0) FROM messages;
