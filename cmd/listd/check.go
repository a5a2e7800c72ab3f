package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"time"

	"listd/internal/check"
	"listd/internal/config"
	"listd/internal/dkim"
)

// errCheckFailed ends `listd check` with a non-zero status; the report said why.
var errCheckFailed = errors.New("something required is missing (FEHLT/MISSING above)")

// cmdCheck looks up what the list domain needs in DNS and checks the configuration,
// printing one line per item in the site's language.
func cmdCheck(e *env) error {
	f := newFlags(e, "check")
	ip := f.String("ip", "", "the public address outgoing mail leaves from (default: the relay's, unless it is on this machine)")
	if _, err := f.parse(0, 0, "no arguments"); err != nil {
		return err
	}
	cfg, err := config.Load(*f.config)
	if err != nil {
		return err
	}
	c := check.Config{Domain: cfg.Domain, BaseURL: cfg.BaseURL, Relay: cfg.Relay.Address, Selector: cfg.DKIM.Selector,
		Language: cfg.Language, Resolver: dnsResolver(cfg.Resolver)}
	if *ip != "" {
		if c.SourceIP, err = netip.ParseAddr(*ip); err != nil {
			return fmt.Errorf("%w: -ip %q is not an IP address", errUsage, *ip)
		}
	}
	if c.Selector != "" {
		if c.KeyFile, err = dkim.KeyPath(cfg.DataDir, c.Selector); err != nil {
			return err
		}
		key, err := dkim.LoadKey(c.KeyFile)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if key != nil {
			c.DKIMKey = key.Public()
		}
	}
	ctx, cancel := context.WithTimeout(e.ctx, time.Minute)
	defer cancel()
	rs := check.Run(ctx, c)
	if err := check.Print(e.stdout, rs, cfg.Language); err != nil {
		return err
	}
	if check.Failed(rs) {
		return errCheckFailed
	}
	return nil
}
