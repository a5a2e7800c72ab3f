package main

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"listd/internal/lists"
)

// modAction runs one moderation decision from the command line, logged as "cli".
func modAction(action string) func(e *env) error {
	return func(e *env) error {
		f := newFlags(e, "mod "+action)
		reason := ""
		if action == lists.ModReject {
			f.StringVar(&reason, "reason", "", "why, sent to the poster (or a short word: namen, thema, ton, werbung, doppelt)")
		}
		pos, err := f.parse(1, 1, "ID")
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("%w: %q is not a held post's number (see listd mod ls)", errUsage, pos[0])
		}
		a, err := open(e, *f.config, serving{})
		if err != nil {
			return err
		}
		defer a.Close()
		err = a.svc.Moderate(e.ctx, id, action, reason, "cli")
		if errors.Is(err, lists.ErrNoSuchHeld) {
			return fmt.Errorf("held post %d: %w", id, err)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s %d\n", lists.DecidedState(action), id)
		return nil
	}
}

func cmdModLs(e *env) error {
	f := newFlags(e, "mod ls")
	return f.run(0, 0, "no arguments", func(a *app, _ []string) error {
		hs, err := a.svc.HeldPosts(e.ctx, "")
		if err != nil {
			return err
		}
		w := bufio.NewWriter(e.stdout)
		for _, h := range hs {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", h.Held.ID, h.List.Name, h.Held.CreatedAt.Local().Format("2006-01-02 15:04"),
				oneLine(h.Held.FromAddr), oneLine(h.Held.Reason), oneLine(h.Held.Subject))
		}
		return w.Flush()
	})
}

// cmdListSet changes a list's settings and hold rules, in one transaction.
func cmdListSet(e *env) error {
	f := newFlags(e, "list set")
	o := lists.ListSettings{}
	for _, st := range lists.Settings() {
		f.Func(st.Name, st.FlagUsage(false), func(v string) error {
			o[st.Name] = v
			return st.CheckFlag(v)
		})
	}
	return f.run(1, 1, "NAME", func(a *app, pos []string) error {
		l, err := a.svc.UpdateList(e.ctx, pos[0], o)
		if err != nil {
			return err
		}
		kept := "posts kept for ever"
		if l.RetentionMonths > 0 {
			kept = fmt.Sprintf("posts kept %d months", l.RetentionMonths)
		}
		fmt.Fprintf(e.stdout, "%s: moderation %s, non-members %s, emergency %v, digest %s at %s %s, %s%s\n", l.Name, l.Moderation,
			l.Nonmember, l.Emergency, l.DigestFreq, l.DigestTime, l.DigestTZ, kept,
			strings.TrimSuffix(", keywords "+strings.Join(l.HoldKeywords, ","), ", keywords "))
		return nil
	})
}

// cmdListShow prints every setting of a list, one "key<TAB>value" line each.
func cmdListShow(e *env) error {
	f := newFlags(e, "list show")
	return f.run(1, 1, "NAME", func(a *app, pos []string) error {
		l, err := a.svc.List(e.ctx, pos[0])
		if err != nil {
			return err
		}
		w := bufio.NewWriter(e.stdout)
		for _, st := range lists.Settings() {
			fmt.Fprintf(w, "%s\t%s\n", st.Name, oneLine(st.Value(l)))
		}
		return w.Flush()
	})
}
