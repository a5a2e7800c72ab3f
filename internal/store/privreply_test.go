package store

import (
	"context"
	"errors"
	"regexp"
	"testing"
)

func TestRelaysAndBlocks(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	kita, job := &List{Name: "kita", Archive: "public", Moderation: "none"}, &List{Name: "job", Archive: "public", Moderation: "none"}
	for _, l := range []*List{kita, job} {
		if err := db.CreateList(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	relay := func(listID int64, addr string) *Relay {
		t.Helper()
		var r *Relay
		if err := db.Update(ctx, func(tx *Tx) (err error) { r, err = tx.RelayFor(listID, addr); return err }); err != nil {
			t.Fatal(err)
		}
		return r
	}
	anna, anna2, annaJob, ben := relay(kita.ID, "anna@example.net"), relay(kita.ID, "anna@example.net"),
		relay(job.ID, "anna@example.net"), relay(kita.ID, "ben@example.net")
	if anna.ID != anna2.ID {
		t.Errorf("a second RelayFor made a new relay: %s, %s", anna.ID, anna2.ID)
	}
	if anna.ID == annaJob.ID || anna.ID == ben.ID {
		t.Errorf("relays shared across lists or addresses: %s %s %s", anna.ID, annaJob.ID, ben.ID)
	}
	if !regexp.MustCompile(`^[a-z2-7]{12}$`).MatchString(anna.ID) {
		t.Errorf("relay id %q is not 12 lower-case base32 characters", anna.ID)
	}

	err := db.Update(ctx, func(tx *Tx) error {
		got, err := tx.RelayByID(ben.ID)
		if err != nil || got.Address != "ben@example.net" || got.ListID != kita.ID {
			t.Errorf("RelayByID = %+v, %v", got, err)
		}
		if _, err := tx.RelayByID("nosuchrelay0"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown relay: %v", err)
		}
		for range 2 { // blocking twice is fine
			if err := tx.Block("anna@example.net", ben.ID); err != nil {
				return err
			}
		}
		if err := tx.Block("ben@example.net", annaJob.ID); err != nil {
			return err
		}
		for _, c := range []struct {
			author, relay string
			want          bool
		}{
			{"anna@example.net", ben.ID, true},
			{"carl@example.net", ben.ID, false},
			{"ben@example.net", anna.ID, false},
			{"ben@example.net", annaJob.ID, true},
		} {
			if got, err := tx.Blocked(c.author, c.relay); err != nil || got != c.want {
				t.Errorf("Blocked(%s, %s) = %v, %v; want %v", c.author, c.relay, got, err, c.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	ex, err := db.ExportAddress(ctx, "anna@example.net")
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Relays) != 2 || len(ex.Blocks) != 1 || ex.Blocks[0].RelayID != ben.ID || ex.Blocks[0].ListID != kita.ID {
		t.Errorf("export: relays %d, blocks %+v", len(ex.Relays), ex.Blocks)
	}

	if _, err := db.EraseAddress(ctx, "anna@example.net", nil, true); err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.RelayByID(anna.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("erased address's relay still there: %v", err)
		}
		if b, _ := tx.Blocked("anna@example.net", ben.ID); b {
			t.Error("erased address's block still there")
		}
		if b, _ := tx.Blocked("ben@example.net", annaJob.ID); b {
			t.Error("a block against the erased address's relay is still there")
		}
		if _, err := tx.RelayByID(ben.ID); err != nil {
			t.Errorf("someone else's relay went: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
