package ipfix

import (
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/warden-ops/warden/internal/record"
)

// t0 is the event time of the test events; export is their export time.
var (
	t0     = time.Date(2026, 11, 21, 8, 30, 0, 123e6, time.UTC)
	export = time.Date(2026, 11, 21, 8, 30, 5, 0, time.UTC)
	recvAt = time.Date(2026, 11, 21, 8, 30, 6, 0, time.UTC)
)

var (
	exporterA = netip.MustParseAddrPort("192.0.2.1:40000")
	exporterB = netip.MustParseAddrPort("192.0.2.2:40000")
	exporterJ = netip.MustParseAddrPort("198.51.100.1:40000")
	exporterC = netip.MustParseAddrPort("198.51.100.9:40000")
)

// testExporters are the exporters of the unit tests: A and B are RFC 8158
// devices, J a Juniper MS-MPC and C a Cisco ASA.
func testExporters() []Exporter {
	return []Exporter{
		{Name: "cgn-a", Prefix: netip.MustParsePrefix("192.0.2.1/32")},
		{Name: "cgn-b", Prefix: netip.MustParsePrefix("192.0.2.2/32"), Vendor: VendorRFC8158},
		{Name: "mx-j", Prefix: netip.MustParsePrefix("198.51.100.1/32"), Vendor: VendorJuniper},
		{Name: "asa-c", Prefix: netip.MustParsePrefix("198.51.100.9/32"), Vendor: VendorCiscoASA},
	}
}

// recSink keeps what it is given; it refuses everything past limit when
// limit is set.
type recSink struct {
	recs  []*record.Record
	limit int
}

func (s *recSink) TryAdd(r *record.Record) bool {
	if s.limit > 0 && len(s.recs) >= s.limit {
		return false
	}
	s.recs = append(s.recs, r)
	return true
}

func (s *recSink) take() []*record.Record {
	r := s.recs
	s.recs = nil
	return r
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newTestCollector returns a collector with testExporters and a sink.
func newTestCollector(t testing.TB, acceptUnknown bool) (*collector, *recSink) {
	t.Helper()
	cfg := Config{Addr: "127.0.0.1:0", Exporters: testExporters(), AcceptUnknown: acceptUnknown}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s := &recSink{}
	return newCollector(cfg, s, quietLog()), s
}

// encode builds one message, failing the test on error.
func encode(t testing.TB, m *Message) []byte {
	t.Helper()
	b, err := m.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
func addr(s string) netip.Addr   { return netip.MustParseAddr(s) }

// natRec returns a NAT record as the collector makes it at t0.
func natRec(source string, n record.NAT) *record.Record {
	return &record.Record{Kind: record.KindNAT, EventTime: t0, ReceiveTime: recvAt, Source: source, NAT: &n}
}

// session44 is a NAT44 session event in NAT44SessionFields.
func session44(code uint8) Event {
	return Event{Time: t0, NATEvent: code, Protocol: 6, Inside: ap("10.1.2.3:51000"),
		Outside: ap("203.0.113.7:40123"), Dest: ap("198.51.100.80:443"), VRF: 7}
}

// session44Rec is the record of session44 with ev.
func session44Rec(source string, ev record.NATEvent) *record.Record {
	return natRec(source, record.NAT{Event: ev, Protocol: record.ProtoTCP, InsideAddr: addr("10.1.2.3"),
		InsidePort: 51000, OutsideAddr: addr("203.0.113.7"), OutsidePort: 40123, DestAddr: addr("198.51.100.80"),
		DestPort: 443, VRF: "7"})
}

// cmpOpts compare records: addresses by value.
var cmpOpts = cmp.Options{cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})}
