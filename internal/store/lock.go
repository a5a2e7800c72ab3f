package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// ErrInUse means the database needs a migration while another listd process has it
// open: migrating under a running listd built for the older schema could break it.
var ErrInUse = errors.New("database in use by another listd")

// dbLock is an advisory lock (flock) on a file beside the database. Every open
// database holds it shared for as long as it is open; a migration needs it alone.
type dbLock struct{ f *os.File }

// lockPoll is how often lockShared tries again while a migration holds the lock.
const lockPoll = 50 * time.Millisecond

// lockShared opens path and takes the shared lock, waiting while another process
// migrates (holds it exclusively) until ctx ends.
func lockShared(ctx context.Context, path string) (*dbLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if err == nil {
			return &dbLock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: waiting for a migration by another listd: %w", path, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// exclusive makes the lock exclusive, or returns ErrInUse at once if another process
// holds it. flock's conversion is not atomic: after a failure the lock is not held.
func (l *dbLock) exclusive() error {
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrInUse
	}
	return err
}

// shared turns an exclusive lock back into a shared one.
func (l *dbLock) shared() error {
	return syscall.Flock(int(l.f.Fd()), syscall.LOCK_SH)
}

// Close releases the lock.
func (l *dbLock) Close() error { return l.f.Close() }
