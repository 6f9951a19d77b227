package ipfix

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/warden-ops/warden/internal/ingest"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// harness is a server feeding a real store through the ingest pipeline.
type harness struct {
	t       *testing.T
	srv     *Server
	st      *store.Store
	stopSrv context.CancelFunc
	srvDone chan error
	stopIn  context.CancelFunc
	inDone  chan error
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	st, err := store.Open(store.Config{Dir: t.TempDir(), Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() }) // a second Close is harmless
	p := ingest.New(st, ingest.Config{Logger: quietLog()})
	srv, err := New(cfg, p, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv, st: st, srvDone: make(chan error, 1), inDone: make(chan error, 1)}
	// The pipeline outlives the server so that it can drain what the
	// server queued; both stop in stop.
	inCtx, stopIn := context.WithCancel(context.Background())
	srvCtx, stopSrv := context.WithCancel(t.Context())
	h.stopIn, h.stopSrv = stopIn, stopSrv
	go func() { h.inDone <- p.Run(inCtx) }()
	go func() { h.srvDone <- srv.Run(srvCtx) }()
	t.Cleanup(h.stop)
	return h
}

// sender returns a UDP socket from local to the server.
func (h *harness) sender(local string) *net.UDPConn {
	h.t.Helper()
	la := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(local))
	c, err := net.DialUDP("udp", la, h.srv.Addr().(*net.UDPAddr))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

func (h *harness) send(c *net.UDPConn, pkts ...[]byte) {
	h.t.Helper()
	for _, p := range pkts {
		if _, err := c.Write(p); err != nil {
			h.t.Fatal(err)
		}
	}
}

