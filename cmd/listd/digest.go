package main

import (
	"fmt"

	"listd/internal/store"
)

// cmdDigestSend builds and queues the digests that have new mail now, for one list
// or all; `serve` delivers them (or keeps them in the outbox without a relay).
func cmdDigestSend(e *env) error {
	f := newFlags(e, "digest send")
	pos, err := f.parse(0, 1, "[LIST]")
	if err != nil {
		return err
	}
	a, err := open(e, *f.config, nil, nil, nil, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	var ls []*store.List
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
			l.Name, is.Volume, is.Number, is.ToID-is.FromID, n)
	}
	return nil
}
