-- Why a post is held is kept as a code and a detail (a word, a type, sizes), so that
-- every reader sees the reason in their own language; reason keeps a text for rows
-- written before and for readers that know no codes.
ALTER TABLE held ADD COLUMN reason_code TEXT NOT NULL DEFAULT '';
ALTER TABLE held ADD COLUMN reason_detail TEXT NOT NULL DEFAULT '';

-- What happens to a post with crisis words: held for the moderators (the poster gets
-- the crisis lines at once) or published at once.
ALTER TABLE lists ADD COLUMN crisis TEXT NOT NULL DEFAULT 'hold' CHECK (crisis IN ('hold', 'publish'));

-- A member of an anonymous list is told once that signatures are removed.
ALTER TABLE members ADD COLUMN signature_told INTEGER NOT NULL DEFAULT 0;
