package lists

import (
	"context"
	"net/netip"
	"strings"
	"time"
	"unicode"

	"golang.org/x/net/idna"

	"listd/internal/ratelimit"
	"listd/internal/store"
)

// Mail to an address that has not shown it wants it: confirmations, help and command
// replies, held-post notices, login and erase links, withdraw confirmations,
// counselling answers, and the rejections and expiries of held posts. Anyone can ask
// for these for any address, so one rule bounds them all, counted per mailbox (case
// and +tag folded) across every kind, and per network of whoever asked. Such mails are
// built from listd's own texts and values only: nothing a stranger wrote (a pseudonym,
// a subject, a request's text) is put into them.

// Budgets of mail to unconfirmed addresses.
const (
	mailboxPerHour = 5
	mailboxPerDay  = 10
	networkPerHour = 30
	networkPerDay  = 100
)

// Mailbox is an address folded to the mailbox it reaches: lower-cased, without a
// +tag, and for Gmail without dots in the local part.
type Mailbox string

// MailboxOf folds an address to its mailbox: "Victim+x@Example.org" and
// "victim@example.org" are one mailbox, and so are "anna@bücher.example" and
// "anna@xn--bcher-kva.example".
func MailboxOf(addr string) Mailbox {
	addr = strings.ToLower(strings.TrimSpace(addr))
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return Mailbox(addr)
	}
	local, _, _ := strings.Cut(addr[:at], "+")
	domain := strings.TrimFunc(addr[at+1:], func(r rune) bool { return r == '.' || unicode.IsSpace(r) })
	// An internationalized domain and its ASCII form are one domain.
	if a, err := idna.Lookup.ToASCII(domain); err == nil {
		domain = a
	}
	if domain == "googlemail.com" {
		domain = "gmail.com"
	}
	if domain == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return Mailbox(strings.TrimFunc(local, func(r rune) bool { return r == '"' || unicode.IsSpace(r) }) + "@" + domain)
}

// Network is the network a client is counted in: its IPv4 /24 or IPv6 /64.
type Network netip.Prefix

// NetworkOf returns the network ip is counted in, or false for a client that is on
// this machine or its private network (a local MTA or proxy speaks for everyone, so
// counting it would let one stranger use up everyone's budget) or unknown.
func NetworkOf(ip netip.Addr) (Network, bool) {
	if ratelimit.Shared(ip) {
		return Network{}, false
	}
	return Network(ratelimit.Network(ip)), true
}

func (n Network) String() string { return netip.Prefix(n).String() }

type clientKey struct{}

// WithClient returns ctx carrying the client that asked (the SMTP connection's or
// the web request's address), for the limits on mail to unconfirmed addresses.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the client that ctx carries; the zero Client (unknown, counted
// as local) when none.
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// unconfirmedLimits are the counters one mail to addr, asked for by client, counts
// under. The keys are MACs of the mailbox and network: the store keeps neither
// addresses nor IP addresses here.
func (s *Service) unconfirmedLimits(addr string, c Client) []store.RateLimit {
	mb := s.signer.Short("rate-mailbox", string(MailboxOf(addr)))
	out := []store.RateLimit{
		{Key: "mailbox:h:" + mb, Window: time.Hour, Limit: mailboxPerHour},
		{Key: "mailbox:d:" + mb, Window: 24 * time.Hour, Limit: mailboxPerDay},
	}
	if n, ok := NetworkOf(c.IP); ok {
		nk := s.signer.Short("rate-network", n.String())
		out = append(out,
			store.RateLimit{Key: "network:h:" + nk, Window: time.Hour, Limit: networkPerHour},
			store.RateLimit{Key: "network:d:" + nk, Window: 24 * time.Hour, Limit: networkPerDay})
	}
	return out
}

// allowUnconfirmed is the one rule for mail to an address that has not confirmed:
// it counts one mail of kind to addr, asked for by the client in ctx, and returns
// ErrRateLimited (counting nothing) when the mailbox or the network has had its
// budget. Call it in the transaction that queues the mail.
func (s *Service) allowUnconfirmed(ctx context.Context, tx *store.Tx, kind, addr string) error {
	limits := s.unconfirmedLimits(addr, ClientFrom(ctx))
	i, err := tx.AllowAll(limits)
	if err != nil {
		return err
	}
	if i < 0 {
		return nil
	}
	scope := strings.SplitN(limits[i].Key, ":", 2)[0]
	s.limited.WithLabelValues(scope).Inc()
	s.log.Info("mail to an unconfirmed address not sent", "reason", "rate limited", "scope", scope, "kind", kind)
	return ErrRateLimited
}