// waitPackets waits until the server has taken n packets. The packets
// cross a real socket, so there is nothing to synchronise on but the
// counters.
func (h *harness) waitPackets(n uint64) Stats {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := h.srv.Stats()
		if st.Packets+st.UnknownExporters >= n {
			return st
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("server took %d packets of %d in 10s", st.Packets+st.UnknownExporters, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop stops the server, then the pipeline, which appends what is queued.
func (h *harness) stop() {
	if h.stopSrv == nil {
		return
	}
	h.stopSrv()
	if err := <-h.srvDone; err != nil {
		h.t.Errorf("Run: %v", err)
	}
	h.stopIn()
	if err := <-h.inDone; err != nil {
		h.t.Errorf("pipeline Run: %v", err)
	}
	h.stopSrv = nil
}

// scan returns the stored records of kind k with ID and receive time
// cleared, after checking the receive time was set.
func (h *harness) scan(k record.Kind) []*record.Record {
	h.t.Helper()
	var out []*record.Record
	for r, err := range h.st.Scan(h.t.Context(), store.Query{Kind: k}) {
		if err != nil {
			h.t.Fatal(err)
		}
		if r.ReceiveTime.IsZero() {
			h.t.Errorf("record %s has no receive time", describe([]*record.Record{r}))
		}
		r.ID, r.ReceiveTime = record.ID{}, time.Time{}
		out = append(out, r)
	}
	return out
}

// stored returns the record as the store gives it back.
func stored(r *record.Record) *record.Record {
	c := *r
	c.ReceiveTime = time.Time{}
	return &c
}

// TestServerStore sends NAT events from five exporters over loopback UDP
// and checks what the store holds, field by field: RFC 8158 sessions,
// port blocks and NAT64 from cgn-1, a data set before its template (kept
// raw), templates resent, template 256 with another layout from cgn-2 and
// from a second port of cgn-1, Juniper's numbering from mx-1, Cisco ASA
// NSEL over NetFlow v9 from asa-1, and a sender nobody configured.
func TestServerStore(t *testing.T) {
	h := newHarness(t, Config{Addr: "127.0.0.1:0", Exporters: []Exporter{
		{Name: "cgn-1", Prefix: netip.MustParsePrefix("127.0.0.1/32")},
		{Name: "cgn-2", Prefix: netip.MustParsePrefix("127.0.0.2/32")},
		{Name: "mx-1", Prefix: netip.MustParsePrefix("127.0.0.3/32"), Vendor: VendorJuniper},
		{Name: "asa-1", Prefix: netip.MustParsePrefix("127.0.0.4/32"), Vendor: VendorCiscoASA},
	}})
	cgn1, cgn1b, cgn2 := h.sender("127.0.0.1:0"), h.sender("127.0.0.1:0"), h.sender("127.0.0.2:0")
	mx1, asa1, stranger := h.sender("127.0.0.3:0"), h.sender("127.0.0.4:0"), h.sender("127.0.0.9:0")

	block := Template{ID: 257, Fields: PortBlockFields()}
	block256 := Template{ID: 256, Fields: PortBlockFields()}
	nat64 := Template{ID: 258, Fields: NAT64SessionFields()}
	exhausted := Template{ID: 259, Fields: []Field{{ieObsMillis, 8, 0}, {ieNATEvent, 1, 0}, {ieNATPoolID, 4, 0}}}
	asaT := Template{ID: 260, Fields: ASAFields()}
	blockEv := func(code uint8, inside, outside string, start, end uint16, pool string) Event {
		return Event{Time: t0, NATEvent: code, Inside: ap(inside + ":0"), Outside: ap(outside + ":0"), PortStart: start,
			PortEnd: end, VRF: 7, Pool: pool}
	}
	blockRec := func(source string, ev record.NATEvent, inside, outside string, start, end uint16, pool string) *record.Record {
		return natRec(source, record.NAT{Event: ev, InsideAddr: addr(inside), OutsideAddr: addr(outside), OutsidePort: start,
			OutsidePortEnd: end, VRF: "7", Pool: pool})
	}
	ev64 := Event{Time: t0, NATEvent: 6, Protocol: 6, Inside: ap("[2001:db8:1::5]:50000"), Outside: ap("203.0.113.9:61000"),
		Dest: ap("[64:ff9b::c633:6450]:443"), PostDest: ap("198.51.100.80:443"), VRF: 1}

	e1, e1b, e2 := &Encoder{Domain: 1}, &Encoder{Domain: 1}, &Encoder{Domain: 1}
	early := encode(t, e1.Message(export).Data(tmpl44, session44(4)))
	h.send(cgn1,
		early,
		encode(t, e1.Message(export).Templates(tmpl44, block).Data(tmpl44, session44(4), session44(5)).
			Data(block, blockEv(16, "10.1.2.3", "203.0.113.7", 4096, 4607, "pool-a"))),
		encode(t, e1.Message(export).Templates(nat64).Data(nat64, ev64)),
		encode(t, e1.Message(export).Templates(exhausted).Data(exhausted, Event{Time: t0, NATEvent: 3, PoolID: 2})),
		encode(t, e1.Message(export).Templates(tmpl44).Data(tmpl44, session44(5))),
	)
	h.send(cgn2, encode(t, e2.Message(export).Templates(block256).
		Data(block256, blockEv(16, "10.2.0.1", "203.0.113.8", 1024, 2047, "pool-b"), blockEv(17, "10.2.0.1", "203.0.113.8", 1024, 2047, "pool-b"))))
	h.send(cgn1b, encode(t, e1b.Message(export).Templates(block256).Data(block256, blockEv(17, "10.1.2.3", "203.0.113.7", 4096, 4607, "pool-a"))))
	h.send(mx1, encode(t, (&Encoder{}).Message(export).Templates(block).Data(block, blockEv(14, "10.3.0.1", "203.0.113.10", 512, 1023, "jpool"))))
	h.send(asa1, encode(t, (&Encoder{Version: 9, Domain: 0}).Message(export).Templates(asaT).
		Data(asaT, asaEvent(1), asaEvent(5), asaEvent(3), asaEvent(2))))
	h.send(stranger, encode(t, (&Encoder{}).Message(export).Templates(tmpl44).Data(tmpl44, session44(4))))
	st := h.waitPackets(10)
	h.stop()

	nat := []*record.Record{
		session44Rec("cgn-1", record.NATCreate), session44Rec("cgn-1", record.NATDelete),
		blockRec("cgn-1", record.NATBlockAlloc, "10.1.2.3", "203.0.113.7", 4096, 4607, "pool-a"),
		natRec("cgn-1", record.NAT{Event: record.NATCreate, Protocol: record.ProtoTCP, InsideAddr: addr("2001:db8:1::5"),
			InsidePort: 50000, OutsideAddr: addr("203.0.113.9"), OutsidePort: 61000, DestAddr: addr("198.51.100.80"),
			DestPort: 443, VRF: "1"}),
		session44Rec("cgn-1", record.NATDelete),
		blockRec("cgn-2", record.NATBlockAlloc, "10.2.0.1", "203.0.113.8", 1024, 2047, "pool-b"),
		blockRec("cgn-2", record.NATBlockRelease, "10.2.0.1", "203.0.113.8", 1024, 2047, "pool-b"),
		blockRec("cgn-1", record.NATBlockRelease, "10.1.2.3", "203.0.113.7", 4096, 4607, "pool-a"),
		blockRec("mx-1", record.NATBlockAlloc, "10.3.0.1", "203.0.113.10", 512, 1023, "jpool"),
	}
	for _, ev := range []record.NATEvent{record.NATCreate, record.NATInterim, record.NATDelete} {
		r := asaRec(ev)
		r.Source = "asa-1"
		nat = append(nat, r)
	}
	events := []*record.Record{{Kind: record.KindEvent, EventTime: t0, Source: "cgn-1", Event: &record.Event{
		Rule: "nat-addresses-exhausted", Severity: record.SeverityHigh,
		Detail: fmt.Sprintf("natEvent 3 (NAT addresses exhausted): observationTimeMilliseconds=%d natEvent=3 natPoolId=2", t0.UnixMilli())}}}

	// The store keeps each kind in the order the pipeline appended it; the
	// senders' packets may interleave, so compare in a fixed order.
	sorted := cmpopts.SortSlices(func(a, b *record.Record) bool { return recordKey(a) < recordKey(b) })
	want := make([]*record.Record, len(nat))
	for i, r := range nat {
		want[i] = stored(r)
	}
	if diff := cmp.Diff(want, h.scan(record.KindNAT), cmpOpts, sorted); diff != "" {
		t.Errorf("NAT records (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(events, h.scan(record.KindEvent), cmpOpts); diff != "" {
		t.Errorf("event records (-want +got):\n%s", diff)
	}
	raws := h.scan(record.KindRaw)
	if len(raws) != 1 {
		t.Fatalf("raw records %s, want the early data set", describe(raws))
	}
	port := cgn1.LocalAddr().(*net.UDPAddr).Port
	wantRaw := &record.Record{Kind: record.KindRaw, EventTime: raws[0].EventTime, Source: "cgn-1", Raw: &record.Raw{
		Reason: fmt.Sprintf("ipfix: data set for unknown template 256 from exporter 127.0.0.1:%d (version 10, domain 1)", port),
		Format: "ipfix", Data: early[ipfixHeaderLen:]}}
	if diff := cmp.Diff(wantRaw, raws[0], cmpOpts); diff != "" {
		t.Errorf("raw record (-want +got):\n%s", diff)
	}

	wantStats := Stats{Counters: Counters{Packets: 9, Records: 14, NATEvents: 13, NonNAT: 1, UnknownTemplate: 1},
		UnknownExporters: 1, Sessions: 5, Templates: 8}
	gotStats := st
	gotStats.Exporters = nil
	if diff := cmp.Diff(wantStats, gotStats); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	byName := map[string]Counters{}
	for _, e := range st.Exporters {
		byName[e.Name] = e.Counters
	}
	wantBy := map[string]Counters{
		"cgn-1": {Packets: 6, Records: 7, NATEvents: 7, UnknownTemplate: 1},
		"cgn-2": {Packets: 1, Records: 2, NATEvents: 2},
		"mx-1":  {Packets: 1, Records: 1, NATEvents: 1},
		"asa-1": {Packets: 1, Records: 4, NATEvents: 3, NonNAT: 1},
	}
	if diff := cmp.Diff(wantBy, byName); diff != "" {
		t.Errorf("per-exporter stats (-want +got):\n%s", diff)
	}
}

// recordKey orders records for comparison.
func recordKey(r *record.Record) string {
	return r.Source + " " + describe([]*record.Record{r})
}

// TestServerIPv6 receives over IPv6 loopback.
func TestServerIPv6(t *testing.T) {
	if c, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		c.Close()
	}
	h := newHarness(t, Config{Addr: "[::1]:0", Exporters: []Exporter{{Name: "cgn-6", Prefix: netip.MustParsePrefix("::1/128")}}})
	h.send(h.sender("[::1]:0"), encode(t, (&Encoder{}).Message(export).Templates(tmpl44).Data(tmpl44, session44(4))))
	h.waitPackets(1)
	h.stop()
	if diff := cmp.Diff([]*record.Record{stored(session44Rec("cgn-6", record.NATCreate))}, h.scan(record.KindNAT), cmpOpts); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// TestServerLifecycle: Run stops with its context or Close, and only runs
// once; Close works without Run.
func TestServerLifecycle(t *testing.T) {
	cfg := Config{Addr: "127.0.0.1:0", AcceptUnknown: true}
	srv, err := New(cfg, &recSink{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Addr().(*net.UDPAddr).Port == 0 {
		t.Errorf("Addr() = %v before Run, want the bound port", srv.Addr())
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
	if err := srv.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "Run called twice") {
		t.Errorf("second Run = %v, want an error", err)
	}

	srv, err = New(cfg, &recSink{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- srv.Run(t.Context()) }()
	if err := srv.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Run after Close = %v, want nil", err)
	}

	srv, err = New(cfg, &recSink{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close without Run = %v", err)
	}
}

// TestConfigValidate checks each setting New refuses.
func TestConfigValidate(t *testing.T) {
	p := netip.MustParsePrefix("192.0.2.0/24")
	tests := []struct {
		name string
		cfg  Config
		want string // "" means valid
	}{
		{"valid", Config{Addr: ":4739", Exporters: []Exporter{{Name: "a", Prefix: p}}}, ""},
		{"accept unknown alone", Config{Addr: ":4739", AcceptUnknown: true}, ""},
		{"no addr", Config{AcceptUnknown: true}, "addr is required"},
		{"bad addr", Config{Addr: "4739", AcceptUnknown: true}, `addr "4739"`},
		{"negative buffer", Config{Addr: ":4739", AcceptUnknown: true, UDPReadBuffer: -1}, "udp read buffer -1 is negative"},
		{"no name", Config{Addr: ":4739", Exporters: []Exporter{{Prefix: p}}}, "exporters[0]: name is required"},
		{"name twice", Config{Addr: ":4739", Exporters: []Exporter{{Name: "a", Prefix: p}, {Name: "a", Prefix: netip.MustParsePrefix("10.0.0.0/8")}}},
			"exporter a: name used twice"},
		{"no prefix", Config{Addr: ":4739", Exporters: []Exporter{{Name: "a"}}}, "exporter a: prefix is required"},
		{"prefix twice", Config{Addr: ":4739", Exporters: []Exporter{{Name: "a", Prefix: p}, {Name: "b", Prefix: netip.MustParsePrefix("192.0.2.7/24")}}},
			"exporter b: prefix 192.0.2.0/24 is also exporter a's"},
		{"vendor", Config{Addr: ":4739", Exporters: []Exporter{{Name: "a", Prefix: p, Vendor: "huawei"}}}, `unknown vendor "huawei"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := New(Config{Addr: "127.0.0.1:0", AcceptUnknown: true}, nil, nil); err == nil {
		t.Errorf("New without a sink succeeded")
	}
}

// TestMostSpecificPrefix: a sender matches the narrowest prefix.
func TestMostSpecificPrefix(t *testing.T) {
	cfg := Config{Addr: "x:1", Exporters: []Exporter{
		{Name: "wide", Prefix: netip.MustParsePrefix("10.0.0.0/8")},
		{Name: "narrow", Prefix: netip.MustParsePrefix("10.1.0.0/16"), Vendor: VendorJuniper},
	}}
	sink := &recSink{}
	c := newCollector(cfg, sink, quietLog())
	pkt := encode(t, (&Encoder{}).Message(export).Templates(tmpl44).Data(tmpl44, session44(1)))
	c.handle(pkt, netip.MustParseAddrPort("10.1.2.3:9"), recvAt)
	c.handle(pkt, netip.MustParseAddrPort("10.2.2.3:9"), recvAt)
	if got := sink.take(); len(got) != 2 || got[0].Source != "narrow" || got[1].Source != "wide" {
		t.Errorf("got %s, want narrow then wide", describe(got))
	}
}
