package dialect

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/warden-ops/warden/internal/record"
)

// The worked examples of docs/formats.md live in testdata/custom: each
// <name>.yaml is a format and <name>.log lines of it. The doc must quote
// both verbatim, so what it shows is what is tested here.

// customExamples are the examples and what each line of their .log gives.
var customExamples = []struct {
	name string
	want []*record.Record
}{
	{"vasexperts-skat", []*record.Record{
		nmNAT(time.Unix(1795168798, 0).UTC(), record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoTCP,
			InsideAddr: nmIP("100.64.12.7"), InsidePort: 51234,
			OutsideAddr: nmIP("203.0.113.17"), OutsidePort: 40001,
			DestAddr: nmIP("93.184.216.34"), DestPort: 443,
		}),
		nmNAT(time.Unix(1795168921, 0).UTC(), record.NAT{
			Event: record.NATDelete, Protocol: record.ProtoTCP,
			InsideAddr: nmIP("100.64.12.7"), InsidePort: 51234,
			OutsideAddr: nmIP("203.0.113.17"), OutsidePort: 40001,
			DestAddr: nmIP("93.184.216.34"), DestPort: 443,
		}),
	}},
	{"acme-cgn", []*record.Record{
		nmNAT(time.Date(2026, 11, 20, 9, 59, 58, 0, time.UTC), record.NAT{
			Event: record.NATBlockAlloc, InsideAddr: nmIP("100.64.3.9"),
			OutsideAddr: nmIP("203.0.113.40"), OutsidePort: 2048, OutsidePortEnd: 2111,
			Device: "acme-cgn-1", Pool: "east",
		}),
		nmNAT(time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC), record.NAT{
			Event: record.NATBlockRelease, InsideAddr: nmIP("100.64.3.9"),
			OutsideAddr: nmIP("203.0.113.40"), OutsidePort: 2048, OutsidePortEnd: 2111,
			Device: "acme-cgn-1",
		}),
	}},
	{"campus-portal", []*record.Record{
		sessionAt(time.Date(2026, 11, 20, 9, 59, 58, 0, time.UTC), record.Session{
			Event: record.SessionLogin, Account: "alice", Addr: nmIP("10.20.0.7"), CallingStationID: "3c:22:fb:01:02:03",
		}),
		sessionAt(time.Date(2026, 11, 20, 11, 2, 11, 0, time.UTC), record.Session{
			Event: record.SessionLogout, Account: "alice", Addr: nmIP("10.20.0.7"), CallingStationID: "3c:22:fb:01:02:03",
		}),
	}},
}

func sessionAt(t time.Time, s record.Session) *record.Record {
	return &record.Record{Kind: record.KindSession, EventTime: t, ReceiveTime: nmReceived, Source: nmSource, Session: &s}
}

// loadCustom reads a Custom as the configuration would, refusing
// unknown keys.
func loadCustom(t testing.TB, b []byte) Custom {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var c Custom
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("decode custom format: %v", err)
	}
	return c
}

func readExample(t testing.TB, name, ext string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "custom", name+ext))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCustomExamples(t *testing.T) {
	for _, ex := range customExamples {
		t.Run(ex.name, func(t *testing.T) {
			p, err := NewCustom(loadCustom(t, readExample(t, ex.name, ".yaml")))
			if err != nil {
				t.Fatalf("NewCustom: %v", err)
			}
			lines := strings.Split(strings.TrimRight(string(readExample(t, ex.name, ".log")), "\n"), "\n")
			var got []*record.Record
			for _, line := range lines {
				m := nmMsg(line)
				m.Loc = nmCST
				recs, err := p.Parse(&m)
				if err != nil {
					t.Fatalf("Parse(%q): %v", line, err)
				}
				got = append(got, recs...)
			}
			if diff := cmp.Diff(ex.want, got, nmCmp); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			m := nmMsg(fortiClose)
			if _, err := p.Parse(&m); !errors.Is(err, ErrNotMine) {
				t.Errorf("Parse(a FortiGate line) error = %v, want ErrNotMine", err)
			}
		})
	}
}

