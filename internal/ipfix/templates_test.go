package ipfix

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/warden-ops/warden/internal/record"
)

var (
	tmpl44    = Template{ID: 256, Fields: NAT44SessionFields()}
	tmplBlock = Template{ID: 256, Fields: PortBlockFields()}
)

// TestDataBeforeTemplate: a data set that comes before its template is
// kept raw, set bytes and all; once the template comes, data decodes.
func TestDataBeforeTemplate(t *testing.T) {
	c, sink := newTestCollector(t, false)
	enc := &Encoder{Domain: 42}
	pkt := encode(t, enc.Message(export).Data(tmpl44, session44(4)))
	c.handle(pkt, exporterA, recvAt)
	got := sink.take()
	want := &record.Record{Kind: record.KindRaw, EventTime: recvAt, ReceiveTime: recvAt, Source: "cgn-a", Raw: &record.Raw{
		Reason: "ipfix: data set for unknown template 256 from exporter 192.0.2.1:40000 (version 10, domain 42)",
		Format: "ipfix", Data: pkt[ipfixHeaderLen:]}}
	if len(got) != 1 {
		t.Fatalf("got %s, want one raw record", describe(got))
	}
	if diff := cmp.Diff(want, got[0], cmpOpts); diff != "" {
		t.Errorf("raw record mismatch (-want +got):\n%s", diff)
	}
	checkValid(t, got)

	c.handle(encode(t, enc.Message(export).Templates(tmpl44)), exporterA, recvAt)
	c.handle(encode(t, enc.Message(export).Data(tmpl44, session44(5))), exporterA, recvAt)
	if diff := cmp.Diff([]*record.Record{session44Rec("cgn-a", record.NATDelete)}, sink.take(), cmpOpts); diff != "" {
		t.Errorf("after the template (-want +got):\n%s", diff)
	}
	st := c.stats()
	if st.UnknownTemplate != 1 || st.NATEvents != 1 || st.Records != 1 || st.Packets != 3 {
		t.Errorf("stats %+v, want 1 unknown template, 1 NAT event, 1 record, 3 packets", st.Counters)
	}
}

// TestTemplatesResent: a template sent again changes nothing; a template
// redefined under its ID replaces the old layout.
func TestTemplatesResent(t *testing.T) {
	c, sink := newTestCollector(t, false)
	enc := &Encoder{}
	for range 3 {
		c.handle(encode(t, enc.Message(export).Templates(tmpl44).Data(tmpl44, session44(4))), exporterA, recvAt)
	}
	if got := sink.take(); len(got) != 3 {
		t.Fatalf("got %s, want 3 records", describe(got))
	}
	if st := c.stats(); st.Templates != 1 || st.Sessions != 1 {
		t.Errorf("templates %d sessions %d, want 1 and 1", st.Templates, st.Sessions)
	}
	blockEv := Event{Time: t0, NATEvent: 16, Inside: ap("10.1.2.3:0"), Outside: ap("203.0.113.7:0"), PortStart: 1024, PortEnd: 2047, Pool: "p"}
	c.handle(encode(t, enc.Message(export).Templates(tmplBlock).Data(tmplBlock, blockEv)), exporterA, recvAt)
	want := natRec("cgn-a", record.NAT{Event: record.NATBlockAlloc, InsideAddr: addr("10.1.2.3"), OutsideAddr: addr("203.0.113.7"),
		OutsidePort: 1024, OutsidePortEnd: 2047, VRF: "0", Pool: "p"})
	if diff := cmp.Diff([]*record.Record{want}, sink.take(), cmpOpts); diff != "" {
		t.Errorf("after redefinition (-want +got):\n%s", diff)
	}
	if st := c.stats(); st.Templates != 1 || c.pool.units != len(PortBlockFields())+templateOverhead {
		t.Errorf("templates %d units %d, want 1 and %d", st.Templates, c.pool.units, len(PortBlockFields())+templateOverhead)
	}
}

