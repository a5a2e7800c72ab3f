// Package senderauth owns the verdict on who wrote a message: whether the domain of
// the address it claims as its author is proven by SPF (RFC 7208), DKIM (RFC 6376) or
// DMARC (RFC 7489), checked here or read from the Authentication-Results (RFC 8601) of
// a trusted mail server in front of listd. It knows nothing of lists or members.
package senderauth

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/mail"
	"net/netip"
	"strings"
	"time"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"
)

// Resolver is the DNS the checks need: TXT for SPF, DKIM keys and DMARC policies,
// and MX, A/AAAA and PTR for SPF's mechanisms (net.DefaultResolver; a fake in tests).
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

var _ Resolver = (*net.Resolver)(nil)

// Result is the verdict on an author's domain.
type Result string

// The verdicts.
const (
	// Pass: DMARC passed, or a DKIM signature or SPF passed aligned with the author's
	// domain.
	Pass Result = "pass"
	// Fail: the author's domain says this message is not its own: DMARC fails (the
	// domain publishes a policy and nothing aligned passed), SPF fails for it, or its
	// DKIM signature is broken.
	Fail Result = "fail"
	// None: the author's domain publishes nothing to check against, and nothing
	// aligned passed or failed.
	None Result = "none"
	// TempError: DNS did not answer in time; the answer may differ later.
	TempError Result = "temperror"
	// Unchecked: the author's domain publishes an SPF record that could not be
	// checked (a local client, and no trusted SPF result), and nothing aligned passed
	// or failed. It is not None: the domain does say who may send for it.
	Unchecked Result = "unchecked"
)

// Verdict is what the checks concluded, with what decided it. Reason names methods and
// results only, never an address or a domain, so it may be logged.
type Verdict struct {
	Result Result
	Method string // "dmarc", "dkim", "spf", or "" when nothing decided
	Source string // "checked" (listd's own checks) or "authres" (the trusted server's)
	Reason string
}

// Message is what the checks look at.
type Message struct {
	// IP is the connecting client's address; invalid when unknown.
	IP netip.Addr
	// Local is true when the client is on this machine (loopback, unix socket,
	// unknown): SPF is not checked for it, and only then are a trusted server's
	// Authentication-Results believed.
	Local bool
	// HELO is the client's greeting name.
	HELO string
	// EnvFrom is the envelope sender, "" for the null sender.
	EnvFrom string
	// Author is the address whose domain must be proven, usually the From address.
	Author string
	// Raw is the message as received.
	Raw []byte
}

// Checker checks messages. The zero value checks nothing and says None.
type Checker struct {
	// Resolver answers the DNS questions; nil means no DNS: only trusted
	// Authentication-Results can prove anything.
	Resolver Resolver
	// TrustedAuthServID is the authserv-id of the mail server in front of listd whose
	// Authentication-Results fields are believed, for local connections only; ""
	// believes none.
	TrustedAuthServID string
	// Timeout bounds all DNS work for one check; 0 means 10 seconds.
	Timeout time.Duration
}

// maxSignatures is how many DKIM signatures of one message are verified.
const maxSignatures = 5

// Check returns the verdict on m's author, which must be the one mailbox of the
// message's one From field: DKIM and DMARC prove the From line, so they prove nothing
// about any other address, and a message with more than one author is never proven.
func (c *Checker) Check(ctx context.Context, m Message) Verdict {
	author := domainOf(m.Author)
	if author == "" {
		return Verdict{Result: None, Reason: "no author domain"}
	}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(m.Raw)))
	if err != nil {
		return Verdict{Result: None, Reason: "header does not parse"}
	}
	from, ok := singleAuthor(h)
	if !ok {
		return Verdict{Result: Fail, Method: "from", Reason: "not exactly one From field with one mailbox"}
	}
	if !strings.EqualFold(from, strings.TrimSpace(m.Author)) {
		return Verdict{Result: Fail, Method: "from", Reason: "the author is not the From mailbox"}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()

	var ev evidence
	source := "checked"
	if c.TrustedAuthServID != "" && m.Local {
		if ev = trustedResults(h, c.TrustedAuthServID, author); ev.any() {
			source = "authres"
		}
	}
	// A trusted server's DMARC pass or fail decides; otherwise what it did not
	// report is checked here.
	decided := ev.dmarcKnown && (ev.dmarc == Pass || ev.dmarc == Fail)
	if c.Resolver != nil && !decided {
		if !ev.dmarcKnown {
			ev.lookupDMARC(ctx, c.Resolver, author)
		}
		if !ev.dkimKnown {
			ev.verifyDKIM(ctx, c.Resolver, m.Raw)
		}
		if !ev.spfKnown && !m.Local && m.IP.IsValid() {
			ev.checkSPF(ctx, c.Resolver, m)
		}
		if !ev.spfKnown && m.Local {
			ev.lookupSPF(ctx, c.Resolver, m, author)
		}
	}
	v := ev.evaluate(author)
	v.Source = source
	return v
}

