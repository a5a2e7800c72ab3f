// Package config owns listd's configuration: one typed struct read from TOML, with
// the built-in defaults of a fresh install and validation of every value.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"
)

// Config is everything listd reads from its config file.
type Config struct {
	Domain   string `toml:"domain"`
	DataDir  string `toml:"data_dir"`
	BaseURL  string `toml:"base_url"`
	Language string `toml:"language"`
	// Resolver is the DNS server ("host:port") listd asks about senders' SPF, DKIM
	// and DMARC records; "" asks the system's resolvers.
	Resolver string `toml:"resolver"`
	// Admins are site admins besides those added with `listd admin add`: they
	// administer every list and the site.
	Admins []string `toml:"admins"`

	SMTP     SMTP     `toml:"smtp"`
	LMTP     Listener `toml:"lmtp"`
	IMAP     IMAP     `toml:"imap"`
	HTTP     HTTP     `toml:"http"`
	Relay    Relay    `toml:"relay"`
	Delivery Delivery `toml:"delivery"`
	Counsel  Counsel  `toml:"counsel"`
	Privacy  Privacy  `toml:"privacy"`
	DKIM     DKIM     `toml:"dkim"`
	Site     Site     `toml:"site"`
}

// Site is what every page and mail footer says about the site: the defaults of the
// site settings that site admins change on the web (stored in the database).
type Site struct {
	Name           string `toml:"name"`            // shown on every page; "" for the domain
	LogoURL        string `toml:"logo_url"`        // "" for none
	Contact        string `toml:"contact"`         // an address or URL; "" for none
	ImpressumURL   string `toml:"impressum_url"`   // the legal notice (Impressum)
	DatenschutzURL string `toml:"datenschutz_url"` // the privacy notice (Datenschutzerklärung)
	TimeZone       string `toml:"time_zone"`       // dates on pages and in mails
}

// DKIM is the signing of outgoing mail. The key is not in the config: `listd dkim
// keygen` writes it to data_dir/dkim/SELECTOR.pem, and serve signs with it as
// d=domain when that file exists.
type DKIM struct {
	// Selector names the key (s=, SELECTOR._domainkey.DOMAIN in DNS); a new selector
	// is how keys are rotated. Default "listd"; "" turns signing off even when a key
	// exists.
	Selector string `toml:"selector"`
}

// Privacy is the site's policy for personal data.
type Privacy struct {
	// ErasePosts says what `listd user erase` does with a person's posts: "anonymize"
	// keeps them with the address and names replaced, "delete" removes them.
	ErasePosts string `toml:"erase_posts"`
}

// Counsel tunes the pointers to counselling centres.
type Counsel struct {
	Results  int     `toml:"results"`   // nearby centres in a reply
	RadiusKM float64 `toml:"radius_km"` // how far a centre may be
	// CrisisWords in a post answer at once with CrisisLines and flag the post for the
	// moderators (lower case; a word also matches inside longer words).
	CrisisWords []string `toml:"crisis_words"`
	CrisisLines []string `toml:"crisis_lines"`
}

// defaultCrisisLines are free, anonymous, round-the-clock German helplines, as their
// operators publish them: TelefonSeelsorge (telefonseelsorge.de), the Elterntelefon of
// Nummer gegen Kummer (nummergegenkummer.de), the Hilfetelefon Gewalt gegen Frauen
// (hilfetelefon.de), and the emergency numbers.
func defaultCrisisLines() []string {
	return []string{
		"TelefonSeelsorge: 0800 111 0 111 oder 0800 111 0 222 (kostenlos, anonym, rund um die Uhr; Chat: online.telefonseelsorge.de)",
		"Elterntelefon der Nummer gegen Kummer: 0800 111 0 550 (kostenlos, anonym)",
		"Hilfetelefon Gewalt gegen Frauen: 116 016 (kostenlos, rund um die Uhr, in vielen Sprachen)",
		"In akuter Gefahr: Notruf 112, Polizei 110",
	}
}

// defaultCrisisWords are words that suggest a crisis.
func defaultCrisisWords() []string {
	return []string{"suizid", "selbstmord", "umbringen", "nicht mehr leben", "leben beenden",
		"keinen ausweg", "schlägt mich", "schlaegt mich", "bedroht mich", "gewalt", "kill myself", "suicide", "end my life"}
}

// Listener is a service's listen address; "" turns it off.
type Listener struct {
	Listen string `toml:"listen"`
}

// HTTP is the web server: pages, the JSON API, health and metrics.
type HTTP struct {
	Listen string `toml:"listen"`
	// MetricsToken lets clients that are not on this machine read /metrics with
	// "Authorization: Bearer TOKEN". "" (the default): /metrics answers loopback
	// clients only.
	MetricsToken string `toml:"metrics_token"`
}

