-- When a list that is not anonymous rewrites From to itself: "auto" for senders whose
-- domain asks receivers to quarantine or reject unauthenticated mail (DMARC), or
-- "always".
ALTER TABLE lists ADD COLUMN dmarc_rewrite TEXT NOT NULL DEFAULT 'auto' CHECK (dmarc_rewrite IN ('auto', 'always'));
