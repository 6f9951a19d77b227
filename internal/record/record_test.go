package record_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/warden-ops/warden/internal/record"
)

// cmpOpts compares records field by field: addresses and prefixes by
// value, times by instant (decoding returns UTC).
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
}

// t0 is not UTC and has nanoseconds, so round trips must keep the instant
// exactly while dropping the zone.
var t0 = time.Date(2026, 11, 1, 18, 4, 5, 123456789, time.FixedZone("+08", 8*3600))

func digest(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// newRecord returns a record of kind k with the common fields set and an
// empty body.
func newRecord(k record.Kind) *record.Record {
	r := new(record.Record)
	r.Init(k)
	r.EventTime, r.ReceiveTime, r.Source = t0, t0.Add(1500*time.Millisecond), "src-1"
	return r
}

// fullRecords returns one valid record per kind with every field set.
func fullRecords() []*record.Record {
	s := newRecord(record.KindSession)
	*s.Session = record.Session{
		Event: record.SessionStop, Account: "alice@example.net", CallingStationID: "00-11-22-33-44-55",
		Addr:            netip.MustParseAddr("2001:db8::7"),
		IPv6Prefix:      netip.MustParsePrefix("2001:db8:1:2::/64"),
		DelegatedPrefix: netip.MustParsePrefix("2001:db8:ff00::/40"),
		NASAddr:         netip.MustParseAddr("10.0.0.1"),
		NASPortID:       "ge-0/0/1.100", SessionID: "sess-42",
		InputOctets: 1 << 40, OutputOctets: 1<<64 - 1, TerminateCause: "User-Request",
	}
	n := newRecord(record.KindNAT)
	*n.NAT = record.NAT{
		Event: record.NATBlockAlloc, Protocol: record.ProtoSCTP,
		InsideAddr: netip.MustParseAddr("fd00::64:7"), InsidePort: 51234,
		OutsideAddr: netip.MustParseAddr("203.0.113.7"), OutsidePort: 40000, OutsidePortEnd: 40063,
		DestAddr: netip.MustParseAddr("2001:db8:dead:beef::1"), DestPort: 443,
		Device: "cgn-1", VRF: "inet.0", Pool: "pool-a",
	}
	g := newRecord(record.KindRegistration)
	*g.Registration = record.Registration{Account: "bob", Fields: []record.Field{
		{Name: "address", Value: []byte("1 Main St\x00apt 2")},
		{Name: "name", Value: []byte{0, 1, 2, 0xff, 0}},
		{Name: "phone", Value: []byte("+1 555 0100")},
	}}
	e := newRecord(record.KindEvent)
	*e.Event = record.Event{
		Rule: "ssh-bruteforce", Severity: record.SeverityCritical,
		SrcAddr: netip.MustParseAddr("2001:db8::bad"), SrcPort: 65535,
		DstAddr: netip.MustParseAddr("198.51.100.22"), DstPort: 22,
		Account: "carol", Detail: "120 failures in 60s",
	}
	c := newRecord(record.KindContent)
	*c.Content = record.Content{
		Account: "dave", Channel: "forum/general",
		Addr: netip.MustParseAddr("2001:db8::c0:ffee"), Port: 8443,
		Digest: digest(0xab), Body: "hello\x00world",
	}
	m := newRecord(record.KindMaintenance)
	*m.Maintenance = record.Maintenance{Operator: "eve", Action: "reboot", Target: "bras-2", Detail: "firmware 1.2.3"}
	a := newRecord(record.KindAudit)
	*a.Audit = record.Audit{
		Actor: "inspector-7", Addr: netip.MustParseAddr("2001:db8::a"), Action: "trace",
		Query: "outside_addr=203.0.113.7 port=40001", CaseRef: "case/2026-17", Count: 300, Outcome: "ok",
	}
	w := newRecord(record.KindRaw)
	*w.Raw = record.Raw{Reason: "no parser", Format: "syslog", Data: []byte("\x00<14>garbage\x00line\xff\x00")}
	return []*record.Record{s, n, g, e, c, m, a, w}
}

// minimalRecords returns one valid record per kind with only the required
// fields set.
func minimalRecords() []*record.Record {
	s := newRecord(record.KindSession)
	*s.Session = record.Session{Event: record.SessionLogin, Account: "alice"}
	n := newRecord(record.KindNAT)
	*n.NAT = record.NAT{Event: record.NATCreate, InsideAddr: netip.MustParseAddr("100.64.0.1"),
		OutsideAddr: netip.MustParseAddr("203.0.113.1")}
	g := newRecord(record.KindRegistration)
	g.Registration.Account = "bob"
	e := newRecord(record.KindEvent)
	*e.Event = record.Event{Rule: "r", Severity: record.SeverityInfo}
	c := newRecord(record.KindContent)
	*c.Content = record.Content{Account: "dave", Channel: "c", Digest: digest(1)}
	m := newRecord(record.KindMaintenance)
	*m.Maintenance = record.Maintenance{Operator: "eve", Action: "a"}
	a := newRecord(record.KindAudit)
	*a.Audit = record.Audit{Actor: "x", Action: "y", Outcome: "z"}
	w := newRecord(record.KindRaw)
	w.Raw.Reason = "r"
	return []*record.Record{s, n, g, e, c, m, a, w}
}

func TestCanonicalRoundTrip(t *testing.T) {
	for _, set := range []struct {
		name string
		recs []*record.Record
	}{{"full", fullRecords()}, {"minimal", minimalRecords()}} {
		for _, r := range set.recs {
			t.Run(set.name+"/"+r.Kind.String(), func(t *testing.T) {
				if err := r.Validate(); err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				b := record.AppendCanonical(nil, r)
				if b[0] != record.SchemaVersion || record.Kind(b[1]) != r.Kind {
					t.Errorf("AppendCanonical header = %d %d, want %d %d", b[0], b[1], record.SchemaVersion, r.Kind)
				}
				got, err := record.DecodeCanonical(b)
				if err != nil {
					t.Fatalf("DecodeCanonical(%x) = %v", b, err)
				}
				if diff := cmp.Diff(r, got, cmpOpts); diff != "" {
					t.Errorf("DecodeCanonical(AppendCanonical(r)) differs (-want +got):\n%s", diff)
				}
				if got.EventTime.Location() != time.UTC || got.ReceiveTime.Location() != time.UTC {
					t.Errorf("decoded times in %v, %v, want UTC", got.EventTime.Location(), got.ReceiveTime.Location())
				}
				if err := got.Validate(); err != nil {
					t.Errorf("Validate(decoded) = %v, want nil", err)
				}
			})
		}
	}
}

func TestDecodeCanonicalIntoReplaces(t *testing.T) {
	recs := fullRecords()
	// Decode every kind into the same record, so that each decode must
	// discard the previous kind's body.
	var into record.Record
	for i := range recs {
		want := recs[len(recs)-1-i]
		b := record.AppendCanonical(nil, want)
		if err := record.DecodeCanonicalInto(&into, b); err != nil {
			t.Fatalf("DecodeCanonicalInto(%s) = %v", want.Kind, err)
		}
		if diff := cmp.Diff(want, &into, cmpOpts); diff != "" {
			t.Errorf("DecodeCanonicalInto(%s) differs (-want +got):\n%s", want.Kind, diff)
		}
	}
}

func TestCanonicalDeterministic(t *testing.T) {
	for i, r := range fullRecords() {
		t.Run(r.Kind.String(), func(t *testing.T) {
			a := record.AppendCanonical(nil, r)
			if b := record.AppendCanonical(nil, r); !bytes.Equal(a, b) {
				t.Errorf("AppendCanonical twice = %x, then %x", a, b)
			}
			// A separately built equal record, with its times in another
			// zone, must encode identically.
			other := fullRecords()[i]
			other.EventTime = other.EventTime.In(time.UTC)
			other.ReceiveTime = other.ReceiveTime.In(time.FixedZone("-05", -5*3600))
			if b := record.AppendCanonical(nil, other); !bytes.Equal(a, b) {
				t.Errorf("AppendCanonical(equal record) = %x, want %x", b, a)
			}
			// Decoding and re-encoding gives the same bytes.
			d, err := record.DecodeCanonical(a)
			if err != nil {
				t.Fatalf("DecodeCanonical: %v", err)
			}
			if b := record.AppendCanonical(nil, d); !bytes.Equal(a, b) {
				t.Errorf("AppendCanonical(DecodeCanonical(b)) = %x, want %x", b, a)
			}
			// Appending keeps dst.
			prefix := []byte("prefix")
			if b := record.AppendCanonical(prefix, r); !bytes.Equal(b[:len(prefix)], prefix) || !bytes.Equal(b[len(prefix):], a) {
				t.Errorf("AppendCanonical(%q, r) = %q, want prefix then %x", prefix, b, a)
			}
		})
	}
}

func TestCanonicalEncodingsDiffer(t *testing.T) {
	// Records that differ in one field must not encode alike.
	base := fullRecords()[1] // NAT
	enc := record.AppendCanonical(nil, base)
	for name, mod := range map[string]func(r *record.Record){
		"event time":   func(r *record.Record) { r.EventTime = r.EventTime.Add(time.Nanosecond) },
		"receive time": func(r *record.Record) { r.ReceiveTime = r.ReceiveTime.Add(time.Nanosecond) },
		"source":       func(r *record.Record) { r.Source += "x" },
		"inside addr":  func(r *record.Record) { r.NAT.InsideAddr = netip.MustParseAddr("fd00::64:8") },
		"outside v4":   func(r *record.Record) { r.NAT.OutsideAddr = netip.MustParseAddr("::ffff:203.0.113.7") },
		"port end":     func(r *record.Record) { r.NAT.OutsidePortEnd++ },
		"device/vrf":   func(r *record.Record) { r.NAT.Device, r.NAT.VRF = "cgn-1inet.0", "" },
	} {
		t.Run(name, func(t *testing.T) {
			r := fullRecords()[1]
			mod(r)
			if b := record.AppendCanonical(nil, r); bytes.Equal(b, enc) {
				t.Errorf("AppendCanonical(modified) = %x, same as the original", b)
			}
		})
	}
}

func TestDecodeCanonicalErrors(t *testing.T) {
	valid := record.AppendCanonical(nil, fullRecords()[0]) // session: has addrs and prefixes
	tests := []struct {
		name string
		in   []byte
		want string // in the error message
	}{
		{"empty", nil, "too short"},
		{"version only", []byte{record.SchemaVersion}, "too short"},
		{"version 0", append([]byte{0}, valid[1:]...), "schema version 0"},
		{"version 2", append([]byte{2}, valid[1:]...), "schema version 2"},
		{"kind 0", []byte{record.SchemaVersion, 0}, "unknown kind 0"},
		{"kind 9", []byte{record.SchemaVersion, 9}, "unknown kind 9"},
		{"kind 255", []byte{record.SchemaVersion, 255}, "unknown kind 255"},
		{"no fields", []byte{record.SchemaVersion, byte(record.KindRaw)}, "unexpected end"},
		{"trailing byte", append(bytes.Clone(valid), 0), "1 trailing bytes"},
		{"bad address length", badAddrLen(), "bad address length 5"},
		{"bad prefix length", badPrefixLen(), "bad prefix length 33"},
		{"string longer than input", stringTooLong(), "unexpected end"},
		{"uvarint overflow", uvarintOverflow(), "bad uvarint"},
		{"fields count exceeds input", fieldsCount(), "exceeds input"},
		{"fields trailing", fieldsTrailing(), "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := record.DecodeCanonical(tt.in)
			if err == nil {
				t.Fatalf("DecodeCanonical(%x) = %+v, want error containing %q", tt.in, got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("DecodeCanonical(%x) error = %q, want it to contain %q", tt.in, err, tt.want)
			}
		})
	}
}

// header is the encoding up to the body: version, kind, both times and a
// one-byte source.
func header(k record.Kind) []byte {
	r := newRecord(k)
	r.Source = "s"
	b := record.AppendCanonical(nil, r)
	return b[:2+8+8+2]
}

func badAddrLen() []byte {
	b := header(record.KindSession)
	b = append(b, byte(record.SessionStart), 0, 0, 0) // event, input and output octets, cause
	b = append(b, 1, 'a', 0)                          // account, calling station
	return append(b, 5, 1, 2, 3, 4, 5)                // addr
}

func badPrefixLen() []byte {
	b := header(record.KindSession)
	b = append(b, byte(record.SessionStart), 0, 0, 0) // event, input and output octets, cause
	b = append(b, 1, 'a', 0, 0)                       // account, calling station, addr
	return append(b, 4, 10, 0, 0, 0, 33)              // ipv6 prefix: 10.0.0.0/33
}

func stringTooLong() []byte {
	b := header(record.KindMaintenance)
	return append(b, 200, 1, 'x') // operator: length 200, then one byte
}

func uvarintOverflow() []byte {
	b := header(record.KindMaintenance)
	return append(b, bytes.Repeat([]byte{0xff}, 11)...)
}

func fieldsCount() []byte {
	b := header(record.KindRegistration)
	b = append(b, 1, 'a')    // account
	return append(b, 1, 100) // fields: one byte, a count of 100
}

func fieldsTrailing() []byte {
	b := header(record.KindRegistration)
	b = append(b, 1, 'a')            // account
	return append(b, 4, 1, 0, 0, 99) // fields: count 1, empty name, empty value, then a stray byte
}

func TestDecodeCanonicalTruncated(t *testing.T) {
	for _, r := range fullRecords() {
		t.Run(r.Kind.String(), func(t *testing.T) {
			b := record.AppendCanonical(nil, r)
			for n := range len(b) {
				if got, err := record.DecodeCanonical(b[:n]); err == nil {
					t.Errorf("DecodeCanonical(first %d of %d bytes) = %+v, want error", n, len(b), got)
				}
			}
		})
	}
}

func TestDecodeCanonicalCopies(t *testing.T) {
	// Bytes fields are documented as copies: a decoded record must not
	// change when the caller reuses its input buffer.
	for _, r := range fullRecords() {
		t.Run(r.Kind.String(), func(t *testing.T) {
			b := record.AppendCanonical(nil, r)
			got, err := record.DecodeCanonical(b)
			if err != nil {
				t.Fatal(err)
			}
			for i := range b {
				b[i] = 0xee
			}
			if diff := cmp.Diff(r, got, cmpOpts); diff != "" {
				t.Errorf("decoded record changed when its input was overwritten (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	long := strings.Repeat("x", record.MaxStringLen+1)
	kinds := map[record.Kind]int{}
	for i, k := range record.Kinds {
		kinds[k] = i
	}
	tests := []struct {
		name  string
		kind  record.Kind
		mod   func(r *record.Record)
		field string
	}{
		// Common fields.
		{"zero time", record.KindNAT, func(r *record.Record) { r.EventTime = time.Time{} }, "time"},
		{"time before 1970", record.KindNAT, func(r *record.Record) { r.EventTime = time.Unix(-1, 0) }, "time"},
		{"time in 2200", record.KindNAT, func(r *record.Record) {
			r.EventTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
		}, "time"},
		{"zero received", record.KindSession, func(r *record.Record) { r.ReceiveTime = time.Time{} }, "received"},
		{"received in 2262", record.KindSession, func(r *record.Record) {
			r.ReceiveTime = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
		}, "received"},
		{"missing source", record.KindRaw, func(r *record.Record) { r.Source = "" }, "source"},
		{"long source", record.KindRaw, func(r *record.Record) { r.Source = long }, "source"},

		// Session.
		{"session missing event", record.KindSession, func(r *record.Record) { r.Session.Event = 0 }, "event"},
		{"session unknown event", record.KindSession, func(r *record.Record) { r.Session.Event = 7 }, "event"},
		{"session missing account", record.KindSession, func(r *record.Record) { r.Session.Account = "" }, "account"},
		{"session long account", record.KindSession, func(r *record.Record) { r.Session.Account = long }, "account"},
		{"session long calling station", record.KindSession, func(r *record.Record) { r.Session.CallingStationID = long }, "calling_station_id"},
		{"session mapped addr", record.KindSession, func(r *record.Record) {
			r.Session.Addr = netip.MustParseAddr("::ffff:100.64.0.1")
		}, "addr"},
		{"session zoned addr", record.KindSession, func(r *record.Record) {
			r.Session.Addr = netip.MustParseAddr("fe80::1%eth0")
		}, "addr"},
		{"session prefix host bits", record.KindSession, func(r *record.Record) {
			r.Session.IPv6Prefix = netip.MustParsePrefix("2001:db8::1/64")
		}, "ipv6_prefix"},
		{"session invalid prefix", record.KindSession, func(r *record.Record) {
			r.Session.IPv6Prefix = netip.PrefixFrom(netip.MustParseAddr("2001:db8::"), 129)
		}, "ipv6_prefix"},
		{"session mapped delegated prefix", record.KindSession, func(r *record.Record) {
			r.Session.DelegatedPrefix = netip.MustParsePrefix("::ffff:10.0.0.0/104")
		}, "delegated_prefix"},
		{"session delegated prefix host bits", record.KindSession, func(r *record.Record) {
			r.Session.DelegatedPrefix = netip.MustParsePrefix("2001:db8:ff00::1/40")
		}, "delegated_prefix"},
		{"session mapped nas addr", record.KindSession, func(r *record.Record) {
			r.Session.NASAddr = netip.MustParseAddr("::ffff:10.0.0.1")
		}, "nas_addr"},
		{"session long nas port", record.KindSession, func(r *record.Record) { r.Session.NASPortID = long }, "nas_port_id"},
		{"session long session id", record.KindSession, func(r *record.Record) { r.Session.SessionID = long }, "session_id"},
		{"session long terminate cause", record.KindSession, func(r *record.Record) { r.Session.TerminateCause = long }, "terminate_cause"},

		// NAT.
		{"nat missing event", record.KindNAT, func(r *record.Record) { r.NAT.Event = 0 }, "event"},
		{"nat unknown event", record.KindNAT, func(r *record.Record) { r.NAT.Event = 6 }, "event"},
		{"nat missing inside addr", record.KindNAT, func(r *record.Record) { r.NAT.InsideAddr = netip.Addr{} }, "inside_addr"},
		{"nat mapped inside addr", record.KindNAT, func(r *record.Record) {
			r.NAT.InsideAddr = netip.MustParseAddr("::ffff:100.64.0.7")
		}, "inside_addr"},
		{"nat missing outside addr", record.KindNAT, func(r *record.Record) { r.NAT.OutsideAddr = netip.Addr{} }, "outside_addr"},
		{"nat mapped outside addr", record.KindNAT, func(r *record.Record) {
			r.NAT.OutsideAddr = netip.MustParseAddr("::ffff:203.0.113.7")
		}, "outside_addr"},
		{"nat port range ends before start", record.KindNAT, func(r *record.Record) {
			r.NAT.OutsidePort, r.NAT.OutsidePortEnd = 40000, 39999
		}, "outside_port_end"},
		{"nat zoned dest addr", record.KindNAT, func(r *record.Record) {
			r.NAT.DestAddr = netip.MustParseAddr("fe80::1%2")
		}, "dest_addr"},
		{"nat long device", record.KindNAT, func(r *record.Record) { r.NAT.Device = long }, "device"},
		{"nat long vrf", record.KindNAT, func(r *record.Record) { r.NAT.VRF = long }, "vrf"},
		{"nat long pool", record.KindNAT, func(r *record.Record) { r.NAT.Pool = long }, "pool"},

		// Registration.
		{"registration missing account", record.KindRegistration, func(r *record.Record) { r.Registration.Account = "" }, "account"},
		{"registration empty field name", record.KindRegistration, func(r *record.Record) { r.Registration.Fields[0].Name = "" }, "fields.name"},
		{"registration long field name", record.KindRegistration, func(r *record.Record) { r.Registration.Fields[2].Name = "q" + long }, "fields.name"},
		{"registration long value", record.KindRegistration, func(r *record.Record) {
			r.Registration.Fields[1].Value = make([]byte, record.MaxStringLen+1)
		}, "fields"},
		{"registration unsorted fields", record.KindRegistration, func(r *record.Record) {
			f := r.Registration.Fields
			f[0], f[1] = f[1], f[0]
		}, "fields"},
		{"registration duplicate fields", record.KindRegistration, func(r *record.Record) {
			r.Registration.Fields[1].Name = r.Registration.Fields[0].Name
		}, "fields"},

		// Event.
		{"event missing rule", record.KindEvent, func(r *record.Record) { r.Event.Rule = "" }, "rule"},
		{"event missing severity", record.KindEvent, func(r *record.Record) { r.Event.Severity = 0 }, "severity"},
		{"event bad severity", record.KindEvent, func(r *record.Record) { r.Event.Severity = record.SeverityCritical + 1 }, "severity"},
		{"event mapped src addr", record.KindEvent, func(r *record.Record) {
			r.Event.SrcAddr = netip.MustParseAddr("::ffff:192.0.2.1")
		}, "src_addr"},
		{"event zoned dst addr", record.KindEvent, func(r *record.Record) {
			r.Event.DstAddr = netip.MustParseAddr("fe80::2%eth1")
		}, "dst_addr"},
		{"event long account", record.KindEvent, func(r *record.Record) { r.Event.Account = long }, "account"},
		{"event long detail", record.KindEvent, func(r *record.Record) { r.Event.Detail = long }, "detail"},

		// Content.
		{"content missing account", record.KindContent, func(r *record.Record) { r.Content.Account = "" }, "account"},
		{"content missing channel", record.KindContent, func(r *record.Record) { r.Content.Channel = "" }, "channel"},
		{"content mapped addr", record.KindContent, func(r *record.Record) {
			r.Content.Addr = netip.MustParseAddr("::ffff:192.0.2.9")
		}, "addr"},
		{"content digest 31 bytes", record.KindContent, func(r *record.Record) { r.Content.Digest = r.Content.Digest[:31] }, "digest"},
		{"content digest 33 bytes", record.KindContent, func(r *record.Record) { r.Content.Digest = append(digest(0), 0) }, "digest"},
		{"content missing digest", record.KindContent, func(r *record.Record) { r.Content.Digest = nil }, "digest"},
		{"content long body", record.KindContent, func(r *record.Record) { r.Content.Body = strings.Repeat("b", record.MaxDataLen+1) }, "body"},

		// Maintenance.
		{"maintenance missing operator", record.KindMaintenance, func(r *record.Record) { r.Maintenance.Operator = "" }, "operator"},
		{"maintenance missing action", record.KindMaintenance, func(r *record.Record) { r.Maintenance.Action = "" }, "action"},
		{"maintenance long target", record.KindMaintenance, func(r *record.Record) { r.Maintenance.Target = long }, "target"},
		{"maintenance long detail", record.KindMaintenance, func(r *record.Record) { r.Maintenance.Detail = long }, "detail"},

		// Audit.
		{"audit missing actor", record.KindAudit, func(r *record.Record) { r.Audit.Actor = "" }, "actor"},
		{"audit missing action", record.KindAudit, func(r *record.Record) { r.Audit.Action = "" }, "action"},
		{"audit missing outcome", record.KindAudit, func(r *record.Record) { r.Audit.Outcome = "" }, "outcome"},
		{"audit mapped addr", record.KindAudit, func(r *record.Record) { r.Audit.Addr = netip.MustParseAddr("::ffff:10.1.1.1") }, "addr"},
		{"audit long query", record.KindAudit, func(r *record.Record) { r.Audit.Query = long }, "query"},
		{"audit long case ref", record.KindAudit, func(r *record.Record) { r.Audit.CaseRef = long }, "case_ref"},

		// Raw.
		{"raw missing reason", record.KindRaw, func(r *record.Record) { r.Raw.Reason = "" }, "reason"},
		{"raw long format", record.KindRaw, func(r *record.Record) { r.Raw.Format = long }, "format"},
		{"raw long data", record.KindRaw, func(r *record.Record) { r.Raw.Data = make([]byte, record.MaxDataLen+1) }, "data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fullRecords()[kinds[tt.kind]]
			if r.Kind != tt.kind {
				t.Fatalf("fixture %d is %s, want %s", kinds[tt.kind], r.Kind, tt.kind)
			}
			tt.mod(r)
			err := r.Validate()
			fe, ok := errors.AsType[*record.FieldError](err)
			if !ok {
				t.Fatalf("Validate() = %v, want a *FieldError for %q", err, tt.field)
			}
			if fe.Field != tt.field {
				t.Errorf("Validate() = %v, field %q, want field %q", err, fe.Field, tt.field)
			}
			if fe.Reason == "" {
				t.Errorf("Validate() = %v, with no reason", err)
			}
			if !errors.Is(err, record.ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false, want true", err)
			}
		})
	}
}

func TestValidateBoundaries(t *testing.T) {
	// Values at the limits are valid.
	tests := []struct {
		name string
		kind record.Kind
		mod  func(r *record.Record)
	}{
		{"unix epoch", record.KindNAT, func(r *record.Record) { r.EventTime = time.Unix(0, 0) }},
		{"last instant before 2200", record.KindNAT, func(r *record.Record) {
			r.EventTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)
		}},
		{"single port", record.KindNAT, func(r *record.Record) { r.NAT.OutsidePortEnd = 0 }},
		{"port range of one", record.KindNAT, func(r *record.Record) { r.NAT.OutsidePortEnd = r.NAT.OutsidePort }},
		{"longest string", record.KindMaintenance, func(r *record.Record) { r.Maintenance.Detail = strings.Repeat("d", record.MaxStringLen) }},
		{"longest raw data", record.KindRaw, func(r *record.Record) { r.Raw.Data = make([]byte, record.MaxDataLen) }},
		{"ipv4 prefix", record.KindSession, func(r *record.Record) { r.Session.IPv6Prefix = netip.MustParsePrefix("10.0.0.0/8") }},
		{"default route", record.KindSession, func(r *record.Record) { r.Session.DelegatedPrefix = netip.MustParsePrefix("::/0") }},
		{"host prefix", record.KindSession, func(r *record.Record) { r.Session.IPv6Prefix = netip.MustParsePrefix("2001:db8::1/128") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r *record.Record
			for _, f := range fullRecords() {
				if f.Kind == tt.kind {
					r = f
				}
			}
			tt.mod(r)
			if err := r.Validate(); err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			got, err := record.DecodeCanonical(record.AppendCanonical(nil, r))
			if err != nil {
				t.Fatalf("DecodeCanonical: %v", err)
			}
			if diff := cmp.Diff(r, got, cmpOpts); diff != "" {
				t.Errorf("round trip differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateShape(t *testing.T) {
	// Records whose kind and body disagree are refused.
	tests := []struct {
		name string
		r    *record.Record
	}{
		{"zero record", &record.Record{}},
		{"unknown kind", &record.Record{Kind: 9, Raw: &record.Raw{Reason: "r"}, EventTime: t0, ReceiveTime: t0, Source: "s"}},
		{"no body", &record.Record{Kind: record.KindNAT, EventTime: t0, ReceiveTime: t0, Source: "s"}},
		{"wrong body", func() *record.Record {
			r := minimalRecords()[0]
			r.Kind = record.KindNAT
			return r
		}()},
		{"two bodies", func() *record.Record {
			r := minimalRecords()[7]
			r.Audit = minimalRecords()[6].Audit
			return r
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.r.Validate(); err == nil {
				t.Errorf("Validate() = nil, want error")
			}
		})
	}
}

// jsonLines are valid JSON lines, one per kind, in the documented flat form.
var jsonLines = map[string]string{
	"session": `{"kind":"session","time":"2026-11-01T10:00:00+08:00","received":"2026-11-01T02:00:01Z","source":"bras-1",` +
		`"event":"start","account":"alice","calling_station_id":"00-11-22-33-44-55","addr":"100.64.0.7",` +
		`"ipv6_prefix":"2001:db8:1::/64","delegated_prefix":"2001:db8:100::/56","nas_addr":"10.0.0.1",` +
		`"nas_port_id":"ge-0/0/1","session_id":"s1","input_octets":1099511627776,"output_octets":18446744073709551615,` +
		`"terminate_cause":"User-Request"}`,
	"nat": `{"kind":"nat","time":"2026-11-01T10:00:00+08:00","source":"cgn-1",` +
		`"event":"create","proto":"tcp","inside_addr":"100.64.0.7","inside_port":51234,` +
		`"outside_addr":"203.0.113.7","outside_port":40001}`,
	"nat block": `{"kind":"nat","time":"2026-11-01T02:00:00Z","received":"2026-11-01T02:00:00.5Z","source":"cgn-1",` +
		`"event":"block-alloc","proto":"17","inside_addr":"2001:db8::7","outside_addr":"203.0.113.7",` +
		`"outside_port":40000,"outside_port_end":40063,"dest_addr":"198.51.100.1","dest_port":443,` +
		`"device":"cgn-1","vrf":"v","pool":"p"}`,
	"registration": `{"kind":"registration","time":"2026-11-01T02:00:00Z","source":"crm",` +
		`"account":"bob","fields":[{"name":"name","value":"AAEC/w=="},{"name":"phone","value":"KzE="}]}`,
	"event": `{"kind":"event","time":"2026-11-01T02:00:00Z","source":"ids","rule":"ssh-bruteforce",` +
		`"severity":"high","src_addr":"2001:db8::bad","src_port":1234,"dst_addr":"192.0.2.1","dst_port":22,` +
		`"account":"carol","detail":"many failures"}`,
	"content": `{"kind":"content","time":"2026-11-01T02:00:00Z","source":"forum","account":"dave","channel":"general",` +
		`"addr":"192.0.2.9","port":443,"digest":"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=","body":"hello"}`,
	"maintenance": `{"kind":"maintenance","time":"2026-11-01T02:00:00Z","source":"ops","operator":"eve",` +
		`"action":"reboot","target":"bras-2","detail":"firmware"}`,
	"audit": `{"kind":"audit","time":"2026-11-01T02:00:00Z","source":"warden","actor":"inspector",` +
		`"addr":"2001:db8::a","action":"trace","query":"q","case_ref":"c-1","count":3,"outcome":"ok"}`,
	"raw": `{"kind":"raw","time":"2026-11-01T02:00:00Z","source":"syslog","reason":"no parser",` +
		`"format":"syslog","data":"ADxncmJnPgA="}`,
	"with id": `{"id":"maintenance:7","kind":"maintenance","time":"2026-11-01T02:00:00Z","source":"ops",` +
		`"operator":"eve","action":"reboot"}`,
}

func TestParseJSONValid(t *testing.T) {
	tz8 := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	want := map[string]*record.Record{
		"nat": {Kind: record.KindNAT, EventTime: tz8, Source: "cgn-1", NAT: &record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoTCP,
			InsideAddr: netip.MustParseAddr("100.64.0.7"), InsidePort: 51234,
			OutsideAddr: netip.MustParseAddr("203.0.113.7"), OutsidePort: 40001,
		}},
		"registration": {Kind: record.KindRegistration, EventTime: tz8, Source: "crm", Registration: &record.Registration{
			Account: "bob", Fields: []record.Field{{Name: "name", Value: []byte{0, 1, 2, 0xff}}, {Name: "phone", Value: []byte("+1")}},
		}},
		"content": {Kind: record.KindContent, EventTime: tz8, Source: "forum", Content: &record.Content{
			Account: "dave", Channel: "general", Addr: netip.MustParseAddr("192.0.2.9"), Port: 443,
			Digest: digest(0xab), Body: "hello",
		}},
		"raw": {Kind: record.KindRaw, EventTime: tz8, Source: "syslog", Raw: &record.Raw{
			Reason: "no parser", Format: "syslog", Data: []byte("\x00<grbg>\x00"),
		}},
		"with id": {Kind: record.KindMaintenance, EventTime: tz8, Source: "ops", Maintenance: &record.Maintenance{
			Operator: "eve", Action: "reboot",
		}},
	}
	for name, line := range jsonLines {
		t.Run(name, func(t *testing.T) {
			got, err := record.ParseJSON([]byte(line))
			if err != nil {
				t.Fatalf("ParseJSON(%s) = %v, want nil error", line, err)
			}
			if w, ok := want[name]; ok {
				if diff := cmp.Diff(w, got, cmpOpts); diff != "" {
					t.Errorf("ParseJSON(%s) differs (-want +got):\n%s", line, diff)
				}
			}
			if got.EventTime.Location() != time.UTC {
				t.Errorf("ParseJSON(%s).EventTime in %v, want UTC", line, got.EventTime.Location())
			}
			if got.ID != (record.ID{}) {
				t.Errorf("ParseJSON(%s).ID = %v, want zero: the store assigns IDs", line, got.ID)
			}
		})
	}
}

func TestParseJSONReceived(t *testing.T) {
	got, err := record.ParseJSON([]byte(jsonLines["nat"]))
	if err != nil {
		t.Fatal(err)
	}
	if !got.ReceiveTime.IsZero() {
		t.Errorf("ParseJSON(no received).ReceiveTime = %v, want zero", got.ReceiveTime)
	}
	// Once the caller stamps it, the record is valid.
	got.ReceiveTime = time.Now()
	if err := got.Validate(); err != nil {
		t.Errorf("Validate() after stamping the receive time = %v, want nil", err)
	}

	got, err = record.ParseJSON([]byte(jsonLines["session"]))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 1, 2, 0, 1, 0, time.UTC); !got.ReceiveTime.Equal(want) {
		t.Errorf("ParseJSON(session).ReceiveTime = %v, want %v", got.ReceiveTime, want)
	}
}

func TestParseJSONNormalizesMapped(t *testing.T) {
	v4 := netip.MustParseAddr("1.2.3.4")
	tests := []struct {
		name string
		line string
		get  func(r *record.Record) netip.Addr
	}{
		{"session addr", `{"kind":"session","time":"2026-11-01T02:00:00Z","source":"s","event":"start","account":"a","addr":"::ffff:1.2.3.4"}`,
			func(r *record.Record) netip.Addr { return r.Session.Addr }},
		{"session nas addr", `{"kind":"session","time":"2026-11-01T02:00:00Z","source":"s","event":"start","account":"a","nas_addr":"::ffff:1.2.3.4"}`,
			func(r *record.Record) netip.Addr { return r.Session.NASAddr }},
		{"nat inside", `{"kind":"nat","time":"2026-11-01T02:00:00Z","source":"s","event":"create","inside_addr":"::ffff:1.2.3.4","outside_addr":"203.0.113.1"}`,
			func(r *record.Record) netip.Addr { return r.NAT.InsideAddr }},
		{"nat outside", `{"kind":"nat","time":"2026-11-01T02:00:00Z","source":"s","event":"create","inside_addr":"10.0.0.1","outside_addr":"::ffff:1.2.3.4"}`,
			func(r *record.Record) netip.Addr { return r.NAT.OutsideAddr }},
		{"nat dest", `{"kind":"nat","time":"2026-11-01T02:00:00Z","source":"s","event":"create","inside_addr":"10.0.0.1","outside_addr":"203.0.113.1","dest_addr":"::ffff:1.2.3.4"}`,
			func(r *record.Record) netip.Addr { return r.NAT.DestAddr }},
		{"event src", `{"kind":"event","time":"2026-11-01T02:00:00Z","source":"s","rule":"r","severity":"low","src_addr":"::ffff:1.2.3.4"}`,
			func(r *record.Record) netip.Addr { return r.Event.SrcAddr }},
		{"event dst", `{"kind":"event","time":"2026-11-01T02:00:00Z","source":"s","rule":"r","severity":"low","dst_addr":"::ffff:1.2.3.4"}`,
			func(r *record.Record) netip.Addr { return r.Event.DstAddr }},
		{"content", `{"kind":"content","time":"2026-11-01T02:00:00Z","source":"s","account":"a","channel":"c","addr":"::ffff:1.2.3.4","digest":"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="}`,
			func(r *record.Record) netip.Addr { return r.Content.Addr }},
		{"audit", `{"kind":"audit","time":"2026-11-01T02:00:00Z","source":"s","actor":"a","action":"b","outcome":"c","addr":"::ffff:1.2.3.4"}`,
			func(r *record.Record) netip.Addr { return r.Audit.Addr }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := record.ParseJSON([]byte(tt.line))
			if err != nil {
				t.Fatalf("ParseJSON(%s) = %v", tt.line, err)
			}
			if got := tt.get(r); got != v4 {
				t.Errorf("ParseJSON(%s) address = %v, want %v", tt.line, got, v4)
			}
			if err := r.Validate(); err != nil && !strings.HasPrefix(err.Error(), "received") {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}

func TestParseJSONErrors(t *testing.T) {
	// typeErr asks for a *FieldError whose Field is the JSON name given
	// as want: a wrong JSON type must name the field as the sender wrote it.
	const typeErr = "\x00type"
	tests := []struct {
		name  string
		line  string
		field string // the *FieldError's field, typeErr, or "" for another error
		want  string // in the error message
	}{
		{"empty", ``, "", "json"},
		{"not an object", `[1,2]`, "", "json"},
		{"truncated", jsonLines["nat"][:40], "", "json"},
		{"two values", jsonLines["nat"] + jsonLines["nat"], "", ""},
		{"missing kind", `{"time":"2026-11-01T02:00:00Z","source":"s"}`, "kind", "required"},
		{"null kind", `{"kind":null,"time":"2026-11-01T02:00:00Z","source":"s"}`, "kind", "required"},
		{"unknown kind", `{"kind":"telepathy","time":"2026-11-01T02:00:00Z","source":"s"}`, "", `"telepathy"`},
		{"numeric kind", `{"kind":2,"time":"2026-11-01T02:00:00Z","source":"s"}`, typeErr, "kind"},
		{"unknown field", `{"kind":"maintenance","time":"2026-11-01T02:00:00Z","source":"s","operator":"o","action":"a","colour":"red"}`,
			"", `"colour"`},
		{"field of another kind", `{"kind":"maintenance","time":"2026-11-01T02:00:00Z","source":"s","operator":"o","action":"a","inside_addr":"10.0.0.1"}`,
			"", `"inside_addr"`},
		{"unknown field in registration field", `{"kind":"registration","time":"2026-11-01T02:00:00Z","source":"s","account":"a","fields":[{"name":"n","value":"","x":1}]}`,
			"", `"x"`},
		{"port is a string", `{"kind":"nat","time":"2026-11-01T02:00:00Z","source":"s","event":"create","inside_addr":"10.0.0.1","inside_port":"80","outside_addr":"203.0.113.1"}`,
			typeErr, "inside_port"},
		{"port out of range", `{"kind":"nat","time":"2026-11-01T02:00:00Z","source":"s","event":"create","inside_addr":"10.0.0.1","outside_addr":"203.0.113.1","outside_port":65536}`,
			typeErr, "outside_port"},
		{"count negative", `{"kind":"audit","time":"2026-11-01T02:00:00Z","source":"s","actor":"a","action":"b","outcome":"c","count":-1}`,
			typeErr, "count"},
		{"source is a number", `{"kind":"raw","time":"2026-11-01T02:00:00Z","source":7,"reason":"r"}`, typeErr, "source"},
		{"account is an object", `{"kind":"session","time":"2026-11-01T02:00:00Z","source":"s","event":"start","account":{}}`, typeErr, "account"},
		{"bad address", `{"kind":"nat","time":"2026-11-01T02:00:00Z","source":"s","event":"create","inside_addr":"10.0.0.256","outside_addr":"203.0.113.1"}`,
			"", "10.0.0.256"},
		{"bad time", `{"kind":"raw","time":"yesterday","source":"s","reason":"r"}`, "", "yesterday"},
		{"bad event", `{"kind":"nat","time":"2026-11-01T02:00:00Z","source":"s","event":"explode","inside_addr":"10.0.0.1","outside_addr":"203.0.113.1"}`,
			"", `"explode"`},
		{"bad protocol", `{"kind":"nat","time":"2026-11-01T02:00:00Z","source":"s","event":"create","proto":"quic","inside_addr":"10.0.0.1","outside_addr":"203.0.113.1"}`,
			"", `"quic"`},
		{"bad severity", `{"kind":"event","time":"2026-11-01T02:00:00Z","source":"s","rule":"r","severity":"apocalyptic"}`, "", `"apocalyptic"`},
		{"bad base64", `{"kind":"raw","time":"2026-11-01T02:00:00Z","source":"s","reason":"r","data":"!!!"}`, "", "base64"},
		{"bad id", `{"id":"nat","kind":"raw","time":"2026-11-01T02:00:00Z","source":"s","reason":"r"}`, "", "record id"},
		{"invalid: missing time", `{"kind":"raw","source":"s","reason":"r"}`, "time", "required"},
		{"invalid: missing source", `{"kind":"raw","time":"2026-11-01T02:00:00Z","reason":"r"}`, "source", "required"},
		{"invalid: missing account", `{"kind":"session","time":"2026-11-01T02:00:00Z","source":"s","event":"start"}`, "account", "required"},
		{"invalid: short digest", `{"kind":"content","time":"2026-11-01T02:00:00Z","source":"s","account":"a","channel":"c","digest":"q6urqw=="}`,
			"digest", "32"},
		{"invalid: host bits", `{"kind":"session","time":"2026-11-01T02:00:00Z","source":"s","event":"start","account":"a","ipv6_prefix":"2001:db8::1/64"}`,
			"ipv6_prefix", "host bits"},
		{"invalid: port range", `{"kind":"nat","time":"2026-11-01T02:00:00Z","source":"s","event":"block-alloc","inside_addr":"10.0.0.1","outside_addr":"203.0.113.1","outside_port":2000,"outside_port_end":1000}`,
			"outside_port_end", ""},
		{"invalid: unsorted fields", `{"kind":"registration","time":"2026-11-01T02:00:00Z","source":"s","account":"a","fields":[{"name":"b"},{"name":"a"}]}`,
			"fields", "sorted"},
		{"invalid: time before 1970", `{"kind":"raw","time":"1969-12-31T23:59:59Z","source":"s","reason":"r"}`, "time", "1970"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := record.ParseJSON([]byte(tt.line))
			if err == nil {
				t.Fatalf("ParseJSON(%s) = %+v, want error", tt.line, got)
			}
			if got != nil {
				t.Errorf("ParseJSON(%s) returned a record with error %v", tt.line, err)
			}
			fe, ok := errors.AsType[*record.FieldError](err)
			switch {
			case tt.field != "" && !ok:
				t.Errorf("ParseJSON(%s) = %v, want a *FieldError for %q", tt.line, err, tt.field)
			case tt.field == typeErr && fe.Field != tt.want:
				t.Errorf("ParseJSON(%s) = %v, field %q, want field %q", tt.line, err, fe.Field, tt.want)
			case tt.field != "" && tt.field != typeErr && fe.Field != tt.field:
				t.Errorf("ParseJSON(%s) = %v, field %q, want field %q", tt.line, err, fe.Field, tt.field)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseJSON(%s) = %q, want it to contain %q", tt.line, err, tt.want)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	recs := append(fullRecords(), minimalRecords()...)
	noReceived := fullRecords()[3]
	noReceived.ReceiveTime = time.Time{}
	recs = append(recs, noReceived)
	for i, r := range recs {
		t.Run(r.Kind.String(), func(t *testing.T) {
			if i == 3 {
				r.ID = record.ID{Kind: r.Kind, Seq: 99} // written, then ignored on parse
			}
			b, err := r.MarshalJSON()
			if err != nil {
				t.Fatalf("MarshalJSON() = %v", err)
			}
			if !json.Valid(b) || bytes.ContainsRune(b, '\n') {
				t.Fatalf("MarshalJSON() = %s, want one line of JSON", b)
			}
			got, err := record.ParseJSON(b)
			if err != nil {
				t.Fatalf("ParseJSON(%s) = %v", b, err)
			}
			want := *r
			want.ID = record.ID{}
			if diff := cmp.Diff(&want, got, cmpOpts); diff != "" {
				t.Errorf("ParseJSON(MarshalJSON(r)) differs (-want +got):\n%s", diff)
			}
			// Through encoding/json too, which calls MarshalJSON.
			b2, err := json.Marshal(r)
			if err != nil || !bytes.Equal(b, b2) {
				t.Errorf("json.Marshal(r) = %s, %v, want %s", b2, err, b)
			}
		})
	}
}

func TestUnmarshalJSON(t *testing.T) {
	// Unlike ParseJSON, UnmarshalJSON keeps the id, as proof bundles need.
	for i, r := range fullRecords() {
		t.Run(r.Kind.String(), func(t *testing.T) {
			r.ID = record.ID{Kind: r.Kind, Seq: uint64(1000 + i)}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var got record.Record
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("json.Unmarshal(%s) = %v", b, err)
			}
			if diff := cmp.Diff(r, &got, cmpOpts); diff != "" {
				t.Errorf("json.Unmarshal(json.Marshal(r)) differs (-want +got):\n%s", diff)
			}
		})
	}
	var got record.Record
	if err := json.Unmarshal([]byte(`{"kind":"raw","time":"2026-11-01T02:00:00Z","source":"s"}`), &got); err == nil {
		t.Errorf("json.Unmarshal(raw record without reason) = nil error, want error")
	}
}

func TestMarshalJSONFlat(t *testing.T) {
	r := minimalRecords()[1]
	r.ID = record.ID{Kind: record.KindNAT, Seq: 1042}
	b, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": "nat:1042", "kind": "nat", "time": "2026-11-01T18:04:05.123456789+08:00",
		"received": "2026-11-01T18:04:06.623456789+08:00", "source": "src-1",
		"event": "create", "inside_addr": "100.64.0.1", "outside_addr": "203.0.113.1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MarshalJSON() = %s, differs (-want +got):\n%s", b, diff)
	}
}

func TestMarshalJSONNoBody(t *testing.T) {
	for _, r := range []*record.Record{
		{},
		{Kind: record.KindNAT},
		{Kind: record.KindNAT, Session: &record.Session{}},
	} {
		if b, err := r.MarshalJSON(); err == nil {
			t.Errorf("MarshalJSON(%+v) = %s, want error", r, b)
		}
	}
}

func TestParseID(t *testing.T) {
	valid := []struct {
		in   string
		want record.ID
	}{
		{"nat:1042", record.ID{Kind: record.KindNAT, Seq: 1042}},
		{"session:1", record.ID{Kind: record.KindSession, Seq: 1}},
		{"raw:18446744073709551615", record.ID{Kind: record.KindRaw, Seq: 1<<64 - 1}},
	}
	for _, k := range record.Kinds {
		valid = append(valid, struct {
			in   string
			want record.ID
		}{k.String() + ":7", record.ID{Kind: k, Seq: 7}})
	}
	for _, tt := range valid {
		t.Run(tt.in, func(t *testing.T) {
			got, err := record.ParseID(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("ParseID(%q) = %v, %v, want %v, nil", tt.in, got, err, tt.want)
			}
			if s := got.String(); s != tt.in {
				t.Errorf("ParseID(%q).String() = %q, want %q", tt.in, s, tt.in)
			}
			var u record.ID
			if err := u.UnmarshalText([]byte(tt.in)); err != nil || u != tt.want {
				t.Errorf("UnmarshalText(%q) = %v, %v, want %v, nil", tt.in, u, err, tt.want)
			}
			if b, err := tt.want.MarshalText(); err != nil || string(b) != tt.in {
				t.Errorf("MarshalText(%v) = %q, %v, want %q, nil", tt.want, b, err, tt.in)
			}
		})
	}
	for _, in := range []string{
		"", "nat", "nat:", ":1", "nat:0", "nat:-1", "nat:+1", "nat:1.5", "nat:0x10", "nat:1:2", "NAT:1",
		"nat :1", "nat: 1", "bogus:1", "kind(9):1", "nat:18446744073709551616",
	} {
		t.Run("error/"+in, func(t *testing.T) {
			if got, err := record.ParseID(in); err == nil {
				t.Errorf("ParseID(%q) = %v, want error", in, got)
			}
		})
	}
}

func TestKindText(t *testing.T) {
	for _, k := range record.Kinds {
		b, err := k.MarshalText()
		if err != nil {
			t.Fatalf("%d.MarshalText() = %v", k, err)
		}
		var got record.Kind
		if err := got.UnmarshalText(b); err != nil || got != k {
			t.Errorf("UnmarshalText(%q) = %v, %v, want %v", b, got, err, k)
		}
	}
	for _, k := range []record.Kind{0, 9, 255} {
		if b, err := k.MarshalText(); err == nil {
			t.Errorf("Kind(%d).MarshalText() = %q, want error", k, b)
		}
		if k.Valid() {
			t.Errorf("Kind(%d).Valid() = true, want false", k)
		}
	}
}

func TestNew(t *testing.T) {
	for _, k := range record.Kinds {
		r := record.New(k)
		if r.Kind != k || r.Validate() == nil {
			t.Errorf("New(%s) = kind %s; an empty record must not validate", k, r.Kind)
		}
		var n int
		for _, b := range []bool{r.Session != nil, r.NAT != nil, r.Registration != nil, r.Event != nil, r.Content != nil, r.Maintenance != nil, r.Audit != nil, r.Raw != nil} {
			if b {
				n++
			}
		}
		if n != 1 {
			t.Errorf("New(%s) has %d bodies, want 1", k, n)
		}
	}
}