func TestCustomExamplesInDoc(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "formats.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range customExamples {
		for _, ext := range []string{".yaml", ".log"} {
			if b := readExample(t, ex.name, ext); !bytes.Contains(doc, b) {
				t.Errorf("docs/formats.md does not quote testdata/custom/%s%s verbatim", ex.name, ext)
			}
		}
	}
	// Each example's first record, as JSON without source and receive
	// time, is one of the doc's json blocks.
	var shown []map[string]any
	for _, block := range strings.Split(string(doc), "```json\n")[1:] {
		var v map[string]any
		text, _, _ := strings.Cut(block, "```")
		if err := json.Unmarshal([]byte(text), &v); err != nil {
			t.Fatalf("docs/formats.md json block %q: %v", text, err)
		}
		shown = append(shown, v)
	}
	for _, ex := range customExamples {
		b, err := json.Marshal(ex.want[0])
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		delete(v, "source")
		delete(v, "received")
		if !slices.ContainsFunc(shown, func(s map[string]any) bool { return cmp.Equal(s, v) }) {
			t.Errorf("docs/formats.md does not show the %s example's first record %s", ex.name, b)
		}
	}
	for _, f := range natFormatsMore {
		if !bytes.Contains(doc, []byte("`"+f.Name+"`")) {
			t.Errorf("docs/formats.md does not describe built-in format %q", f.Name)
		}
	}
}

// validCustom returns a NAT format that NewCustom accepts, for the
// validation tests to break one thing at a time.
func validCustom() Custom {
	return Custom{
		Name:    "test-nat",
		Match:   "NAT ",
		Pattern: `NAT (?P<ev>\w+) (?P<in>\S+) -> (?P<out>\S+):(?P<port>\d+)(?: at (?P<at>\S+ \S+))?`,
		Kind:    "nat",
		Fields: map[string]string{
			"event": "{ev}", "inside_addr": "{in}", "outside_addr": "{out}", "outside_port": "{port}", "proto": "udp",
		},
		Events: map[string]string{"ADD": "create", "DEL": "delete"},
		Time:   CustomTime{Group: "at", Layout: "2006-01-02 15:04:05"},
	}
}

func TestNewCustomErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  func(c *Custom)
		wantErr string
	}{
		{"no name", func(c *Custom) { c.Name = "" }, "name is required"},
		{"built-in name", func(c *Custom) { c.Name = "fortigate" }, "built-in format"},
		{"unknown kind", func(c *Custom) { c.Kind = "audit" }, `kind "audit"`},
		{"no pattern", func(c *Custom) { c.Pattern = "" }, "pattern is required"},
		{"bad pattern", func(c *Custom) { c.Pattern = `(?P<x>` }, "compile pattern"},
		{"unknown field", func(c *Custom) { c.Fields["outside_ip"] = "{out}" }, `no field "outside_ip"`},
		{"field of another kind", func(c *Custom) { c.Fields["account"] = "{in}" }, `no field "account"`},
		{"group not in pattern", func(c *Custom) { c.Fields["dest_addr"] = "{dst}" }, `group "dst" is not in the pattern`},
		{"unclosed brace", func(c *Custom) { c.Fields["pool"] = "{in" }, "{ without }"},
		{"stray brace", func(c *Custom) { c.Fields["pool"] = "p}" }, "} without {"},
		{"empty template", func(c *Custom) { c.Fields["pool"] = "" }, "empty"},
		{"bad literal", func(c *Custom) { c.Fields["proto"] = "tcpx" }, "proto"},
		{"bad literal port", func(c *Custom) { c.Fields["dest_port"] = "http" }, "dest_port"},
		{"bad event name", func(c *Custom) { c.Events["ADD"] = "created" }, `"ADD" maps to unknown nat event "created"`},
		{"events for event records", func(c *Custom) {
			c.Kind = "event"
			c.Fields = map[string]string{"rule": "nat", "severity": "info"}
		}, "events: event records have no event field"},
		{"missing required field", func(c *Custom) { delete(c.Fields, "outside_addr") }, "need outside_addr"},
		{"time group not in pattern", func(c *Custom) { c.Time.Group = "when" }, `time: group "when"`},
		{"layout without group", func(c *Custom) { c.Time = CustomTime{Layout: "unix"} }, "without a group"},
		{"group without layout", func(c *Custom) { c.Time.Layout = "" }, "layout is required"},
		{"layout with no elements", func(c *Custom) { c.Time.Layout = "YYYY-MM-DD hh:mm:ss" }, "no time elements"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validCustom()
			tc.change(&c)
			p, err := NewCustom(c)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewCustom() = %v, %v; want an error containing %q", p, err, tc.wantErr)
			}
			if c.Name != "" && !strings.Contains(err.Error(), c.Name) {
				t.Errorf("error %q does not name the format %q", err, c.Name)
			}
		})
	}
	if _, err := NewCustom(validCustom()); err != nil {
		t.Fatalf("NewCustom(validCustom()) = %v", err)
	}
}

