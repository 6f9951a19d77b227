package dialect

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/warden-ops/warden/internal/record"
)

// Helpers shared by the tests of the Fortinet, Palo Alto, MikroTik, Linux,
// VPP, 6WIND, NFWare and custom parsers.

// nmCmp compares records: netip values have unexported fields.
var nmCmp = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
}

// nmReceived is when the test messages arrived.
var nmReceived = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

const nmSource = "dev-1"

// msg returns a message with text and no parsed header.
func nmMsg(text string) Message {
	return Message{Received: nmReceived, Source: nmSource, Text: text}
}

// ip parses an address for a test table.
func nmIP(s string) netip.Addr { return netip.MustParseAddr(s) }

// natAt returns the NAT record a parser should give for an event at t.
func nmNAT(t time.Time, n record.NAT) *record.Record {
	return &record.Record{Kind: record.KindNAT, EventTime: t, ReceiveTime: nmReceived, Source: nmSource, NAT: &n}
}

// nmCase is one line and what a parser should make of it.
type nmCase struct {
	name string
	msg  Message
	want []*record.Record
	// notMine means the parser should decline the line.
	notMine bool
	// wantErr, if set, is part of the error the parser should return for
	// a malformed line.
	wantErr string
}

// nmRun runs a parser over a table, comparing every field of
// every record.
func nmRun(t *testing.T, newParser func() Parser, cases []nmCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.msg
			got, err := newParser().Parse(&m)
			switch {
			case tc.notMine:
				if !errors.Is(err, ErrNotMine) || got != nil {
					t.Fatalf("Parse(%q) = %v, %v; want nil, ErrNotMine", m.Text, got, err)
				}
				return
			case tc.wantErr != "":
				if err == nil || errors.Is(err, ErrNotMine) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want an error containing %q", m.Text, err, tc.wantErr)
				}
				if got != nil {
					t.Errorf("Parse(%q) records = %v, want none with an error", m.Text, got)
				}
				return
			case err != nil:
				t.Fatalf("Parse(%q) error = %v", m.Text, err)
			}
			if diff := cmp.Diff(tc.want, got, nmCmp); diff != "" {
				t.Errorf("Parse(%q) records (-want +got):\n%s", m.Text, diff)
			}
			for _, r := range got {
				if err := r.Validate(); err != nil {
					t.Errorf("record %+v does not validate: %v", r, err)
				}
			}
		})
	}
}

// nmFuzz checks that a parser never panics on any text and that what
// it returns is a valid record or an error, never both.
func nmFuzz(f *testing.F, newParser func() Parser, seeds []string) {
	for _, s := range seeds {
		f.Add(s)
	}
	loc := time.FixedZone("CST", 8*3600)
	f.Fuzz(func(t *testing.T, text string) {
		m := Message{Received: nmReceived, Time: nmReceived.Add(-time.Second), Source: nmSource, Text: text, Loc: loc}
		recs, err := newParser().Parse(&m)
		if err != nil {
			if recs != nil {
				t.Fatalf("Parse(%q) = %v with error %v", text, recs, err)
			}
			return
		}
		if len(recs) == 0 {
			t.Fatalf("Parse(%q) = no records and no error", text)
		}
		for _, r := range recs {
			if err := r.Validate(); err != nil {
				t.Fatalf("Parse(%q) gave an invalid record %+v: %v", text, r, err)
			}
		}
	})
}

// nmBench measures a parser on one line.
func nmBench(b *testing.B, p Parser, m Message) {
	b.ReportAllocs()
	b.SetBytes(int64(len(m.Text)))
	for b.Loop() {
		mm := m
		if _, err := p.Parse(&mm); err != nil {
			b.Fatal(err)
		}
	}
}

// nmBenchDecline measures how fast a parser turns a line of another format
// down, which it does for most lines it sees.
func nmBenchDecline(b *testing.B, p Parser, text string) {
	m := nmMsg(text)
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := p.Parse(&m); !errors.Is(err, ErrNotMine) {
			b.Fatal(err)
		}
	}
}

