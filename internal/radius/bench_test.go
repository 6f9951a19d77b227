package radius

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"
	"layeh.com/radius/rfc2869"
	"layeh.com/radius/rfc3162"

	"github.com/warden-ops/warden/internal/record"
)

// benchRequest returns a typical interim update, made unique by n.
func benchRequest(tb testing.TB, n uint64) []byte {
	return acct(tb, testSecret, rfc2866.AcctStatusType_Value_InterimUpdate, func(p *radius.Packet) {
		must(tb, rfc2865.UserName_AddString(p, "user"+strconv.FormatUint(n%100000, 10)+"@isp.example"))
		must(tb, rfc2865.CallingStationID_AddString(p, "00-11-22-33-44-55"))
		must(tb, rfc2865.FramedIPAddress_Add(p, net.IPv4(100, 64, byte(n>>8), byte(n))))
		must(tb, rfc3162.FramedIPv6Prefix_Add(p, ipnet("2001:db8:100:1::/64")))
		must(tb, rfc2865.NASIPAddress_Add(p, net.IPv4(192, 0, 2, 1)))
		must(tb, rfc2869.NASPortID_AddString(p, "eth-trunk1.100:100-200"))
		must(tb, rfc2866.AcctSessionID_AddString(p, fmt.Sprintf("bench-%010d", n)))
		must(tb, rfc2866.AcctInputOctets_Add(p, rfc2866.AcctInputOctets(n)))
		must(tb, rfc2866.AcctOutputOctets_Add(p, rfc2866.AcctOutputOctets(n)))
		must(tb, rfc2869.EventTimestamp_Add(p, testRecv))
	})
}

// requestMaker makes unique requests cheaply, as a NAS does: it patches
// the Identifier and the Acct-Session-Id digits of a template and signs
// the result, so that the benchmark measures the server, not the client.
type requestMaker struct {
	tmpl   []byte
	digits int // offset of the 10 session ID digits
}

func newRequestMaker(tb testing.TB) *requestMaker {
	tmpl := benchRequest(tb, 0)
	i := bytes.Index(tmpl, []byte("bench-0000000000"))
	if i < 0 {
		tb.Fatal("no session ID in the template")
	}
	return &requestMaker{tmpl: tmpl, digits: i + len("bench-")}
}

// make writes request n into dst, which must be len(m.tmpl) long.
func (m *requestMaker) make(dst []byte, n uint64) {
	copy(dst, m.tmpl)
	dst[1] = byte(n)
	for i := m.digits + 9; i >= m.digits; i-- {
		dst[i] = '0' + byte(n%10)
		n /= 10
	}
	clear(dst[4:20])
	h := md5.New()
	h.Write(dst)
	h.Write([]byte(testSecret))
	h.Sum(dst[4:4])
}

// BenchmarkServer measures requests answered per second, each durable in a
// real store through a real ingest pipeline, sent over loopback by many
// concurrent clients, each waiting for its answer like a NAS.
func BenchmarkServer(b *testing.B) {
	s := startStack(b, testConfig())
	addr := s.srv.Addr().(*net.UDPAddr)
	mk := newRequestMaker(b)
	var seq, retries atomic.Uint64
	b.SetParallelism(1024) // ×GOMAXPROCS senders, each with one request in flight
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		conn, err := net.DialUDP("udp", nil, addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		buf := make([]byte, 4096)
		req := make([]byte, len(mk.tmpl))
		for pb.Next() {
			mk.make(req, seq.Add(1))
			for {
				if _, err := conn.Write(req); err != nil {
					b.Error(err)
					return
				}
				if err := conn.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
					b.Error(err)
					return
				}
				n, err := conn.Read(buf)
				if err == nil && isResponseTo(buf[:n], req, testSecret) {
					break
				}
				retries.Add(1) // lost in a full socket buffer: retransmit, as a NAS would
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
	b.ReportMetric(float64(retries.Load()), "retransmissions")
	if st := s.srv.Stats(); st.Stored < uint64(b.N) {
		b.Errorf("stored %d of %d requests", st.Stored, b.N)
	}
}

// nopSink takes every record at once.
type nopSink struct{}

func (nopSink) AddDurable(context.Context, *record.Record) (record.ID, error) {
	return record.ID{Kind: record.KindSession, Seq: 1}, nil
}

// BenchmarkHandlePacket measures the server's own cost per request:
// header checks, authenticator, parse, duplicate cache and mapping.
func BenchmarkHandlePacket(b *testing.B) {
	s := newTestServer(b, Config{}, nopSink{})
	reqs := make([][]byte, 4096)
	for i := range reqs {
		reqs[i] = benchRequest(b, uint64(i))
	}
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := reqs[i%len(reqs)]
		if i%len(reqs) == 0 {
			s.dups = newDupCache(DefaultDuplicateWindow, maxDuplicates)
		}
		if s.handlePacket(ctx, req, bng1Addr, testRecv) == nil {
			b.Fatal("not answered")
		}
		i++
	}
}

func TestRequestMaker(t *testing.T) {
	mk := newRequestMaker(t)
	req := make([]byte, len(mk.tmpl))
	mk.make(req, 1234567)
	p, err := radius.Parse(req, []byte(testSecret))
	if err != nil || !radius.IsAuthenticRequest(req, []byte(testSecret)) {
		t.Fatalf("made request does not parse or authenticate: %v", err)
	}
	if got := rfc2866.AcctSessionID_GetString(p); got != "bench-0001234567" {
		t.Errorf("session ID %q", got)
	}
}
