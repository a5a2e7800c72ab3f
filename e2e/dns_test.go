package e2e

import (
	"net"
	"strings"
	"sync"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsServer answers listd's DNS look-ups on 127.0.0.1, so that no test asks a
// resolver off this machine: TXT records that a test publishes, and "no such name"
// for everything else (a domain that publishes nothing).
type dnsServer struct {
	addr string
	mu   sync.Mutex
	txt  map[string][]string // lower-case name without the final dot → strings
}

// startDNS serves until the process ends; TestMain starts one for every daemon.
func startDNS() (*dnsServer, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &dnsServer{addr: pc.LocalAddr().String(), txt: map[string][]string{}}
	go d.serve(pc)
	return d, nil
}

// publishTXT makes name answer with a TXT record of the given strings.
func (d *dnsServer) publishTXT(name string, txt ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.txt[strings.ToLower(strings.TrimSuffix(name, "."))] = txt
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
	name := strings.ToLower(strings.TrimSuffix(q.Name.String(), "."))
	d.mu.Lock()
	txt, ok := d.txt[name]
	d.mu.Unlock()
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RCode: dnsmessage.RCodeNameError}
	if ok {
		rh.RCode = dnsmessage.RCodeSuccess
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if b.StartQuestions() != nil || b.Question(q) != nil || b.StartAnswers() != nil {
		return nil
	}
	if ok && q.Type == dnsmessage.TypeTXT {
		if b.TXTResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60},
			dnsmessage.TXTResource{TXT: txt}) != nil {
			return nil
		}
	}
	out, err := b.Finish()
	if err != nil {
		return nil
	}
	return out
}
