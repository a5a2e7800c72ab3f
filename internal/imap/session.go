package imap

import (
	"context"
	"errors"
	"net"
	"reflect"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-sasl"

	"listd/internal/lists"
	"listd/internal/ratelimit"
)

// session is one IMAP connection.
type session struct {
	srv  *Server
	conn *imapserver.Conn
	key  string // the client network's key for the login limiter; never stored

	user      string // the address logged in; "" before login and for ANONYMOUS
	anonymous bool
	sel       *selection
	checked   time.Time // when access to the selected mailbox was last confirmed
}

var (
	_ imapserver.SessionIMAP4rev2 = (*session)(nil)
	_ imapserver.SessionSASL      = (*session)(nil)
)

func (s *Server) newSession(c *imapserver.Conn) *session {
	return &session{srv: s, conn: c, key: ratelimit.Key(c.NetConn().RemoteAddr().String())}
}

// cmdTimeout bounds the store work of one command.
const cmdTimeout = 5 * time.Minute

func (s *session) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.srv.ctx, cmdTimeout)
}

func (s *session) Close() error { return nil }

func no(code imap.ResponseCode, text string) error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: text}
}

var errTooMany = no(imap.ResponseCodeUnavailable, "Too many failed logins from your address; try again later")

// Login checks an address and one of its app passwords (LOGIN and AUTHENTICATE
// PLAIN and LOGIN end here).
func (s *session) Login(username, password string) error {
	if !s.srv.limiter.Allowed(s.key) {
		return errTooMany
	}
	ctx, cancel := s.ctx()
	defer cancel()
	addr, err := s.srv.dom.CheckAppPassword(ctx, username, password)
	if errors.Is(err, lists.ErrBadLogin) {
		s.srv.limiter.Add(s.key)
		s.srv.log.Info("imap login failed")
		return imapserver.ErrAuthFailed
	}
	if err != nil {
		s.srv.log.Error("imap login", "err", err)
		return no(imap.ResponseCodeUnavailable, "Login is not possible right now; try again later")
	}
	s.user = addr
	return nil
}

// AuthenticateMechanisms are the SASL mechanisms offered.
func (s *session) AuthenticateMechanisms() []string { return []string{"PLAIN", "LOGIN", "ANONYMOUS"} }

// Authenticate starts a SASL exchange.
func (s *session) Authenticate(mech string) (sasl.Server, error) {
	switch mech {
	case "PLAIN":
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return no(imap.ResponseCodeAuthorizationFailed, "Logging in as somebody else is not supported")
			}
			return s.Login(username, password)
		}), nil
	case "LOGIN":
		return &loginServer{auth: s.Login}, nil
	case "ANONYMOUS":
		return sasl.NewAnonymousServer(func(string) error {
			// The trace (often an address) is neither kept nor logged.
			s.anonymous = true
			return nil
		}), nil
	}
	return nil, no("", "SASL mechanism not supported")
}

// Namespace says that every mailbox is in one namespace, with "/" between levels.
func (s *session) Namespace() (*imap.NamespaceData, error) {
	return &imap.NamespaceData{Personal: []imap.NamespaceDescriptor{{Prefix: "", Delim: delim}}}, nil
}

var errNoCreate = no(imap.ResponseCodeCannot, "Mailboxes are the lists you read; they cannot be created, renamed or deleted here")

func (s *session) Create(string, *imap.CreateOptions) error         { return errNoCreate }
func (s *session) Delete(string) error                              { return errNoCreate }
func (s *session) Rename(string, string, *imap.RenameOptions) error { return errNoCreate }

// Subscribe accepts every mailbox the user sees: all of them count as subscribed.
func (s *session) Subscribe(name string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	if _, ok, err := s.mailbox(ctx, name); err != nil {
		return err
	} else if !ok {
		return errNoMailbox
	}
	return nil
}

func (s *session) Unsubscribe(name string) error {
	return no(imap.ResponseCodeCannot, "Every mailbox here stays subscribed; leave the list to stop reading it")
}