// TestTwoExportersSameTemplateID: two exporters, and two ports of one
// exporter, define template 256 differently; each decodes with its own.
func TestTwoExportersSameTemplateID(t *testing.T) {
	c, sink := newTestCollector(t, false)
	blockEv := Event{Time: t0, NATEvent: 16, Inside: ap("10.1.2.3:0"), Outside: ap("203.0.113.7:0"), PortStart: 1024, PortEnd: 2047, VRF: 7, Pool: "p"}
	blockRec := natRec("", record.NAT{Event: record.NATBlockAlloc, InsideAddr: addr("10.1.2.3"), OutsideAddr: addr("203.0.113.7"),
		OutsidePort: 1024, OutsidePortEnd: 2047, VRF: "7", Pool: "p"})
	exporterA2 := netip.AddrPortFrom(exporterA.Addr(), 40001)
	encA, encB, encA2 := &Encoder{Domain: 1}, &Encoder{Domain: 1}, &Encoder{Domain: 1}
	c.handle(encode(t, encA.Message(export).Templates(tmpl44)), exporterA, recvAt)
	c.handle(encode(t, encB.Message(export).Templates(tmplBlock)), exporterB, recvAt)
	c.handle(encode(t, encA2.Message(export).Templates(tmplBlock)), exporterA2, recvAt)
	c.handle(encode(t, encA.Message(export).Data(tmpl44, session44(4))), exporterA, recvAt)
	c.handle(encode(t, encB.Message(export).Data(tmplBlock, blockEv)), exporterB, recvAt)
	c.handle(encode(t, encA2.Message(export).Data(tmplBlock, blockEv)), exporterA2, recvAt)
	c.handle(encode(t, encA.Message(export).Data(tmpl44, session44(5))), exporterA, recvAt)
	recB, recA2 := *blockRec, *blockRec
	recB.Source, recA2.Source = "cgn-b", "cgn-a"
	want := []*record.Record{session44Rec("cgn-a", record.NATCreate), &recB, &recA2, session44Rec("cgn-a", record.NATDelete)}
	if diff := cmp.Diff(want, sink.take(), cmpOpts); diff != "" {
		t.Errorf("records mismatch (-want +got):\n%s", diff)
	}
	st := c.stats()
	if st.Sessions != 3 || st.Templates != 3 || st.DecodeErrors != 0 {
		t.Errorf("sessions %d templates %d decode errors %d, want 3 3 0", st.Sessions, st.Templates, st.DecodeErrors)
	}
	if len(st.Exporters) != 4 || st.Exporters[0].Name != "asa-c" || st.Exporters[1].Packets != 5 || st.Exporters[2].Packets != 2 {
		t.Errorf("exporters %+v, want asa-c, cgn-a (5 packets), cgn-b (2 packets), mx-j", st.Exporters)
	}
}

// TestObservationDomains: one exporter's domains keep their templates
// apart.
func TestObservationDomains(t *testing.T) {
	c, sink := newTestCollector(t, false)
	d1, d2 := &Encoder{Domain: 1}, &Encoder{Domain: 2}
	c.handle(encode(t, d1.Message(export).Templates(tmpl44)), exporterA, recvAt)
	c.handle(encode(t, d2.Message(export).Data(tmpl44, session44(4))), exporterA, recvAt)
	c.handle(encode(t, d1.Message(export).Data(tmpl44, session44(4))), exporterA, recvAt)
	got := sink.take()
	if len(got) != 2 || got[0].Kind != record.KindRaw || got[1].Kind != record.KindNAT {
		t.Fatalf("got %s, want a raw record (domain 2 has no template) then a NAT record", describe(got))
	}
}