// IMAP is the IMAP server: members read the archives in their mail programs.
type IMAP struct {
	Listen string `toml:"listen"` // plain IMAP, with STARTTLS when a certificate is set; "" off
	// TLSListen is for implicit TLS (port 993); it needs the certificate. "" off.
	TLSListen string `toml:"tls_listen"`
	// TLSCert and TLSKey are PEM files. Without them IMAP logins are only possible
	// from this machine (loopback), as passwords must not cross a network in clear.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
}

// SMTP is the inbound SMTP server.
type SMTP struct {
	Listen         string `toml:"listen"`
	MaxMessageSize int64  `toml:"max_message_size"` // bytes
	MaxRecipients  int    `toml:"max_recipients"`
	// TrustedAuthServID is the authserv-id of the mail server in front of listd (such
	// as Postfix with OpenDKIM/OpenDMARC) whose Authentication-Results fields are
	// believed in mail that reaches listd over a local connection (SMTP or LMTP).
	// Fields with any other id, and all fields over connections from other machines,
	// are ignored; listd then checks SPF, DKIM and DMARC itself. Default "": believe
	// none.
	TrustedAuthServID string `toml:"trusted_authserv_id"`
	// TLSCert and TLSKey are PEM files; with them the server offers STARTTLS.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
	// MaxHeaderSize and MaxHeaderFields bound a message's header section (bytes, fields).
	MaxHeaderSize   int `toml:"max_header_size"`
	MaxHeaderFields int `toml:"max_header_fields"`
	// MaxSessions bounds the SMTP and LMTP sessions open at once, MaxSessionsPerNetwork
	// those from one IPv4 /24 or IPv6 /64; loopback counts only towards MaxSessions.
	MaxSessions           int `toml:"max_sessions"`
	MaxSessionsPerNetwork int `toml:"max_sessions_per_network"`
}

// Relay is the outbound smarthost.
type Relay struct {
	Address string `toml:"address"` // "" keeps mail in the outbox
	// TLS is RelayStartTLS, RelayImplicitTLS or RelayNoTLS.
	TLS string `toml:"tls"`
	// Username turns on SMTP AUTH. The password is never in this file: it comes from
	// PasswordFile or the environment variable LISTD_RELAY_PASSWORD (see Password).
	Username     string `toml:"username"`
	PasswordFile string `toml:"password_file"`
	// CAFile is a PEM file of the CA that signed the relay's certificate, for a
	// private CA; "" checks against the system's roots.
	CAFile string `toml:"ca_file"`
}

// The values of [relay] tls.
const (
	// RelayStartTLS upgrades the connection with STARTTLS and refuses to go on in
	// clear unless the relay is on loopback.
	RelayStartTLS = "starttls"
	// RelayImplicitTLS speaks TLS from the first byte (submissions on port 465).
	RelayImplicitTLS = "implicit"
	// RelayNoTLS never encrypts; AUTH is then refused unless the relay is on loopback.
	RelayNoTLS = "none"
)

// PasswordEnv is the environment variable that may hold the relay's password.
const PasswordEnv = "LISTD_RELAY_PASSWORD"

// Password returns the relay's password: the contents of password_file (without a
// trailing line break) if it is set, else $LISTD_RELAY_PASSWORD. It is "" without a
// username. A password file that cannot be read, or a username without any password,
// is an error naming the file or the variable; the error never holds the password.
func (r Relay) Password() (string, error) {
	if r.Username == "" {
		return "", nil
	}
	if r.PasswordFile != "" {
		b, err := os.ReadFile(r.PasswordFile)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", fmt.Errorf("relay.password_file %s: %w", r.PasswordFile, err)
		}
		pw := strings.TrimRight(string(b), "\r\n")
		if pw == "" {
			return "", fmt.Errorf("relay.password_file %s is empty", r.PasswordFile)
		}
		if strings.ContainsAny(pw, "\r\n") {
			return "", fmt.Errorf("relay.password_file %s must hold the password on one line", r.PasswordFile)
		}
		return pw, nil
	}
	if pw := os.Getenv(PasswordEnv); pw != "" {
		return pw, nil
	}
	return "", fmt.Errorf("relay.username is set but there is no password: set relay.password_file or the environment variable %s", PasswordEnv)
}

// Delivery tunes the outbound queue.
type Delivery struct {
	Connections  int      `toml:"connections"`
	RetryInitial Duration `toml:"retry_initial"` // the first retry's wait; it doubles up to 4 h
	MaxAge       Duration `toml:"max_age"`       // give up on a copy after this long
}