// CheckEnvelope returns the verdict on m's envelope sender, for a message that is
// claimed by its envelope alone. Only SPF (RFC 7208) checks the envelope: a pass for
// the envelope's own domain proves it; DKIM and DMARC, which prove the From line,
// count for nothing here. A message with more than one author is never proven.
func (c *Checker) CheckEnvelope(ctx context.Context, m Message) Verdict {
	domain := domainOf(m.EnvFrom)
	if domain == "" {
		return Verdict{Result: None, Reason: "no envelope domain"}
	}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(m.Raw)))
	if err != nil {
		return Verdict{Result: None, Reason: "header does not parse"}
	}
	if _, ok := singleAuthor(h); !ok {
		return Verdict{Result: Fail, Method: "from", Reason: "not exactly one From field with one mailbox"}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()

	var ev evidence
	source := "checked"
	if c.TrustedAuthServID != "" && m.Local {
		if ev = trustedResults(h, c.TrustedAuthServID, ""); ev.spfKnown {
			source = "authres"
		}
	}
	if !ev.spfKnown && c.Resolver != nil && !m.Local && m.IP.IsValid() {
		ev.checkSPF(ctx, c.Resolver, m)
	}
	v := Verdict{Result: None, Source: source, Reason: "no spf result for the envelope"}
	if ev.spf.domain == domain {
		switch ev.spf.result {
		case Pass:
			v.Result, v.Method, v.Reason = Pass, "spf", "spf pass for the envelope"
		case Fail:
			v.Result, v.Method, v.Reason = Fail, "spf", "spf fail for the envelope"
		case TempError:
			v.Result, v.Reason = TempError, "dns did not answer"
		}
	}
	return v
}

func (c *Checker) timeout() time.Duration {
	if c.Timeout == 0 {
		return 10 * time.Second
	}
	return c.Timeout
}

// singleAuthor returns the mailbox of h's From field when there is exactly one From
// field naming exactly one mailbox (RFC 5322 section 3.6 allows one From field; a
// list of authors or a second field would let the archive and DKIM read different
// authors).
func singleAuthor(h textproto.Header) (string, bool) {
	vs := h.Values("From")
	if len(vs) != 1 {
		return "", false
	}
	addrs, err := mail.ParseAddressList(vs[0])
	if err != nil {
		// Loosely written: only a field with a single "@" names one mailbox.
		if strings.Count(vs[0], "@") != 1 {
			return "", false
		}
		v := vs[0]
		if i, j := strings.LastIndexByte(v, '<'), strings.LastIndexByte(v, '>'); i >= 0 && j > i {
			v = v[i+1 : j]
		}
		return strings.ToLower(strings.TrimSpace(v)), true
	}
	if len(addrs) != 1 {
		return "", false
	}
	return strings.ToLower(addrs[0].Address), true
}

// evidence is what the single checks found, from either source.
type evidence struct {
	dmarcKnown bool
	dmarc      Result // from Authentication-Results: pass, fail, none, temperror
	record     *dmarc.Record
	dmarcTemp  bool

	dkimKnown bool
	dkim      []methodResult

	spfKnown bool
	spf      methodResult
	// spfUnchecked: the envelope's domain, aligned with the author's, publishes SPF
	// that was not checked (a local client).
	spfUnchecked bool
}

// methodResult is one DKIM signature's or the SPF check's result for a domain.
type methodResult struct {
	domain string
	result Result // pass, fail, none, temperror
}

func (e *evidence) any() bool { return e.dmarcKnown || e.dkimKnown || e.spfKnown }