// TestWithdrawal: withdrawing one template, all templates, and options
// templates (RFC 7011 §8.1).
func TestWithdrawal(t *testing.T) {
	c, sink := newTestCollector(t, false)
	enc := &Encoder{}
	t257 := Template{ID: 257, Fields: NAT44SessionFields()}
	opts := Template{ID: 258, Scope: 1, Fields: []Field{{149, 4, 0}, {41, 8, 0}}} // observationDomainId; exportedMessageTotalCount
	opts2 := Template{ID: 259, Scope: 1, Fields: []Field{{149, 4, 0}, {42, 8, 0}}}
	c.handle(encode(t, enc.Message(export).Templates(tmpl44, t257, opts, opts2)), exporterA, recvAt)
	if st := c.stats(); st.Templates != 4 {
		t.Fatalf("templates %d, want 4", st.Templates)
	}
	c.handle(encode(t, enc.Message(export).Data(opts, Event{}).Data(opts2, Event{})), exporterA, recvAt)
	if st := c.stats(); st.NonNAT != 2 || st.Records != 2 || len(sink.recs) != 0 {
		t.Fatalf("options data: %+v, %s; want 2 records skipped", st.Counters, describe(sink.recs))
	}

	c.handle(encode(t, enc.Message(export).Withdraw(256)), exporterA, recvAt)
	c.handle(encode(t, enc.Message(export).Data(tmpl44, session44(4)).Data(t257, session44(5))), exporterA, recvAt)
	got := sink.take()
	if len(got) != 2 || got[0].Kind != record.KindRaw || got[1].Kind != record.KindNAT {
		t.Fatalf("after withdrawing 256: %s, want raw then NAT", describe(got))
	}

	c.handle(encode(t, enc.Message(export).WithdrawOptions(258)), exporterA, recvAt)
	if st := c.stats(); st.Templates != 2 || st.DecodeErrors != 0 {
		t.Fatalf("after withdrawing options 258: %d templates, %d decode errors; want 2, 0", st.Templates, st.DecodeErrors)
	}
	c.handle(encode(t, enc.Message(export).Withdraw(2)), exporterA, recvAt)
	if st := c.stats(); st.Templates != 1 {
		t.Fatalf("after withdrawing all templates: %d templates, want the options template left", st.Templates)
	}
	c.handle(encode(t, enc.Message(export).WithdrawOptions(3)), exporterA, recvAt)
	if st := c.stats(); st.Templates != 0 || c.pool.units != 0 || st.DecodeErrors != 0 {
		t.Fatalf("after withdrawing all options templates: %d templates, %d units, %d errors; want 0", st.Templates, c.pool.units, st.DecodeErrors)
	}
	// A withdrawal set that also defines a template is refused.
	bad := encode(t, enc.Message(export).Set(3, []byte{1, 4, 0, 0, 1, 5, 0, 2, 0, 1, 0, 149, 0, 4, 0, 41, 0, 8}))
	c.handle(bad, exporterA, recvAt)
	if got := sink.take(); len(got) != 1 || !strings.Contains(got[0].Raw.Reason, "options template 261 defined in a withdrawal set") {
		t.Errorf("mixed withdrawal set: %s", describe(got))
	}
}

// TestNetFlowV9Options: NetFlow v9 options templates and their data.
func TestNetFlowV9Options(t *testing.T) {
	c, sink := newTestCollector(t, false)
	enc := &Encoder{Version: 9}
	opts := Template{ID: 300, Scope: 1, Fields: []Field{{1, 4, 0}, {34, 4, 0}, {35, 1, 0}}} // system; sampling
	asa := Template{ID: 301, Fields: ASAFields()}
	c.handle(encode(t, enc.Message(export).Templates(opts, asa).Data(opts, Event{}).Data(asa, asaEvent(1))), exporterC, recvAt)
	if diff := cmp.Diff([]*record.Record{asaRec(record.NATCreate)}, sink.take(), cmpOpts); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if st := c.stats(); st.Records != 2 || st.NonNAT != 1 || st.Templates != 2 {
		t.Errorf("stats %+v templates %d, want 2 records, 1 skipped, 2 templates", st.Counters, st.Templates)
	}
}

