package ipfix

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/warden-ops/warden/internal/record"
)

// TestConvert sends one data record per case, with its template, and
// checks the record it becomes: field by field for NAT and event records,
// by reason for raw ones.
func TestConvert(t *testing.T) {
	blockEv := Event{Time: t0, NATEvent: 16, Inside: ap("10.1.2.3:0"), Outside: ap("203.0.113.7:0"),
		PortStart: 4096, PortEnd: 4607, VRF: 7, Pool: "pool-a"}
	blockRec := func(source string, ev record.NATEvent) *record.Record {
		return natRec(source, record.NAT{Event: ev, InsideAddr: addr("10.1.2.3"), OutsideAddr: addr("203.0.113.7"),
			OutsidePort: 4096, OutsidePortEnd: 4607, VRF: "7", Pool: "pool-a"})
	}
	with := func(ev Event, f func(*Event)) Event { f(&ev); return ev }
	fields := func(ids ...uint16) []Field {
		var fs []Field
		for _, id := range ids {
			n := map[uint16]uint16{ieObsMillis: 8, ieFlowStartMillis: 8, ieFlowEndMillis: 8, ieObsMicros: 8,
				ieSrcIPv4: 4, ieDstIPv4: 4, iePostSrcIPv4: 4, iePostDstIPv4: 4, ieSrcIPv6: 16, ieDstIPv6: 16,
				iePostSrcIPv6: 16, ieNATEvent: 1, ieProtocol: 1, ieIngressVRFID: 4, ieNATPoolID: 4,
				ieQuotaEvent: 4, ieFlowID: 4, ieObsSeconds: 4, ieFirewallEvent: 1, nselFirewallEvent: 1,
				nselXlateSrcAddr: 4, ieNATPoolName: VarLen}[id]
			fs = append(fs, Field{ID: id, Length: cmpOr16(n, 2)})
		}
		return fs
	}
	ms := t0.UnixMilli()
	tests := []struct {
		name    string
		from    netip.AddrPort
		version uint16
		fields  []Field
		ev      Event
		want    *record.Record // nil: skipped, unless reason is set
		reason  string         // a raw record's reason contains it
	}{
		{"nat44 create", exporterA, 10, NAT44SessionFields(), session44(4), session44Rec("cgn-a", record.NATCreate), ""},
		{"nat44 delete", exporterA, 10, NAT44SessionFields(), session44(5), session44Rec("cgn-a", record.NATDelete), ""},
		{"historic create", exporterA, 10, NAT44SessionFields(), session44(1), session44Rec("cgn-a", record.NATCreate), ""},
		{"historic delete", exporterA, 10, NAT44SessionFields(), session44(2), session44Rec("cgn-a", record.NATDelete), ""},
		{"nat44 BIB create", exporterA, 10, fields(ieObsMillis, ieNATEvent, ieSrcIPv4, ieSrcPort, iePostSrcIPv4, iePostSrcPort, ieProtocol),
			Event{Time: t0, NATEvent: 8, Protocol: 17, Inside: ap("10.1.2.3:5353"), Outside: ap("203.0.113.7:1024")},
			natRec("cgn-a", record.NAT{Event: record.NATCreate, Protocol: record.ProtoUDP, InsideAddr: addr("10.1.2.3"),
				InsidePort: 5353, OutsideAddr: addr("203.0.113.7"), OutsidePort: 1024}), ""},
		{"nat64 session create", exporterA, 10, NAT64SessionFields(),
			Event{Time: t0, NATEvent: 6, Protocol: 6, Inside: ap("[2001:db8::5]:50000"), Outside: ap("203.0.113.9:61000"),
				Dest: ap("[64:ff9b::c633:6450]:443"), PostDest: ap("198.51.100.80:443"), VRF: 1},
			natRec("cgn-a", record.NAT{Event: record.NATCreate, Protocol: record.ProtoTCP, InsideAddr: addr("2001:db8::5"),
				InsidePort: 50000, OutsideAddr: addr("203.0.113.9"), OutsidePort: 61000, DestAddr: addr("198.51.100.80"),
				DestPort: 443, VRF: "1"}), ""},
		{"nat66 outside ipv6", exporterA, 10, fields(ieObsMillis, ieNATEvent, ieSrcIPv6, iePostSrcIPv6),
			Event{Time: t0, NATEvent: 4, Inside: ap("[fd00::5]:0"), Outside: ap("[2001:db8:1::5]:0")},
			natRec("cgn-a", record.NAT{Event: record.NATCreate, InsideAddr: addr("fd00::5"), OutsideAddr: addr("2001:db8:1::5")}), ""},
		{"ds-lite: the B4 address is the inside", exporterA, 10, fields(ieObsMillis, ieNATEvent, ieSrcIPv6, ieSrcIPv4, iePostSrcIPv4),
			Event{Time: t0, NATEvent: 4, Inside: ap("[2001:db8::b4]:0"), Outside: ap("203.0.113.9:0"),
				Values: map[Element][]byte{{0, ieSrcIPv4}: {192, 0, 0, 2}}},
			natRec("cgn-a", record.NAT{Event: record.NATCreate, InsideAddr: addr("2001:db8::b4"), OutsideAddr: addr("203.0.113.9")}), ""},
		{"address binding create", exporterA, 10, fields(ieSrcIPv4, iePostSrcIPv4, ieNATEvent, ieObsMillis),
			Event{Time: t0, NATEvent: 14, Inside: ap("10.1.2.3:0"), Outside: ap("203.0.113.7:0")},
			natRec("cgn-a", record.NAT{Event: record.NATCreate, InsideAddr: addr("10.1.2.3"), OutsideAddr: addr("203.0.113.7")}), ""},
		{"address binding delete", exporterA, 10, fields(ieSrcIPv4, iePostSrcIPv4, ieNATEvent, ieObsMillis),
			Event{Time: t0, NATEvent: 15, Inside: ap("10.1.2.3:0"), Outside: ap("203.0.113.7:0")},
			natRec("cgn-a", record.NAT{Event: record.NATDelete, InsideAddr: addr("10.1.2.3"), OutsideAddr: addr("203.0.113.7")}), ""},
		{"port block allocation", exporterA, 10, PortBlockFields(), blockEv, blockRec("cgn-a", record.NATBlockAlloc), ""},
		{"port block de-allocation", exporterA, 10, PortBlockFields(), with(blockEv, func(e *Event) { e.NATEvent = 17 }),
			blockRec("cgn-a", record.NATBlockRelease), ""},
		{"port block by count", exporterA, 10, fields(ieObsMillis, ieNATEvent, ieSrcIPv4, iePostSrcIPv4, iePortRangeStart, iePortRangeStep, iePortRangeNum, ieNATPoolID),
			Event{Time: t0, NATEvent: 16, Inside: ap("10.1.2.3:0"), Outside: ap("203.0.113.7:0"), PortStart: 4096, PortStep: 1, PortCount: 512, PoolID: 3},
			natRec("cgn-a", record.NAT{Event: record.NATBlockAlloc, InsideAddr: addr("10.1.2.3"), OutsideAddr: addr("203.0.113.7"),
				OutsidePort: 4096, OutsidePortEnd: 4607, Pool: "3"}), ""},
		{"port block of one port", exporterA, 10, PortBlockFields(), with(blockEv, func(e *Event) { e.PortEnd = 4096; e.Pool = "" }),
			natRec("cgn-a", record.NAT{Event: record.NATBlockAlloc, InsideAddr: addr("10.1.2.3"), OutsideAddr: addr("203.0.113.7"),
				OutsidePort: 4096, VRF: "7"}), ""},
		{"non-contiguous port block", exporterA, 10, fields(ieObsMillis, ieNATEvent, ieSrcIPv4, iePostSrcIPv4, iePortRangeStart, iePortRangeStep, iePortRangeNum),
			Event{Time: t0, NATEvent: 16, Inside: ap("10.1.2.3:0"), Outside: ap("203.0.113.7:0"), PortStart: 4096, PortStep: 4, PortCount: 64},
			nil, "has step 4: not a contiguous range"},
		{"port block past 65535", exporterA, 10, fields(ieObsMillis, ieNATEvent, ieSrcIPv4, iePostSrcIPv4, iePortRangeStart, iePortRangeNum),
			Event{Time: t0, NATEvent: 16, Inside: ap("10.1.2.3:0"), Outside: ap("203.0.113.7:0"), PortStart: 65500, PortCount: 512},
			nil, "port block 65500+512 passes 65535"},
		{"port block ends before it starts", exporterA, 10, PortBlockFields(), with(blockEv, func(e *Event) { e.PortEnd = 100 }),
			nil, "port block ends at 100 before it starts at 4096"},
		{"addresses exhausted", exporterA, 10, fields(ieObsMillis, ieNATEvent, ieNATPoolID),
			Event{Time: t0, NATEvent: 3, PoolID: 5},
			&record.Record{Kind: record.KindEvent, EventTime: t0, ReceiveTime: recvAt, Source: "cgn-a", Event: &record.Event{
				Rule: "nat-addresses-exhausted", Severity: record.SeverityHigh,
				Detail: fmt.Sprintf("natEvent 3 (NAT addresses exhausted): observationTimeMilliseconds=%d natEvent=3 natPoolId=5", ms)}}, ""},
		{"quota exceeded", exporterA, 10, fields(ieObsMillis, ieNATEvent, ieQuotaEvent, 473, ieSrcIPv4),
			Event{Time: t0, NATEvent: 13, QuotaEvent: 3, Inside: ap("10.1.2.3:0"), Values: map[Element][]byte{{0, 473}: {0x10, 0}}},
			&record.Record{Kind: record.KindEvent, EventTime: t0, ReceiveTime: recvAt, Source: "cgn-a", Event: &record.Event{
				Rule: "nat-quota-exceeded", Severity: record.SeverityLow, SrcAddr: addr("10.1.2.3"),
				Detail: fmt.Sprintf("natEvent 13 (Quota exceeded): observationTimeMilliseconds=%d natEvent=13 natQuotaExceededEvent=3 ie473=4096 sourceIPv4Address=10.1.2.3", ms)}}, ""},
		{"ports exhausted", exporterA, 10, fields(ieObsMillis, ieNATEvent, iePostSrcIPv4),
			Event{Time: t0, NATEvent: 12, Outside: ap("203.0.113.7:0")},
			&record.Record{Kind: record.KindEvent, EventTime: t0, ReceiveTime: recvAt, Source: "cgn-a", Event: &record.Event{
				Rule: "nat-ports-exhausted", Severity: record.SeverityMedium,
				Detail: fmt.Sprintf("natEvent 12 (NAT ports exhausted): observationTimeMilliseconds=%d natEvent=12 postNATSourceIPv4Address=203.0.113.7", ms)}}, ""},
		{"threshold reached", exporterA, 10, fields(ieObsMillis, ieNATEvent, ieThresholdEvent),
			Event{Time: t0, NATEvent: 18, ThresholdEvent: 1},
			&record.Record{Kind: record.KindEvent, EventTime: t0, ReceiveTime: recvAt, Source: "cgn-a", Event: &record.Event{
				Rule: "nat-threshold-reached", Severity: record.SeverityLow,
				Detail: fmt.Sprintf("natEvent 18 (Threshold reached): observationTimeMilliseconds=%d natEvent=18 natThresholdEvent=1", ms)}}, ""},
		{"unknown natEvent", exporterA, 10, NAT44SessionFields(), session44(99), nil, "unknown natEvent 99"},
		{"reserved natEvent 0", exporterA, 10, NAT44SessionFields(), session44(0), nil, "unknown natEvent 0"},
		{"no outside address", exporterA, 10, NAT44SessionFields(), with(session44(4), func(e *Event) { e.Outside = netip.AddrPort{} }),
			nil, "natEvent 4 (NAT44 session create): no post-NAT source address"},
		{"no inside address", exporterA, 10, NAT44SessionFields(), with(session44(4), func(e *Event) { e.Inside = netip.AddrPort{} }),
			nil, "no source address"},
		{"address of 5 bytes", exporterA, 10,
			[]Field{{ieObsMillis, 8, 0}, {ieNATEvent, 1, 0}, {ieSrcIPv4, 4, 0}, {iePostSrcIPv4, 4, 0}, {ieDstIPv4, 5, 0}},
			with(session44(4), func(e *Event) { e.Values = map[Element][]byte{{0, ieDstIPv4}: {1, 2, 3, 4, 5}} }),
			nil, "destinationIPv4Address: 5 bytes is not an address"},
		{"flow record: no event", exporterA, 10, fields(ieSrcIPv4, ieDstIPv4, 1), Event{Inside: ap("10.1.2.3:0")}, nil, ""},
		{"natEvent of two bytes", exporterA, 10, []Field{{ieObsMillis, 8, 0}, {ieNATEvent, 2, 0}, {ieSrcIPv4, 4, 0}, {iePostSrcIPv4, 4, 0}},
			Event{Time: t0, NATEvent: 4, Inside: ap("10.1.2.3:0"), Outside: ap("203.0.113.7:0")},
			natRec("cgn-a", record.NAT{Event: record.NATCreate, InsideAddr: addr("10.1.2.3"), OutsideAddr: addr("203.0.113.7")}), ""},
		{"vrf 0 and reduced-size vrf", exporterA, 10, []Field{{ieObsMillis, 8, 0}, {ieNATEvent, 1, 0}, {ieSrcIPv4, 4, 0}, {iePostSrcIPv4, 4, 0}, {ieIngressVRFID, 1, 0}},
			Event{Time: t0, NATEvent: 4, Inside: ap("10.1.2.3:0"), Outside: ap("203.0.113.7:0")},
			natRec("cgn-a", record.NAT{Event: record.NATCreate, InsideAddr: addr("10.1.2.3"), OutsideAddr: addr("203.0.113.7"), VRF: "0"}), ""},
		{"enterprise fields are skipped", exporterA, 10,
			append([]Field{{1, VarLen, 2636}, {7, 4, 9}}, NAT44SessionFields()...),
			with(session44(4), func(e *Event) {
				e.Values = map[Element][]byte{{2636, 1}: []byte("ms-mpc nat-rule r1"), {9, 7}: {1, 2, 3, 4}}
			}), session44Rec("cgn-a", record.NATCreate), ""},
		{"fixed-length pool name with NULs", exporterA, 10,
			[]Field{{ieObsMillis, 8, 0}, {ieNATEvent, 1, 0}, {ieSrcIPv4, 4, 0}, {iePostSrcIPv4, 4, 0}, {ieNATPoolName, 16, 0}},
			Event{Time: t0, NATEvent: 4, Inside: ap("10.1.2.3:0"), Outside: ap("203.0.113.7:0"), Pool: "pool-a"},
			natRec("cgn-a", record.NAT{Event: record.NATCreate, InsideAddr: addr("10.1.2.3"), OutsideAddr: addr("203.0.113.7"), Pool: "pool-a"}), ""},

		{"juniper session create", exporterJ, 10, NAT44SessionFields(), session44(1), session44Rec("mx-j", record.NATCreate), ""},
		{"juniper nat64 delete", exporterJ, 10, NAT44SessionFields(), session44(5), session44Rec("mx-j", record.NATDelete), ""},
		{"juniper port block allocation is 14", exporterJ, 10, PortBlockFields(), with(blockEv, func(e *Event) { e.NATEvent = 14 }),
			blockRec("mx-j", record.NATBlockAlloc), ""},
		{"juniper port block de-allocation is 15", exporterJ, 10, PortBlockFields(), with(blockEv, func(e *Event) { e.NATEvent = 15 }),
			blockRec("mx-j", record.NATBlockRelease), ""},
		{"juniper address binding create is 12", exporterJ, 10, fields(ieSrcIPv4, iePostSrcIPv4, ieNATEvent, ieObsMillis),
			Event{Time: t0, NATEvent: 12, Inside: ap("10.1.2.3:0"), Outside: ap("203.0.113.7:0")},
			natRec("mx-j", record.NAT{Event: record.NATCreate, InsideAddr: addr("10.1.2.3"), OutsideAddr: addr("203.0.113.7")}), ""},
		{"juniper quota exceeded is 11", exporterJ, 10, fields(ieObsMillis, ieNATEvent),
			Event{Time: t0, NATEvent: 11},
			&record.Record{Kind: record.KindEvent, EventTime: t0, ReceiveTime: recvAt, Source: "mx-j", Event: &record.Event{
				Rule: "nat-quota-exceeded", Severity: record.SeverityLow,
				Detail: fmt.Sprintf("natEvent 11 (Quota exceeded): observationTimeMilliseconds=%d natEvent=11", ms)}}, ""},
		{"juniper has no 16", exporterJ, 10, PortBlockFields(), blockEv, nil, "unknown natEvent 16"},
		{"rfc 16 is not juniper's 14", exporterA, 10, PortBlockFields(), with(blockEv, func(e *Event) { e.NATEvent = 14 }),
			natRec("cgn-a", record.NAT{Event: record.NATCreate, InsideAddr: addr("10.1.2.3"), OutsideAddr: addr("203.0.113.7"), VRF: "7", Pool: "pool-a"}), ""},

		{"asa flow created", exporterC, 9, ASAFields(), asaEvent(1), asaRec(record.NATCreate), ""},
		{"asa flow deleted", exporterC, 9, ASAFields(), asaEvent(2), asaRec(record.NATDelete), ""},
		{"asa flow update", exporterC, 9, ASAFields(), asaEvent(5), asaRec(record.NATInterim), ""},
		{"asa flow denied", exporterC, 9, ASAFields(), asaEvent(3), nil, ""},
		{"asa flow alert", exporterC, 9, ASAFields(), asaEvent(4), nil, ""},
		{"asa ignore", exporterC, 9, ASAFields(), asaEvent(0), nil, ""},
		{"asa unknown flow event", exporterC, 9, ASAFields(), asaEvent(9), nil, "unknown firewallEvent 9"},
		{"asa flow without translation", exporterC, 9, ASAFields(),
			with(asaEvent(1), func(e *Event) { e.Outside, e.PostDest = netip.AddrPort{}, netip.AddrPort{} }), nil, ""},
		{"asa 8.4 fields", exporterC, 9,
			[]Field{{ieSrcIPv4, 4, 0}, {ieSrcPort, 2, 0}, {ieDstIPv4, 4, 0}, {ieDstPort, 2, 0}, {ieProtocol, 1, 0},
				{nselXlateSrcAddr, 4, 0}, {nselXlateSrcPort, 2, 0}, {nselFirewallEvent, 1, 0}, {ieObsMillis, 8, 0}},
			asaEvent(1), asaRec(record.NATCreate), ""},
		{"asa natEvent reads as rfc 8158", exporterC, 9, []Field{{ieObsMillis, 8, 0}, {ieNATEvent, 1, 0}, {ieSrcIPv4, 4, 0},
			{iePostSrcIPv4, 4, 0}, {iePortRangeStart, 2, 0}, {iePortRangeEnd, 2, 0}, {ieIngressVRFID, 4, 0}, {ieNATPoolName, 8, 0}},
			blockEv, blockRec("asa-c", record.NATBlockAlloc), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, sink := newTestCollector(t, false)
			enc := &Encoder{Version: tt.version, Domain: 1}
			tmpl := Template{ID: 256, Fields: tt.fields}
			c.handle(encode(t, enc.Message(export).Templates(tmpl).Data(tmpl, tt.ev)), tt.from, recvAt)
			got := sink.take()
			st := c.stats()
			if st.Records != 1 {
				t.Errorf("Records = %d, want 1", st.Records)
			}
			if tt.reason != "" {
				if len(got) != 1 || got[0].Kind != record.KindRaw || !strings.Contains(got[0].Raw.Reason, tt.reason) {
					t.Fatalf("got %v, want one raw record with reason containing %q", describe(got), tt.reason)
				}
				if got[0].Raw.Format != formatFields || st.DecodeErrors != 1 {
					t.Errorf("raw format %q, decode errors %d; want %q, 1", got[0].Raw.Format, st.DecodeErrors, formatFields)
				}
				checkValid(t, got)
				return
			}
			if tt.want == nil {
				if len(got) != 0 || st.NonNAT != 1 {
					t.Fatalf("got %v, NonNAT %d; want nothing and 1", describe(got), st.NonNAT)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %v, want one record", describe(got))
			}
			if diff := cmp.Diff(tt.want, got[0], cmpOpts); diff != "" {
				t.Errorf("record mismatch (-want +got):\n%s", diff)
			}
			if st.NATEvents != 1 {
				t.Errorf("NATEvents = %d, want 1", st.NATEvents)
			}
			checkValid(t, got)
		})
	}
}

