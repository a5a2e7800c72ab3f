package e2e

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsServer answers listd's DNS look-ups on 127.0.0.1, so that no test asks a
// resolver off this machine: TXT, MX, A, AAAA and PTR records that a test publishes,
// and "no such name" for everything else (a domain that publishes nothing).
type dnsServer struct {
	addr string
	mu   sync.Mutex
	// lower-case name without the final dot → records
	txt map[string][]string
	mx  map[string][]dnsmessage.MXResource
	ip  map[string][]netip.Addr
	ptr map[string][]string // reverse name (4.3.2.1.in-addr.arpa) → names
}

// startDNS serves until the process ends; TestMain starts one for every daemon.
func startDNS() (*dnsServer, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &dnsServer{addr: pc.LocalAddr().String(), txt: map[string][]string{}, mx: map[string][]dnsmessage.MXResource{},
		ip: map[string][]netip.Addr{}, ptr: map[string][]string{}}
	go d.serve(pc)
	return d, nil
}

// publishTXT makes name answer with a TXT record of the given strings.
func (d *dnsServer) publishTXT(name string, txt ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.txt[strings.ToLower(strings.TrimSuffix(name, "."))] = txt
}

// publishMX adds an MX record host with preference pref to name.
func (d *dnsServer) publishMX(name string, pref uint16, host string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := dnsKey(name)
	d.mx[n] = append(d.mx[n], dnsmessage.MXResource{Pref: pref, MX: dnsmessage.MustNewName(dnsKey(host) + ".")})
}

// publishIP adds A or AAAA records to name.
func (d *dnsServer) publishIP(name string, ips ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ip := range ips {
		d.ip[dnsKey(name)] = append(d.ip[dnsKey(name)], netip.MustParseAddr(ip))
	}
}

// publishPTR makes ip's reverse name answer with name.
func (d *dnsServer) publishPTR(ip, name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	rev, err := reverseName(ip)
	if err != nil {
		panic(err)
	}
	d.ptr[rev] = append(d.ptr[rev], dnsKey(name)+".")
}

func dnsKey(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

// reverseName is ip's name under in-addr.arpa or ip6.arpa, without the final dot.
func reverseName(ip string) (string, error) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "", err
	}
	var labels []string
	if a.Is4() {
		b := a.As4()
		for i := 3; i >= 0; i-- {
			labels = append(labels, strconv.Itoa(int(b[i])))
		}
		return strings.Join(labels, ".") + ".in-addr.arpa", nil
	}
	b := a.As16()
	for i := 15; i >= 0; i-- {
		labels = append(labels, strconv.FormatUint(uint64(b[i]&0xf), 16), strconv.FormatUint(uint64(b[i]>>4), 16))
	}
	return strings.Join(labels, ".") + ".ip6.arpa", nil
}

func (d *dnsServer) serve(pc net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if out := d.answer(buf[:n]); out != nil {
			pc.WriteTo(out, from)
		}
	}
}

func (d *dnsServer) answer(req []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(req)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := dnsKey(q.Name.String())
	d.mu.Lock()
	txt, hasTXT := d.txt[name]
	mx, hasMX := d.mx[name]
	ips, hasIP := d.ip[name]
	ptr, hasPTR := d.ptr[name]
	d.mu.Unlock()
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RCode: dnsmessage.RCodeNameError}
	if hasTXT || hasMX || hasIP || hasPTR {
		rh.RCode = dnsmessage.RCodeSuccess // a type it lacks gets no answer: "no data"
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if b.StartQuestions() != nil || b.Question(q) != nil || b.StartAnswers() != nil {
		return nil
	}
	rr := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
	err = nil
	switch q.Type {
	case dnsmessage.TypeTXT:
		if hasTXT {
			err = b.TXTResource(rr, dnsmessage.TXTResource{TXT: txt})
		}
	case dnsmessage.TypeMX:
		for _, m := range mx {
			if err == nil {
				err = b.MXResource(rr, m)
			}
		}
	case dnsmessage.TypeA, dnsmessage.TypeAAAA:
		for _, ip := range ips {
			switch {
			case err != nil:
			case ip.Is4() && q.Type == dnsmessage.TypeA:
				err = b.AResource(rr, dnsmessage.AResource{A: ip.As4()})
			case ip.Is6() && q.Type == dnsmessage.TypeAAAA:
				err = b.AAAAResource(rr, dnsmessage.AAAAResource{AAAA: ip.As16()})
			}
		}
	case dnsmessage.TypePTR:
		for _, p := range ptr {
			if err == nil {
				err = b.PTRResource(rr, dnsmessage.PTRResource{PTR: dnsmessage.MustNewName(p)})
			}
		}
	}
	if err != nil {
		return nil
	}
	out, err := b.Finish()
	if err != nil {
		return nil
	}
	return out
}
