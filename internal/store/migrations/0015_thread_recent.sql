-- Threads are listed by when their newest post came in. For live posts that is the
-- arrival; an imported post counts from its own date, so that an old archive
-- imported into a running list sorts below the current threads, not above them.
ALTER TABLE threads ADD COLUMN last_received INTEGER NOT NULL DEFAULT 0;
UPDATE threads SET last_received = COALESCE((SELECT MAX(received_at) FROM messages WHERE thread_id = threads.id), 0);
CREATE INDEX threads_list_recent ON threads (list_id, last_received, last_id);
DROP INDEX threads_list_last;

DROP TRIGGER messages_threads_ai;
CREATE TRIGGER messages_threads_ai AFTER INSERT ON messages BEGIN
    INSERT INTO threads (id, list_id, subject, posts, first_date, last_id, last_date, last_received)
    VALUES (new.thread_id, new.list_id, new.subject, 1, new.date, new.id, new.date, new.received_at)
    ON CONFLICT (id) DO UPDATE SET posts = posts + 1, last_id = max(last_id, excluded.last_id),
        last_date = max(last_date, excluded.last_date), last_received = max(last_received, excluded.last_received);
    INSERT INTO archive_months (list_id, month, posts)
    VALUES (new.list_id, strftime('%Y-%m', new.date, 'unixepoch'), 1)
    ON CONFLICT (list_id, month) DO UPDATE SET posts = posts + 1;
END;

DROP TRIGGER messages_threads_ad;
CREATE TRIGGER messages_threads_ad AFTER DELETE ON messages BEGIN
    UPDATE threads SET posts = posts - 1,
        last_id = COALESCE((SELECT MAX(id) FROM messages WHERE thread_id = old.thread_id), 0),
        last_date = COALESCE((SELECT MAX(date) FROM messages WHERE thread_id = old.thread_id), 0),
        last_received = COALESCE((SELECT MAX(received_at) FROM messages WHERE thread_id = old.thread_id), 0)
    WHERE id = old.thread_id;
    DELETE FROM threads WHERE id = old.thread_id AND posts <= 0;
    UPDATE archive_months SET posts = posts - 1
    WHERE list_id = old.list_id AND month = strftime('%Y-%m', old.date, 'unixepoch');
    DELETE FROM archive_months WHERE list_id = old.list_id AND posts <= 0;
END;
