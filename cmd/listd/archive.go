package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"listd/internal/lists"
	"listd/internal/store"
)

// cmdArchiveImport reads an mbox into a list's archive, in file order, threaded as
// live posts are, and sends nothing.
func cmdArchiveImport(e *env) error {
	f := newFlags(e, "archive import")
	authors := f.String("authors", string(lists.ImportPseudonym),
		"anonymous lists: how posts of senders without a pseudonym there are named: pseudonym (\"Mitglied 3F2A9C\", stable) or name (the From field's display name, never the address)")
	return f.run(2, 2, "LIST FILE.mbox", func(a *app, pos []string) error {
		start := time.Now()
		who, err := lists.ParseImportAuthors(*authors)
		if err != nil {
			return fmt.Errorf("-authors %w", err)
		}
		l, err := a.svc.List(e.ctx, pos[0])
		if err != nil {
			return err
		}
		file, err := os.Open(pos[1])
		if err != nil {
			return err
		}
		defer file.Close()
		sum, err := a.svc.ImportArchiveWith(e.ctx, l, file, pos[1], lists.ImportOptions{Authors: who}, func(line string) {
			fmt.Fprintf(e.stderr, "listd archive import: %s\n", line)
		})
		if errors.Is(err, store.ErrDigestWaiting) {
			return fmt.Errorf("%s: %v, and the digest has readers: imported messages would go out in it; "+
				"send it first (listd digest send %s), then import again (%d messages were imported before this; "+
				"importing again skips them)", l.Name, err, l.Name, sum.Imported)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "imported %d messages into %s (%d duplicates skipped, %d unreadable) in %.2f s\n",
			sum.Imported, l.Name, sum.Duplicates, sum.Unreadable, time.Since(start).Seconds())
		return nil
	})
}
