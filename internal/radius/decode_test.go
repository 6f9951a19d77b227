package radius

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"
	"layeh.com/radius/rfc2869"
	"layeh.com/radius/rfc3162"
	"layeh.com/radius/rfc4818"
	"layeh.com/radius/rfc6911"

	"github.com/warden-ops/warden/internal/record"
)

func ipnet(s string) *net.IPNet {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	return n
}

// session returns the record a bng1 session request at testRecv makes,
// with s as its body.
func sessionRecord(at time.Time, s record.Session) *record.Record {
	return &record.Record{Kind: record.KindSession, EventTime: at, ReceiveTime: testRecv, Source: "bng1", Session: &s}
}

func TestMapping(t *testing.T) {
	ts := time.Date(2026, 11, 21, 11, 59, 58, 0, time.UTC)
	stamp := func(p *radius.Packet) { must(t, rfc2869.EventTimestamp_Add(p, ts)) }
	user := func(p *radius.Packet) { must(t, rfc2865.UserName_AddString(p, "alice")) }
	nas := netip.MustParseAddr("192.0.2.1")
	tests := []struct {
		name   string
		status rfc2866.AcctStatusType
		attrs  func(p *radius.Packet)
		want   *record.Record
	}{{
		name:   "start with every field",
		status: rfc2866.AcctStatusType_Value_Start,
		attrs: func(p *radius.Packet) {
			stamp(p)
			user(p)
			must(t, rfc2865.CallingStationID_AddString(p, "00-11-22-33-44-55"))
			must(t, rfc2865.FramedIPAddress_Add(p, net.ParseIP("100.64.1.2")))
			must(t, rfc3162.FramedIPv6Prefix_Add(p, ipnet("2001:db8:100:1::/64")))
			must(t, rfc4818.DelegatedIPv6Prefix_Add(p, ipnet("2001:db8:200::/56")))
			must(t, rfc2865.NASIPAddress_Add(p, net.ParseIP("192.0.2.1")))
			must(t, rfc2869.NASPortID_AddString(p, "eth-trunk1.100:100-200"))
			must(t, rfc2866.AcctSessionID_AddString(p, "0a0b0c0d"))
		},
		want: sessionRecord(ts, record.Session{Event: record.SessionStart, Account: "alice",
			CallingStationID: "00-11-22-33-44-55", Addr: netip.MustParseAddr("100.64.1.2"),
			IPv6Prefix:      netip.MustParsePrefix("2001:db8:100:1::/64"),
			DelegatedPrefix: netip.MustParsePrefix("2001:db8:200::/56"),
			NASAddr:         nas, NASPortID: "eth-trunk1.100:100-200", SessionID: "0a0b0c0d"}),
	}, {
		name:   "interim with gigawords",
		status: rfc2866.AcctStatusType_Value_InterimUpdate,
		attrs: func(p *radius.Packet) {
			stamp(p)
			user(p)
			must(t, rfc2865.NASIPAddress_Add(p, net.ParseIP("192.0.2.1")))
			must(t, rfc2866.AcctInputOctets_Add(p, 5))
			must(t, rfc2869.AcctInputGigawords_Add(p, 3))
			must(t, rfc2866.AcctOutputOctets_Add(p, 0xffffffff))
		},
		want: sessionRecord(ts, record.Session{Event: record.SessionInterim, Account: "alice", NASAddr: nas,
			InputOctets: 3<<32 + 5, OutputOctets: 0xffffffff}),
	}, {
		name:   "stop with cause and delay, no timestamp",
		status: rfc2866.AcctStatusType_Value_Stop,
		attrs: func(p *radius.Packet) {
			user(p)
			must(t, rfc2866.AcctDelayTime_Add(p, 7))
			must(t, rfc2866.AcctTerminateCause_Add(p, rfc2866.AcctTerminateCause_Value_NASReboot))
			must(t, rfc2869.AcctOutputGigawords_Add(p, 1))
		},
		want: sessionRecord(testRecv.Add(-7*time.Second), record.Session{Event: record.SessionStop,
			Account: "alice", NASAddr: bng1Addr, OutputOctets: 1 << 32, TerminateCause: "NAS-Reboot"}),
	}, {
		name:   "unknown cause kept as number",
		status: rfc2866.AcctStatusType_Value_Stop,
		attrs: func(p *radius.Packet) {
			user(p)
			must(t, rfc2866.AcctTerminateCause_Add(p, 99))
		},
		want: sessionRecord(testRecv, record.Session{Event: record.SessionStop, Account: "alice",
			NASAddr: bng1Addr, TerminateCause: "99"}),
	}, {
		name:   "zero event timestamp means receive time",
		status: rfc2866.AcctStatusType_Value_Start,
		attrs: func(p *radius.Packet) {
			user(p)
			p.Add(rfc2869.EventTimestamp_Type, radius.NewInteger(0))
		},
		want: sessionRecord(testRecv, record.Session{Event: record.SessionStart, Account: "alice", NASAddr: bng1Addr}),
	}, {
		name:   "NAS-IPv6-Address when no NAS-IP-Address",
		status: rfc2866.AcctStatusType_Value_Start,
		attrs: func(p *radius.Packet) {
			user(p)
			must(t, rfc3162.NASIPv6Address_Add(p, net.ParseIP("2001:db8::1")))
		},
		want: sessionRecord(testRecv, record.Session{Event: record.SessionStart, Account: "alice",
			NASAddr: netip.MustParseAddr("2001:db8::1")}),
	}, {
		name:   "NAS-IP-Address wins over NAS-IPv6-Address",
		status: rfc2866.AcctStatusType_Value_Start,
		attrs: func(p *radius.Packet) {
			user(p)
			must(t, rfc3162.NASIPv6Address_Add(p, net.ParseIP("2001:db8::1")))
			must(t, rfc2865.NASIPAddress_Add(p, net.ParseIP("192.0.2.1")))
		},
		want: sessionRecord(testRecv, record.Session{Event: record.SessionStart, Account: "alice", NASAddr: nas}),
	}, {
		name:   "NAS-selects address is no address",
		status: rfc2866.AcctStatusType_Value_Start,
		attrs: func(p *radius.Packet) {
			user(p)
			must(t, rfc2865.FramedIPAddress_Add(p, net.ParseIP("255.255.255.254")))
		},
		want: sessionRecord(testRecv, record.Session{Event: record.SessionStart, Account: "alice", NASAddr: bng1Addr}),
	}, {
		name:   "Framed-IPv6-Address when no Framed-IP-Address",
		status: rfc2866.AcctStatusType_Value_Start,
		attrs: func(p *radius.Packet) {
			user(p)
			must(t, rfc6911.FramedIPv6Address_Add(p, net.ParseIP("2001:db8:100:1::5")))
		},
		want: sessionRecord(testRecv, record.Session{Event: record.SessionStart, Account: "alice", NASAddr: bng1Addr,
			Addr: netip.MustParseAddr("2001:db8:100:1::5")}),
	}, {
		name:   "Framed-IP-Address wins over Framed-IPv6-Address",
		status: rfc2866.AcctStatusType_Value_Start,
		attrs: func(p *radius.Packet) {
			user(p)
			must(t, rfc6911.FramedIPv6Address_Add(p, net.ParseIP("2001:db8:100:1::5")))
			must(t, rfc2865.FramedIPAddress_Add(p, net.ParseIP("100.64.1.2")))
		},
		want: sessionRecord(testRecv, record.Session{Event: record.SessionStart, Account: "alice", NASAddr: bng1Addr,
			Addr: netip.MustParseAddr("100.64.1.2")}),
	}, {
		name:   "prefix host bits cleared, short prefix field",
		status: rfc2866.AcctStatusType_Value_Start,
		attrs: func(p *radius.Packet) {
			user(p)
			p.Add(rfc3162.FramedIPv6Prefix_Type, radius.Attribute{0, 60, 0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0xff})
			p.Add(rfc4818.DelegatedIPv6Prefix_Type, radius.Attribute{0, 48, 0x20, 0x01, 0x0d, 0xb8})
		},
		want: sessionRecord(testRecv, record.Session{Event: record.SessionStart, Account: "alice", NASAddr: bng1Addr,
			IPv6Prefix:      netip.MustParsePrefix("2001:db8:1234:56f0::/60"),
			DelegatedPrefix: netip.MustParsePrefix("2001:db8::/48")}),
	}, {
		name:   "accounting-on",
		status: rfc2866.AcctStatusType_Value_AccountingOn,
		attrs: func(p *radius.Packet) {
			stamp(p)
			must(t, rfc2865.NASIPAddress_Add(p, net.ParseIP("192.0.2.1")))
		},
		want: &record.Record{Kind: record.KindEvent, EventTime: ts, ReceiveTime: testRecv, Source: "bng1",
			Event: &record.Event{Rule: RuleAccountingOn, Severity: record.SeverityInfo, SrcAddr: nas,
				Detail: "Accounting-On: the NAS started; every session it had open has ended"}},
	}, {
		name:   "accounting-off",
		status: rfc2866.AcctStatusType_Value_AccountingOff,
		attrs: func(p *radius.Packet) {
			must(t, rfc2865.NASIdentifier_AddString(p, "bng1.example"))
		},
		want: &record.Record{Kind: record.KindEvent, EventTime: testRecv, ReceiveTime: testRecv, Source: "bng1",
			Event: &record.Event{Rule: RuleAccountingOff, Severity: record.SeverityInfo, SrcAddr: bng1Addr,
				Detail: `Accounting-Off: the NAS is stopping; every session it had open has ended; NAS-Identifier "bng1.example"`}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &recordingSink{}
			s := newTestServer(t, Config{}, sink)
			req := acct(t, testSecret, tt.status, tt.attrs)
			resp := s.handlePacket(t.Context(), req, bng1Addr, testRecv)
			if !isResponseTo(resp, req, testSecret) {
				t.Errorf("response %x is not an Accounting-Response to the request", resp)
			}
			got := sink.records()
			if diff := cmp.Diff([]*record.Record{tt.want}, got, cmpAddrs); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			for _, r := range got {
				if err := r.Validate(); err != nil {
					t.Errorf("record does not validate: %v", err)
				}
			}
		})
	}
}

