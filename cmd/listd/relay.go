package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	netmail "net/mail"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-message/mail"

	"listd/internal/config"
	"listd/internal/delivery"
	"listd/internal/dkim"
)

// relayConfig is the delivery's view of [relay]: the password read from its file or
// the environment, the CA file loaded. Errors name the file or setting, never the
// password.
func relayConfig(cfg config.Config, logger *slog.Logger) (delivery.Config, error) {
	r := cfg.Relay
	pw, err := r.Password()
	if err != nil {
		return delivery.Config{}, err
	}
	if r.PasswordFile != "" {
		// The file holds a secret: say so when others may read it.
		if fi, err := os.Stat(r.PasswordFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
			logger.Warn("relay password file is readable by others: chmod 600 it", "file", r.PasswordFile, "mode", fi.Mode().Perm().String())
		}
	}
	var roots *x509.CertPool
	if r.CAFile != "" {
		b, err := os.ReadFile(r.CAFile)
		if err != nil {
			return delivery.Config{}, fmt.Errorf("relay.ca_file: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(b) {
			return delivery.Config{}, fmt.Errorf("relay.ca_file %s holds no PEM certificate", r.CAFile)
		}
	}
	return delivery.Config{
		Relay: r.Address, TLS: delivery.TLSMode(r.TLS), RootCAs: roots,
		Username: r.Username, Password: delivery.Secret(pw), HeloName: cfg.Domain,
	}, nil
}

// cmdRelayTest sends one test mail through the configured relay and prints the
// relay's answers.
func cmdRelayTest(e *env) error {
	f := newFlags(e, "relay test")
	pos, err := f.parse(1, 1, "ADDRESS")
	if err != nil {
		return err
	}
	cfg, err := config.Load(*f.config)
	if err != nil {
		return err
	}
	if cfg.Relay.Address == "" {
		return fmt.Errorf("no relay configured: set [relay] address in the config")
	}
	to, err := netmail.ParseAddress(pos[0])
	if err != nil || to.Name != "" || strings.ContainsAny(to.Address, " <>\r\n") {
		return fmt.Errorf("%w: %q is not a mail address", errUsage, pos[0])
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dc, err := relayConfig(cfg, logger)
	if err != nil {
		return err
	}
	from := "postmaster@" + cfg.Domain
	msg, err := testMail(from, to.Address, cfg.Domain, time.Now())
	if err != nil {
		return err
	}
	msg, signedAs, err := signTestMail(cfg, msg)
	if err != nil {
		return err
	}
	if signedAs != "" {
		fmt.Fprintf(e.stdout, "*  the test mail is DKIM-signed as %s\n", signedAs)
	} else {
		fmt.Fprintln(e.stdout, "*  the test mail is not DKIM-signed: no key for [dkim] selector (listd dkim keygen)")
	}
	ctx, stop := signal.NotifyContext(e.ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := delivery.Probe(ctx, dc, from, []string{to.Address}, bytes.NewReader(msg), e.stdout); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "*  the relay accepted the test mail for %s\n", to.Address)
	return nil
}

// signTestMail signs msg as serve signs every copy, when the selector's key exists,
// so that the test shows what the provider makes of the signature too.
func signTestMail(cfg config.Config, msg []byte) (signed []byte, as string, err error) {
	if cfg.DKIM.Selector == "" {
		return msg, "", nil
	}
	path, err := dkim.KeyPath(cfg.DataDir, cfg.DKIM.Selector)
	if err != nil {
		return nil, "", err
	}
	key, err := dkim.LoadKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		return msg, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	s, err := dkim.NewSigner(cfg.Domain, cfg.DKIM.Selector, key)
	if err != nil {
		return nil, "", fmt.Errorf("dkim key %s: %w", path, err)
	}
	sig, err := s.Signature(bytes.NewReader(msg))
	if err != nil {
		return nil, "", err
	}
	return append(sig, msg...), "d=" + s.Domain() + " s=" + s.Selector(), nil
}

// testMail is the message `listd relay test` sends: German and English, marked as
// automatic (RFC 3834) so that no vacation notice answers it.
func testMail(from, to, domain string, now time.Time) ([]byte, error) {
	var h mail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*mail.Address{{Name: "listd", Address: from}})
	h.SetAddressList("To", []*mail.Address{{Address: to}})
	h.SetSubject("listd: Testmail über das Relay / test mail through the relay")
	if err := h.GenerateMessageIDWithHostname(domain); err != nil {
		return nil, err
	}
	h.Set("Auto-Submitted", "auto-generated")
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	body := fmt.Sprintf(`Diese Testmail hat listd für %[1]s mit "listd relay test" über das
eingestellte Relay verschickt. Wenn sie angekommen ist, kann listd Mail
zustellen. Bitte nicht antworten.

listd sent this test mail for %[1]s with "listd relay test" through the
configured relay. If it arrived, listd can deliver mail. Please do not reply.
`, domain)
	var buf bytes.Buffer
	w, err := mail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
