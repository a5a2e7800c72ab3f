package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"listd/internal/config"
	"listd/internal/delivery"
	"listd/internal/dkim"
)

// defaultSelector names a key when neither -selector nor [dkim] selector does.
const defaultSelector = "listd"

// cmdDKIMKeygen makes a DKIM key for the list domain, stores it under data_dir and
// prints the DNS record that publishes it.
func cmdDKIMKeygen(e *env) error {
	f := newFlags(e, "dkim keygen")
	selector := f.String("selector", "", "the key's name in DNS (default: [dkim] selector, else "+defaultSelector+")")
	algorithm := f.String("algorithm", dkim.RSA, "rsa (2048 bits, understood everywhere) or ed25519")
	if _, err := f.parse(0, 0, "no arguments"); err != nil {
		return err
	}
	cfg, err := config.Load(*f.config)
	if err != nil {
		return err
	}
	sel := strings.ToLower(strings.TrimSpace(or(*selector, cfg.DKIM.Selector)))
	if sel == "" {
		sel = defaultSelector
	}
	path, err := dkim.KeyPath(cfg.DataDir, sel)
	if err != nil {
		return err
	}
	key, err := dkim.GenerateKey(*algorithm)
	if err != nil {
		return err
	}
	record, err := dkim.Record(sel, cfg.Domain, key.Public())
	if err != nil {
		return err
	}
	if err := dkim.WriteKey(path, key); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, record)
	// A zone-file comment, so that the output can go into a zone file as it is.
	if sel == cfg.DKIM.Selector {
		fmt.Fprintf(e.stdout, "; key in %s: publish this record in DNS, then restart listd serve to sign as d=%s\n", path, cfg.Domain)
	} else {
		fmt.Fprintf(e.stdout, "; key in %s: publish this record in DNS, then set [dkim] selector = %q and restart listd serve\n", path, sel)
	}
	return nil
}

// signing wraps r so that every copy is signed, when the configured selector's key
// exists. No key leaves r as it is; a key that can't be used stops the start.
func signing(cfg config.Config, r delivery.Renderer, logger *slog.Logger) (delivery.Renderer, error) {
	if cfg.DKIM.Selector == "" {
		logger.Info("dkim signing off: [dkim] selector is empty")
		return r, nil
	}
	path, err := dkim.KeyPath(cfg.DataDir, cfg.DKIM.Selector)
	if err != nil {
		return nil, err
	}
	key, err := dkim.LoadKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		logger.Info("dkim signing off: no key (listd dkim keygen makes one)", "file", path)
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	s, err := dkim.NewSigner(cfg.Domain, cfg.DKIM.Selector, key)
	if err != nil {
		return nil, fmt.Errorf("dkim key %s: %w", path, err)
	}
	logger.Info("dkim signing on", "domain", s.Domain(), "selector", s.Selector(), "algorithm", s.Algorithm(), "file", path)
	return dkim.NewRenderer(r, s, logger.With("part", "dkim")), nil
}
