-- Running a site from the web (#17): site admins, the audit log, bans, site settings,
-- and the per-list texts and search-engine setting.

-- Site admins added with `listd admin add`, by mailbox (lists.MailboxOf: lower case,
-- no +tag). Those named in the config file are not stored here.
CREATE TABLE site_admins (
    mailbox    TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL
);

-- Every admin, owner and moderator action. actor is the acting admin's or moderator's
-- address, "cli" or "system"; detail never holds a message body nor a member's
-- address (members are named by a poster number or a masked address). list_id is
-- NULL for site-wide actions; list_name stays when the list is gone.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: pages go by id
    list_id   INTEGER REFERENCES lists (id) ON DELETE CASCADE,
    list_name TEXT    NOT NULL DEFAULT '',
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    detail    TEXT    NOT NULL DEFAULT '',
    at        INTEGER NOT NULL
);
CREATE INDEX audit_log_list ON audit_log (list_id, id);
CREATE INDEX audit_log_at ON audit_log (at);

-- Who may not join or post to a list: a mailbox (folded as above) or "@domain".
CREATE TABLE bans (
    list_id    INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    pattern    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (list_id, pattern)
);

-- Site settings changed on the web; a setting not here has the config's value.
CREATE TABLE site_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Per-list texts in German and English (description stays the German or only one;
-- whether search engines may index an archive is the indexing column of 0018).
ALTER TABLE lists ADD COLUMN description_en TEXT NOT NULL DEFAULT '';
ALTER TABLE lists ADD COLUMN welcome_de TEXT NOT NULL DEFAULT '';
ALTER TABLE lists ADD COLUMN welcome_en TEXT NOT NULL DEFAULT '';
ALTER TABLE lists ADD COLUMN footer_de TEXT NOT NULL DEFAULT '';
ALTER TABLE lists ADD COLUMN footer_en TEXT NOT NULL DEFAULT '';

-- The last bounce's status and diagnostic, for the owners' bounce view.
ALTER TABLE members ADD COLUMN bounce_reason TEXT NOT NULL DEFAULT '';

-- The owners' member search reads address and name from this index alone, in
-- address order, without the members' wider rows (#17: 100,000 members).
CREATE INDEX members_list_search ON members (list_id, address, name);

-- Each list's member count, kept by triggers: counting 100,000 index entries for
-- every page of the member list takes too long.
ALTER TABLE lists ADD COLUMN member_count INTEGER NOT NULL DEFAULT 0;
UPDATE lists SET member_count = (SELECT COUNT(*) FROM members m WHERE m.list_id = lists.id);
CREATE TRIGGER members_count_ai AFTER INSERT ON members BEGIN
    UPDATE lists SET member_count = member_count + 1 WHERE id = new.list_id;
END;
CREATE TRIGGER members_count_ad AFTER DELETE ON members BEGIN
    UPDATE lists SET member_count = member_count - 1 WHERE id = old.list_id;
END;
