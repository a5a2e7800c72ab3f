// Package check owns `listd check`: it looks at what a list domain needs from DNS
// (MX, SPF, the DKIM key, DMARC, the reverse DNS of the address mail leaves from) and
// from listd's configuration, and says per item what is there, what is missing and
// what to do, in German or English.
package check

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/dmarc"

	"listd/internal/dkim"
	"listd/internal/senderauth"
)

// Resolver is the DNS the checks ask (net.Resolver; a fake in tests): the one that
// sender authentication asks, since the SPF evaluation here needs the same look-ups.
type Resolver = senderauth.Resolver

var (
	_ Resolver        = (*net.Resolver)(nil)
	_ spf.DNSResolver = Resolver(nil)
)

// Status is a check's verdict.
type Status int

// The verdicts. Missing is what mail delivery needs; Warn is advice.
const (
	OK Status = iota
	Warn
	Missing
)

// Item names what a check looked at.
type Item string

// The items, in the order they are checked.
const (
	ItemRelay   Item = "relay"
	ItemBaseURL Item = "base_url"
	ItemMX      Item = "MX"
	ItemSPF     Item = "SPF"
	ItemDKIM    Item = "DKIM"
	ItemDMARC   Item = "DMARC"
	ItemPTR     Item = "PTR"
)

// Result is one line of the report.
type Result struct {
	Status Status
	Item   Item
	Text   string // in the configured language
}

// Config is what the checks compare DNS with.
type Config struct {
	Domain  string
	BaseURL string
	Relay   string // [relay] address, "host:port"; "" none
	// SourceIP is the public address outgoing mail leaves from; invalid: the relay's
	// address, unless that is on this machine.
	SourceIP netip.Addr
	Selector string           // [dkim] selector; "" signing off
	DKIMKey  crypto.PublicKey // the key in data_dir/dkim/SELECTOR.pem; nil: none
	KeyFile  string           // its path, for the texts
	Language string           // de or en
	Resolver Resolver
}

// Run makes every check and returns one result per item, in a fixed order.
func Run(ctx context.Context, c Config) []Result {
	r := &run{c: c, t: texts[c.Language]}
	if r.t == nil {
		r.t = texts["en"]
	}
	r.relay(ctx)
	r.baseURL()
	r.mx(ctx)
	ips := r.sourceIPs(ctx)
	r.spf(ctx, ips)
	r.dkim(ctx)
	r.dmarc(ctx)
	r.ptr(ctx, ips)
	return r.out
}

// Failed reports whether something required is missing.
func Failed(rs []Result) bool {
	return slices.ContainsFunc(rs, func(r Result) bool { return r.Status == Missing })
}

// Print writes one line per result: status, item, text.
func Print(w io.Writer, rs []Result, lang string) error {
	t := texts[lang]
	if t == nil {
		t = texts["en"]
	}
	for _, r := range rs {
		if _, err := fmt.Fprintf(w, "%-7s %-8s %s\n", t[statusKey[r.Status]], r.Item, r.Text); err != nil {
			return err
		}
	}
	return nil
}

var statusKey = map[Status]string{OK: "status_ok", Warn: "status_warn", Missing: "status_missing"}

type run struct {
	c        Config
	t        map[string]string
	out      []Result
	relayErr error // the relay's name did not resolve
}

func (r *run) add(s Status, item Item, key string, args ...any) {
	r.out = append(r.out, Result{Status: s, Item: item, Text: fmt.Sprintf(r.t[key], args...)})
}

// notFound tells "no such record" from a failure to ask.
func notFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// lookupErr adds the result for a failed look-up: missing when DNS says there is no
// such record, a warning when DNS could not be asked.
func (r *run) lookupErr(item Item, name string, err error, missingKey string, args ...any) {
	if notFound(err) {
		r.add(Missing, item, missingKey, args...)
		return
	}
	r.add(Warn, item, "dns_error", name, err)
}

func (r *run) relay(context.Context) {
	if r.c.Relay == "" {
		r.add(Missing, ItemRelay, "relay_missing")
		return
	}
	r.add(OK, ItemRelay, "relay_ok", r.c.Relay)
}

