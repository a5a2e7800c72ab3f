package lists

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Retention: a list may keep its posts for a number of months only. The hourly
// maintenance deletes posts that arrived before the start of the day that many months
// ago, so the work (and the purge of the database files that follows it) comes once a
// day, not every hour.

// MaxRetention is the longest retention one can set, in months (100 years).
const MaxRetention = 1200

// CheckRetention says what is wrong with a retention of months, if anything.
func CheckRetention(months int) error {
	if months < 0 || months > MaxRetention {
		return inputErr("-retention %d: must be 0 (keep for ever) to %d months", months, MaxRetention)
	}
	return nil
}

// SetRetention sets how many months the list keeps its posts; 0 keeps them for ever.
func (s *Service) SetRetention(ctx context.Context, list string, months int) error {
	if err := CheckRetention(months); err != nil {
		return err
	}
	_, err := s.UpdateList(ctx, list, ListSettings{"retention": strconv.Itoa(months)})
	return err
}

// Retention returns how many months the list keeps its posts (0: for ever).
func (s *Service) Retention(ctx context.Context, list string) (int, error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return 0, err
	}
	return l.RetentionMonths, nil
}

// RetentionCutoff is when the posts still kept under a retention of months begin, at
// now: the start of that day (UTC), months back.
func RetentionCutoff(now time.Time, months int) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, -months, 0)
}

// ApplyRetention deletes the posts that lists keep no longer, then purges the
// database files of them; with nothing to delete, it finishes a purge that was cut
// short (by a crash, or by a reader that kept the write-ahead log), whichever
// deletion it followed. The maintenance calls it at start and hourly.
func (s *Service) ApplyRetention(ctx context.Context) error {
	rs := s.st
	ls, err := rs.Retentions(ctx)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	deleted := 0
	var errs []error
	for _, r := range ls {
		e, err := rs.DeletePostsBefore(ctx, r.ListID, RetentionCutoff(now, r.Months))
		deleted += e.Posts + e.Held
		if e.Posts+e.Held > 0 {
			s.log.Info("old posts deleted", "list", r.Name, "months", r.Months, "posts", e.Posts, "held", e.Held)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("retention of %s: %w", r.Name, err))
		}
	}
	// What was deleted is purged even when a list failed: the next run may have
	// nothing left to delete, and so would not purge.
	if deleted > 0 {
		s.forget(0)
		errs = append(errs, rs.PurgeTraces(ctx))
	} else {
		errs = append(errs, rs.PurgePending(ctx))
	}
	return errors.Join(errs...)
}
