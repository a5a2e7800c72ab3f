package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"listd/internal/counsel"
	"listd/internal/lists"
	"listd/internal/tlscert"
	"listd/internal/web"
)

// reloader reads again, on SIGHUP, what an operator may change while listd serves:
// the templates of pages and mails, the TLS certificates and the counselling
// directory. Connections stay open; what fails to load leaves the old in use.
type reloader struct {
	logger *slog.Logger
	tmpl   fs.FS
	svc    *lists.Service
	web    *web.Server // nil without HTTP
	live   *counsel.Live
	certs  []*tlscert.Holder
}

// cert loads a certificate that reload will read again; servers sharing the files
// share the holder.
func (r *reloader) cert(certFile, keyFile string) (*tlscert.Holder, error) {
	for _, h := range r.certs {
		if h.Same(certFile, keyFile) {
			return h, nil
		}
	}
	h, err := tlscert.Load(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	r.certs = append(r.certs, h)
	return h, nil
}

// watch reloads on every signal from hup until ctx is done.
func (r *reloader) watch(ctx context.Context, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			r.reload(ctx)
		}
	}
}

// reload reads everything again and logs one line: what was reloaded, and what not.
func (r *reloader) reload(ctx context.Context) {
	var done []string
	var errs []error
	if err := r.svc.ReloadTemplates(r.tmpl); err != nil {
		errs = append(errs, err)
	} else {
		done = append(done, "mail templates")
	}
	if r.web != nil {
		if err := r.web.ReloadTemplates(r.tmpl); err != nil {
			errs = append(errs, err)
		} else {
			done = append(done, "page templates")
		}
	}
	for _, h := range r.certs {
		if err := h.Reload(); err != nil {
			errs = append(errs, err)
		} else {
			done = append(done, fmt.Sprintf("certificate %s (valid until %s)", h.File(), h.Expires().UTC().Format("2006-01-02")))
		}
	}
	if d, err := r.live.Reload(ctx); err != nil {
		errs = append(errs, err)
	} else {
		done = append(done, fmt.Sprintf("counselling directory (%d centres)", len(d.Centers())))
	}
	if len(errs) > 0 {
		r.logger.Error("reload: kept the previous versions of what failed", "reloaded", strings.Join(done, ", "), "err", errors.Join(errs...))
		return
	}
	r.logger.Info("reloaded", "what", strings.Join(done, ", "))
}
