package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"listd/internal/migrate"
	"listd/internal/store"
)

// maxExportFile bounds a member export read into memory (mboxes are streamed).
const maxExportFile = 64 << 20

// migration is one run of `listd import mailman2|mailman3`: members first (so that an
// anonymous list's archive shows their pseudonyms), then the archives; nothing is sent.
type migration struct {
	e      *env
	a      *app
	l      *store.List
	prefix string // "listd import mailman2: " before report lines
	roster *migrate.Roster
	mboxes []string
}

func (m *migration) report(line string) { fmt.Fprintf(m.e.stderr, "%s%s\n", m.prefix, line) }

// skip notes a whole file that is not read.
func (m *migration) skip(path, reason string) {
	m.roster.Skips = append(m.roster.Skips, migrate.Skip{File: path, Reason: reason})
}

func newMigration(e *env, a *app, list, cmd string) (*migration, error) {
	l, err := a.svc.List(e.ctx, list)
	if err != nil {
		return nil, fmt.Errorf("%w; create it first with `listd list create %s` (choosing -anonymous, -archive and -moderation there), then import again", err, list)
	}
	return &migration{e: e, a: a, l: l, prefix: "listd " + cmd + ": ", roster: migrate.NewRoster()}, nil
}

// readFile reads a member export, bounded.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxExportFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxExportFile {
		return nil, fmt.Errorf("%s: over %d MB: not a member export", path, maxExportFile>>20)
	}
	return b, nil
}

// head returns a file's first bytes, to tell what it is.
func head(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 4096)
	n, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b[:n], nil
}

// finish imports the members read and then the mboxes, and prints the summary.
func (m *migration) finish() error {
	for _, s := range m.roster.Skips {
		m.report(s.String())
	}
	m.roster.Finish()
	members := m.roster.Members()
	sum, err := m.a.svc.ImportMigratedMembers(m.e.ctx, m.l, members, m.report)
	if err != nil {
		return err
	}
	modes, moderated := map[migrate.Mode]int{}, 0
	for _, mb := range members {
		modes[mb.Mode]++
		if mb.Moderated {
			moderated++
		}
	}
	fmt.Fprintf(m.e.stdout, "%s: %d members added, %d already members, %d entries skipped (read: %d each, %d digest, %d nomail; %d moderated)\n",
		m.l.Name, sum.Added, sum.Existing, len(m.roster.Skips), modes[migrate.ModeEach], modes[migrate.ModeDigest], modes[migrate.ModeNoMail], moderated)
	if sum.NamesDropped {
		fmt.Fprintf(m.e.stdout, "%s: the list is anonymous: the old list's full names were not taken (the archive shows pseudonyms: listd member set %s ADDRESS -name N)\n", m.l.Name, m.l.Name)
	}
	if sum.ModerationOn {
		fmt.Fprintf(m.e.stdout, "%s: moderation switched from none to first-post: the %d moderated members' posts are held until a moderator approves one\n", m.l.Name, sum.Moderated)
	}
	if mods, err := m.a.db.Moderators(m.e.ctx, m.l.ID); err == nil && len(mods) == 0 && m.l.Moderation != "none" {
		fmt.Fprintf(m.e.stdout, "%s: the list has no owner or moderator, so held posts go to the site admins, or are refused when there are none: add one (listd member add %s ADDRESS -role moderator)\n", m.l.Name, m.l.Name)
	}
	for _, path := range m.mboxes {
		if err := m.importMbox(path); err != nil {
			return err
		}
	}
	// The archive counted the moderated members' old posts; their next one must wait.
	return m.a.svc.KeepModerated(m.e.ctx, m.l, sum.ModeratedAddrs)
}