// List writes the mailboxes that match.
func (s *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	if len(patterns) == 0 {
		// LIST "" "" asks for the hierarchy delimiter.
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: delim})
	}
	ctx, cancel := s.ctx()
	defer cancel()
	mbs, err := s.mailboxes(ctx)
	if err != nil {
		return err
	}
	for _, mb := range mbs {
		match := false
		for _, p := range patterns {
			if imapserver.MatchList(mb.name, delim, ref, p) {
				match = true
				break
			}
		}
		if !match {
			continue
		}
		data := &imap.ListData{Mailbox: mb.name, Delim: delim, Attrs: mb.attrs()}
		if options.ReturnSubscribed || options.SelectSubscribed {
			data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
		}
		if options.ReturnStatus != nil && mb.selectable() {
			if data.Status, err = s.status(ctx, mb, options.ReturnStatus); err != nil {
				return err
			}
		}
		if err := w.WriteList(data); err != nil {
			return err
		}
	}
	return nil
}

// Status answers STATUS.
func (s *session) Status(name string, options *imap.StatusOptions) (*imap.StatusData, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	mb, ok, err := s.mailbox(ctx, name)
	if err != nil {
		return nil, err
	}
	if !ok || !mb.selectable() {
		return nil, errNoMailbox
	}
	return s.status(ctx, mb, options)
}

func (s *session) status(ctx context.Context, mb mailbox, options *imap.StatusOptions) (*imap.StatusData, error) {
	if options.Size || options.DeletedStorage {
		return nil, &imap.Error{Type: imap.StatusResponseTypeBad, Text: "STATUS SIZE and DELETED-STORAGE are not supported"}
	}
	data := &imap.StatusData{Mailbox: mb.name, UIDValidity: mb.uidValidity(), UIDNext: 1}
	var count, unseen, deleted uint32
	switch mb.kind {
	case kindArchive:
		n, maxID, err := s.srv.st.ArchiveState(ctx, mb.list.ID)
		if err != nil {
			return nil, err
		}
		count, unseen, data.UIDNext = uint32(n), uint32(n), imap.UID(maxID+1)
		if s.user != "" && options.NumUnseen {
			seen, err := s.srv.st.SeenIDs(ctx, s.user, mb.list.ID)
			if err != nil {
				return nil, err
			}
			unseen -= min(unseen, uint32(len(seen)))
		}
	case kindHeld:
		ids, err := s.srv.st.HeldIDs(ctx, mb.list.ID)
		if err != nil {
			return nil, err
		}
		count, unseen = uint32(len(ids)), uint32(len(ids))
		if len(ids) > 0 {
			data.UIDNext = imap.UID(ids[len(ids)-1] + 1)
		}
	}
	if s.sel != nil && s.sel.mb.name == mb.name {
		// The selected mailbox's session flags count too.
		if mb.kind == kindHeld {
			unseen -= min(unseen, uint32(len(s.sel.seen)))
		}
		deleted = uint32(len(s.sel.deleted))
	}
	var recent uint32
	data.NumMessages, data.NumUnseen, data.NumDeleted, data.NumRecent = &count, &unseen, &deleted, &recent
	return data, nil
}

