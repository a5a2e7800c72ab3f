package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultsValidate(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{name: "override", file: "domain = \"Lists.Test\"\n[relay]\naddress = \"127.0.0.1:25\"\n", check: func(t *testing.T, c Config) {
			if c.Domain != "lists.test" || c.Relay.Address != "127.0.0.1:25" || c.SMTP.Listen != "127.0.0.1:2525" {
				t.Errorf("got %+v", c)
			}
		}},
		{name: "durations", file: "[delivery]\nretry_initial = \"2s\"\nmax_age = \"48h\"\n", check: func(t *testing.T, c Config) {
			if c.Delivery.RetryInitial.Seconds() != 2 || c.Delivery.MaxAge.Hours() != 48 {
				t.Errorf("got %+v", c.Delivery)
			}
		}},
		{name: "bad duration", file: "[delivery]\nretry_initial = \"soon\"\n", wantErr: "duration"},
		{name: "lmtp unix", file: "[lmtp]\nlisten = \"unix:/tmp/x.sock\"\n"},
		{name: "syntax", file: "domain = \n", wantErr: "listd.toml:1"},
		{name: "unknown key", file: "domian = \"x\"\n", wantErr: "unknown setting domian"},
		{name: "bad language", file: "language = \"fr\"\n", wantErr: "language"},
		{name: "bad url", file: "base_url = \"ftp://x\"\n", wantErr: "base_url"},
		{name: "bad listen", file: "[smtp]\nlisten = \"2525\"\n", wantErr: "smtp.listen"},
		{name: "bad domain", file: "domain = \"a b\"\n", wantErr: "domain"},
		{name: "admins", file: "admins = [\" chair@example.org \", \"Boss+x@Example.org\"]\n", check: func(t *testing.T, c Config) {
			if len(c.Admins) != 2 || c.Admins[0] != "chair@example.org" {
				t.Errorf("admins = %q", c.Admins)
			}
		}},
		{name: "bad admin", file: "admins = [\"Chair <chair@example.org>\"]\n", wantErr: "admins"},
		{name: "admin without domain", file: "admins = [\"chair@\"]\n", wantErr: "admins"},
		{name: "site", file: "[site]\nname = \"Verein\"\nimpressum_url = \"https://verein.example/impressum\"\ntime_zone = \"Europe/Vienna\"\n",
			check: func(t *testing.T, c Config) {
				if c.Site.Name != "Verein" || c.Site.TimeZone != "Europe/Vienna" {
					t.Errorf("site = %+v", c.Site)
				}
			}},
		{name: "bad time zone", file: "[site]\ntime_zone = \"Berlin\"\n", wantErr: "site.time_zone"},
		{name: "protocol-relative logo", file: "[site]\nlogo_url = \"//evil.example/x.png\"\n", wantErr: "site.logo_url"},
		{name: "bad impressum", file: "[site]\nimpressum_url = \"javascript:x\"\n", wantErr: "site.impressum_url"},
		{name: "trusted authserv-id", file: "[smtp]\ntrusted_authserv_id = \" mx.example.org \"\n", check: func(t *testing.T, c Config) {
			if c.SMTP.TrustedAuthServID != "mx.example.org" {
				t.Errorf("smtp.trusted_authserv_id = %q", c.SMTP.TrustedAuthServID)
			}
		}},
		{name: "trusted authserv-id default", file: "", check: func(t *testing.T, c Config) {
			if c.SMTP.TrustedAuthServID != "" {
				t.Errorf("smtp.trusted_authserv_id = %q, want none", c.SMTP.TrustedAuthServID)
			}
		}},
		{name: "bad authserv-id", file: "[smtp]\ntrusted_authserv_id = \"mx.example.org; dkim=pass\"\n", wantErr: "smtp.trusted_authserv_id"},
		{name: "smtp limits", file: "[smtp]\nmax_header_size = 65536\nmax_header_fields = 500\nmax_sessions = 20\nmax_sessions_per_network = 4\n", check: func(t *testing.T, c Config) {
			if c.SMTP.MaxHeaderSize != 65536 || c.SMTP.MaxHeaderFields != 500 || c.SMTP.MaxSessions != 20 || c.SMTP.MaxSessionsPerNetwork != 4 {
				t.Errorf("got %+v", c.SMTP)
			}
		}},
		{name: "header limit too small", file: "[smtp]\nmax_header_size = 100\n", wantErr: "smtp.max_header_size"},
		{name: "no sessions", file: "[smtp]\nmax_sessions = 0\n", wantErr: "smtp.max_sessions"},
		{name: "imap tls", file: "[imap]\nlisten = \"\"\ntls_listen = \"127.0.0.1:993\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n", check: func(t *testing.T, c Config) {
			if c.IMAP.Listen != "" || c.IMAP.TLSListen != "127.0.0.1:993" || c.IMAP.TLSCert != "c.pem" || c.IMAP.TLSKey != "k.pem" {
				t.Errorf("got %+v", c.IMAP)
			}
		}},
		{name: "metrics token", file: "[http]\nmetrics_token = \"Zq8r3xVfK2mWp9Lh\"\n", check: func(t *testing.T, c Config) {
			if c.HTTP.MetricsToken != "Zq8r3xVfK2mWp9Lh" || c.HTTP.Listen != "127.0.0.1:8080" {
				t.Errorf("got %+v", c.HTTP)
			}
		}},
		{name: "metrics token default", file: "", check: func(t *testing.T, c Config) {
			if c.HTTP.MetricsToken != "" {
				t.Errorf("http.metrics_token = %q", c.HTTP.MetricsToken)
			}
		}},
		{name: "metrics token with a space", file: "[http]\nmetrics_token = \"two words\"\n", wantErr: "http.metrics_token"},
		{name: "imap cert without key", file: "[imap]\ntls_cert = \"c.pem\"\n", wantErr: "imap.tls_key"},
		{name: "imap tls without cert", file: "[imap]\ntls_listen = \"127.0.0.1:993\"\n", wantErr: "imap.tls_listen"},
		{name: "dkim default", file: "", check: func(t *testing.T, c Config) {
			if c.DKIM.Selector != "listd" {
				t.Errorf("dkim.selector = %q", c.DKIM.Selector)
			}
		}},
		{name: "dkim selector", file: "[dkim]\nselector = \"Mail2026.Listd\"\n", check: func(t *testing.T, c Config) {
			if c.DKIM.Selector != "mail2026.listd" {
				t.Errorf("dkim.selector = %q", c.DKIM.Selector)
			}
		}},
		{name: "dkim off", file: "[dkim]\nselector = \"\"\n", check: func(t *testing.T, c Config) {
			if c.DKIM.Selector != "" {
				t.Errorf("dkim.selector = %q", c.DKIM.Selector)
			}
		}},
		{name: "dkim bad selector", file: "[dkim]\nselector = \"../key\"\n", wantErr: "dkim.selector"},
		{name: "dkim unknown key", file: "[dkim]\nkey = \"x.pem\"\n", wantErr: "unknown setting dkim.key"},
		{name: "relay defaults", file: "", check: func(t *testing.T, c Config) {
			if c.Relay != (Relay{TLS: RelayStartTLS}) {
				t.Errorf("relay = %+v", c.Relay)
			}
		}},
		{name: "relay submission", file: "[relay]\naddress = \"smtp.example.net:587\"\nusername = \"lists@example.org\"\npassword_file = \"/etc/listd/relay.pw\"\nca_file = \"/etc/listd/ca.pem\"\n", check: func(t *testing.T, c Config) {
			want := Relay{Address: "smtp.example.net:587", TLS: RelayStartTLS, Username: "lists@example.org", PasswordFile: "/etc/listd/relay.pw", CAFile: "/etc/listd/ca.pem"}
			if c.Relay != want {
				t.Errorf("relay = %+v", c.Relay)
			}
		}},
		{name: "relay implicit", file: "[relay]\naddress = \"smtp.example.net:465\"\ntls = \"implicit\"\n"},
		{name: "relay 465 with starttls", file: "[relay]\naddress = \"smtp.example.net:465\"\n", wantErr: "relay.tls = \"implicit\""},
		{name: "relay bad tls", file: "[relay]\ntls = \"yes\"\n", wantErr: "relay.tls \"yes\""},
		{name: "relay ca without tls", file: "[relay]\ntls = \"none\"\nca_file = \"ca.pem\"\n", wantErr: "relay.ca_file"},
		{name: "relay password file without user", file: "[relay]\npassword_file = \"pw\"\n", wantErr: "relay.username is empty"},
		{name: "relay password in config", file: "[relay]\npassword = \"x\"\n", wantErr: "unknown setting relay.password"},
		{name: "smtp tls", file: "[smtp]\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n", check: func(t *testing.T, c Config) {
			if c.SMTP.TLSCert != "c.pem" || c.SMTP.TLSKey != "k.pem" {
				t.Errorf("smtp = %+v", c.SMTP)
			}
		}},
		{name: "smtp cert without key", file: "[smtp]\ntls_cert = \"c.pem\"\n", wantErr: "smtp.tls_key"},
		{name: "imap bad tls listen", file: "[imap]\ntls_listen = \"993\"\ntls_cert = \"c\"\ntls_key = \"k\"\n", wantErr: "imap.tls_listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "listd.toml")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestRelayPassword(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "s3cret pass\n", 0o600)
	crlf := write("crlf", "s3cret\r\n", 0o600)
	empty := write("empty", "\n", 0o600)
	twoLines := write("two", "a\nb\n", 0o600)
	unreadable := write("unreadable", "x", 0o000)
	tests := []struct {
		name    string
		relay   Relay
		env     string
		want    string
		wantErr string
	}{
		{name: "no username", relay: Relay{}, env: "from-env", want: ""},
		{name: "file", relay: Relay{Username: "u", PasswordFile: good}, env: "from-env", want: "s3cret pass"},
		{name: "file crlf", relay: Relay{Username: "u", PasswordFile: crlf}, want: "s3cret"},
		{name: "env", relay: Relay{Username: "u"}, env: "from-env", want: "from-env"},
		{name: "none", relay: Relay{Username: "u"}, wantErr: "LISTD_RELAY_PASSWORD"},
		{name: "missing file", relay: Relay{Username: "u", PasswordFile: filepath.Join(dir, "nope")}, wantErr: "relay.password_file " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{name: "a directory", relay: Relay{Username: "u", PasswordFile: dir}, wantErr: "relay.password_file " + dir + ": is a directory"},
		{name: "empty file", relay: Relay{Username: "u", PasswordFile: empty}, wantErr: "is empty"},
		{name: "two lines", relay: Relay{Username: "u", PasswordFile: twoLines}, wantErr: "one line"},
	}
	if os.Geteuid() != 0 { // root reads any file
		tests = append(tests, struct {
			name    string
			relay   Relay
			env     string
			want    string
			wantErr string
		}{name: "unreadable file", relay: Relay{Username: "u", PasswordFile: unreadable}, wantErr: "relay.password_file " + unreadable + ": permission denied"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(PasswordEnv, tt.env)
			got, err := tt.relay.Password()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Password() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func FuzzLoad(f *testing.F) {
	f.Add("domain = \"lists.example.org\"\n[smtp]\nlisten = \"127.0.0.1:2525\"\n")
	f.Add("[delivery]\nretry_initial = \"2s\"\n")
	f.Add("[counsel]\nresults = 0\n")
	f.Add("[relay]\naddress = \"smtp.example.net:465\"\ntls = \"implicit\"\nusername = \"u\"\npassword_file = \"pw\"\n")
	f.Add("[smtp]\ntls_cert = \"c.pem\"\n[relay]\ntls = \"none\"\nca_file = \"ca.pem\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		path := filepath.Join(t.TempDir(), "listd.toml")
		if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path)
		if err == nil && c.Validate() != nil {
			t.Fatalf("Load accepted a config that does not validate: %q", in)
		}
	})
}

// The README's configuration block is the built-in defaults, so that an admin can
// copy it as it stands.
func TestREADMEDefaults(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "### Configuration\n")
	if !ok {
		t.Fatal("README has no Configuration section")
	}
	_, rest, ok = strings.Cut(rest, "```toml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README's Configuration section has no toml block")
	}
	path := filepath.Join(t.TempDir(), "listd.toml")
	if err := os.WriteFile(path, []byte(block), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatalf("README's block: %v", err)
	}
	want := Default()
	if err := want.Validate(); err != nil {
		t.Fatal(err)
	}
	// The crisis lists are abbreviated there ("...").
	got.Counsel.CrisisWords, got.Counsel.CrisisLines = want.Counsel.CrisisWords, want.Counsel.CrisisLines
	if !reflect.DeepEqual(got, want) {
		t.Errorf("README's block differs from the defaults:\n got %+v\nwant %+v", got, want)
	}
}