func cmpOr16(n, def uint16) uint16 {
	if n == 0 {
		return def
	}
	return n
}

// asaEvent is an ASA NSEL flow event in ASAFields.
func asaEvent(code uint8) Event {
	return Event{Time: t0, FirewallEvent: code, ExtEvent: 1001, Protocol: 17, FlowID: 77,
		Inside: ap("10.9.0.5:3000"), Outside: ap("203.0.113.50:23000"), Dest: ap("198.51.100.53:53"),
		PostDest: ap("198.51.100.53:53")}
}

func asaRec(ev record.NATEvent) *record.Record {
	return natRec("asa-c", record.NAT{Event: ev, Protocol: record.ProtoUDP, InsideAddr: addr("10.9.0.5"), InsidePort: 3000,
		OutsideAddr: addr("203.0.113.50"), OutsidePort: 23000, DestAddr: addr("198.51.100.53"), DestPort: 53})
}

// describe lists records for failure messages.
func describe(recs []*record.Record) string {
	var b strings.Builder
	for _, r := range recs {
		switch r.Kind {
		case record.KindRaw:
			fmt.Fprintf(&b, "[raw %q] ", r.Raw.Reason)
		case record.KindNAT:
			fmt.Fprintf(&b, "[nat %+v] ", *r.NAT)
		case record.KindEvent:
			fmt.Fprintf(&b, "[event %+v] ", *r.Event)
		default:
			fmt.Fprintf(&b, "[%s] ", r.Kind)
		}
	}
	return fmt.Sprintf("%d records %s", len(recs), b.String())
}