func (r *run) baseURL() {
	u, err := url.Parse(r.c.BaseURL)
	if err != nil {
		r.add(Missing, ItemBaseURL, "base_url_bad", r.c.BaseURL)
		return
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); (err == nil && ip.IsLoopback()) || host == "localhost" {
		r.add(Missing, ItemBaseURL, "base_url_local", r.c.BaseURL)
		return
	}
	if u.Scheme != "https" {
		r.add(Warn, ItemBaseURL, "base_url_http", r.c.BaseURL)
		return
	}
	r.add(OK, ItemBaseURL, "base_url_ok", r.c.BaseURL)
}

func (r *run) mx(ctx context.Context) {
	mxs, err := r.c.Resolver.LookupMX(ctx, r.c.Domain)
	if err == nil && len(mxs) == 0 {
		err = &net.DNSError{Err: "no MX record", Name: r.c.Domain, IsNotFound: true}
	}
	if err != nil {
		r.lookupErr(ItemMX, r.c.Domain, err, "mx_missing", r.c.Domain)
		return
	}
	slices.SortFunc(mxs, func(a, b *net.MX) int { return int(a.Pref) - int(b.Pref) })
	var hosts []string
	for _, m := range mxs {
		host := strings.TrimSuffix(m.Host, ".")
		if host == "" {
			r.add(Missing, ItemMX, "mx_null", r.c.Domain)
			return
		}
		if _, err := r.c.Resolver.LookupIPAddr(ctx, host); err != nil {
			r.lookupErr(ItemMX, host, err, "mx_no_address", host)
			return
		}
		hosts = append(hosts, fmt.Sprintf("%s (%d)", host, m.Pref))
	}
	r.add(OK, ItemMX, "mx_ok", r.c.Domain, strings.Join(hosts, ", "))
}

// sourceIPs are the addresses outgoing mail leaves from: the one given, else the
// relay's, unless the relay is on this machine (then nil, with a warning later).
func (r *run) sourceIPs(ctx context.Context) []netip.Addr {
	if r.c.SourceIP.IsValid() {
		return []netip.Addr{r.c.SourceIP.Unmap()}
	}
	host, _, err := net.SplitHostPort(r.c.Relay)
	if err != nil {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() {
			return nil
		}
		return []netip.Addr{ip.Unmap()}
	}
	if host == "localhost" {
		return nil
	}
	addrs, err := r.c.Resolver.LookupIPAddr(ctx, host)
	if err != nil {
		r.relayErr = err
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && !ip.Unmap().IsLoopback() {
			out = append(out, ip.Unmap())
		}
	}
	return out
}

func (r *run) spf(ctx context.Context, ips []netip.Addr) {
	txts, err := r.c.Resolver.LookupTXT(ctx, r.c.Domain)
	if err != nil && !notFound(err) {
		r.add(Warn, ItemSPF, "dns_error", r.c.Domain, err)
		return
	}
	var recs []string
	for _, t := range txts {
		if f := strings.Fields(strings.ToLower(t)); len(f) > 0 && f[0] == "v=spf1" {
			recs = append(recs, t)
		}
	}
	switch {
	case len(recs) == 0:
		r.add(Missing, ItemSPF, "spf_missing", r.c.Domain)
		return
	case len(recs) > 1:
		r.add(Missing, ItemSPF, "spf_many", r.c.Domain, len(recs))
		return
	}
	if len(ips) == 0 {
		r.add(Warn, ItemSPF, "spf_unchecked", recs[0])
		return
	}
	for _, ip := range ips {
		res, err := spf.CheckHostWithSender(net.IP(ip.AsSlice()), r.c.Domain, "postmaster@"+r.c.Domain,
			spf.WithContext(ctx), spf.WithResolver(r.c.Resolver))
		if res != spf.Pass {
			detail := string(res)
			if err != nil {
				detail += ": " + err.Error()
			}
			r.add(Missing, ItemSPF, "spf_fails", r.c.Domain, ip, detail, recs[0])
			return
		}
	}
	r.add(OK, ItemSPF, "spf_ok", recs[0], joinIPs(ips))
}

