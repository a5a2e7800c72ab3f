package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"listd/internal/store"
	"listd/internal/token"
)

// TestOneClickUnsubscribe posts RFC 8058 one-click bodies the way mail providers
// send them, without cookie or form token: the signed token in the URL decides.
func TestOneClickUnsubscribe(t *testing.T) {
	urlencoded := func() (string, io.Reader) {
		return "application/x-www-form-urlencoded", strings.NewReader(url.Values{"List-Unsubscribe": {"One-Click"}}.Encode())
	}
	multipartForm := func() (string, io.Reader) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		if err := mw.WriteField("List-Unsubscribe", "One-Click"); err != nil {
			t.Fatal(err)
		}
		mw.Close()
		return mw.FormDataContentType(), &b
	}
	wrongValue := func() (string, io.Reader) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("List-Unsubscribe", "Yes")
		mw.Close()
		return mw.FormDataContentType(), &b
	}
	good := func(s *token.Signer, id int64) string {
		return s.Sign("unsubscribe", []string{"kita", strconv.FormatInt(id, 10)}, time.Hour)
	}
	tests := []struct {
		name   string
		body   func() (string, io.Reader)
		tok    func(s *token.Signer, id int64) string
		status int
		gone   bool
	}{
		{"multipart", multipartForm, good, 200, true},
		{"urlencoded", urlencoded, good, 200, true},
		{"multipart without One-Click needs the form token", wrongValue, good, 403, false},
		{"multipart with a forged token", multipartForm, func(s *token.Signer, id int64) string {
			other := token.NewSigner([]byte("another key, another key, another"), nil)
			return other.Sign("unsubscribe", []string{"kita", strconv.FormatInt(id, 10)}, time.Hour)
		}, 400, false},
		{"multipart with an expired token", multipartForm, func(s *token.Signer, id int64) string {
			old := token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return time.Now().Add(-2 * time.Hour) })
			return old.Sign("unsubscribe", []string{"kita", strconv.FormatInt(id, 10)}, time.Hour)
		}, 400, false},
		{"multipart with another purpose's token", multipartForm, func(s *token.Signer, id int64) string {
			return s.Sign("reenable", []string{"kita", strconv.FormatInt(id, 10)}, time.Hour)
		}, 400, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, db, signer := newTestEnv(t)
			ctx := context.Background()
			kita, err := db.ListByName(ctx, "kita")
			if err != nil {
				t.Fatal(err)
			}
			m, err := db.Member(ctx, kita.ID, "anna@example.net")
			if err != nil {
				t.Fatal(err)
			}
			ctype, body := tt.body()
			resp, err := http.Post(base+"/u/"+tt.tok(signer, m.ID), ctype, body)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			_, err = db.Member(ctx, kita.ID, "anna@example.net")
			if gone := errors.Is(err, store.ErrNotFound); gone != tt.gone {
				t.Errorf("member gone = %v (err %v), want %v", gone, err, tt.gone)
			}
		})
	}
}