// Duration is a time.Duration written as "90s", "5m" or "120h" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText reads a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like \"90s\" or \"5m\"", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// Default returns the built-in configuration: listd runs with it and no file at all.
func Default() Config {
	return Config{
		Domain:   "lists.example.org",
		DataDir:  "./data",
		BaseURL:  "http://127.0.0.1:8080",
		Language: "de",
		SMTP: SMTP{Listen: "127.0.0.1:2525", MaxMessageSize: 10 << 20, MaxRecipients: 50,
			MaxHeaderSize: 256 << 10, MaxHeaderFields: 1000, MaxSessions: 100, MaxSessionsPerNetwork: 10},
		LMTP:     Listener{Listen: ""},
		IMAP:     IMAP{Listen: "127.0.0.1:1143"},
		HTTP:     HTTP{Listen: "127.0.0.1:8080"},
		Relay:    Relay{TLS: RelayStartTLS},
		Delivery: Delivery{Connections: 8, RetryInitial: Duration{time.Minute}, MaxAge: Duration{5 * 24 * time.Hour}},
		Privacy:  Privacy{ErasePosts: "anonymize"},
		DKIM:     DKIM{Selector: "listd"},
		Counsel:  Counsel{Results: 3, RadiusKM: 50, CrisisWords: defaultCrisisWords(), CrisisLines: defaultCrisisLines()},
		Site:     Site{TimeZone: "Europe/Berlin"},
	}
}

