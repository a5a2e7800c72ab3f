-- Search: the words of the full-text index, so that a word typed in a search can be
-- widened to the indexed words it begins (kita: Kitaplatz, Kitas) and matched as exact
-- words. FTS5's own prefix queries read every posting of every such word before the
-- first match comes out, which makes a common word slow in a large archive.
--
-- The search code fills the table from the index and adds the words of newer posts as
-- it finds them. Changing or deleting a post (erasing a person) empties it, so no
-- erased word stays here; it is rebuilt from the index at the next search.
CREATE TABLE search_terms (
    term TEXT    PRIMARY KEY,
    docs INTEGER NOT NULL -- posts holding the word, as counted when it was added
) WITHOUT ROWID;

CREATE TABLE search_terms_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_to INTEGER NOT NULL -- the words of posts up to this id are in search_terms; -1: rebuild
);
INSERT INTO search_terms_state (id, indexed_to) VALUES (1, -1);

-- The index's vocabulary, read to build search_terms.
CREATE VIRTUAL TABLE messages_fts_terms USING fts5vocab (messages_fts, row);

CREATE TRIGGER search_terms_ad AFTER DELETE ON messages
WHEN (SELECT indexed_to FROM search_terms_state) >= 0 BEGIN
    DELETE FROM search_terms;
    UPDATE search_terms_state SET indexed_to = -1;
END;
CREATE TRIGGER search_terms_au AFTER UPDATE OF subject, body_text, from_name ON messages
WHEN (SELECT indexed_to FROM search_terms_state) >= 0 BEGIN
    DELETE FROM search_terms;
    UPDATE search_terms_state SET indexed_to = -1;
END;