func TestCustomParse(t *testing.T) {
	newP := func(c Custom) func() Parser {
		p, err := NewCustom(c)
		if err != nil {
			t.Fatalf("NewCustom(%q): %v", c.Name, err)
		}
		return func() Parser { return p }
	}
	base := validCustom()
	local := func(text string) Message { m := nmMsg(text); m.Loc = nmCST; return m }
	headerAt := time.Date(2026, 11, 20, 17, 0, 0, 0, nmCST)
	withHeader := func(text string) Message { m := local(text); m.Time = headerAt; return m }
	nmRun(t, newP(base), []nmCase{
		{
			name: "mapped event, literal protocol, local time",
			msg:  local("NAT ADD 100.64.0.1 -> 203.0.113.1:1024 at 2026-11-20 17:59:58"),
			want: []*record.Record{nmNAT(time.Date(2026, 11, 20, 9, 59, 58, 0, time.UTC), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoUDP, InsideAddr: nmIP("100.64.0.1"),
				OutsideAddr: nmIP("203.0.113.1"), OutsidePort: 1024,
			})},
		},
		{
			name: "event name itself, no time group: header time",
			msg:  withHeader("NAT interim 100.64.0.1 -> 203.0.113.1:1024"),
			want: []*record.Record{nmNAT(headerAt.UTC(), record.NAT{
				Event: record.NATInterim, Protocol: record.ProtoUDP, InsideAddr: nmIP("100.64.0.1"),
				OutsideAddr: nmIP("203.0.113.1"), OutsidePort: 1024,
			})},
		},
		{
			name: "IPv4-mapped address is unmapped",
			msg:  local("NAT DEL ::ffff:100.64.0.1 -> 203.0.113.1:1024"),
			want: []*record.Record{nmNAT(nmReceived, record.NAT{
				Event: record.NATDelete, Protocol: record.ProtoUDP, InsideAddr: nmIP("100.64.0.1"),
				OutsideAddr: nmIP("203.0.113.1"), OutsidePort: 1024,
			})},
		},
		{name: "no match substring", msg: local("SNAT ADD"), notMine: true},
		{name: "pattern does not match", msg: local("NAT ADD 100.64.0.1"), notMine: true},
		{name: "unknown event text", msg: local("NAT MOD 100.64.0.1 -> 203.0.113.1:1024"), wantErr: `event: unknown nat event "MOD"`},
		{name: "bad address", msg: local("NAT ADD 100.64.0 -> 203.0.113.1:1024"), wantErr: "inside_addr"},
		{name: "bad port", msg: local("NAT ADD 100.64.0.1 -> 203.0.113.1:70000"), wantErr: "outside_port"},
		{name: "bad time", msg: local("NAT ADD 100.64.0.1 -> 203.0.113.1:1 at 2026-13-01 00:00:00"), wantErr: "time"},
	})

	// Session and event records, escaped braces, a stamp without a year,
	// milliseconds, and a record that only Validate can refuse.
	sess := Custom{
		Name: "test-session", Kind: "session",
		Pattern: `^(?P<at>\w{3} [ \d]\d \d\d:\d\d:\d\d) (?P<ev>start|stop) (?P<user>\S+) (?P<ip>\S+)(?: (?P<pfx>\S+/\d+))?(?: in=(?P<in>\d+))?`,
		Fields: map[string]string{
			"event": "{ev}", "account": "{{{user}}}", "addr": "{ip}", "ipv6_prefix": "{pfx}", "input_octets": "{in}",
			"nas_port_id": "port-{user}",
		},
		Time: CustomTime{Group: "at", Layout: time.Stamp},
	}
	nmRun(t, newP(sess), []nmCase{
		{
			name: "year from the receive time, braces escaped",
			msg:  local("Nov 20 17:59:58 start bob 10.0.0.9 2001:db8:1::/56 in=1234"),
			want: []*record.Record{sessionAt(time.Date(2026, 11, 20, 9, 59, 58, 0, time.UTC), record.Session{
				Event: record.SessionStart, Account: "{bob}", Addr: nmIP("10.0.0.9"),
				IPv6Prefix: netip.MustParsePrefix("2001:db8:1::/56"), InputOctets: 1234, NASPortID: "port-bob",
			})},
		},
		{
			name: "December stamp received in November is last year's",
			msg:  local("Dec 31 23:00:00 stop bob 10.0.0.9"),
			want: []*record.Record{sessionAt(time.Date(2025, 12, 31, 15, 0, 0, 0, time.UTC), record.Session{
				Event: record.SessionStop, Account: "{bob}", Addr: nmIP("10.0.0.9"), NASPortID: "port-bob",
			})},
		},
		{name: "prefix with host bits", msg: local("Nov 20 17:59:58 start bob 10.0.0.9 2001:db8:1::1/56"), wantErr: "ipv6_prefix"},
	})
	ev := Custom{
		Name: "test-event", Kind: "event",
		Pattern: `^(?P<ms>\d+) blocked (?P<src>\S+) -> (?P<dst>\S+):(?P<port>\d+)$`,
		Fields:  map[string]string{"rule": "blocked", "severity": "low", "src_addr": "{src}", "dst_addr": "{dst}", "dst_port": "{port}"},
		Time:    CustomTime{Group: "ms", Layout: "unixms"},
	}
	nmRun(t, newP(ev), []nmCase{
		{
			name: "event record, Unix milliseconds",
			msg:  local("1795168798250 blocked 10.0.0.9 -> 198.51.100.7:25"),
			want: []*record.Record{{
				Kind: record.KindEvent, EventTime: time.UnixMilli(1795168798250).UTC(), ReceiveTime: nmReceived, Source: nmSource,
				Event: &record.Event{Rule: "blocked", Severity: record.SeverityLow, SrcAddr: nmIP("10.0.0.9"), DstAddr: nmIP("198.51.100.7"), DstPort: 25},
			}},
		},
		{name: "time out of range", msg: local("99999999999999999 blocked 10.0.0.9 -> 198.51.100.7:25"), wantErr: "time"},
	})
	rng := base
	rng.Pattern = `NAT (?P<ev>\w+) (?P<in>\S+) -> (?P<out>\S+):(?P<port>\d+)-(?P<end>\d+)`
	rng.Fields = map[string]string{"event": "{ev}", "inside_addr": "{in}", "outside_addr": "{out}", "outside_port": "{port}", "outside_port_end": "{end}"}
	rng.Events = map[string]string{"ADD": "block-alloc"}
	rng.Time = CustomTime{}
	nmRun(t, newP(rng), []nmCase{
		{name: "reversed range fails validation", msg: local("NAT ADD 100.64.0.1 -> 203.0.113.1:2000-1000"), wantErr: "outside_port_end"},
	})
}

