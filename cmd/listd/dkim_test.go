package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"listd/internal/config"
	"listd/internal/dkim"
)

// TestDKIMKeygen: keygen writes the key where serve looks, prints the record that
// publishes it, and never replaces a key.
func TestDKIMKeygen(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "listd.toml")
	data := filepath.Join(dir, "data")
	conf := fmt.Sprintf("domain = \"lists.example.org\"\ndata_dir = %q\n[dkim]\nselector = \"s1\"\n", data)
	if err := os.WriteFile(cfgPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	// In order: the later steps find the keys the earlier ones made.
	steps := []struct {
		name    string
		args    []string
		code    int
		file    string // the key expected afterwards
		record  string // the record's beginning
		hint    string
		wantErr string
	}{
		{name: "configured selector", args: nil, file: "s1.pem",
			record: `s1._domainkey.lists.example.org. IN TXT ( "v=DKIM1; k=rsa; p=`, hint: "restart listd serve to sign as d=lists.example.org"},
		{name: "again", args: nil, code: 1, wantErr: filepath.Join(data, "dkim", "s1.pem") + " already exists"},
		{name: "ed25519 for rotation", args: []string{"-algorithm", "ed25519", "--selector=2026b"}, file: "2026b.pem",
			record: `2026b._domainkey.lists.example.org. IN TXT ( "v=DKIM1; k=ed25519; p=`, hint: `set [dkim] selector = "2026b"`},
		{name: "options after the command words", args: []string{"-selector", "2026b"}, code: 1, wantErr: "already exists"},
		{name: "bad algorithm", args: []string{"-algorithm", "dsa", "-selector", "x"}, code: 1, wantErr: "rsa or ed25519"},
		{name: "bad selector", args: []string{"-selector", "../x"}, code: 1, wantErr: "selector"},
		{name: "arguments", args: []string{"extra"}, code: 2, wantErr: "expected no arguments"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"-config", cfgPath, "dkim", "keygen"}, st.args...)
			code := run(context.Background(), args, &out, &errb)
			if code != st.code {
				t.Fatalf("exit %d, want %d: %s%s", code, st.code, out.String(), errb.String())
			}
			if st.wantErr != "" {
				if !strings.Contains(errb.String(), st.wantErr) || strings.Count(errb.String(), "\n") != 1 {
					t.Errorf("stderr = %q, want one line with %q", errb.String(), st.wantErr)
				}
				return
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], st.record) || !strings.HasPrefix(lines[1], "; ") || !strings.Contains(lines[1], st.hint) {
				t.Fatalf("output = %q", out.String())
			}
			key, err := dkim.LoadKey(filepath.Join(data, "dkim", st.file))
			if err != nil {
				t.Fatal(err)
			}
			txt, _ := dkim.TXT(key.Public())
			var got strings.Builder
			for _, m := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(lines[0], -1) {
				got.WriteString(m[1])
			}
			if got.String() != txt {
				t.Errorf("record publishes %q, the key is %q", got.String(), txt)
			}
		})
	}
}

// TestDKIMUsage: `listd -h` names the command with its options.
func TestDKIMUsage(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, &out, &out); code != 0 || !strings.Contains(out.String(), "\n  dkim keygen [-selector S] [-algorithm rsa|ed25519] ") {
		t.Errorf("listd -h = %d:\n%s", code, out.String())
	}
}

// TestSigning: serve signs when the selector's key exists, not otherwise, and
// refuses a key it can't use.
func TestSigning(t *testing.T) {
	tests := []struct {
		name     string
		selector string
		key      []byte // nil: no file
		signs    bool
		wantErr  string
	}{
		{name: "no key", selector: "listd"},
		{name: "off", selector: "", key: validKey(t)},
		{name: "key", selector: "listd", key: validKey(t), signs: true},
		{name: "broken key", selector: "listd", key: []byte("not a key"), wantErr: "listd.pem: no PEM block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.DataDir = t.TempDir()
			cfg.DKIM.Selector = tt.selector
			if tt.key != nil {
				if err := os.MkdirAll(filepath.Join(cfg.DataDir, "dkim"), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(cfg.DataDir, "dkim", "listd.pem"), tt.key, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var logs bytes.Buffer
			next := renderer{}
			r, err := signing(cfg, next, slog.New(slog.NewTextHandler(&logs, nil)))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, signs := r.(*dkim.Renderer)
			if signs != tt.signs {
				t.Errorf("signs = %v, want %v", signs, tt.signs)
			}
			if want := map[bool]string{true: "dkim signing on", false: "dkim signing off"}[tt.signs]; strings.Count(logs.String(), want) != 1 {
				t.Errorf("log = %q, want one %q", logs.String(), want)
			}
		})
	}
}

func validKey(t *testing.T) []byte {
	t.Helper()
	k, err := dkim.GenerateKey(dkim.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	b, err := dkim.MarshalKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