// TestMalformed: packets and sets that do not decode are kept raw with the
// reason, and the sets around a bad one still decode.
func TestMalformed(t *testing.T) {
	good := encode(t, (&Encoder{}).Message(export).Templates(tmpl44).Data(tmpl44, session44(4)))
	goodV9 := encode(t, (&Encoder{Version: 9}).Message(export).Templates(tmpl44).Data(tmpl44, session44(4)))
	setLen := func(p []byte, off int, n uint16) []byte {
		p = bytes.Clone(p)
		binary.BigEndian.PutUint16(p[off+2:], n)
		return p
	}
	tests := []struct {
		name   string
		pkt    []byte
		reason string
		data   string // "packet" or "set": what the raw record holds
		nat    int    // NAT records still made
	}{
		{"empty", nil, "packet of 0 bytes has no version", "packet", 0},
		{"version 5", []byte{0, 5, 0, 1}, "version 5 is neither IPFIX (10) nor NetFlow v9", "packet", 0},
		{"short ipfix header", good[:10], "IPFIX packet of 10 bytes is shorter than a header", "packet", 0},
		{"short v9 header", goodV9[:12], "NetFlow v9 packet of 12 bytes is shorter than a header", "packet", 0},
		{"length beyond packet", good[:len(good)-1], fmt.Sprintf("IPFIX message length %d in a packet of %d bytes", len(good), len(good)-1), "packet", 0},
		{"trailing bytes", append(bytes.Clone(good), 0), fmt.Sprintf("IPFIX message length %d in a packet of %d bytes", len(good), len(good)+1), "packet", 0},
		{"set longer than message", setLen(good, ipfixHeaderLen, 0x4000), "set 2 at offset 16 has length 16384", "packet", 0},
		{"set shorter than its header", setLen(good, ipfixHeaderLen, 2), "set 2 at offset 16 has length 2", "packet", 0},
		{"v9 trailing set header bytes", append(bytes.Clone(goodV9), 1, 2), "2 bytes after the last set", "packet", 1},
		{"reserved set ID", encode(t, (&Encoder{}).Message(export).Set(4, []byte{0, 0, 0, 0}).Templates(tmpl44).Data(tmpl44, session44(4))),
			"decode set 4", "set", 1},
		{"template ID below 256", encode(t, (&Encoder{}).Message(export).Set(2, []byte{0, 200, 0, 1, 0, 8, 0, 4})),
			"template ID below 256", "set", 0},
		{"field of length 0", encode(t, (&Encoder{}).Message(export).Set(2, []byte{1, 0, 0, 2, 0, 8, 0, 4, 0, 12, 0, 0})),
			"template 256: element 12: a field of length 0", "set", 0},
		{"truncated template", encode(t, (&Encoder{}).Message(export).Set(2, []byte{1, 0, 0, 3, 0, 8, 0, 4})),
			"template 256: field 1 of 3 runs past the set", "set", 0},
		{"template of too many fields", encode(t, (&Encoder{}).Message(export).Set(2, append([]byte{1, 0, 2, 1}, make([]byte, 4*(maxFields+1))...))),
			"513 fields, more than 512", "set", 0},
		{"template claiming 65535 fields", encode(t, (&Encoder{}).Message(export).Set(2, []byte{1, 0, 0xff, 0xff})),
			"template 256: field 0 of 65535 runs past the set", "set", 0},
		{"truncated enterprise field", encode(t, (&Encoder{}).Message(export).Set(2, []byte{1, 0, 0, 1, 0x80, 1, 0, 4, 0, 0})),
			"field 0 of 1 runs past the set", "set", 0},
		{"options scope count above field count", encode(t, (&Encoder{}).Message(export).Set(3, []byte{1, 0, 0, 1, 0, 2, 0, 149, 0, 4})),
			"2 scope fields of 1", "set", 0},
		{"v9 options template past the set", encode(t, (&Encoder{Version: 9}).Message(export).Set(1, []byte{1, 0, 0, 4, 0, 8, 0, 1, 0, 4})),
			"field 1 of 3 runs past the set", "set", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, sink := newTestCollector(t, false)
			c.handle(tt.pkt, exporterA, recvAt)
			got := sink.take()
			var raw []*record.Record
			nat := 0
			for _, r := range got {
				switch r.Kind {
				case record.KindRaw:
					raw = append(raw, r)
				case record.KindNAT:
					nat++
				}
			}
			if len(raw) != 1 || !strings.Contains(raw[0].Raw.Reason, tt.reason) || nat != tt.nat {
				t.Fatalf("got %s, want one raw record with %q and %d NAT", describe(got), tt.reason, tt.nat)
			}
			if tt.data == "packet" && !bytes.Equal(raw[0].Raw.Data, tt.pkt) {
				t.Errorf("raw data is not the packet")
			}
			if tt.data == "set" && !bytes.Contains(tt.pkt, raw[0].Raw.Data) {
				t.Errorf("raw data is not a set of the packet")
			}
			if st := c.stats(); st.DecodeErrors != 1 {
				t.Errorf("DecodeErrors = %d, want 1", st.DecodeErrors)
			}
			checkValid(t, got)
		})
	}
}