func (m *migration) importMbox(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sum, err := m.a.svc.ImportArchive(m.e.ctx, m.l, f, path, m.report)
	if errors.Is(err, store.ErrDigestWaiting) {
		return fmt.Errorf("%s: %v, and the digest has readers: imported messages would go out in it; "+
			"send it first (listd digest send %s), then import again (%d messages were imported before this; "+
			"importing again skips them)", m.l.Name, err, m.l.Name, sum.Imported)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(m.e.stdout, "%s: imported %d messages from %s (%d duplicates skipped, %d unreadable)\n",
		m.l.Name, sum.Imported, path, sum.Duplicates, sum.Unreadable)
	return nil
}

// cmdImportMailman2 brings a Mailman 2 list over: its members from bin/dumpdb,
// bin/list_members or bin/config_list output, and its pipermail mbox.
func cmdImportMailman2(e *env) error {
	f := newFlags(e, "import mailman2")
	return f.run(2, 1<<20, "LIST DIR|FILE...", func(a *app, pos []string) error {
		m, err := newMigration(e, a, pos[0], "import mailman2")
		if err != nil {
			return err
		}
		var files []string
		for _, p := range pos[1:] {
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			if !fi.IsDir() {
				files = append(files, p)
				continue
			}
			found, err := mailman2Dir(p, m.skip)
			if err != nil {
				return err
			}
			files = append(files, found...)
		}
		for _, p := range files {
			if err := m.readMailman2(p); err != nil {
				return err
			}
		}
		return m.finish()
	})
}

// mailman2Dir lists the files of a directory that an export may hold: *.txt, *.lst
// and *.csv (member exports), *.mbox, and LIST.mbox/LIST.mbox as pipermail keeps it.
func mailman2Dir(dir string, skip func(path, reason string)) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, en := range entries {
		name, path := en.Name(), filepath.Join(dir, en.Name())
		switch ext := strings.ToLower(filepath.Ext(name)); {
		case strings.HasPrefix(name, "."):
		case en.IsDir() && ext == ".mbox":
			inner, _ := filepath.Glob(filepath.Join(path, "*.mbox"))
			out = append(out, inner...)
		case en.IsDir():
		case ext == ".txt" || ext == ".lst" || ext == ".csv" || ext == ".mbox" || ext == ".pck":
			out = append(out, path)
		default:
			skip(path, "not a kind of file listd reads")
		}
	}
	sort.Strings(out)
	return out, nil
}

func (m *migration) readMailman2(path string) error {
	h, err := head(path)
	if err != nil {
		return err
	}
	kind := migrate.Mailman2Kind(filepath.Base(path), h)
	if kind == migrate.KindMbox && strings.EqualFold(filepath.Base(path), "digest.mbox") {
		m.skip(path, "the digest waiting to go out, not the archive")
		return nil
	}
	switch kind {
	case migrate.KindMbox:
		m.mboxes = append(m.mboxes, path)
		return nil
	case migrate.KindPickle:
		m.skip(path, "a Python pickle, which listd does not read: run Mailman's bin/dumpdb on it and import its output")
		return nil
	}
	data, err := readFile(path)
	if err != nil {
		return err
	}
	switch kind {
	case migrate.KindDumpdb:
		m.roster.ReadDumpdb(path, data)
	case migrate.KindConfigList:
		m.roster.ReadConfigList(path, data)
	default:
		m.roster.ReadListMembers(path, data)
	}
	return nil
}

// cmdImportMailman3 brings a Mailman 3 list over: its members from Postorius's CSV
// export and its archive from HyperKitty's mbox export.
func cmdImportMailman3(e *env) error {
	f := newFlags(e, "import mailman3")
	return f.run(2, 3, "LIST MEMBERS.csv [ARCHIVE.mbox]", func(a *app, pos []string) error {
		m, err := newMigration(e, a, pos[0], "import mailman3")
		if err != nil {
			return err
		}
		data, err := readFile(pos[1])
		if err != nil {
			return err
		}
		m.roster.ReadPostoriusCSV(pos[1], data)
		if len(pos) == 3 {
			h, err := head(pos[2])
			if err != nil {
				return err
			}
			if migrate.Mailman2Kind(pos[2], h) != migrate.KindMbox && len(h) > 0 {
				return fmt.Errorf("%s: not an mbox (HyperKitty's \"Download\" gives a .mbox.gz: unpack it first with gunzip)", pos[2])
			}
			m.mboxes = append(m.mboxes, pos[2])
		}
		return m.finish()
	})
}
