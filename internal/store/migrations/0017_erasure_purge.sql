-- A deletion that must leave no trace (a withdrawal, an erasure, posts past their
-- list's retention) marks the database in its own transaction, and PurgeTraces takes
-- the mark away once the index is merged, the free pages are given back and the
-- write-ahead log is empty. A purge cut short (listd stopped or killed in between, or
-- a reader that kept the log from being emptied) is finished at the next start or
-- maintenance. gen counts the deletions, so that a purge leaves the mark of one that
-- came while it ran.
CREATE TABLE purge_pending (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    gen INTEGER NOT NULL
);