// TestPadding: padding shorter than the shortest record is not a record
// (RFC 7011 §3.3.1), even where a variable-length template would start
// reading one; NetFlow v9 datagram padding is ignored.
func TestPadding(t *testing.T) {
	c, sink := newTestCollector(t, false)
	ev := Event{Time: t0, NATEvent: 16, Inside: ap("10.1.2.3:0"), Outside: ap("203.0.113.7:0"), PortStart: 1024, PortEnd: 2047}
	shortest := 8 + 1 + 4 + 4 + 2 + 2 + 4 + 1 // PortBlockFields with an empty pool name
	padded := func(pad int) []byte {
		b := encode(t, (&Encoder{}).Message(export).Templates(tmplBlock).Data(tmplBlock, ev, ev))
		b = append(b, make([]byte, pad)...)
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
		dataSet := len(b) - pad - 2*shortest - setHeaderLen
		binary.BigEndian.PutUint16(b[dataSet+2:], binary.BigEndian.Uint16(b[dataSet+2:])+uint16(pad))
		return b
	}
	c.handle(padded(shortest-1), exporterA, recvAt)
	v9 := append(encode(t, (&Encoder{Version: 9}).Message(export).Templates(tmpl44).Data(tmpl44, session44(4))), 0, 0)
	c.handle(v9, exporterA, recvAt)
	got := sink.take()
	if len(got) != 3 || got[0].Kind != record.KindNAT || got[1].Kind != record.KindNAT || got[2].Kind != record.KindNAT {
		t.Fatalf("got %s, want three NAT records", describe(got))
	}
	if st := c.stats(); st.Records != 3 || st.DecodeErrors != 0 {
		t.Errorf("stats %+v, want 3 records and no errors", st.Counters)
	}

	// A pool name longer than the set: the record before it is kept, the
	// set is kept raw.
	b := encode(t, (&Encoder{}).Message(export).Templates(tmplBlock).Data(tmplBlock, ev, ev))
	b[len(b)-1] = 200
	c.handle(b, exporterA, recvAt)
	got = sink.take()
	if len(got) != 2 || got[0].Kind != record.KindNAT || got[1].Kind != record.KindRaw ||
		!strings.Contains(got[1].Raw.Reason, "record 1: field 284: 200 bytes run past the set") {
		t.Fatalf("got %s, want a NAT record and the set kept raw", describe(got))
	}
}

// TestUnknownExporter: senders no exporter lists are refused and counted,
// or, with AcceptUnknown, taken under their address.
func TestUnknownExporter(t *testing.T) {
	stranger := netip.MustParseAddrPort("[::ffff:203.0.113.200]:5000")
	pkt := encode(t, (&Encoder{}).Message(export).Templates(tmpl44).Data(tmpl44, session44(4)))

	c, sink := newTestCollector(t, false)
	c.handle(pkt, stranger, recvAt)
	c.handle(pkt, stranger, recvAt)
	if st := c.stats(); len(sink.recs) != 0 || st.UnknownExporters != 2 || st.Packets != 0 || st.Sessions != 0 {
		t.Errorf("refused: %s, stats %+v; want nothing and 2 refused", describe(sink.recs), st)
	}

	c, sink = newTestCollector(t, true)
	c.handle(pkt, stranger, recvAt)
	want := session44Rec("203.0.113.200", record.NATCreate)
	if diff := cmp.Diff([]*record.Record{want}, sink.take(), cmpOpts); diff != "" {
		t.Errorf("accepted (-want +got):\n%s", diff)
	}
	st := c.stats()
	if st.UnknownExporters != 0 || len(st.Exporters) != 5 || st.Exporters[0].Name != "203.0.113.200" || st.Exporters[0].NATEvents != 1 {
		t.Errorf("stats %+v, want the sender counted under its address", st)
	}
	// An IPv4-mapped sender matches its IPv4 exporter.
	c.handle(pkt, netip.MustParseAddrPort("[::ffff:192.0.2.1]:4739"), recvAt)
	if got := sink.take(); len(got) != 1 || got[0].Source != "cgn-a" {
		t.Errorf("mapped sender: %s, want cgn-a", describe(got))
	}
}

// TestDropped: records the sink refuses are counted.
func TestDropped(t *testing.T) {
	c, sink := newTestCollector(t, false)
	sink.limit = 2
	evs := []Event{session44(4), session44(4), session44(5), session44(5), session44(5)}
	c.handle(encode(t, (&Encoder{}).Message(export).Templates(tmpl44).Data(tmpl44, evs...)), exporterA, recvAt)
	if st := c.stats(); st.NATEvents != 2 || st.Dropped != 3 || st.Records != 5 {
		t.Errorf("stats %+v, want 2 NAT events and 3 dropped", st.Counters)
	}
}