// checkValid fails unless every record validates, as the store demands.
func checkValid(t testing.TB, recs []*record.Record) {
	t.Helper()
	for _, r := range recs {
		if err := r.Validate(); err != nil {
			t.Errorf("record %s does not validate: %v", describe([]*record.Record{r}), err)
		}
	}
}

// TestEventTime checks where the event time comes from.
func TestEventTime(t *testing.T) {
	start, end := t0.Add(-time.Minute), t0.Add(time.Minute)
	base := []Field{{ieNATEvent, 1, 0}, {ieSrcIPv4, 4, 0}, {iePostSrcIPv4, 4, 0}}
	ntp := func(tm time.Time) []byte {
		sec := uint64(tm.Unix() + ntpEpoch)
		frac := uint64(tm.Nanosecond()) << 32 / 1e9
		b := make([]byte, 8)
		for i := range 4 {
			b[i], b[4+i] = byte(sec>>(24-8*i)), byte(frac>>(24-8*i))
		}
		return b
	}
	tests := []struct {
		name    string
		version uint16
		code    uint8
		extra   []Field
		ev      Event
		boot    time.Time
		want    time.Time
	}{
		{"observation ms", 10, 4, []Field{{ieObsMillis, 8, 0}, {ieFlowStartMillis, 8, 0}}, Event{Time: t0, Start: start}, time.Time{}, t0},
		{"observation us", 10, 4, []Field{{ieObsMicros, 8, 0}}, Event{Values: map[Element][]byte{{0, ieObsMicros}: ntp(t0)}}, time.Time{}, t0},
		{"observation s", 10, 4, []Field{{ieObsSeconds, 4, 0}}, Event{Time: t0}, time.Time{}, t0.Truncate(time.Second)},
		{"create: flow start", 10, 4, []Field{{ieFlowStartMillis, 8, 0}, {ieFlowEndMillis, 8, 0}}, Event{Start: start, End: end}, time.Time{}, start},
		{"delete: flow end", 10, 5, []Field{{ieFlowStartMillis, 8, 0}, {ieFlowEndMillis, 8, 0}}, Event{Start: start, End: end}, time.Time{}, end},
		{"zero observation: export time", 10, 4, []Field{{ieObsMillis, 8, 0}}, Event{}, time.Time{}, export},
		{"nothing: export time", 10, 4, nil, Event{}, time.Time{}, export},
		{"netflow v9 sysUpTime", 9, 4, []Field{{ieFlowStartUptime, 4, 0}},
			Event{Values: map[Element][]byte{{0, ieFlowStartUptime}: {0, 0, 0x27, 0x10}}}, // 10 s after boot
			export.Add(-time.Hour), export.Add(-time.Hour + 10*time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, sink := newTestCollector(t, false)
			enc := &Encoder{Version: tt.version, Boot: tt.boot}
			tmpl := Template{ID: 300, Fields: append(append([]Field(nil), base...), tt.extra...)}
			ev := tt.ev
			ev.NATEvent, ev.Inside, ev.Outside = tt.code, ap("10.0.0.1:0"), ap("203.0.113.1:0")
			c.handle(encode(t, enc.Message(export).Templates(tmpl).Data(tmpl, ev)), exporterA, recvAt)
			got := sink.take()
			if len(got) != 1 || got[0].Kind != record.KindNAT {
				t.Fatalf("got %s, want one NAT record", describe(got))
			}
			if !got[0].EventTime.Equal(tt.want) {
				t.Errorf("EventTime = %s, want %s", got[0].EventTime, tt.want)
			}
		})
	}
}

// TestExportTimeZero: an exporter whose clock was never set sends export
// time 0; the receive time stands in.
func TestExportTimeZero(t *testing.T) {
	c, sink := newTestCollector(t, false)
	tmpl := Template{ID: 256, Fields: []Field{{ieNATEvent, 1, 0}, {ieSrcIPv4, 4, 0}, {iePostSrcIPv4, 4, 0}}}
	ev := Event{NATEvent: 4, Inside: ap("10.0.0.1:0"), Outside: ap("203.0.113.1:0")}
	c.handle(encode(t, (&Encoder{}).Message(time.Unix(0, 0)).Templates(tmpl).Data(tmpl, ev)), exporterA, recvAt)
	got := sink.take()
	if len(got) != 1 || !got[0].EventTime.Equal(recvAt) {
		t.Fatalf("got %s at %v, want one record at %s", describe(got), got[0].EventTime, recvAt)
	}
}
