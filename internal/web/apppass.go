package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"listd/internal/store"
)

// appPasswords is what the settings page asks of the list domain for IMAP app
// passwords. It is optional: without it the page offers none.
type AppPasswords interface {
	NewAppPassword(ctx context.Context, address, label string) (string, *store.AppPassword, error)
	AppPasswords(ctx context.Context, address string) ([]*store.AppPassword, error)
	RevokeAppPassword(ctx context.Context, address string, id int64) error
}

// appPasswordView is the settings page's section on app passwords.
type appPasswordView struct {
	Passwords []*store.AppPassword
	New       string // a password just made: shown once, never again
	NewLabel  string
}

// appPasswordAction handles the settings page's app-password buttons; it reports
// whether the request was one of them (then v holds what to show).
func (s *Server) appPasswordAction(r *http.Request, ap AppPasswords, addr string, v *appPasswordView) (bool, error) {
	switch r.PostFormValue("do") {
	case "apppass_new":
		label := strings.TrimSpace(r.PostFormValue("label"))
		if len(label) > 60 {
			label = label[:60]
		}
		pw, p, err := ap.NewAppPassword(r.Context(), addr, label)
		if err != nil {
			return true, err
		}
		v.New, v.NewLabel = pw, p.Label
		return true, nil
	case "apppass_revoke":
		id, err := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
		if err != nil || id <= 0 {
			return true, nil // nothing to revoke; the list below shows what is there
		}
		return true, ap.RevokeAppPassword(r.Context(), addr, id)
	}
	return false, nil
}