// nmOtherFormats are lines of other formats every parser must decline.
var nmOtherFormats = []struct{ name, text string }{
	{"openssh", "Accepted password for alice from 203.0.113.9 port 52113 ssh2"},
	{"juniper", `RT_FLOW_SESSION_CREATE: session created 10.0.0.1/51234->198.51.100.1/443 0x0 junos-https 203.0.113.1/40001->198.51.100.1/443 0x0 source rule r1 N/A N/A 6 p1 trust untrust 1 N/A(N/A) ge-0/0/1.0 UNKNOWN UNKNOWN UNKNOWN N/A N/A -1 N/A N/A N/A`},
	{"asa", "%ASA-6-305011: Built dynamic TCP translation from inside:10.1.1.2/51234 to outside:203.0.113.5/40001"},
	{"empty", ""},
	{"json", `{"kind":"nat","event":"create"}`},
}

func TestDeclineError(t *testing.T) {
	err := error(&decline{"x", "why"})
	if !errors.Is(err, ErrNotMine) {
		t.Errorf("errors.Is(%v, ErrNotMine) = false, want true", err)
	}
	if got, want := err.Error(), "not this format: x: why"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestScanKV(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [][2]string
	}{
		{`a=1 b="x y" c=z`, [][2]string{{"a", "1"}, {"b", "x y"}, {"c", "z"}}},
		{`devtype=Home & Office srcip=10.0.0.1`, [][2]string{{"devtype", "Home & Office"}, {"srcip", "10.0.0.1"}}},
		{`<189>date=2020-04-23 time=01:16:08`, [][2]string{{"date", "2020-04-23"}, {"time", "01:16:08"}}},
		{`msg="say \"hi\"" x=1`, [][2]string{{"msg", `say \"hi\"`}, {"x", "1"}}},
		{`k="unterminated`, [][2]string{{"k", "unterminated"}}},
		{`cs5Label=Policy Id act=close`, [][2]string{{"cs5Label", "Policy Id"}, {"act", "close"}}},
		{`noequals here`, nil},
		{`trailing=  `, [][2]string{{"trailing", ""}}},
	} {
		var got [][2]string
		scanKV(tc.in, func(k, v string) { got = append(got, [2]string{k, v}) })
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("scanKV(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestSplitCSV(t *testing.T) {
	for _, tc := range []struct {
		in      string
		max     int
		want    []string
		wantErr bool
	}{
		{"a,b,,c", 10, []string{"a", "b", "", "c"}, false},
		{`a,"b,c",d`, 10, []string{"a", "b,c", "d"}, false},
		{`"say ""hi""",x`, 10, []string{`say "hi"`, "x"}, false},
		{"a,b,c,d", 2, []string{"a", "b"}, false},
		{`a,"b`, 10, nil, true},
		{`a,"b"c`, 10, nil, true},
		{`a,"b"`, 10, []string{"a", "b"}, false},
	} {
		got, err := splitCSV(tc.in, make([]string, 0, tc.max))
		if (err != nil) != tc.wantErr {
			t.Errorf("splitCSV(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if tc.wantErr {
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("splitCSV(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestEpochTime(t *testing.T) {
	want := time.Date(2019, 5, 10, 18, 37, 47, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"1557513467", want},
		{"1557513467369", want.Add(369 * time.Millisecond)},
		{"1557513467369913", want.Add(369913 * time.Microsecond)},
		{"1557513467369913239", want.Add(369913239 * time.Nanosecond)},
		{"1557513467.5", want.Add(500 * time.Millisecond)},
		{"1557513467.123456789123", want.Add(123456789 * time.Nanosecond)},
	} {
		got, err := epochTime(tc.in)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("epochTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "x", "-5", "1.x", "99999999999", "12.3.4"} {
		if got, err := epochTime(in); err == nil {
			t.Errorf("epochTime(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseAddrPort(t *testing.T) {
	for _, tc := range []struct {
		in      string
		addr    string
		port    uint16
		wantErr bool
	}{
		{"10.0.0.1:80", "10.0.0.1", 80, false},
		{"[2001:db8::1]:443", "2001:db8::1", 443, false},
		{"2001:db8::1:4241", "2001:db8::1", 4241, false},
		{"::ffff:10.0.0.1:53", "10.0.0.1", 53, false},
		{"10.0.0.1", "", 0, true},
		{"10.0.0.1:99999", "", 0, true},
		{"[2001:db8::1]", "", 0, true},
		{"[fe80::1%eth0]:22", "", 0, true},
	} {
		a, p, err := parseAddrPort(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("parseAddrPort(%q) = %v, %d; want an error", tc.in, a, p)
			}
			continue
		}
		if err != nil || a != nmIP(tc.addr) || p != tc.port {
			t.Errorf("parseAddrPort(%q) = %v, %d, %v; want %s, %d", tc.in, a, p, err, tc.addr, tc.port)
		}
	}
}

func TestWithYear(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	stamp := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation(time.Stamp, s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ref := time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC) // 08:30 in CST
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"Jan  1 08:00:00", time.Date(2026, 1, 1, 8, 0, 0, 0, loc)},
		{"Dec 31 23:59:59", time.Date(2025, 12, 31, 23, 59, 59, 0, loc)},
		{"Jan  2 08:00:00", time.Date(2026, 1, 2, 8, 0, 0, 0, loc)}, // a clock a little ahead
	} {
		if got := withYear(stamp(tc.in), ref); !got.Equal(tc.want) {
			t.Errorf("withYear(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestNATFormatsMoreRegistered(t *testing.T) {
	for _, f := range natFormatsMore {
		got, err := Lookup(f.Name)
		if err != nil {
			t.Errorf("Lookup(%q): %v", f.Name, err)
			continue
		}
		if got.Vendor == "" || got.What == "" || got.New == nil || got.New() == nil {
			t.Errorf("format %q is incomplete: %+v", f.Name, got)
		}
	}
}

// TestNATMoreNoCrossClaims runs each parser over the other formats'
// samples: a source with no formats listed tries every built-in format in
// turn, so a parser must decline, not reject, a line of another format.
func TestNATMoreNoCrossClaims(t *testing.T) {
	samples := map[string][]string{
		fortiName: {fortiClose, fortiStat, fortiOld, fortiCEF, fortiHWOn, fortiPBA, fortiSniffer, fortiDeny, fortiUTM, fortiAdmin},
		paName:    {paEnd, paPing, paStartLog, paDrop, pa10Start, pa10End, pa10NoNAT},
		mtName:    {mtForward, mtUDP, mtPPPoE, mtEstablished, mtICMP, mtDNAT, mtHairpin, mtNoNAT},
		ctName:    {ctDestroyUDP, ctWeave, ctDNAT, ctNoNAT, ctStamped, ctUpdate, ctDump, ctICMP, ulogdFlow, ulogdJSONEnd, nfLogPacket},
		vppName:   {vppDoc, vppReal, vppAPM, vppDSLit, vpp64},
		swName:    {swNewConn, swDestroyConn, swNewBlock, swBlockAt, swVRFBlock, sw64Block, swNoPublic},
		nfName:    {nfSession, nfAddress, nfPort, nfBlock},
	}
	for _, f := range natFormatsMore {
		for other, lines := range samples {
			if other == f.Name {
				continue
			}
			for _, line := range lines {
				m := nmMsg(line)
				if recs, err := f.New().Parse(&m); !errors.Is(err, ErrNotMine) {
					t.Errorf("%s.Parse(%s line %q) = %v, %v; want ErrNotMine", f.Name, other, line, recs, err)
				}
			}
		}
	}
}
