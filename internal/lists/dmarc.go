package lists

import (
	"context"
	"strings"
	"sync"
	"time"

	"listd/internal/senderauth"
)

// Resolver answers the DNS questions of DMARC policy lookups and of sender
// authentication: TXT, and MX, A/AAAA and PTR for SPF (net.DefaultResolver; a fake in
// tests).
type Resolver = senderauth.Resolver

// dmarcTTL is how long a domain's policy is remembered.
const dmarcTTL = time.Hour

type dmarcCache struct {
	mu      sync.Mutex
	entries map[string]dmarcEntry
}

type dmarcEntry struct {
	strict bool
	at     time.Time
}

// strictDMARC reports whether domain publishes a DMARC policy of quarantine or reject
// (RFC 7489): a copy that keeps such a sender's From fails at many receivers, since
// the list changes the message and sends it from its own servers (RFC 7960).
func (s *Service) strictDMARC(ctx context.Context, domain string) bool {
	if s.cfg.Resolver == nil || domain == "" {
		return false
	}
	domain = strings.ToLower(domain)
	now := s.cfg.Now()
	s.dmarc.mu.Lock()
	e, ok := s.dmarc.entries[domain]
	s.dmarc.mu.Unlock()
	if ok && now.Sub(e.at) < dmarcTTL {
		return e.strict
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	txts, err := s.cfg.Resolver.LookupTXT(ctx, "_dmarc."+domain)
	strict := false
	if err == nil {
		strict = dmarcStrict(txts)
	}
	s.dmarc.mu.Lock()
	if s.dmarc.entries == nil {
		s.dmarc.entries = map[string]dmarcEntry{}
	}
	s.dmarc.entries[domain] = dmarcEntry{strict: strict, at: now}
	s.dmarc.mu.Unlock()
	return strict
}

// dmarcStrict reads the p= tag of a DMARC record among TXT strings.
func dmarcStrict(txts []string) bool {
	for _, t := range txts {
		if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(t)), "v=dmarc1") {
			continue
		}
		for _, tag := range strings.Split(t, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(tag), "=")
			if strings.EqualFold(strings.TrimSpace(k), "p") {
				v = strings.ToLower(strings.TrimSpace(v))
				return v == "quarantine" || v == "reject"
			}
		}
	}
	return false
}

func domainOf(addr string) string {
	_, d, _ := strings.Cut(addr, "@")
	return d
}