// Select opens a mailbox.
func (s *session) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	s.sel = nil
	mb, ok, err := s.mailbox(ctx, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoMailbox
	}
	if !mb.selectable() {
		return nil, no(imap.ResponseCodeCannot, "This mailbox only holds others")
	}
	sel, err := s.newSelection(ctx, mb, options.ReadOnly)
	if err != nil {
		return nil, err
	}
	s.sel, s.checked = sel, s.srv.cfg.Now()
	data := &imap.SelectData{NumMessages: sel.uids.len(), UIDNext: sel.maxUID + 1, UIDValidity: mb.uidValidity()}
	switch mb.kind {
	case kindArchive:
		data.Flags = []imap.Flag{imap.FlagSeen}
		if s.user != "" {
			data.PermanentFlags = []imap.Flag{imap.FlagSeen}
		}
		if _, maxID, err := s.srv.st.ArchiveState(ctx, mb.list.ID); err == nil && imap.UID(maxID) >= data.UIDNext {
			data.UIDNext = imap.UID(maxID + 1)
		}
	case kindHeld:
		data.Flags = []imap.Flag{imap.FlagSeen, imap.FlagDeleted}
		data.PermanentFlags = []imap.Flag{imap.FlagDeleted}
	default:
		data.Flags = []imap.Flag{}
	}
	if data.PermanentFlags == nil {
		data.PermanentFlags = []imap.Flag{}
	}
	for q, u := range sel.uids.all() {
		if !sel.seen[u] {
			data.FirstUnseenSeqNum = q
			break
		}
	}
	return data, nil
}

func (s *session) Unselect() error {
	s.sel = nil
	return nil
}

// Append answers NO: nothing is written into an archive but by mail to the list.
func (s *session) Append(name string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	return nil, no(imap.ResponseCodeCannot, "The archives are read-only: to post, send mail to the list")
}

// Poll tells the client what changed since its last command.
func (s *session) Poll(w *imapserver.UpdateWriter, allowExpunge bool) error {
	if s.sel == nil {
		return nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	if err := s.checkAccess(ctx); err != nil {
		return err
	}
	var ew expungeWriter
	if allowExpunge {
		ew = w
	}
	return s.refresh(ctx, ew, w)
}

// checkAccess ends the session when the user may no longer read the selected
// mailbox (they left the list, or stopped moderating it). It looks every few seconds.
func (s *session) checkAccess(ctx context.Context) error {
	now := s.srv.cfg.Now()
	if now.Sub(s.checked) < 5*time.Second {
		return nil
	}
	s.checked = now
	_, ok, err := s.mailbox(ctx, s.sel.mb.name)
	if err != nil {
		return err
	}
	if !ok {
		s.sel = nil
		s.conn.Bye("You may no longer read this mailbox")
		return net.ErrClosed
	}
	return nil
}

// Idle looks at the selected mailbox every poll interval and tells the client of new
// posts (and of posts that went) until stop.
func (s *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	t := time.NewTicker(s.srv.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return nil
		case <-s.srv.ctx.Done():
			return nil
		case <-t.C:
		}
		if s.sel == nil {
			continue
		}
		if err := s.Poll(w, true); err != nil {
			return err
		}
	}
}

// Expunge discards the held posts marked \Deleted (through the same decision as a
// moderator's reply); an archive answers NO.
func (s *session) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	if s.sel == nil {
		return nil
	}
	if s.sel.mb.kind != kindHeld {
		if closing(w) {
			// CLOSE in a read-only mailbox removes nothing and is no error (RFC 3501).
			return nil
		}
		return no(imap.ResponseCodeCannot, "The archive is read-only: posts cannot be deleted from it")
	}
	if s.sel.readOnly {
		if closing(w) {
			return nil
		}
		return no(imap.ResponseCodeCannot, "The mailbox was opened read-only (EXAMINE)")
	}
	ctx, cancel := s.ctx()
	defer cancel()
	var ids []imap.UID
	for _, u := range s.sel.uids.all() {
		if s.sel.deleted[u] && !s.sel.gone[u] && (uids == nil || uids.Contains(u)) {
			ids = append(ids, u)
		}
	}
	failed := s.moderate(ctx, ids, lists.ModDiscard)
	if err := s.refresh(ctx, w, nil); err != nil {
		return err
	}
	return failed
}

// closing reports whether Expunge was called for CLOSE: imapserver then hands it a
// writer without a connection, as nothing may be sent.
func closing(w *imapserver.ExpungeWriter) bool {
	if w == nil {
		return true
	}
	f := reflect.ValueOf(w).Elem().FieldByName("conn")
	return f.IsValid() && f.IsNil()
}
