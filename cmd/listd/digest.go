package main

import (
	"fmt"

	"listd/internal/store"
)

// cmdDigestSend builds and queues the digests that have new mail now, for one list
// or all; `serve` delivers them (or keeps them in the outbox without a relay).
func cmdDigestSend(e *env) error {
	f := newFlags(e, "digest send")
	return f.run(0, 1, "[LIST]", func(a *app, pos []string) error {
		var ls []*store.List
		var err error
		if len(pos) == 1 {
			l, err := a.svc.List(e.ctx, pos[0])
			if err != nil {
				return err
			}
			ls = []*store.List{l}
		} else if ls, err = a.svc.Lists(e.ctx); err != nil {
			return err
		}
		for _, l := range ls {
			is, n, err := a.svc.SendDigest(e.ctx, l.Name)
			if err != nil {
				return err
			}
			if is == nil {
				fmt.Fprintf(e.stdout, "%s: nothing new\n", l.Name)
				continue
			}
			fmt.Fprintf(e.stdout, "%s: volume %d issue %d, %d posts, queued for %d digest readers\n",
				l.Name, is.Volume, is.Number, is.Posts, n)
		}
		return nil
	})
}
