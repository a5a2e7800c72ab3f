package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"listd/internal/lists"
	"listd/internal/token"
	"listd/templates"
)

// TestListDomainFromConfig: the pages beyond reading and joining come from the
// config's typed list domain only; a Membership that happens to have more methods
// adds no pages.
func TestListDomainFromConfig(t *testing.T) {
	e := newAdminEnv(t)
	signer := token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil)
	svc, err := lists.New(e.db, signer, lists.Config{Domain: "lists.example.org", BaseURL: "http://127.0.0.1:8080", Language: "de",
		Templates: templates.FS(""), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		parts ListDomain
		want  int
	}{
		{"no parts", ListDomain{}, http.StatusNotFound},
		{"writing only", ListDomain{Writing: svc}, http.StatusOK},
		{"every part", ListDomainOf(svc), http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, err := New(e.db, noRender{}, svc, svc, svc, e.db, templates.FS(""), Config{Domain: "lists.example.org", Language: "de",
				Logger: slog.New(slog.DiscardHandler), Signer: signer, Lists: tt.parts})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/kita/ask")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("GET /kita/ask: %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}
