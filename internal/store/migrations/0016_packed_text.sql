-- Posts' text is kept compressed from now on (the store's pack.go), so the full-text
-- index can no longer read it from messages: it becomes contentless, and the store
-- gives it the plain text when it stores, changes or withdraws a post. A post is
-- deleted from it by rowid (contentless_delete); its words stay in the index's
-- segments until they are merged, which PurgeTraces does at once. Rows stored before
-- keep their text as it is.
DROP TRIGGER messages_fts_ai;
DROP TRIGGER messages_fts_ad;
DROP TRIGGER messages_fts_au;
DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    subject, body_text, from_name,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (rowid, subject, body_text, from_name)
    SELECT id, subject, body_text, from_name FROM messages WHERE withdrawn_at IS NULL;
INSERT INTO messages_fts (messages_fts) VALUES ('optimize');
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = old.id;
END;
-- The vocabulary is read from the new index at the next search.
DELETE FROM search_terms;
UPDATE search_terms_state SET indexed_to = -1;
