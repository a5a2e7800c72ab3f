-- Whether search engines may index a list's archive pages (robots.txt and the pages'
-- robots meta tag). Off by default: a parent's post should not be found by a search
-- engine unless the list's owner chose so for a public archive.
ALTER TABLE lists ADD COLUMN indexing INTEGER NOT NULL DEFAULT 0;
