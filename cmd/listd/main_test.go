package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestParseInterleaved: options may stand before or after positional arguments, and
// --x works like -x (CONTRACT.md).
func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		args    []string
		pos     []string
		title   string
		config  string
		wantErr string
	}{
		{[]string{"kita", "-title", "T"}, []string{"kita"}, "T", "", ""},
		{[]string{"-title", "T", "kita"}, []string{"kita"}, "T", "", ""},
		{[]string{"--title=T", "kita", "--config", "c.toml"}, []string{"kita"}, "T", "c.toml", ""},
		{[]string{"kita", "--", "-weird"}, nil, "", "", "expected NAME"},
		{[]string{"kita", "extra"}, nil, "", "", "expected NAME"},
		{[]string{"kita", "-nope"}, nil, "", "", "nope"},
		{[]string{}, nil, "", "", "expected NAME"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			e := &env{ctx: context.Background(), args: tt.args, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
			f := newFlags(e, "list create")
			title := f.String("title", "", "")
			pos, err := f.parse(1, 1, "NAME")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(pos, ",") != strings.Join(tt.pos, ",") || *title != tt.title || *f.config != tt.config {
				t.Errorf("pos %q title %q config %q", pos, *title, *f.config)
			}
		})
	}
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{}, 2, "usage"},
		{[]string{"-h"}, 0, "usage"},
		{[]string{"nonsense"}, 2, "unknown command"},
		{[]string{"-config"}, 2, "needs a file"},
		{[]string{"-x", "list", "ls"}, 2, "unknown option"},
		{[]string{"-config", "/nonexistent/listd.toml", "list", "ls"}, 1, "/nonexistent/listd.toml"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(context.Background(), tt.args, &out, &errb)
		if code != tt.code || !strings.Contains(out.String()+errb.String(), tt.out) {
			t.Errorf("run %q = %d, %q %q", tt.args, code, out.String(), errb.String())
		}
	}
}