// TestUnmapped checks that authentic requests that cannot be mapped are
// kept whole as raw records, and answered.
func TestUnmapped(t *testing.T) {
	tests := []struct {
		name   string
		status rfc2866.AcctStatusType
		attrs  func(p *radius.Packet)
		reason string
	}{
		{"no status", 0, func(p *radius.Packet) { must(t, rfc2865.UserName_AddString(p, "alice")) }, "no Acct-Status-Type"},
		{"no user", rfc2866.AcctStatusType_Value_Start, nil, "no User-Name"},
		{"tunnel-start", 9, func(p *radius.Packet) { must(t, rfc2865.UserName_AddString(p, "alice")) }, "Acct-Status-Type 9"},
		{"failed", rfc2866.AcctStatusType_Value_Failed, nil, "Acct-Status-Type 15"},
		{"short address", rfc2866.AcctStatusType_Value_Start, func(p *radius.Packet) {
			must(t, rfc2865.UserName_AddString(p, "alice"))
			p.Add(rfc2865.FramedIPAddress_Type, radius.Attribute{10, 0, 0})
		}, "decode Framed-IP-Address: 3 bytes, want 4"},
		{"long counter", rfc2866.AcctStatusType_Value_Stop, func(p *radius.Packet) {
			must(t, rfc2865.UserName_AddString(p, "alice"))
			p.Add(rfc2866.AcctInputOctets_Type, radius.Attribute{0, 0, 0, 0, 1})
		}, "decode Acct-Input-Octets: 5 bytes, want 4"},
		{"prefix too long", rfc2866.AcctStatusType_Value_Start, func(p *radius.Packet) {
			must(t, rfc2865.UserName_AddString(p, "alice"))
			p.Add(rfc3162.FramedIPv6Prefix_Type, radius.Attribute{0, 129, 0x20})
		}, "decode Framed-IPv6-Prefix: prefix length 129"},
		{"delay before 1970", rfc2866.AcctStatusType_Value_Start, func(p *radius.Packet) {
			must(t, rfc2865.UserName_AddString(p, "alice"))
			must(t, rfc2866.AcctDelayTime_Add(p, 0xffffffff))
		}, "make record: time: outside 1970-2199"},
		{"short NAS address on accounting-on", rfc2866.AcctStatusType_Value_AccountingOn, func(p *radius.Packet) {
			p.Add(rfc2865.NASIPAddress_Type, radius.Attribute{1, 2, 3})
		}, "decode NAS-IP-Address: 3 bytes, want 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &recordingSink{}
			s := newTestServer(t, Config{}, sink)
			req := acct(t, testSecret, tt.status, tt.attrs)
			resp := s.handlePacket(t.Context(), req, bng1Addr, testRecv)
			if !isResponseTo(resp, req, testSecret) {
				t.Errorf("response %x is not an Accounting-Response to the request", resp)
			}
			got := sink.records()
			if len(got) != 1 || got[0].Kind != record.KindRaw {
				t.Fatalf("records = %v, want one raw record", got)
			}
			raw := got[0].Raw
			if !strings.Contains(raw.Reason, tt.reason) {
				t.Errorf("reason = %q, want it to contain %q", raw.Reason, tt.reason)
			}
			if raw.Format != RawFormat || string(raw.Data) != string(req) {
				t.Errorf("raw = {Format %q, Data %x}, want {%q, %x}", raw.Format, raw.Data, RawFormat, req)
			}
			if err := got[0].Validate(); err != nil {
				t.Errorf("record does not validate: %v", err)
			}
			if st := s.Stats(); st.Stored != 1 || st.Raw != 1 {
				t.Errorf("stats Stored, Raw = %d, %d, want 1, 1", st.Stored, st.Raw)
			}
		})
	}
}

