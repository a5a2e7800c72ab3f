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

// cmdListSet changes a list's settings and hold rules.
func cmdListSet(e *env) error {
	f := newFlags(e, "list set")
	var o lists.ListSettings
	f.Func("title", "title", func(v string) error { o.Title = &v; return nil })
	f.Func("description", "description", func(v string) error { o.Description = &v; return nil })
	f.Func("archive", lists.Alternatives(lists.Archives()), func(v string) error { o.Archive = &v; return nil })
	f.Func("moderation", "none, first-post or all", func(v string) error { o.Moderation = &v; return nil })
	f.Func("topics", "counselling topics, comma separated", func(v string) error { o.Topics = &v; return nil })
	f.Func("anonymous", "yes or no", func(v string) error { o.Anonymous = &v; return nil })
	f.Func("nonmember", lists.Alternatives(lists.NonmemberPolicies())+": posts from non-members", func(v string) error { o.Nonmember = &v; return nil })
	f.Func("first-posts", "with -moderation first-post: how many posts of a new member are held", func(v string) error {
		n, err := strconv.Atoi(v)
		o.FirstPosts = &n
		return err
	})
	f.Func("max-size", "hold posts larger than this many bytes (0: no list limit)", func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		o.MaxSize = &n
		return err
	})
	f.Func("attachments", "allowed attachment types, comma separated (image/*, application/pdf, ...); \"\" for the default", func(v string) error {
		o.AttachmentTypes = &v
		return nil
	})
	f.Func("keywords", "words that hold a post, comma separated", func(v string) error { o.HoldKeywords = &v; return nil })
	f.Func("emergency", "on or off: hold every post", func(v string) error { o.Emergency = &v; return nil })
	f.Func("digest", "daily or weekly", func(v string) error { o.DigestFreq = &v; return nil })
	f.Func("dmarc", "auto or always: when a list that is not anonymous sends posts from its own address", func(v string) error {
		o.DMARCRewrite = &v
		return nil
	})
	f.Func("digest-time", "when the digest goes out, e.g. 07:00", func(v string) error { o.DigestTime = &v; return nil })
	f.Func("digest-tz", "the time zone of -digest-time, e.g. Europe/Berlin", func(v string) error { o.DigestTZ = &v; return nil })
	f.Func("digest-day", "weekly digests: 0 Sunday .. 6 Saturday", func(v string) error {
		n, err := strconv.Atoi(v)
		o.DigestDay = &n
		return err
	})
	f.Func("digest-max-posts", "send the digest early when this many posts wait (0: never early)", func(v string) error {
		n, err := strconv.Atoi(v)
		o.DigestMaxPosts = &n
		return err
	})
	var retention *int
	f.Func("retention", "months the list keeps its posts, counted from their arrival (0: for ever)", func(v string) error {
		n, err := strconv.Atoi(v)
		retention = &n
		return err
	})
	return f.run(1, 1, "NAME", func(a *app, pos []string) error {
		if retention != nil {
			// Checked first, so that a bad value changes nothing.
			if err := lists.CheckRetention(*retention); err != nil {
				return err
			}
		}
		l, err := a.svc.UpdateList(e.ctx, pos[0], o)
		if err != nil {
			return err
		}
		if retention != nil {
			if err := a.svc.SetRetention(e.ctx, l.Name, *retention); err != nil {
				return err
			}
		}
		months, err := a.svc.Retention(e.ctx, l.Name)
		if err != nil {
			return err
		}
		kept := "posts kept for ever"
		if months > 0 {
			kept = fmt.Sprintf("posts kept %d months", months)
		}
		fmt.Fprintf(e.stdout, "%s: moderation %s, non-members %s, emergency %v, digest %s at %s %s, %s%s\n", l.Name, l.Moderation,
			l.Nonmember, l.Emergency, l.DigestFreq, l.DigestTime, l.DigestTZ, kept,
			strings.TrimSuffix(", keywords "+strings.Join(l.HoldKeywords, ","), ", keywords "))
		return nil
	})
}
