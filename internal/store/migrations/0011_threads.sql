-- Threads and months of the archive, kept by triggers so that every way into the
-- archive (live posts, imports, erasure) keeps them right, and the thread list and
-- the month index never scan all messages of a list.
CREATE TABLE threads (
    id         INTEGER PRIMARY KEY, -- the archive id of the thread's first post
    list_id    INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    subject    TEXT    NOT NULL DEFAULT '',
    posts      INTEGER NOT NULL DEFAULT 0,
    first_date INTEGER NOT NULL,
    last_id    INTEGER NOT NULL,
    last_date  INTEGER NOT NULL
);
CREATE INDEX threads_list_last ON threads (list_id, last_id);

CREATE TABLE archive_months (
    list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    month   TEXT    NOT NULL, -- YYYY-MM of the posts' Date, UTC
    posts   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (list_id, month)
) WITHOUT ROWID;

CREATE INDEX messages_list_day ON messages (list_id, date);

-- Threading by subject looks at one list's recent posts with one subject key.
DROP INDEX messages_subject;
CREATE INDEX messages_subject ON messages (list_id, subject_key, date);

CREATE TRIGGER messages_threads_ai AFTER INSERT ON messages BEGIN
    INSERT INTO threads (id, list_id, subject, posts, first_date, last_id, last_date)
    VALUES (new.thread_id, new.list_id, new.subject, 1, new.date, new.id, new.date)
    ON CONFLICT (id) DO UPDATE SET posts = posts + 1, last_id = max(last_id, excluded.last_id),
        last_date = max(last_date, excluded.last_date);
    INSERT INTO archive_months (list_id, month, posts)
    VALUES (new.list_id, strftime('%Y-%m', new.date, 'unixepoch'), 1)
    ON CONFLICT (list_id, month) DO UPDATE SET posts = posts + 1;
END;

CREATE TRIGGER messages_threads_ad AFTER DELETE ON messages BEGIN
    UPDATE threads SET posts = posts - 1,
        last_id = COALESCE((SELECT MAX(id) FROM messages WHERE thread_id = old.thread_id), 0),
        last_date = COALESCE((SELECT MAX(date) FROM messages WHERE thread_id = old.thread_id), 0)
    WHERE id = old.thread_id;
    DELETE FROM threads WHERE id = old.thread_id AND posts <= 0;
    UPDATE archive_months SET posts = posts - 1
    WHERE list_id = old.list_id AND month = strftime('%Y-%m', old.date, 'unixepoch');
    DELETE FROM archive_months WHERE list_id = old.list_id AND posts <= 0;
END;

INSERT INTO threads (id, list_id, subject, posts, first_date, last_id, last_date)
SELECT m.thread_id, m.list_id, COALESCE(r.subject, MIN(m.subject)), COUNT(*), MIN(m.date), MAX(m.id), MAX(m.date)
FROM messages m LEFT JOIN messages r ON r.id = m.thread_id
GROUP BY m.thread_id;

INSERT INTO archive_months (list_id, month, posts)
SELECT list_id, strftime('%Y-%m', date, 'unixepoch'), COUNT(*) FROM messages GROUP BY 1, 2;