// evaluate applies RFC 7489's rules: an aligned pass proves the author; a published
// policy without one fails; otherwise aligned failures fail, and unanswered questions
// are temporary.
func (e *evidence) evaluate(author string) Verdict {
	adkim, aspf := dmarc.AlignmentMode(dmarc.AlignmentRelaxed), dmarc.AlignmentMode(dmarc.AlignmentRelaxed)
	if e.record != nil {
		if e.record.DKIMAlignment != "" {
			adkim = e.record.DKIMAlignment
		}
		if e.record.SPFAlignment != "" {
			aspf = e.record.SPFAlignment
		}
	}
	if e.dmarc == Pass {
		return Verdict{Result: Pass, Method: "dmarc", Reason: "dmarc pass"}
	}
	temp := e.dmarc == TempError || e.dmarcTemp
	fail := ""
	for _, d := range e.dkim {
		if !aligned(d.domain, author, adkim) {
			continue
		}
		switch d.result {
		case Pass:
			return Verdict{Result: Pass, Method: "dkim", Reason: "dkim pass, aligned"}
		case Fail:
			fail = "dkim"
		case TempError:
			temp = true
		}
	}
	if aligned(e.spf.domain, author, aspf) {
		switch e.spf.result {
		case Pass:
			return Verdict{Result: Pass, Method: "spf", Reason: "spf pass, aligned"}
		case Fail:
			if fail == "" {
				fail = "spf"
			}
		case TempError:
			temp = true
		}
	}
	if e.dmarc == Fail || e.record != nil {
		return Verdict{Result: Fail, Method: "dmarc", Reason: "dmarc fail: no aligned dkim or spf pass"}
	}
	if temp {
		return Verdict{Result: TempError, Reason: "dns did not answer"}
	}
	if fail != "" {
		return Verdict{Result: Fail, Method: fail, Reason: fail + " fail for the author's domain"}
	}
	if e.spfUnchecked {
		return Verdict{Result: Unchecked, Method: "spf", Reason: "spf published but not checked (local client), nothing aligned passed"}
	}
	return Verdict{Result: None, Reason: "nothing published, nothing aligned"}
}

// lookupDMARC finds the policy of the author's domain, or of its organizational
// domain (RFC 7489 section 6.6.3). A name that does not exist, or has no DMARC record,
// is no policy; any other DNS error leaves the question open.
func (e *evidence) lookupDMARC(ctx context.Context, r Resolver, author string) {
	names := []string{author}
	if od := orgDomain(author); od != author {
		names = append(names, od)
	}
	for _, d := range names {
		txts, err := r.LookupTXT(ctx, "_dmarc."+d)
		var dnsErr *net.DNSError
		if err != nil && !(errors.As(err, &dnsErr) && dnsErr.IsNotFound) {
			e.dmarcTemp = true
			return
		}
		for _, txt := range txts {
			if !strings.HasPrefix(txt, "v=DMARC1") {
				continue
			}
			if rec, err := dmarc.Parse(txt); err == nil {
				e.record = rec
			}
			// A record that does not parse counts as none (RFC 7489 section 6.6.3).
			return
		}
	}
}

// verifyDKIM verifies the message's first signatures.
func (e *evidence) verifyDKIM(ctx context.Context, r Resolver, raw []byte) {
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT:        func(name string) ([]string, error) { return r.LookupTXT(ctx, name) },
		MaxVerifications: maxSignatures,
	})
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
		return
	}
	for _, v := range vs {
		res := Pass
		switch {
		case v.Err == nil:
		case dkim.IsTempFail(v.Err):
			res = TempError
		case dkim.IsPermFail(v.Err):
			// A permerror (RFC 8601): no key, a malformed or expired signature. It
			// proves nothing either way, like no signature at all.
			continue
		default:
			// The signature or the body hash did not verify against the key.
			res = Fail
		}
		e.dkim = append(e.dkim, methodResult{domain: strings.ToLower(v.Domain), result: res})
	}
}

// lookupSPF notes whether the envelope's domain, when aligned with the author's,
// publishes an SPF record, for a local client whose address SPF cannot judge. A DNS
// failure leaves the question open.
func (e *evidence) lookupSPF(ctx context.Context, r Resolver, m Message, author string) {
	domain := domainOf(m.EnvFrom)
	if !aligned(domain, author, dmarc.AlignmentRelaxed) {
		return
	}
	txts, err := r.LookupTXT(ctx, domain)
	var dnsErr *net.DNSError
	if err != nil {
		if !(errors.As(err, &dnsErr) && dnsErr.IsNotFound) {
			e.dmarcTemp = true
		}
		return
	}
	for _, txt := range txts {
		if t := strings.ToLower(txt); t == "v=spf1" || strings.HasPrefix(t, "v=spf1 ") {
			e.spfUnchecked = true
			return
		}
	}
}

