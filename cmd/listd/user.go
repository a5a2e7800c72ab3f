package main

import (
	"fmt"
)

// cmdUserExport writes everything stored about an address to stdout.
func cmdUserExport(e *env) error {
	f := newFlags(e, "user export")
	return f.run(1, 1, "ADDRESS", func(a *app, pos []string) error {
		doc, err := a.svc.Export(e.ctx, pos[0])
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", doc)
		return err
	})
}

// cmdUserErase removes an address and its personal data, its posts as the site's
// policy says ([privacy] erase_posts, applied by the list domain).
func cmdUserErase(e *env) error {
	f := newFlags(e, "user erase")
	return f.run(1, 1, "ADDRESS", func(a *app, pos []string) error {
		r, policy, err := a.svc.Erase(e.ctx, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "erased: %d memberships, %d held posts, %d queued or past copies; %d posts %s\n",
			r.Memberships, r.Held, r.Deliveries, r.Posts, policy.Done())
		return nil
	})
}

// cmdUserPassword prints a new IMAP app password for an address; only its hash is
// kept, so this is the one time it can be read.
func cmdUserPassword(e *env) error {
	f := newFlags(e, "user password")
	label := f.String("label", "", "a name for the password, to tell it apart later (\"Thunderbird at home\")")
	return f.run(1, 1, "ADDRESS", func(a *app, pos []string) error {
		pw, _, err := a.svc.NewAppPassword(e.ctx, pos[0], *label)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(e.stdout, pw)
		return err
	})
}
