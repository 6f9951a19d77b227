package ipfix

import (
	"encoding/binary"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/warden-ops/warden/internal/record"
)

// fuzzTemplates are defined before each fuzzed packet, so that mutated
// data sets reach the record decoder.
var fuzzTemplates = []Template{
	tmpl44,
	{ID: 257, Fields: append(PortBlockFields(), Field{ID: 1, Length: VarLen, Enterprise: 2636})},
	{ID: 258, Fields: NAT64SessionFields()},
	{ID: 259, Scope: 1, Fields: []Field{{149, 4, 0}, {41, 8, 0}}},
}

var fuzzTemplatesV9 = []Template{{ID: 260, Fields: ASAFields()}, tmpl44}

// FuzzDecode feeds arbitrary packets to the packet handler, after
// templates, as IPFIX and NetFlow v9 exporters of each vendor. It must
// not panic; every record it makes must validate and be no larger than
// what the packet justifies; the template accounting must add up and stay
// within its limits.
func FuzzDecode(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.hex"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seeds in testdata: %v", err)
	}
	for _, p := range paths {
		b, err := readHex(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	e := &Encoder{Domain: 1}
	for _, m := range []*Message{
		e.Message(export).Data(tmpl44, session44(4), session44(5)),
		e.Message(export).Withdraw(256).Data(tmpl44, session44(4)),
		e.Message(export).WithdrawOptions(3),
		e.Message(export).Templates(Template{ID: 300, Fields: []Field{{ieNATEvent, 1, 0}, {ieNATPoolName, VarLen, 0}}}).
			Data(Template{ID: 300, Fields: []Field{{ieNATEvent, 1, 0}, {ieNATPoolName, VarLen, 0}}}, Event{NATEvent: 3, Pool: "p"}),
		(&Encoder{Version: 9}).Message(export).Data(fuzzTemplatesV9[0], asaEvent(1), asaEvent(2)),
	} {
		b, err := m.Append(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	primer, err := (&Encoder{Domain: 1}).Message(export).Templates(fuzzTemplates...).Append(nil)
	if err != nil {
		f.Fatal(err)
	}
	primerV9, err := (&Encoder{Version: 9, Domain: 1}).Message(export).Templates(fuzzTemplatesV9...).Append(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		c, sink := newTestCollector(t, true)
		for _, from := range []netip.AddrPort{exporterA, exporterJ, exporterC} {
			c.handle(primer, from, recvAt)
			c.handle(primerV9, from, recvAt)
		}
		if got := sink.take(); len(got) != 0 {
			t.Fatalf("primers made records: %s", describe(got))
		}
		for _, from := range []netip.AddrPort{exporterA, exporterJ, exporterC, netip.MustParseAddrPort("203.0.113.1:1")} {
			c.handle(pkt, from, recvAt)
			c.handle(pkt, from, recvAt) // again, after whatever templates it defined
		}
		recs := sink.take()
		// Every record comes from at least one byte of the packet, or is
		// the packet kept raw.
		if len(recs) > 8*(len(pkt)+1) {
			t.Fatalf("%d records from a packet of %d bytes", len(recs), len(pkt))
		}
		for _, r := range recs {
			if err := r.Validate(); err != nil {
				t.Fatalf("record %s does not validate: %v", describe([]*record.Record{r}), err)
			}
			if r.Kind == record.KindRaw && r.Raw.Format == formatPacket && len(r.Raw.Data) > len(pkt) {
				t.Fatalf("raw record of %d bytes from a packet of %d", len(r.Raw.Data), len(pkt))
			}
		}
		units, count := 0, 0
		for _, s := range c.sessions {
			if s.tmpl.units > maxSessionUnits {
				t.Fatalf("session %s holds %d units", s.addr, s.tmpl.units)
			}
			units += s.tmpl.units
			count += len(s.tmpl.m)
		}
		if units != c.pool.units || int64(count) != c.pool.count.Load() || units > maxTotalUnits {
			t.Fatalf("pool says %d units %d templates, sessions hold %d and %d", c.pool.units, c.pool.count.Load(), units, count)
		}
	})
}

// FuzzRoundTrip encodes a NAT event the fuzzer describes, as IPFIX or
// NetFlow v9, decodes it, and checks the record holds exactly the event.
func FuzzRoundTrip(f *testing.F) {
	f.Add(false, uint8(4), uint32(0x0a010203), uint16(51000), uint32(0xcb007107), uint16(40123), uint32(0xc6336450),
		uint16(443), uint8(6), uint32(7), int64(t0.UnixMilli()), "pool-a", uint16(0))
	f.Add(false, uint8(16), uint32(0x0a010203), uint16(0), uint32(0xcb007107), uint16(4096), uint32(0), uint16(0),
		uint8(0), uint32(0), int64(1), "", uint16(4607))
	f.Add(true, uint8(5), uint32(1), uint16(1), uint32(2), uint16(2), uint32(3), uint16(3), uint8(17), uint32(1<<31),
		int64(7258118399999), "x\x00\x00", uint16(0))
	mappings := []uint8{1, 2, 4, 5, 8, 9, 14, 15, 16, 17}
	f.Fuzz(func(t *testing.T, v9 bool, code uint8, inside uint32, insidePort uint16, outside uint32, outsidePort uint16,
		dest uint32, destPort uint16, proto uint8, vrf uint32, ms int64, pool string, end uint16) {
		code = mappings[int(code)%len(mappings)]
		block := code == 16 || code == 17
		ms = 1 + (ms&(1<<62-1))%(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()-1)
		ip := func(v uint32) netip.Addr { return netip.AddrFrom4([4]byte(binary.BigEndian.AppendUint32(nil, v))) }
		ev := Event{Time: time.UnixMilli(ms), NATEvent: code, Protocol: proto, Inside: netip.AddrPortFrom(ip(inside|1), insidePort),
			Outside: netip.AddrPortFrom(ip(outside|1), outsidePort), Dest: netip.AddrPortFrom(ip(dest), destPort), VRF: vrf}
		fields := NAT44SessionFields()
		if block {
			ev.PortStart, ev.PortEnd = min(outsidePort, end), max(outsidePort, end)
			ev.Pool = pool[:min(len(pool), 1000)]
			fields = append(PortBlockFields(), Field{ID: ieDstIPv4, Length: 4}, Field{ID: ieDstPort, Length: 2}, Field{ID: ieProtocol, Length: 1})
		}
		version := uint16(10)
		if v9 && !block {
			version = 9
		}
		tmpl := Template{ID: 999, Fields: fields}
		pkt, err := (&Encoder{Version: version, Domain: vrf}).Message(export).Templates(tmpl).Data(tmpl, ev).Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		c, sink := newTestCollector(t, false)
		c.handle(pkt, exporterA, recvAt)

		want := record.NAT{Protocol: record.Protocol(proto), InsideAddr: ev.Inside.Addr(), InsidePort: insidePort,
			OutsideAddr: ev.Outside.Addr(), OutsidePort: outsidePort, DestPort: destPort, VRF: strconv.FormatUint(uint64(vrf), 10)}
		want.Event = map[uint8]record.NATEvent{1: record.NATCreate, 4: record.NATCreate, 8: record.NATCreate, 14: record.NATCreate,
			2: record.NATDelete, 5: record.NATDelete, 9: record.NATDelete, 15: record.NATDelete,
			16: record.NATBlockAlloc, 17: record.NATBlockRelease}[code]
		if dest != 0 {
			want.DestAddr = ev.Dest.Addr()
		}
		if block {
			want.InsidePort, want.OutsidePort, want.OutsidePortEnd = 0, ev.PortStart, ev.PortEnd
			if ev.PortEnd == ev.PortStart {
				want.OutsidePortEnd = 0
			}
			want.Pool = strings.TrimRight(ev.Pool, "\x00")
		}
		wantRec := &record.Record{Kind: record.KindNAT, EventTime: time.UnixMilli(ms).UTC(), ReceiveTime: recvAt, Source: "cgn-a", NAT: &want}
		got := sink.take()
		if len(got) != 1 {
			t.Fatalf("got %s, want one NAT record", describe(got))
		}
		if diff := cmp.Diff(wantRec, got[0], cmpOpts); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
		if err := got[0].Validate(); err != nil {
			t.Fatalf("record does not validate: %v", err)
		}
	})
}
