package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// signals are what serve listens to besides its sockets: SIGTERM and SIGINT end the
// context serve runs in; SIGHUP asks for a reload (reload.go) and is caught from the
// start so that it never ends listd.
type signals struct {
	hup  chan os.Signal
	stop context.CancelFunc // ends the context as SIGTERM does
}

// catchSignals returns the context serve runs in and starts catching the signals
// until release.
func catchSignals(parent context.Context) (context.Context, *signals) {
	ctx, stop := signal.NotifyContext(parent, syscall.SIGTERM, syscall.SIGINT)
	s := &signals{hup: make(chan os.Signal, 1), stop: stop}
	signal.Notify(s.hup, syscall.SIGHUP)
	return ctx, s
}

// release stops catching: the signals have their default effect again.
func (s *signals) release() {
	signal.Stop(s.hup)
	s.stop()
}

// shutdownTimeout bounds the wait for open SMTP, LMTP and HTTP sessions at the end.
const shutdownTimeout = 30 * time.Second

// waitForStop blocks until ctx is done (SIGTERM or SIGINT) or a server stops by
// itself. A server's failure ends ctx through sig, so that delivery and the periodic
// jobs end too, and is returned.
func (r *running) waitForStop(ctx context.Context, sig *signals) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-r.errs:
		sig.stop()
		return err
	}
}

// shutdown stops taking mail first, then HTTP and IMAP, then lets the queue finish
// what is in flight and waits for every part to end. It returns runErr, or else the
// deliverer's error.
func (r *running) shutdown(ctx context.Context, runErr error) error {
	r.logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	for _, m := range r.srv.mail {
		m.Shutdown(shutCtx)
	}
	if r.srv.http != nil {
		r.srv.http.Shutdown(shutCtx)
	}
	if r.srv.imap != nil {
		r.srv.imap.Close()
	}
	if err := <-r.dlDone; err != nil && runErr == nil {
		runErr = err
	}
	r.wg.Wait()
	r.logger.Info("stopped")
	return runErr
}
