package main

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"listd/internal/config"
	"listd/internal/counsel"
	"listd/internal/lists"
	"listd/internal/store"
	"listd/internal/token"
	"listd/templates"
)

// app is the parts a command line command works with.
type app struct {
	cfg  config.Config
	db   *store.DB
	svc  *lists.Service
	sign *token.Signer
	tmpl fs.FS
	live *counsel.Live
}

func (a *app) Close() { a.db.Close() }

// serving is what `listd serve` adds to the parts a command opens; the zero value
// is right for the other commands.
type serving struct {
	logger *slog.Logger // nil: warnings and errors to stderr
	kick   func()       // wakes the deliverer when copies are queued
	reg    prometheus.Registerer
	tmpl   fs.FS // nil: the embedded templates
	dns    bool  // look up DMARC policies and authenticate senders: only serve needs DNS
}

// open loads the config and opens the database, the token key and the list domain
// with its counselling directory. The caller closes the app.
func open(e *env, configPath string, sv serving) (*app, error) {
	if sv.tmpl == nil {
		sv.tmpl = templates.FS("")
	}
	if sv.logger == nil {
		sv.logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	cfg, err := config.Load(configPath)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(e.ctx, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	key, err := token.LoadOrCreateKey(cfg.DataDir)
	if err != nil {
		db.Close()
		return nil, err
	}
	var resolver lists.Resolver
	if sv.dns {
		resolver = dnsResolver(cfg.Resolver)
	}
	sign := token.NewSigner(key, nil)
	live := counsel.NewLive(db, counsel.LiveOptions{Logger: sv.logger})
	svc, err := lists.New(db, sign, lists.Config{Domain: cfg.Domain, BaseURL: cfg.BaseURL, Language: cfg.Language,
		Logger: sv.logger, Kick: sv.kick, Registerer: sv.reg, Templates: sv.tmpl, Counsel: live, Resolver: resolver,
		TrustedAuthServID: cfg.SMTP.TrustedAuthServID, ErasePosts: lists.ErasePolicy(cfg.Privacy.ErasePosts),
		Admins: cfg.Admins, Site: lists.SiteSettings{Name: cfg.Site.Name, LogoURL: cfg.Site.LogoURL, Contact: cfg.Site.Contact,
			ImpressumURL: cfg.Site.ImpressumURL, DatenschutzURL: cfg.Site.DatenschutzURL, TimeZone: cfg.Site.TimeZone},
		CounselSettings: lists.CounselConfig{Results: cfg.Counsel.Results, RadiusKM: cfg.Counsel.RadiusKM,
			CrisisWords: cfg.Counsel.CrisisWords, CrisisLines: cfg.Counsel.CrisisLines}})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &app{cfg: cfg, db: db, svc: svc, sign: sign, tmpl: sv.tmpl, live: live}, nil
}

func cmdListCreate(e *env) error {
	f := newFlags(e, "list create")
	values := map[string]func() string{}
	for _, st := range lists.Settings() {
		if !st.Create {
			continue
		}
		switch st.Kind {
		case lists.Int:
			n, _ := strconv.Atoi(st.Default)
			p := f.Int(st.Name, n, st.FlagUsage(true))
			values[st.Name] = func() string { return strconv.Itoa(*p) }
		default:
			p := f.String(st.Name, st.Default, st.FlagUsage(true))
			values[st.Name] = func() string { return *p }
		}
	}
	pos, err := f.parse(1, 1, "NAME")
	if err != nil {
		return err
	}
	o := lists.ListOptions{Settings: lists.ListSettings{}}
	for name, v := range values {
		o.Settings[name] = v()
	}
	if err := lists.CheckSettings(o.Settings); err != nil {
		return err
	}
	a, err := open(e, *f.config, serving{})
	if err != nil {
		return err
	}
	defer a.Close()
	l, err := a.svc.CreateList(e.ctx, pos[0], o)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created %s@%s\n", l.Name, a.cfg.Domain)
	return nil
}

func cmdListLs(e *env) error {
	f := newFlags(e, "list ls")
	return f.run(0, 0, "no arguments", func(a *app, _ []string) error {
		ls, err := a.svc.Lists(e.ctx)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(e.stdout)
		for _, l := range ls {
			fmt.Fprintf(w, "%s\t%d\t%s\n", l.Name, l.Members, oneLine(l.Title))
		}
		return w.Flush()
	})
}

func memberFlags(f *flags, o *lists.MemberOptions) {
	f.StringVar(&o.Name, "name", "", "display name or pseudonym")
	f.StringVar(&o.Mode, "mode", string(lists.ModeEach), lists.Alternatives(lists.Modes()))
	f.StringVar(&o.Role, "role", string(lists.RoleMember), lists.Alternatives(lists.Roles()))
	f.StringVar(&o.Postal, "postal", "", "postal code, for counselling suggestions")
	f.StringVar(&o.DigestFormat, "digest-format", "", "newsletter, mime or plain (RFC 1153)")
}

func cmdMemberAdd(e *env) error {
	f := newFlags(e, "member add")
	var o lists.MemberOptions
	memberFlags(f, &o)
	return f.run(2, 2, "LIST ADDRESS", func(a *app, pos []string) error {
		m, err := a.svc.AddMember(e.ctx, pos[0], pos[1], o)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "added %s to %s\n", m.Address, pos[0])
		return nil
	})
}

func cmdMemberRm(e *env) error {
	f := newFlags(e, "member rm")
	return f.run(2, 2, "LIST ADDRESS", func(a *app, pos []string) error {
		if err := a.svc.RemoveMember(e.ctx, pos[0], pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "removed %s from %s\n", strings.ToLower(pos[1]), pos[0])
		return nil
	})
}

func cmdMemberLs(e *env) error {
	f := newFlags(e, "member ls")
	return f.run(1, 1, "LIST", func(a *app, pos []string) error {
		ms, err := a.svc.Members(e.ctx, pos[0])
		if err != nil {
			return err
		}
		w := bufio.NewWriter(e.stdout)
		for _, m := range ms {
			fmt.Fprintf(w, "%s\t%s\t%s\n", m.Address, m.Mode, m.Role)
		}
		return w.Flush()
	})
}

func cmdMemberImport(e *env) error {
	f := newFlags(e, "member import")
	var o lists.MemberOptions
	f.StringVar(&o.Mode, "mode", string(lists.ModeEach), lists.Alternatives(lists.Modes()))
	pos, err := f.parse(2, 2, "LIST FILE")
	if err != nil {
		return err
	}
	data, err := readImportFile(pos[1])
	if err != nil {
		return err
	}
	a, err := open(e, *f.config, serving{})
	if err != nil {
		return err
	}
	defer a.Close()
	if lists.LooksLikeMemberCSV(data) {
		return importMembersCSV(e, a, pos[0], pos[1], data, o.Mode)
	}
	n, err := a.svc.ImportMembers(e.ctx, pos[0], pos[1], strings.Split(string(data), "\n"), o)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %d new members into %s\n", n, pos[0])
	return nil
}

func cmdBackup(e *env) error {
	f := newFlags(e, "backup")
	return f.run(1, 1, "FILE", func(a *app, pos []string) error {
		if err := a.db.Backup(e.ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", pos[0])
		return nil
	})
}

// oneLine keeps tab-separated output one record a line.
func oneLine(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

// dnsResolver asks server ("host:port") for every look-up, or the system's resolvers
// when server is "".
func dnsResolver(server string) *net.Resolver {
	if server == "" {
		return net.DefaultResolver
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, server)
	}}
}
