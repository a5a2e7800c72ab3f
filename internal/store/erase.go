package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
)

// Export is everything stored about one address.
type Export struct {
	Address     string
	Memberships []*Member
	Lists       map[int64]string // list id → name, for the memberships and posts
	Posts       []*Message
	Raw         map[int64][]byte // post id → bytes as received
	Held        []*Held
	Pending     []*Pending
	Sessions    int
	Relays      []*Relay // private-reply relays standing for the address
	Blocks      []*Block // private-reply senders the address blocked
	// AppPasswords are the address's IMAP app passwords (their labels and dates).
	AppPasswords []*AppPassword
	SeenFlags    int // posts the address marked seen over IMAP
	// Asks are the address's questions waiting for confirmation; Follows its choices
	// for threads (follow.go).
	Asks    []*Ask
	Follows []*Follow
}

// ExportAddress gathers what the store keeps about address.
func (s *DB) ExportAddress(ctx context.Context, address string) (*Export, error) {
	ex := &Export{Address: address, Lists: map[int64]string{}, Raw: map[int64][]byte{}}
	var err error
	if ex.Memberships, err = s.Memberships(ctx, address); err != nil {
		return nil, err
	}
	if ex.Posts, err = s.queryMessages(ctx, `SELECT `+messageColumns+` FROM messages WHERE from_addr = ? ORDER BY id`, address); err != nil {
		return nil, fmt.Errorf("export posts: %w", err)
	}
	for _, m := range ex.Posts {
		if ex.Raw[m.ID], err = s.Raw(ctx, m.ID); err != nil {
			return nil, err
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+heldColumns+` FROM held WHERE from_addr = ? OR env_from = ? ORDER BY id`, address, address)
	if err != nil {
		return nil, fmt.Errorf("export held posts: %w", err)
	}
	for rows.Next() {
		h, err := scanHeld(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("export held posts: %w", err)
		}
		ex.Held = append(ex.Held, h)
	}
	rows.Close()
	prows, err := s.db.QueryContext(ctx, `SELECT id, list_id, address, action, mode, name, postal, language, expires_at FROM pending WHERE address = ?`, address)
	if err != nil {
		return nil, fmt.Errorf("export pending: %w", err)
	}
	for prows.Next() {
		var p Pending
		var exp int64
		if err := prows.Scan(&p.ID, &p.ListID, &p.Address, &p.Action, &p.Mode, &p.Name, &p.Postal, &p.Language, &exp); err != nil {
			prows.Close()
			return nil, fmt.Errorf("export pending: %w", err)
		}
		p.ExpiresAt = fromMilli(exp)
		ex.Pending = append(ex.Pending, &p)
	}
	prows.Close()
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE address = ?`, address).Scan(&ex.Sessions); err != nil {
		return nil, fmt.Errorf("export sessions: %w", err)
	}
	if err := s.exportPrivReplies(ctx, ex); err != nil {
		return nil, err
	}
	if err := s.exportIMAP(ctx, ex); err != nil {
		return nil, err
	}
	if err := s.exportFollow(ctx, ex); err != nil {
		return nil, err
	}
	ls, err := s.Lists(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		ex.Lists[l.ID] = l.Name
	}
	return ex, nil
}

// Erased counts what EraseAddress removed.
type Erased struct {
	Memberships, Posts, Held, Deliveries int
}

// EraseAddress removes address and its personal data: memberships (with names and
// postal codes), pending requests, logins and sessions, IMAP app passwords and seen
// flags, trust, rate counters, held posts, queued and past copies, its name in the
// moderation and audit logs and its place among the site admins, and its posts:
// deleted, or with deletePosts false, kept with the address and the names replaced.
// What it deletes or replaces is zeroed (see secureTx), and PurgeTraces then removes
// what is left in the index, free pages and the write-ahead log, as for a withdrawal.
func (s *DB) EraseAddress(ctx context.Context, address string, names []string, deletePosts bool) (*Erased, error) {
	var e Erased
	err := s.secureTx(ctx, func(tx *sql.Tx) error {
		exec := func(q string, args ...any) (int, error) {
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return 0, err
			}
			n, _ := res.RowsAffected()
			return int(n), nil
		}
		var err error
		if e.Deliveries, err = exec(`DELETE FROM deliveries WHERE rcpt = ? OR member_id IN (SELECT id FROM members WHERE address = ?)`, address, address); err != nil {
			return err
		}
		if e.Memberships, err = exec(`DELETE FROM members WHERE address = ?`, address); err != nil {
			return err
		}
		if e.Held, err = exec(`DELETE FROM held WHERE from_addr = ? OR env_from = ?`, address, address); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM pending WHERE address = ?`, `DELETE FROM asks WHERE address = ?`, `DELETE FROM logins WHERE address = ?`, `DELETE FROM sessions WHERE address = ?`,
			`DELETE FROM trusted_senders WHERE address = ?`, `DELETE FROM rates WHERE substr(key, instr(key, ':') + 1) = ?`,
			`UPDATE mod_log SET actor = 'erased' WHERE actor = ?`,
			`UPDATE audit_log SET actor = 'erased' WHERE actor = ?`,
			`UPDATE audit_log SET detail = 'erased' WHERE action IN ('admin-add', 'admin-remove') AND detail = ?`,
			`DELETE FROM site_admins WHERE mailbox = ?`,
			`DELETE FROM mails WHERE id NOT IN (SELECT mail_id FROM deliveries WHERE mail_id IS NOT NULL)`,
		} {
			args := []any{address}
			if strings.Contains(q, "FROM mails") {
				args = nil
			}
			if _, err := exec(q, args...); err != nil {
				return err
			}
		}
		if err := erasePrivReplies(ctx, tx, address); err != nil {
			return err
		}
		if err := eraseIMAP(ctx, tx, address); err != nil {
			return err
		}
		if err := markPurge(ctx, tx); err != nil {
			return err
		}
		if deletePosts {
			e.Posts, err = exec(`DELETE FROM messages WHERE from_addr = ?`, address)
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT m.id, m.subject, m.body_text, r.raw, m.withdrawn_at IS NOT NULL
			FROM messages m JOIN message_raw r ON r.message_id = m.id WHERE m.from_addr = ?`, address)
		if err != nil {
			return err
		}
		type post struct {
			id            int64
			subject, text string
			raw           []byte
			withdrawn     bool
		}
		var ps []post
		for rows.Next() {
			var p post
			if err := rows.Scan(&p.id, &p.subject, textScanner{s.pack, &p.text}, &p.raw, &p.withdrawn); err != nil {
				rows.Close()
				return err
			}
			ps = append(ps, p)
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return err
		}
		rows.Close()
		scrub := scrubber(address, names)
		for _, p := range ps {
			text := string(scrub([]byte(p.text)))
			if _, err := exec(`UPDATE messages SET from_addr = '', from_name = '', body_text = ? WHERE id = ?`, s.pack.packText(s.pack.live, text), p.id); err != nil {
				return err
			}
			if !p.withdrawn {
				if err := reindex(ctx, tx, p.id, p.subject, text, ""); err != nil {
					return err
				}
			}
			raw, err := s.pack.unpackRaw(p.raw)
			if err != nil {
				return fmt.Errorf("post %d: %w", p.id, err)
			}
			if _, err := exec(`UPDATE message_raw SET raw = ? WHERE message_id = ?`, s.pack.packRaw(s.pack.live, scrub(raw)), p.id); err != nil {
				return err
			}
		}
		e.Posts = len(ps)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("erase: %w", classify(err))
	}
	if err := s.PurgeTraces(ctx); err != nil {
		return &e, fmt.Errorf("erase: %w", err)
	}
	return &e, nil
}

// scrubber replaces the address and the names, in any case, with neutral words.
func scrubber(address string, names []string) func([]byte) []byte {
	var parts []string
	for _, n := range append([]string{address}, names...) {
		if n = strings.TrimSpace(n); len(n) >= 2 {
			parts = append(parts, regexp.QuoteMeta(n))
		}
	}
	re := regexp.MustCompile(`(?i)` + strings.Join(parts, "|"))
	return func(b []byte) []byte {
		return re.ReplaceAllFunc(b, func(m []byte) []byte {
			if bytes.Contains(m, []byte("@")) {
				return []byte("erased@invalid")
			}
			return []byte("(erased)")
		})
	}
}