// checkSPF checks the envelope sender's domain (or, for the null sender, the HELO
// name) for the client's address.
func (e *evidence) checkSPF(ctx context.Context, r Resolver, m Message) {
	domain := domainOf(m.EnvFrom)
	if domain == "" {
		domain = strings.ToLower(strings.TrimSuffix(m.HELO, "."))
	}
	if domain == "" {
		return
	}
	res, _ := spf.CheckHostWithSender(net.IP(m.IP.Unmap().AsSlice()), m.HELO, m.EnvFrom,
		spf.WithContext(ctx), spf.WithResolver(r))
	e.spf = methodResult{domain: domain, result: spfResult(string(res))}
}

// spfResult maps SPF's and Authentication-Results' words to a Result.
func spfResult(v string) Result {
	switch strings.ToLower(v) {
	case "pass":
		return Pass
	case "fail", "softfail", "hardfail":
		return Fail
	case "temperror":
		return TempError
	}
	return None // none, neutral, permerror, policy
}

// trustedResults reads the Authentication-Results fields with id that the server in
// front added: the contiguous block of them at the top of the header, above the first
// field that is anything else (usually its Received). A sender's own fields further
// down, even with that id (the server should remove them, RFC 8601 section 5), are
// never believed. Within the block, for each method the topmost field that reports it
// counts. A DMARC result counts only for the author's domain (header.from).
func trustedResults(h textproto.Header, id, author string) evidence {
	var e evidence
	for f := h.Fields(); f.Next(); {
		if !strings.EqualFold(f.Key(), "Authentication-Results") {
			break
		}
		ident, results, err := authres.Parse(f.Value())
		if err != nil || !strings.EqualFold(strings.TrimSpace(ident), id) {
			break
		}
		var dmarcSeen, dkimSeen, spfSeen bool
		for _, r := range results {
			switch r := r.(type) {
			case *authres.DMARCResult:
				if e.dmarcKnown || author == "" || !strings.EqualFold(strings.TrimSuffix(strings.TrimSpace(r.From), "."), author) {
					continue
				}
				dmarcSeen = true
				e.dmarc = dmarcResult(string(r.Value))
			case *authres.DKIMResult:
				if e.dkimKnown {
					continue
				}
				dkimSeen = true
				e.dkim = append(e.dkim, methodResult{domain: strings.ToLower(r.Domain), result: spfResult(string(r.Value))})
			case *authres.SPFResult:
				if e.spfKnown {
					continue
				}
				spfSeen = true
				d := domainOf(r.From)
				if d == "" && r.From != "" && !strings.Contains(r.From, "@") {
					d = strings.ToLower(r.From)
				}
				if d == "" {
					d = strings.ToLower(r.Helo)
				}
				e.spf = methodResult{domain: d, result: spfResult(string(r.Value))}
			}
		}
		e.dmarcKnown = e.dmarcKnown || dmarcSeen
		e.dkimKnown = e.dkimKnown || dkimSeen
		e.spfKnown = e.spfKnown || spfSeen
	}
	return e
}

// dmarcResult maps a dmarc= value to a Result; a permerror counts as no policy.
func dmarcResult(v string) Result {
	switch strings.ToLower(v) {
	case "pass":
		return Pass
	case "fail":
		return Fail
	case "temperror":
		return TempError
	}
	return None
}

// aligned reports whether domain d is aligned with the author's domain (RFC 7489
// section 3.1): equal in strict mode, of the same organizational domain in relaxed.
func aligned(d, author string, mode dmarc.AlignmentMode) bool {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	if d == "" || author == "" {
		return false
	}
	if d == author {
		return true
	}
	return mode != dmarc.AlignmentStrict && orgDomain(d) == orgDomain(author)
}

// orgDomain is the organizational domain: the public suffix and one label more.
func orgDomain(d string) string {
	if od, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		return od
	}
	return d
}

func domainOf(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(strings.Trim(addr[at+1:], "<> ")), "."))
}
