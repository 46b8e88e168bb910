// SPDX-License-Identifier: GPL-3.0-or-later
// mapdns: the seed design's DNS server, as a measuring peer for mecdns's
// benchmarks. Like the EdgeGallery MEP DNS server, it keeps the records in a
// Go map (owner -> A/AAAA addresses) behind a RWMutex and answers with
// github.com/miekg/dns. It is authoritative for one zone: owned names get
// their A/AAAA records (NODATA + SOA for other types), other names in the zone
// get NXDOMAIN + SOA, names outside the zone get REFUSED.
//
// Built offline against Debian's golang-github-miekg-dns-dev (see
// bench/peers/build.sh): GO111MODULE=off GOPATH=/usr/share/gocode.
//
// Usage: mapdns -listen 127.0.0.1:5301 -zone mec.example. -records FILE
// FILE: one "owner address" pair per line (IPv4 or IPv6).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/miekg/dns"
)

type store struct {
	mu   sync.RWMutex
	recs map[string][]net.IP
}

func (s *store) load(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	m := make(map[string][]net.IP)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 64*1024)
	n := 0
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		ip := net.ParseIP(fields[1])
		if ip == nil {
			return n, fmt.Errorf("%s: bad address %q", path, fields[1])
		}
		owner := dns.CanonicalName(fields[0])
		m[owner] = append(m[owner], ip)
		n++
	}
	if err := sc.Err(); err != nil {
		return n, err
	}
	s.mu.Lock()
	s.recs = m
	s.mu.Unlock()
	return n, nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:5301", "address:port for UDP and TCP")
	zone := flag.String("zone", "mec.example.", "zone this server is authoritative for")
	records := flag.String("records", "", "file of 'owner address' lines")
	ttl := flag.Uint("ttl", 60, "TTL of answers")
	flag.Parse()

	z := dns.CanonicalName(*zone)
	st := &store{recs: map[string][]net.IP{}}
	if *records != "" {
		n, err := st.load(*records)
		if err != nil {
			log.Fatalf("mapdns: %v", err)
		}
		log.Printf("mapdns: %d records for %d names loaded", n, len(st.recs))
	}
	soa := &dns.SOA{
		Hdr:     dns.RR_Header{Name: z, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 3600},
		Ns:      "ns." + z, Mbox: "hostmaster." + z,
		Serial: 1, Refresh: 3600, Retry: 600, Expire: 604800, Minttl: 60,
	}

	dns.HandleFunc(".", func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		if len(r.Question) != 1 || r.Question[0].Qclass != dns.ClassINET {
			m.Rcode = dns.RcodeRefused
			w.WriteMsg(m)
			return
		}
		q := r.Question[0]
		name := strings.ToLower(q.Name)
		if !dns.IsSubDomain(z, name) {
			m.Rcode = dns.RcodeRefused
			w.WriteMsg(m)
			return
		}
		m.Authoritative = true
		st.mu.RLock()
		ips, ok := st.recs[name]
		st.mu.RUnlock()
		if !ok {
			if name != z {
				m.Rcode = dns.RcodeNameError
			}
			m.Ns = []dns.RR{soa}
			w.WriteMsg(m)
			return
		}
		for _, ip := range ips {
			v4 := ip.To4()
			switch {
			case v4 != nil && (q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY):
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name,
					Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: uint32(*ttl)}, A: v4})
			case v4 == nil && (q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeANY):
				m.Answer = append(m.Answer, &dns.AAAA{Hdr: dns.RR_Header{Name: q.Name,
					Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: uint32(*ttl)}, AAAA: ip})
			}
		}
		if len(m.Answer) == 0 {
			m.Ns = []dns.RR{soa}
		}
		w.WriteMsg(m)
	})

	errc := make(chan error, 2)
	for _, netw := range []string{"udp", "tcp"} {
		srv := &dns.Server{Addr: *listen, Net: netw}
		go func() { errc <- srv.ListenAndServe() }()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case s := <-sig:
		log.Printf("mapdns: %v, stopping", s)
	case err := <-errc:
		log.Fatalf("mapdns: %v", err)
	}
}
