-- Why a post is held is kept as a code and a detail (a word, a type, sizes), so that
-- every reader sees the reason in their own language; reason keeps a text for rows
-- written before and for readers that know no codes.
ALTER TABLE held ADD COLUMN reason_code TEXT NOT NULL DEFAULT '';
ALTER TABLE held ADD COLUMN reason_detail TEXT NOT NULL DEFAULT '';
-- Posts held before this with one of the English reasons get their code, so they
-- read in each reader's language too.
UPDATE held SET reason_code = 'emergency' WHERE reason = 'emergency: the list holds every post';
UPDATE held SET reason_code = 'moderated' WHERE reason = 'the list moderates every post';
UPDATE held SET reason_code = 'first_post' WHERE reason = 'first post of a new member';
UPDATE held SET reason_code = 'non_member' WHERE reason = 'the sender is not a member';
UPDATE held SET reason_code = 'attachment', reason_detail = substr(reason, 20, length(reason) - 34)
  WHERE reason LIKE 'attachment of type % is not allowed';
UPDATE held SET reason_code = 'keyword', reason_detail = substr(reason, 20, length(reason) - 20)
  WHERE reason LIKE 'contains the word „%“';

-- What happens to a post with crisis words: held for the moderators (the poster gets
-- the crisis lines at once) or published at once.
ALTER TABLE lists ADD COLUMN crisis TEXT NOT NULL DEFAULT 'hold' CHECK (crisis IN ('hold', 'publish'));

-- A member of an anonymous list is told once that signatures are removed.
ALTER TABLE members ADD COLUMN signature_told INTEGER NOT NULL DEFAULT 0;
