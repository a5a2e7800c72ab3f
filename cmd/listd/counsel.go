package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"listd/internal/counsel"
)

// cmdCentersImport replaces the counselling directory with a centres file. Every
// problem is printed as FILE:LINE: column: reason; with any, nothing is imported,
// unless -skip-invalid imports the good rows.
func cmdCentersImport(e *env) error {
	f := newFlags(e, "centers import")
	skip := f.Bool("skip-invalid", false, "import the rows without problems and report the others")
	pos, err := f.parse(1, 1, "FILE.csv")
	if err != nil {
		return err
	}
	file := pos[0]
	in, err := os.Open(file)
	if err != nil {
		return err
	}
	cs, problems := counsel.ParseCenters(in, file)
	in.Close()
	for _, p := range problems {
		fmt.Fprintln(e.stderr, p)
	}
	switch {
	case len(problems) > 0 && (!*skip || len(cs) == 0):
		return fmt.Errorf("%d %s in %s; nothing imported", len(problems), plural(len(problems), "problem", "problems"), file)
	case len(cs) == 0:
		return fmt.Errorf("no centres in %s; nothing imported", file)
	}
	a, err := open(e, *f.config, serving{})
	if err != nil {
		return err
	}
	defer a.Close()
	if err := counsel.SaveCenters(e.ctx, a.db, cs); err != nil {
		return err
	}
	if len(problems) > 0 {
		fmt.Fprintf(e.stderr, "skipped the rows with the %d %s above\n", len(problems), plural(len(problems), "problem", "problems"))
	}
	fmt.Fprintf(e.stdout, "imported %d centres\n", len(cs))
	return warnPlacement(e, a, file, cs)
}

// warnPlacement tells which centres the geo table cannot place: they are found
// only by postal-code prefix. Without a geo table there is nothing to compare with.
func warnPlacement(e *env, a *app, file string, cs []counsel.Center) error {
	places, err := a.db.Places(e.ctx)
	if err != nil || len(places) == 0 {
		return err
	}
	d := counsel.NewDirectory(cs, counsel.PlacesFromStore(places), counsel.Options{})
	for _, c := range d.Estimated() {
		fmt.Fprintf(e.stderr, "warning: %s:%d: postal code %s is not in the geo table; placed at a neighbouring code\n", file, c.Line, c.PostalCode)
	}
	for _, c := range d.Unplaced() {
		fmt.Fprintf(e.stderr, "warning: %s:%d: postal code %s is not in the geo table and there are no coordinates; found only by postal-code prefix\n", file, c.Line, c.PostalCode)
	}
	return nil
}

func cmdCentersExport(e *env) error {
	f := newFlags(e, "centers export")
	return f.run(0, 0, "no arguments", func(a *app, _ []string) error {
		cs, err := a.db.Centers(e.ctx)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(e.stdout)
		if err := counsel.WriteCenters(w, counsel.FromStore(cs)); err != nil {
			return err
		}
		return w.Flush()
	})
}

func cmdCentersLs(e *env) error {
	f := newFlags(e, "centers ls")
	return f.run(0, 0, "no arguments", func(a *app, _ []string) error {
		cs, err := a.db.Centers(e.ctx)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(e.stdout)
		for _, c := range cs {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", oneLine(c.Name), oneLine(c.PostalCode), oneLine(c.City), oneLine(strings.Join(c.Topics, ";")))
		}
		return w.Flush()
	})
}

// cmdGeoImport replaces the postal-code places of the countries in a GeoNames dump.
func cmdGeoImport(e *env) error {
	start := time.Now()
	f := newFlags(e, "geo import")
	pos, err := f.parse(1, 1, "FILE")
	if err != nil {
		return err
	}
	ps, err := counsel.ReadGeoNamesFile(pos[0])
	if err != nil {
		var le *counsel.LineError
		if errors.As(err, &le) {
			return fmt.Errorf("%v; nothing imported", le)
		}
		return err
	}
	a, err := open(e, *f.config, serving{})
	if err != nil {
		return err
	}
	defer a.Close()
	if err := counsel.SavePlaces(e.ctx, a.db, ps); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %d postal-code places in %.2f s\n", len(ps), time.Since(start).Seconds())
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
