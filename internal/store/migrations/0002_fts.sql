-- Full-text index over the archive (external content: messages).
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    subject, body_text, from_name,
    content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, subject, body_text, from_name)
    VALUES (new.id, new.subject, new.body_text, new.from_name);
END;
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, subject, body_text, from_name)
    VALUES ('delete', old.id, old.subject, old.body_text, old.from_name);
END;
CREATE TRIGGER messages_fts_au AFTER UPDATE OF subject, body_text, from_name ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, subject, body_text, from_name)
    VALUES ('delete', old.id, old.subject, old.body_text, old.from_name);
    INSERT INTO messages_fts (rowid, subject, body_text, from_name)
    VALUES (new.id, new.subject, new.body_text, new.from_name);
END;