// TestCustomFieldsCoverRecord checks that a custom format can set every
// field of the kinds it makes, under its JSON name.
func TestCustomFieldsCoverRecord(t *testing.T) {
	for kind, body := range map[record.Kind]any{
		record.KindNAT: record.NAT{}, record.KindSession: record.Session{}, record.KindEvent: record.Event{},
	} {
		typ := reflect.TypeOf(body)
		var want []string
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			want = append(want, name)
		}
		for _, name := range want {
			if _, ok := customFields[kind][name]; !ok {
				t.Errorf("%s field %q has no setter", kind, name)
			}
		}
		if len(customFields[kind]) != len(want) {
			t.Errorf("%s: %d setters for %d fields", kind, len(customFields[kind]), len(want))
		}
	}
}

func FuzzCustomParse(f *testing.F) {
	var parsers []Parser
	var seeds []string
	for _, ex := range customExamples {
		p, err := NewCustom(loadCustom(f, readExample(f, ex.name, ".yaml")))
		if err != nil {
			f.Fatal(err)
		}
		parsers = append(parsers, p)
		seeds = append(seeds, strings.Split(strings.TrimSpace(string(readExample(f, ex.name, ".log"))), "\n")...)
	}
	nmFuzz(f, func() Parser { return Chain(parsers) }, seeds)
}

func BenchmarkCustomParse(b *testing.B) {
	p, err := NewCustom(loadCustom(b, readExample(b, "vasexperts-skat", ".yaml")))
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(readExample(b, "vasexperts-skat", ".log")), "\n")
	nmBench(b, p, nmMsg(line))
}

func BenchmarkCustomDecline(b *testing.B) {
	p, err := NewCustom(loadCustom(b, readExample(b, "acme-cgn", ".yaml")))
	if err != nil {
		b.Fatal(err)
	}
	nmBenchDecline(b, p, fortiClose)
}