// TestTemplateLimits: one session cannot hold more than maxSessionUnits,
// nor all together more than maxTotalUnits; dropping sessions gives their
// units back.
func TestTemplateLimits(t *testing.T) {
	c, sink := newTestCollector(t, true)
	enc := &Encoder{}
	big := make([]Field, maxFields-12)
	for i := range big {
		big[i] = Field{ID: uint16(1 + i%400), Length: 1}
	}
	perSession := maxSessionUnits / (len(big) + templateOverhead)
	for id := range perSession + 1 {
		c.handle(encode(t, enc.Message(export).Templates(Template{ID: uint16(256 + id), Fields: big})), exporterA, recvAt)
	}
	got := sink.take()
	if len(got) != 1 || !strings.Contains(got[0].Raw.Reason, "exporter holds more than") {
		t.Fatalf("got %s, want one raw record refusing a template", describe(got))
	}
	if st := c.stats(); st.Templates != int64(perSession) || c.pool.units > maxSessionUnits {
		t.Errorf("templates %d units %d, want %d and at most %d", st.Templates, c.pool.units, perSession, maxSessionUnits)
	}
	// Fill the pool from many senders, as far as it takes another.
	for i := 0; c.pool.units+len(big)+templateOverhead <= maxTotalUnits; i++ {
		id := uint16(256 + i%perSession)
		from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i / perSession >> 8), byte(i / perSession)}), 1)
		c.handle(encode(t, enc.Message(export).Templates(Template{ID: id, Fields: big})), from, recvAt)
	}
	sink.take()
	c.handle(encode(t, enc.Message(export).Templates(Template{ID: 300, Fields: big})), exporterB, recvAt)
	if got := sink.take(); len(got) != 1 || !strings.Contains(got[0].Raw.Reason, "all exporters together hold more than") {
		t.Fatalf("got %s, want the pool limit", describe(got))
	}
	c.sweep(recvAt.Add(sessionIdle))
	if st := c.stats(); st.Sessions != 0 || st.Templates != 0 || c.pool.units != 0 {
		t.Errorf("after the sweep: %d sessions, %d templates, %d units; want none", st.Sessions, st.Templates, c.pool.units)
	}
}

// TestSessionLimit: past maxSessions the session seen least recently
// goes, and idle sessions are swept.
func TestSessionLimit(t *testing.T) {
	c, _ := newTestCollector(t, true)
	pkt := encode(t, (&Encoder{}).Message(export).Templates(tmpl44))
	now := recvAt
	for i := range maxSessions + 10 {
		now = now.Add(time.Millisecond)
		c.handle(pkt, netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 2055), now)
	}
	st := c.stats()
	if st.Sessions != maxSessions || st.Templates != maxSessions {
		t.Errorf("sessions %d templates %d, want %d", st.Sessions, st.Templates, maxSessions)
	}
	if _, ok := c.sessions[netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, 0, 0}), 2055)]; ok {
		t.Errorf("the oldest session was kept")
	}
	if len(st.Exporters) != len(testExporters())+maxDynamic+1 || st.Exporters[len(st.Exporters)-1].Name != overflowName {
		t.Errorf("%d exporters counted, want %d and the overflow last", len(st.Exporters), len(testExporters())+maxDynamic+1)
	}
	c.handle(pkt, exporterA, now.Add(sessionIdle-time.Second))
	c.handle(pkt, exporterA, now.Add(sessionIdle+time.Minute))
	if st := c.stats(); st.Sessions != 1 {
		t.Errorf("after the idle sweep: %d sessions, want 1", st.Sessions)
	}
}

// TestRawPerPacket: one packet of many bad sets makes at most
// maxRawPerPacket raw records and one more with the rest of it.
func TestRawPerPacket(t *testing.T) {
	c, sink := newTestCollector(t, false)
	m := (&Encoder{}).Message(export)
	for id := range 100 {
		m.Set(uint16(300+id), []byte{1, 2, 3, 4})
	}
	pkt := encode(t, m)
	c.handle(pkt, exporterA, recvAt)
	got := sink.take()
	if len(got) != maxRawPerPacket+1 {
		t.Fatalf("%d records, want %d", len(got), maxRawPerPacket+1)
	}
	last := got[maxRawPerPacket].Raw
	if !strings.Contains(last.Reason, "8 sets of this packet failed") || !bytes.Equal(last.Data, pkt[len(pkt)-92*8:]) {
		t.Errorf("last raw record %q with %d bytes, want the remaining 92 sets", last.Reason, len(last.Data))
	}
	if st := c.stats(); st.UnknownTemplate != 8 || st.DecodeErrors != 1 {
		t.Errorf("stats %+v, want 8 unknown templates and 1 decode error", st.Counters)
	}
}
