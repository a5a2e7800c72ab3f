package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"listd/internal/lists"
)

// The commands for running the site: deleting a list, changing and exporting
// members, bans, site admins and the audit log. Each is recorded in the audit log
// as done by "cli".

func cmdListRm(e *env) error {
	f := newFlags(e, "list rm")
	return f.run(1, 1, "NAME", func(a *app, pos []string) error {
		d, err := a.svc.DeleteList(e.ctx, lists.ActorCLI, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "deleted %s: %d posts, %d members, %d held posts, %d queued copies\n",
			strings.ToLower(pos[0]), d.Posts, d.Members, d.Held, d.Queued)
		return nil
	})
}

func cmdMemberSet(e *env) error {
	f := newFlags(e, "member set")
	var mode, role, name, postal string
	f.StringVar(&mode, "mode", "", lists.Alternatives(lists.Modes()))
	f.StringVar(&role, "role", "", lists.Alternatives(lists.Roles()))
	f.StringVar(&name, "name", "", "display name or pseudonym (\"\" clears it)")
	f.StringVar(&postal, "postal", "", "postal code, for counselling suggestions (\"\" clears it)")
	return f.run(2, 2, "LIST ADDRESS", func(a *app, pos []string) error {
		var c lists.MemberChange
		n := 0
		f.Visit(func(fl *flag.Flag) {
			switch fl.Name {
			case "mode":
				c.Mode = &mode
			case "role":
				c.Role = &role
			case "name":
				c.Name = &name
			case "postal":
				c.Postal = &postal
			default:
				return
			}
			n++
		})
		if n == 0 {
			return fmt.Errorf("%w: nothing to change: give -mode, -role, -name or -postal", errUsage)
		}
		m, err := a.svc.SetMember(e.ctx, lists.ActorCLI, pos[0], pos[1], c)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s on %s: mode %s, role %s, name %q, postal %q\n", m.Address, strings.ToLower(pos[0]),
			m.Mode, m.Role, m.Name, m.Postal)
		return nil
	})
}

func cmdMemberExport(e *env) error {
	f := newFlags(e, "member export")
	return f.run(1, 1, "LIST", func(a *app, pos []string) error {
		w := bufio.NewWriter(e.stdout)
		if err := a.svc.ExportMembersCSV(e.ctx, lists.ActorCLI, pos[0], w); err != nil {
			return err
		}
		return w.Flush()
	})
}

// importMembersCSV is member import for a file with a header row (email, name, mode,
// role, postal; German headers too).
func importMembersCSV(e *env, a *app, list, file string, data []byte, mode string) error {
	res, err := a.svc.ImportMembersCSV(e.ctx, lists.ActorCLI, list, bytes.NewReader(data),
		lists.CSVImportOptions{File: file, Mode: mode})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %d new members into %s (%d lines, %d already members)\n", res.Added, list, res.Lines, res.Existed)
	return nil
}

func cmdBanAdd(e *env) error {
	f := newFlags(e, "ban add")
	return f.run(2, 2, "LIST ADDRESS|@DOMAIN", func(a *app, pos []string) error {
		p, err := a.svc.AddBan(e.ctx, lists.ActorCLI, pos[0], pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "banned %s from %s\n", p, strings.ToLower(pos[0]))
		return nil
	})
}

func cmdBanRm(e *env) error {
	f := newFlags(e, "ban rm")
	return f.run(2, 2, "LIST ADDRESS|@DOMAIN", func(a *app, pos []string) error {
		p, err := a.svc.RemoveBan(e.ctx, lists.ActorCLI, pos[0], pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "lifted the ban of %s from %s\n", p, strings.ToLower(pos[0]))
		return nil
	})
}

func cmdBanLs(e *env) error {
	f := newFlags(e, "ban ls")
	return f.run(1, 1, "LIST", func(a *app, pos []string) error {
		bs, err := a.svc.Bans(e.ctx, pos[0])
		if err != nil {
			return err
		}
		w := bufio.NewWriter(e.stdout)
		for _, b := range bs {
			fmt.Fprintf(w, "%s\t%s\n", b.Pattern, b.CreatedAt.Local().Format("2006-01-02 15:04"))
		}
		return w.Flush()
	})
}

func cmdAdminAdd(e *env) error {
	f := newFlags(e, "admin add")
	return f.run(1, 1, "ADDRESS", func(a *app, pos []string) error {
		mb, err := a.svc.AddSiteAdmin(e.ctx, lists.ActorCLI, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s is a site admin\n", mb)
		return nil
	})
}

func cmdAdminRm(e *env) error {
	f := newFlags(e, "admin rm")
	return f.run(1, 1, "ADDRESS", func(a *app, pos []string) error {
		mb, err := a.svc.RemoveSiteAdmin(e.ctx, lists.ActorCLI, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s is no longer a site admin\n", mb)
		return nil
	})
}

func cmdAdminLs(e *env) error {
	f := newFlags(e, "admin ls")
	return f.run(0, 0, "no arguments", func(a *app, _ []string) error {
		as, err := a.svc.SiteAdmins(e.ctx)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(e.stdout)
		for _, ad := range as {
			where := "added"
			if ad.Config {
				where = "config"
			}
			fmt.Fprintf(w, "%s\t%s\n", ad.Mailbox, where)
		}
		return w.Flush()
	})
}

func cmdAuditLs(e *env) error {
	f := newFlags(e, "audit ls")
	limit := f.Int("limit", 100, "at most this many entries, newest first")
	before := f.Int64("before", 0, "entries older than this entry's number (the next page)")
	return f.run(0, 1, "[LIST]", func(a *app, pos []string) error {
		list := ""
		if len(pos) == 1 {
			list = pos[0]
		}
		es, err := a.svc.AuditLog(e.ctx, list, *before, *limit)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(e.stdout)
		for _, en := range es {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", en.ID, en.At.Local().Format("2006-01-02 15:04:05"), or(en.List, "-"),
				en.Actor, en.Action, oneLine(en.Detail))
		}
		return w.Flush()
	})
}

// readImportFile reads a member import file, saying which file could not be read.
func readImportFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such file", path)
	}
	return data, err
}