func TestTerminateCauseName(t *testing.T) {
	for v, want := range map[uint32]string{1: "User-Request", 2: "Lost-Carrier", 4: "Idle-Timeout",
		5: "Session-Timeout", 6: "Admin-Reset", 11: "NAS-Reboot", 18: "Host-Request", 22: "Port-Disabled",
		0: "0", 23: "23", 1 << 31: "2147483648"} {
		if got := TerminateCauseName(v); got != want {
			t.Errorf("TerminateCauseName(%d) = %q, want %q", v, got, want)
		}
	}
	// The names 1-18 agree with layeh's RFC 2866 table.
	for v, want := range rfc2866.AcctTerminateCause_Strings {
		if got := TerminateCauseName(uint32(v)); got != want {
			t.Errorf("TerminateCauseName(%d) = %q, want %q (rfc2866)", v, got, want)
		}
	}
}

// TestParsePacket checks parsePacket against layeh's radius.Parse.
func TestParsePacket(t *testing.T) {
	for _, b := range [][]byte{
		acct(t, testSecret, rfc2866.AcctStatusType_Value_Start, func(p *radius.Packet) {
			must(t, rfc2865.UserName_AddString(p, "alice"))
			p.Add(rfc2865.CallingStationID_Type, radius.Attribute{})
			vsa(t, p, vendorHuawei, sub(153, []byte("mac")))
		}),
		acct(t, testSecret, 0, nil),
		append(acct(t, testSecret, 0, nil), 1),
		append(acct(t, testSecret, 0, nil), 1, 1),
		append(acct(t, testSecret, 0, nil), 1, 0),
		append(acct(t, testSecret, 0, nil), 1, 4, 0),
	} {
		binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
		want, wantErr := radius.Parse(b, []byte(testSecret))
		got, err := parsePacket(b, []byte(testSecret))
		if (err != nil) != (wantErr != nil) {
			t.Errorf("parsePacket(%x) error = %v, radius.Parse's = %v", b, err, wantErr)
			continue
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); err == nil && diff != "" {
			t.Errorf("parsePacket(%x) (-radius.Parse +got):\n%s", b, diff)
		}
	}
}