// Load reads path over the defaults. An empty path means ./listd.toml if it exists,
// else the defaults alone.
func Load(path string) (Config, error) {
	c := Default()
	if path == "" {
		if _, err := os.Stat("listd.toml"); err != nil {
			return c, c.Validate()
		}
		path = "listd.toml"
	}
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return c, fmt.Errorf("%s:%d: %s", path, pe.Position.Line, pe.Message)
		}
		return c, fmt.Errorf("%s: %w", path, err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		keys := make([]string, len(un))
		for i, k := range un {
			keys[i] = k.String()
		}
		return c, fmt.Errorf("%s: unknown setting %s", path, strings.Join(keys, ", "))
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func (r *Relay) validate() error {
	switch r.TLS {
	case RelayStartTLS, RelayImplicitTLS, RelayNoTLS:
	default:
		return fmt.Errorf("relay.tls %q must be %q, %q or %q", r.TLS, RelayStartTLS, RelayImplicitTLS, RelayNoTLS)
	}
	if r.Address != "" {
		// Port 465 speaks TLS first: with STARTTLS each attempt would wait for a
		// greeting that never comes.
		if _, port, _ := net.SplitHostPort(r.Address); port == "465" && r.TLS != RelayImplicitTLS {
			return fmt.Errorf("relay.address %q is the port for implicit TLS: set relay.tls = %q", r.Address, RelayImplicitTLS)
		}
	}
	if r.CAFile != "" && r.TLS == RelayNoTLS {
		return fmt.Errorf("relay.ca_file is set but relay.tls = %q never checks a certificate", RelayNoTLS)
	}
	if r.PasswordFile != "" && r.Username == "" {
		return errors.New("relay.password_file is set but relay.username is empty")
	}
	if strings.ContainsAny(r.Username, "\x00\r\n") {
		return errors.New("relay.username must not contain control characters")
	}
	return nil
}

var domainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// Validate reports the first setting that cannot work, naming it.
func (c *Config) Validate() error {
	c.Domain = strings.ToLower(strings.TrimSpace(c.Domain))
	if !domainRE.MatchString(c.Domain) {
		return fmt.Errorf("domain %q is not a domain name", c.Domain)
	}
	if c.DataDir == "" {
		return errors.New("data_dir must not be empty")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("base_url %q must be an http or https URL", c.BaseURL)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Language != "de" && c.Language != "en" {
		return fmt.Errorf("language %q must be de or en", c.Language)
	}
	for i, a := range c.Admins {
		a = strings.TrimSpace(a)
		if at := strings.LastIndexByte(a, '@'); at < 1 || at == len(a)-1 || strings.ContainsAny(a, " \t\r\n<>,;") {
			return fmt.Errorf("admins: %q is not a mail address", a)
		}
		c.Admins[i] = a
	}
	if c.Site.TimeZone != "" {
		if _, err := time.LoadLocation(c.Site.TimeZone); err != nil {
			return fmt.Errorf("site.time_zone %q is not a time zone like Europe/Berlin", c.Site.TimeZone)
		}
	}
	for _, u := range []struct{ name, v string }{{"site.logo_url", c.Site.LogoURL}, {"site.impressum_url", c.Site.ImpressumURL},
		{"site.datenschutz_url", c.Site.DatenschutzURL}} {
		if u.v == "" {
			continue
		}
		p, err := url.Parse(u.v)
		if err != nil || !((p.Scheme == "http" || p.Scheme == "https") && p.Host != "" || p.Scheme == "" && strings.HasPrefix(u.v, "/") && !strings.HasPrefix(u.v, "//")) {
			return fmt.Errorf("%s %q must be an http or https URL or a path", u.name, u.v)
		}
	}
	for _, l := range []struct{ name, addr string }{
		{"smtp.listen", c.SMTP.Listen}, {"imap.listen", c.IMAP.Listen}, {"imap.tls_listen", c.IMAP.TLSListen}, {"http.listen", c.HTTP.Listen},
		{"relay.address", c.Relay.Address}, {"resolver", c.Resolver},
	} {
		if l.addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(l.addr); err != nil {
			return fmt.Errorf("%s %q must be host:port", l.name, l.addr)
		}
	}
	if c.LMTP.Listen != "" && !strings.HasPrefix(c.LMTP.Listen, "unix:") {
		if _, _, err := net.SplitHostPort(c.LMTP.Listen); err != nil {
			return fmt.Errorf("lmtp.listen %q must be host:port or unix:PATH", c.LMTP.Listen)
		}
	}
	if (c.IMAP.TLSCert == "") != (c.IMAP.TLSKey == "") {
		return errors.New("imap.tls_cert and imap.tls_key go together: set both or neither")
	}
	if c.IMAP.TLSListen != "" && c.IMAP.TLSCert == "" {
		return errors.New("imap.tls_listen needs imap.tls_cert and imap.tls_key")
	}
	if strings.IndexFunc(c.HTTP.MetricsToken, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return errors.New("http.metrics_token must not contain spaces or control characters: it is sent in an HTTP header")
	}
	if (c.SMTP.TLSCert == "") != (c.SMTP.TLSKey == "") {
		return errors.New("smtp.tls_cert and smtp.tls_key go together: set both or neither")
	}
	if err := c.Relay.validate(); err != nil {
		return err
	}
	if c.SMTP.MaxMessageSize <= 0 {
		return errors.New("smtp.max_message_size must be positive")
	}
	if c.SMTP.MaxRecipients <= 0 {
		return errors.New("smtp.max_recipients must be positive")
	}
	// An authserv-id is a name as the server writes it before the first ";" (RFC 8601).
	c.SMTP.TrustedAuthServID = strings.TrimSpace(c.SMTP.TrustedAuthServID)
	if id := c.SMTP.TrustedAuthServID; id != "" && (len(id) > 255 || strings.ContainsAny(id, " \t\r\n;()\"\\")) {
		return fmt.Errorf("smtp.trusted_authserv_id %q must be one name, like the mail server's host name", id)
	}
	if c.SMTP.MaxHeaderSize < 1<<10 {
		return errors.New("smtp.max_header_size must be at least 1024")
	}
	if c.SMTP.MaxHeaderFields < 50 {
		return errors.New("smtp.max_header_fields must be at least 50")
	}
	if c.SMTP.MaxSessions <= 0 || c.SMTP.MaxSessionsPerNetwork <= 0 {
		return errors.New("smtp.max_sessions and smtp.max_sessions_per_network must be positive")
	}
	if c.Delivery.Connections <= 0 || c.Delivery.Connections > 100 {
		return errors.New("delivery.connections must be between 1 and 100")
	}
	if c.Counsel.Results < 1 || c.Counsel.Results > 20 || c.Counsel.RadiusKM <= 0 || c.Counsel.RadiusKM > 1000 {
		return errors.New("counsel.results must be 1 to 20 and counsel.radius_km 1 to 1000")
	}
	if c.Privacy.ErasePosts != "anonymize" && c.Privacy.ErasePosts != "delete" {
		return fmt.Errorf("privacy.erase_posts %q must be anonymize or delete", c.Privacy.ErasePosts)
	}
	if c.Delivery.RetryInitial.Duration <= 0 || c.Delivery.MaxAge.Duration <= 0 {
		return errors.New("delivery.retry_initial and delivery.max_age must be positive")
	}
	c.DKIM.Selector = strings.ToLower(strings.TrimSpace(c.DKIM.Selector))
	// A selector is a DNS name below _domainkey and the key's file name.
	if c.DKIM.Selector != "" && (len(c.DKIM.Selector) > 63 || !domainRE.MatchString(c.DKIM.Selector)) {
		return fmt.Errorf("dkim.selector %q must be letters, digits, hyphens and dots", c.DKIM.Selector)
	}
	return nil
}
