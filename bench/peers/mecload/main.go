// SPDX-License-Identifier: GPL-3.0-or-later
// mecload: the write-side load generator of mecdns's benchmarks (issue 6,
// parts 2 and 3). Standard library HTTP plus github.com/miekg/dns, built
// offline like mapdns (bench/peers/build.sh).
//
//	mecload post   -url BASE -c 16 -d 10s            Mm5 single-rule POSTs
//	mecload bulk   -url BASE -n 100000 -batch 1000   rrecord bulk PUTs
//	mecload patch  -url PDNS -key K -c 16 -d 10s     PowerDNS API PATCHes
//	mecload prop   -target mecdns|pdns -url ... -dns 127.0.0.1:PORT -n 200 -bg 500
//
// Every command prints one line of key=value pairs (rates per second,
// latencies in milliseconds) and exits 0; errors are counted, not fatal.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

var client = &http.Client{
	Timeout: 30 * time.Second,
	Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256,
		IdleConnTimeout: 60 * time.Second, DisableCompression: true},
}

type result struct {
	status int
	lat    time.Duration
	err    error
}

func do(method, url string, body []byte, hdr map[string]string) result {
	t0 := time.Now()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return result{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return result{err: err, lat: time.Since(t0)}
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return result{status: resp.StatusCode, lat: time.Since(t0)}
}

func pct(d []float64, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]float64(nil), d...)
	sort.Float64s(s)
	i := int(p*float64(len(s))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func ip(i int) string { return fmt.Sprintf("10.%d.%d.%d", 100+(i>>16)&127, (i>>8)&255, i&255) }

// runLoad calls fn(worker, seq) from c workers for dur; returns stats.
func runLoad(c int, dur time.Duration, fn func(w, i int) result) {
	var mu sync.Mutex
	var lats []float64
	var ok, bad, errs int64
	codes := map[int]int{}
	deadline := time.Now().Add(dur)
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var local []float64
			for i := 0; time.Now().Before(deadline); i++ {
				r := fn(w, i)
				switch {
				case r.err != nil:
					atomic.AddInt64(&errs, 1)
				case r.status >= 200 && r.status < 300:
					atomic.AddInt64(&ok, 1)
					local = append(local, ms(r.lat))
				default:
					atomic.AddInt64(&bad, 1)
					mu.Lock()
					codes[r.status]++
					mu.Unlock()
				}
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	el := time.Since(t0).Seconds()
	fmt.Printf("concurrency=%d seconds=%.2f ok=%d non2xx=%d errors=%d rate=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f codes=%v\n",
		c, el, ok, bad, errs, float64(ok)/el, pct(lats, 0.5), pct(lats, 0.99), pct(lats, 1), codes)
}

func mm5Body(id, name string, i int) []byte {
	return []byte(fmt.Sprintf(`{"dnsRuleId":%q,"domainName":%q,"ipAddressType":"IP_V4","ipAddress":%q,"ttl":60}`,
		id, name, ip(i)))
}

func pdnsBody(name string, i int) []byte {
	return []byte(fmt.Sprintf(`{"rrsets":[{"name":%q,"type":"A","ttl":60,"changetype":"REPLACE","records":[{"content":%q,"disabled":false}]}]}`,
		name, ip(i)))
}

// dnsWait queries name A over UDP back to back until the answer holds want;
// returns the time the first such answer arrived. ecs, when not empty
// ("172.16.1.0/24"), is sent as the EDNS Client Subnet option of every query.
func dnsWait(server, name, want, ecs string, limit time.Duration, stop <-chan struct{}) (time.Time, bool) {
	conn, err := net.Dial("udp", server)
	if err != nil {
		return time.Time{}, false
	}
	defer conn.Close()
	c := &dns.Conn{Conn: conn}
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	if ecs != "" {
		_, subnet, err := net.ParseCIDR(ecs)
		if err != nil {
			return time.Time{}, false
		}
		bits, _ := subnet.Mask.Size()
		o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
		o.SetUDPSize(1232)
		o.Option = append(o.Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1,
			SourceNetmask: uint8(bits), Address: subnet.IP.To4()})
		m.Extra = append(m.Extra, o)
	}
	end := time.Now().Add(limit)
	for time.Now().Before(end) {
		select {
		case <-stop:
			return time.Time{}, false
		default:
		}
		m.Id = dns.Id()
		c.SetDeadline(time.Now().Add(200 * time.Millisecond))
		if err := c.WriteMsg(m); err != nil {
			continue
		}
		for {
			r, err := c.ReadMsg()
			if err != nil {
				break
			}
			if r.Id != m.Id {
				continue
			}
			now := time.Now()
			for _, rr := range r.Answer {
				if a, ok := rr.(*dns.A); ok && a.A.String() == want {
					return now, true
				}
			}
			break
		}
	}
	return time.Time{}, false
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mecload post|bulk|patch|prop [flags]")
		os.Exit(2)
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	url := fs.String("url", "http://127.0.0.1:8053", "syncd base URL, or PowerDNS API base URL")
	key := fs.String("key", "", "PowerDNS X-API-Key")
	zone := fs.String("zone", "mec.example.", "zone of the written names")
	conc := fs.Int("c", 1, "concurrent clients")
	dur := fs.Duration("d", 10*time.Second, "duration")
	n := fs.Int("n", 100000, "rules (bulk) or samples (prop)")
	batch := fs.Int("batch", 1000, "rrsets per bulk PUT")
	tag := fs.String("tag", "w", "prefix making names and ids of this run unique")
	target := fs.String("target", "mecdns", "prop: mecdns or pdns")
	dnsAddr := fs.String("dns", "127.0.0.1:53", "prop: DNS server to poll")
	bg := fs.Int("bg", 500, "prop: background changes per second")
	bgc := fs.Int("bgc", 8, "prop: background writers")
	gap := fs.Duration("gap", 20*time.Millisecond, "prop: pause between samples")
	maxd := fs.Duration("maxd", 60*time.Second, "prop: stop taking samples after this long")
	logPath := fs.String("log", "", "prop: write 'id send_ns reply_ns status' per write to this file")
	scope := fs.Bool("scope", false, "prop (mecdns): time a scope change instead: each sample's rule is "+
		"first created for one client subnet (untimed, until answered there), then moved to another "+
		"(Mm5 PUT clientSubnets), polled with ECS from the new subnet")
	fs.Parse(os.Args[2:])
	pdnsHdr := map[string]string{"X-API-Key": *key}
	pdnsZoneURL := *url + "/api/v1/servers/localhost/zones/" + *zone

	switch cmd {
	case "post":
		runLoad(*conc, *dur, func(w, i int) result {
			id := fmt.Sprintf("%s%d-%d", *tag, w, i)
			name := fmt.Sprintf("%s.load.%s", id, *zone)
			return do("POST", fmt.Sprintf("%s/mep/config/%s%d/dns_rules", *url, *tag, w), mm5Body(id, name, w*1000000+i), nil)
		})
	case "patch":
		runLoad(*conc, *dur, func(w, i int) result {
			return do("PATCH", pdnsZoneURL, pdnsBody(fmt.Sprintf("%s%d-%d.load.%s", *tag, w, i, *zone), w*1000000+i), pdnsHdr)
		})
	case "bulk":
		t0 := time.Now()
		var lats []float64
		okRules, bad := 0, 0
		for start := 0; start < *n; start += *batch {
			var b strings.Builder
			b.WriteString(`[{"zone":".","rr":[`)
			for i := start; i < start+*batch && i < *n; i++ {
				if i > start {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"name":"%s%d.bulk.%s","type":"A","class":"IN","ttl":60,"rData":[%q]}`, *tag, i, *zone, ip(i))
			}
			b.WriteString(`]}]`)
			r := do("PUT", *url+"/mep/dns_server_mgmt/v1/rrecord", []byte(b.String()), nil)
			if r.err == nil && r.status >= 200 && r.status < 300 {
				cnt := *batch
				if start+cnt > *n {
					cnt = *n - start
				}
				okRules += cnt
				lats = append(lats, ms(r.lat))
			} else {
				bad++
				if bad == 1 {
					fmt.Fprintf(os.Stderr, "bulk: status %d err %v\n", r.status, r.err)
				}
			}
		}
		el := time.Since(t0).Seconds()
		fmt.Printf("batch=%d seconds=%.2f rules=%d failed_puts=%d rate=%.1f put_p50_ms=%.3f put_max_ms=%.3f\n",
			*batch, el, okRules, bad, float64(okRules)/el, pct(lats, 0.5), pct(lats, 1))
	case "prop":
		// A write that fails with a 5xx (PowerDNS+SQLite: "database is
		// locked" under concurrent PATCHes) is retried, as a client would:
		// the time counts from the first attempt.
		retries := 0
		write := func(name, id string, i int) result {
			var r result
			for attempt := 0; attempt < 50; attempt++ {
				if *target == "pdns" {
					r = do("PATCH", pdnsZoneURL, pdnsBody(name, i), pdnsHdr)
				} else {
					r = do("POST", fmt.Sprintf("%s/mep/config/%sapp/dns_rules", *url, *tag), mm5Body(id, name, i), nil)
				}
				if r.err == nil && r.status < 500 {
					break
				}
				retries++
			}
			return r
		}
		var logMu sync.Mutex
		var logW *bufio.Writer
		if *logPath != "" {
			f, err := os.Create(*logPath)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			defer f.Close()
			logW = bufio.NewWriter(f)
			defer logW.Flush()
		}
		logWrite := func(id string, t0, t1 time.Time, status int) {
			if logW == nil {
				return
			}
			logMu.Lock()
			fmt.Fprintf(logW, "%s %d %d %d\n", id, t0.UnixNano(), t1.UnixNano(), status)
			logMu.Unlock()
		}
		// background writers: bg changes per second in total, paced
		stop := make(chan struct{})
		var bgOK, bgBad int64
		var wg sync.WaitGroup
		if *bg > 0 {
			per := time.Duration(float64(time.Second) * float64(*bgc) / float64(*bg))
			for w := 0; w < *bgc; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					next := time.Now().Add(time.Duration(w) * per / time.Duration(*bgc))
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						if d := time.Until(next); d > 0 {
							time.Sleep(d)
						}
						next = next.Add(per)
						id := fmt.Sprintf("%sbg%d-%d", *tag, w, i)
						var r result
						tw := time.Now()
						if *target == "pdns" {
							r = do("PATCH", pdnsZoneURL, pdnsBody(id+".bg."+*zone, w*1000000+i), pdnsHdr)
						} else {
							r = do("POST", fmt.Sprintf("%s/mep/config/%sbg%d/dns_rules", *url, *tag, w), mm5Body(id, id+".bg."+*zone, w*1000000+i), nil)
						}
						logWrite(id, tw, time.Now(), r.status)
						if r.err == nil && r.status >= 200 && r.status < 300 {
							atomic.AddInt64(&bgOK, 1)
						} else {
							atomic.AddInt64(&bgBad, 1)
						}
					}
				}(w)
			}
			time.Sleep(time.Second) // let the background load settle
		}
		t0 := time.Now()
		var e2e, after, wlat []float64
		missing := 0
		for s := 0; s < *n && time.Since(t0) < *maxd; s++ {
			id := fmt.Sprintf("%sp%d", *tag, s)
			name := fmt.Sprintf("%s.prop.%s", id, *zone)
			want := ip(900000 + s)
			ecsNew := ""
			if *scope {
				// The rule first answers 172.16.x.y/24 only; the timed
				// write moves it to 172.17.x.y/24.
				oldNet := fmt.Sprintf("172.16.%d.%d/32", (s>>8)&255, s&255)
				ecsNew = fmt.Sprintf("172.17.%d.%d/32", (s>>8)&255, s&255)
				body := fmt.Sprintf(`{"dnsRuleId":%q,"domainName":%q,"ipAddressType":"IP_V4","ipAddress":%q,"ttl":60,"clientSubnets":[%q]}`,
					id, name, want, oldNet)
				r := do("POST", fmt.Sprintf("%s/mep/config/%sapp/dns_rules", *url, *tag), []byte(body), nil)
				if r.err != nil || r.status != 201 {
					missing++
					continue
				}
				if _, ok := dnsWait(*dnsAddr, name, want, oldNet, 10*time.Second, nil); !ok {
					missing++
					continue
				}
			}
			done := make(chan time.Time, 1)
			stopPoll := make(chan struct{})
			start := time.Now()
			go func() {
				t, ok := dnsWait(*dnsAddr, name, want, ecsNew, 10*time.Second, stopPoll)
				if !ok {
					t = time.Time{}
				}
				done <- t
			}()
			var r result
			if *scope {
				body := fmt.Sprintf(`{"clientSubnets":[%q]}`, ecsNew)
				r = do("PUT", fmt.Sprintf("%s/mep/config/%sapp/dns_rules/%s", *url, *tag, id), []byte(body), nil)
			} else {
				r = write(name, id, 900000+s)
			}
			t2xx := time.Now()
			logWrite(id, start, t2xx, r.status)
			if r.err != nil || r.status < 200 || r.status >= 300 {
				close(stopPoll)
				<-done
				missing++
				continue
			}
			t := <-done
			if r.err != nil || r.status < 200 || r.status >= 300 || t.IsZero() {
				missing++
				continue
			}
			e2e = append(e2e, ms(t.Sub(start)))
			after = append(after, ms(t.Sub(t2xx)))
			wlat = append(wlat, ms(t2xx.Sub(start)))
			time.Sleep(*gap)
		}
		el := time.Since(t0).Seconds()
		close(stop)
		wg.Wait()
		fmt.Printf("target=%s scope_change=%v retries=%d samples=%d missing=%d seconds=%.2f bg_ok=%d bg_failed=%d bg_rate=%.1f "+
			"e2e_p50_ms=%.3f e2e_p99_ms=%.3f e2e_max_ms=%.3f after2xx_p50_ms=%.3f after2xx_p99_ms=%.3f after2xx_max_ms=%.3f "+
			"write_p50_ms=%.3f write_p99_ms=%.3f\n",
			*target, *scope, retries, len(e2e), missing, el, bgOK, bgBad, float64(bgOK)/(el+1),
			pct(e2e, 0.5), pct(e2e, 0.99), pct(e2e, 1), pct(after, 0.5), pct(after, 0.99), pct(after, 1),
			pct(wlat, 0.5), pct(wlat, 0.99))
	default:
		fmt.Fprintln(os.Stderr, "unknown command", cmd)
		os.Exit(2)
	}
}
