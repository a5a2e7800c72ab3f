package lists

import (
	"context"
	"strings"

	"listd/internal/archive"
	"listd/internal/senderauth"
	"listd/internal/store"
)

// Authorship: a post counts as a member's (or a trusted sender's) only when that
// address is proven. The From address is proven when DMARC passes, or DKIM or SPF
// passes aligned with its domain; when its domain publishes nothing, only when the
// envelope sender is the same mailbox. An address named only in the envelope is proven
// by an SPF pass for the envelope's domain alone: DKIM and DMARC prove the From line,
// not the envelope. A message with more than one From field, or a From naming more
// than one mailbox, is never proven. Every other post that claims someone is held for
// the moderators, without the member it claims; a DNS failure defers it (451 4.4.3).

// authorship checks a transaction's message once per claimed address, for every list
// it goes to.
type authorship struct {
	s        *Service
	client   Client
	envFrom  string
	raw      []byte // as received, before listd changed anything (DKIM covers it)
	verdicts map[string]senderauth.Verdict
	// web is the address a web session (or a confirmed question's link) proved, for
	// a post written on the web (webpost.go); "" for every SMTP transaction.
	web string
	// committed, for a web post, records what goes with it (the author's follow, the
	// form's token) in the transaction that archives it (a is the archived post) or,
	// when it is held, right after (a nil).
	committed func(tx *store.Tx, a *store.Accepted) error
}

func (a *authorship) hasCommitted() bool { return a != nil && a.committed != nil }

func (a *authorship) onCommit(tx *store.Tx, acc *store.Accepted) error {
	if !a.hasCommitted() {
		return nil
	}
	return a.committed(tx, acc)
}

func (t *Txn) authorship(raw []byte) *authorship {
	return &authorship{s: t.s, client: t.client, envFrom: t.from, raw: raw}
}

// verdict checks author as the From mailbox, or, when envelope is true, the envelope
// sender alone.
func (a *authorship) verdict(ctx context.Context, author string, envelope bool) senderauth.Verdict {
	key := strings.ToLower(author)
	if envelope {
		key = "envelope:" + key
	}
	if v, ok := a.verdicts[key]; ok {
		return v
	}
	c := senderauth.Checker{Resolver: a.s.cfg.Resolver, TrustedAuthServID: a.s.cfg.TrustedAuthServID}
	m := senderauth.Message{IP: a.client.IP, Local: a.client.Local(), HELO: a.client.HELO,
		EnvFrom: a.envFrom, Author: author, Raw: a.raw}
	var v senderauth.Verdict
	if envelope {
		v = c.CheckEnvelope(ctx, m)
	} else {
		v = c.Check(ctx, m)
	}
	if a.verdicts == nil {
		a.verdicts = map[string]senderauth.Verdict{}
	}
	a.verdicts[key] = v
	return v
}

func ptr[T any](v T) *T { return &v }

// proven reports whether a's message may count as claimed's (a member's or trusted
// address found in From or in the envelope), with the verdict it rests on.
func (a *authorship) proven(ctx context.Context, claimed, envFrom, fromAddr string) (bool, senderauth.Verdict) {
	if a.web != "" {
		// Written on the web: the session proved the address, and the message was
		// made by listd from it. Nothing else is believed on this path.
		if strings.EqualFold(claimed, a.web) && strings.EqualFold(fromAddr, a.web) {
			return true, senderauth.Verdict{Result: senderauth.Pass, Method: "web", Source: "session"}
		}
		return false, senderauth.Verdict{Result: senderauth.None, Method: "web", Source: "session"}
	}
	v := a.verdict(ctx, claimed, !strings.EqualFold(claimed, fromAddr))
	switch {
	case v.Result == senderauth.Pass:
		return true, v
	case v.Result == senderauth.None && strings.EqualFold(claimed, fromAddr) && envFrom != "" && strings.EqualFold(envFrom, fromAddr):
		return true, v
	}
	return false, v
}

// unproven returns the decision on a post that claims claimed (a member's or trusted
// address found in From or in the envelope) without proof, or nil when the claim
// holds. a is nil where no transaction carries the message.
func (s *Service) unproven(ctx context.Context, l *store.List, a *authorship, claimed, envFrom string, p *archive.Parsed) *Decision {
	if a == nil {
		return nil
	}
	ok, v := a.proven(ctx, claimed, envFrom, p.FromAddr)
	var d *Decision
	outcome := "accepted"
	switch {
	case ok:
	case v.Result == senderauth.TempError:
		outcome = "deferred"
		d = &Decision{Action: Reject, Reason: "sender authentication: " + v.Reason, Rejection: s.authDeferred()}
	case v.Result == senderauth.Fail && v.Method == "from":
		outcome = "held"
		d = ptr(held(holdFor(HoldAuthFrom), nil))
	case v.Result == senderauth.Unchecked:
		outcome = "held"
		d = ptr(held(holdFor(HoldAuthSPF), nil))
	case v.Result == senderauth.Fail:
		outcome = "held"
		d = ptr(held(holdFor(HoldAuthFail, v.Method), nil))
	default:
		outcome = "held"
		d = ptr(held(holdFor(HoldAuthNone), nil))
	}
	s.countAuth(l, p, v, outcome)
	return d
}

// authDeferred asks the sending server to try again when DNS did not answer.
func (s *Service) authDeferred() *Rejection {
	return s.reject(451, [3]int{4, 4, 3}, "dns_deferred")
}

// countAuth counts and logs a verdict and what followed from it, without addresses.
func (s *Service) countAuth(l *store.List, p *archive.Parsed, v senderauth.Verdict, outcome string) {
	s.senderAuth.WithLabelValues(string(v.Result), outcome).Inc()
	s.log.Info("sender authentication", "list", l.Name, "message_id", p.MessageID, "verdict", string(v.Result),
		"method", v.Method, "source", v.Source, "reason", v.Reason, "outcome", outcome)
}
