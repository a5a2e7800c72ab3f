package main

import (
	"bufio"
	"fmt"
	"time"
)

// cmdFigures prints the association's aggregate figures, the same counts /metrics
// exports: readers by mode, posters and first posts per month, counselling searches
// and replies. Counts only; nothing names a person.
func cmdFigures(e *env) error {
	f := newFlags(e, "figures")
	since := f.String("since", time.Now().AddDate(-1, 0, 0).Format("2006-01"), "first month (YYYY-MM)")
	return f.run(0, 0, "", func(a *app, _ []string) error {
		if _, err := time.Parse("2006-01", *since); err != nil {
			return fmt.Errorf("-since %q: want a month as YYYY-MM", *since)
		}
		fs, err := a.db.Figures(e.ctx, *since)
		if err != nil {
			return err
		}
		cs, err := a.db.CounselStats(e.ctx, *since)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(e.stdout)
		fmt.Fprintln(w, "figure\tlist\tmode or month\tcount")
		for _, f := range fs {
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\n", f.Name, f.List, f.Label, f.Count)
		}
		for _, c := range cs {
			fmt.Fprintf(w, "counselling_%s\t%s\t%s\t%d\n", c.Kind, c.Topic, c.Month, c.Count)
		}
		return w.Flush()
	})
}