func (r *run) dkim(ctx context.Context) {
	if r.c.Selector == "" {
		r.add(Warn, ItemDKIM, "dkim_off")
		return
	}
	name := r.c.Selector + "._domainkey." + r.c.Domain
	txts, err := r.c.Resolver.LookupTXT(ctx, name)
	if err != nil && !notFound(err) {
		r.add(Warn, ItemDKIM, "dns_error", name, err)
		return
	}
	var published string
	for _, t := range txts {
		if tagValue(t, "p") != "" || strings.Contains(strings.ToLower(t), "v=dkim1") {
			published = t
			break
		}
	}
	if r.c.DKIMKey == nil {
		if published != "" {
			r.add(Missing, ItemDKIM, "dkim_no_key_published", name, r.c.KeyFile)
		} else {
			r.add(Missing, ItemDKIM, "dkim_no_key", r.c.KeyFile, r.c.Selector)
		}
		return
	}
	want, err := dkim.Record(r.c.Selector, r.c.Domain, r.c.DKIMKey)
	if err != nil {
		r.add(Missing, ItemDKIM, "dkim_bad_key", r.c.KeyFile, err)
		return
	}
	wantTXT, _ := dkim.TXT(r.c.DKIMKey)
	switch {
	case published == "":
		r.add(Missing, ItemDKIM, "dkim_missing", name, want)
	case tagValue(published, "p") != tagValue(wantTXT, "p"):
		r.add(Missing, ItemDKIM, "dkim_other_key", name, r.c.KeyFile, want)
	default:
		r.add(OK, ItemDKIM, "dkim_ok", name, r.c.KeyFile)
	}
}

// tagValue is the value of tag in a DKIM tag list ("v=DKIM1; k=rsa; p=..."),
// without white space.
func tagValue(rec, tag string) string {
	for _, part := range strings.Split(rec, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), tag) {
			return strings.Join(strings.Fields(v), "")
		}
	}
	return ""
}

func (r *run) dmarc(ctx context.Context) {
	name := "_dmarc." + r.c.Domain
	txts, err := r.c.Resolver.LookupTXT(ctx, name)
	if err != nil && !notFound(err) {
		r.add(Warn, ItemDMARC, "dns_error", name, err)
		return
	}
	var recs []string
	for _, t := range txts {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(t)), "v=dmarc1") {
			recs = append(recs, t)
		}
	}
	switch len(recs) {
	case 0:
		r.add(Warn, ItemDMARC, "dmarc_missing", name)
		return
	case 1:
	default:
		r.add(Missing, ItemDMARC, "dmarc_many", name, len(recs))
		return
	}
	rec, err := dmarc.Parse(recs[0])
	if err != nil {
		r.add(Missing, ItemDMARC, "dmarc_bad", name, err)
		return
	}
	r.add(OK, ItemDMARC, "dmarc_ok", name, rec.Policy)
}

func (r *run) ptr(ctx context.Context, ips []netip.Addr) {
	if len(ips) == 0 && r.relayErr != nil {
		host, _, _ := net.SplitHostPort(r.c.Relay)
		r.lookupErr(ItemPTR, host, r.relayErr, "relay_no_address", host)
		return
	}
	if len(ips) == 0 && r.c.Relay == "" {
		r.add(Warn, ItemPTR, "ptr_unknown")
		return
	}
	if len(ips) == 0 {
		r.add(Warn, ItemPTR, "ptr_local", r.c.Relay)
		return
	}
	var ok []string
	for _, ip := range ips {
		names, err := r.c.Resolver.LookupAddr(ctx, ip.String())
		if err == nil && len(names) == 0 {
			err = &net.DNSError{Err: "no PTR record", Name: ip.String(), IsNotFound: true}
		}
		if err != nil {
			r.lookupErr(ItemPTR, ip.String(), err, "ptr_missing", ip)
			return
		}
		name := strings.TrimSuffix(names[0], ".")
		addrs, err := r.c.Resolver.LookupIPAddr(ctx, name)
		if err != nil && !notFound(err) {
			r.add(Warn, ItemPTR, "dns_error", name, err)
			return
		}
		if !slices.ContainsFunc(addrs, func(a net.IPAddr) bool {
			b, _ := netip.AddrFromSlice(a.IP)
			return b.Unmap() == ip
		}) {
			r.add(Missing, ItemPTR, "ptr_no_forward", ip, name)
			return
		}
		ok = append(ok, ip.String()+" → "+name)
	}
	r.add(OK, ItemPTR, "ptr_ok", strings.Join(ok, ", "))
}

func joinIPs(ips []netip.Addr) string {
	s := make([]string, len(ips))
	for i, ip := range ips {
		s[i] = ip.String()
	}
	return strings.Join(s, ", ")
}
