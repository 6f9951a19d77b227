package dialect_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/warden-ops/warden/internal/dialect"
	"github.com/warden-ops/warden/internal/record"
)

// The login parser tests share these helpers; their names start with
// login so that they cannot collide with the NAT parsers' tests.

// loginZone is the devices' zone: a header time without a zone has been
// read in it by the syslog layer.
var loginZone = time.FixedZone("CST", 8*3600)

var (
	loginReceived = time.Date(2026, 3, 1, 1, 30, 2, 0, time.UTC)
	loginHeader   = time.Date(2026, 3, 1, 9, 30, 0, 0, loginZone)
)

// loginCmpOpts compares records field by field: addresses and prefixes by
// value, times by instant.
var loginCmpOpts = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
}

// loginMsg returns a message as the syslog layer hands it over: header
// time, program name (empty when the header was stripped) and body.
func loginMsg(app, text string) *dialect.Message {
	return &dialect.Message{
		Received: loginReceived, Time: loginHeader, Host: "host-1", App: app, Text: text,
		Source: "src-1", Loc: loginZone,
	}
}

// loginSession returns the session record a parser should make from a
// loginMsg message, at the header time.
func loginSession(s record.Session) *record.Record {
	return &record.Record{
		Kind: record.KindSession, EventTime: loginHeader.UTC(), ReceiveTime: loginReceived, Source: "src-1",
		Session: &s,
	}
}

// loginEvent returns the event record a parser should make from a loginMsg
// message, at the header time.
func loginEvent(e record.Event) *record.Record {
	return &record.Record{
		Kind: record.KindEvent, EventTime: loginHeader.UTC(), ReceiveTime: loginReceived, Source: "src-1",
		Event: &e,
	}
}

// loginAddr parses an address for a want record.
func loginAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// errLoginMalformed stands, in a test case, for any error that is not
// ErrNotMine: the line is in the format but cannot be read.
var errLoginMalformed = errors.New("malformed")

// loginCase is one line for one parser and what it should return.
type loginCase struct {
	name    string
	msg     *dialect.Message
	want    []*record.Record
	wantErr error // nil, dialect.ErrNotMine or errLoginMalformed
}

// loginParser returns a new parser of the built-in format name.
func loginParser(t testing.TB, name string) dialect.Parser {
	t.Helper()
	f, err := dialect.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return f.New()
}

// runLoginCases runs the cases against a new parser of format each.
func runLoginCases(t *testing.T, format string, cases []loginCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := loginParser(t, format)
			got, err := p.Parse(tc.msg)
			switch tc.wantErr {
			case nil:
				if err != nil {
					t.Fatalf("Parse(%q, %q) error = %v, want nil", tc.msg.App, tc.msg.Text, err)
				}
			case dialect.ErrNotMine:
				if !errors.Is(err, dialect.ErrNotMine) {
					t.Fatalf("Parse(%q, %q) error = %v, want ErrNotMine", tc.msg.App, tc.msg.Text, err)
				}
			case errLoginMalformed:
				if err == nil || errors.Is(err, dialect.ErrNotMine) {
					t.Fatalf("Parse(%q, %q) error = %v, want a malformed-line error", tc.msg.App, tc.msg.Text, err)
				}
			}
			if diff := cmp.Diff(tc.want, got, loginCmpOpts); diff != "" {
				t.Errorf("Parse(%q, %q) records mismatch (-want +got):\n%s", tc.msg.App, tc.msg.Text, diff)
			}
			for _, r := range got {
				if err := r.Validate(); err != nil {
					t.Errorf("Parse(%q, %q) returned an invalid record: %v", tc.msg.App, tc.msg.Text, err)
				}
			}
		})
	}
}

// loginCheckFuzz is the property every login parser's fuzz target checks:
// no panic; records only without an error, and then at least one; every
// record valid.
func loginCheckFuzz(t *testing.T, p dialect.Parser, app, text string) {
	m := loginMsg(app, text)
	recs, err := p.Parse(m)
	if err != nil {
		if recs != nil {
			t.Fatalf("Parse(%q, %q) = %v records and error %v", app, text, len(recs), err)
		}
		return
	}
	if len(recs) == 0 {
		t.Fatalf("Parse(%q, %q) = no records, no error", app, text)
	}
	for _, r := range recs {
		if err := r.Validate(); err != nil {
			t.Fatalf("Parse(%q, %q) returned an invalid record: %v\n%+v", app, text, err, r)
		}
	}
}

// loginFormatCases lists every login format with its test cases.
func loginFormatCases() map[string][]loginCase {
	return map[string][]loginCase{
		"openssh":         openSSHCases(),
		"pam":             pamCases(),
		"dovecot":         dovecotCases(),
		"postfix-sasl":    postfixCases(),
		"cisco-asa-vpn":   asaVPNCases(),
		"mikrotik-login":  mikrotikCases(),
		"paloalto-userid": panUserIDCases(),
	}
}

// loginOtherLines are lines of formats no login parser reads.
var loginOtherLines = []*dialect.Message{
	loginMsg("", `<14>1 2026-03-01T09:30:00+08:00 srx - RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.40 source-address="10.0.0.2"] session created`),
	loginMsg("RT_FLOW", `RT_FLOW_SESSION_CREATE: session created 10.0.0.2/51000->93.184.216.34/443 0x0 junos-https 203.0.113.1/40000->93.184.216.34/443 0x0 source rule r1 N/A N/A 6 1 trust untrust 12345 N/A(N/A) ge-0/0/1.0 UNKNOWN UNKNOWN UNKNOWN N/A N/A -1 N/A N/A N/A`),
	loginMsg("%ASA-6-305011", `Built dynamic TCP translation from inside:10.0.0.2/51000 to outside:203.0.113.1/40000`),
	loginMsg("", `date=2026-03-01 time=09:30:00 devname="FG100F" logid="0000000013" type="traffic" subtype="forward" srcip=10.0.0.2 srcport=51000 dstip=93.184.216.34 dstport=443 transip=203.0.113.1 transport=40000 action="close"`),
	loginMsg("", `firewall,info srcnat: in:ether2 out:ether1, proto TCP (SYN), 10.0.0.2:51000->93.184.216.34:443, NAT (10.0.0.2:51000->203.0.113.1:51000)->93.184.216.34:443, len 60`),
	loginMsg("", `1,2017/07/13 20:39:44,0009C101317,TRAFFIC,end,1,2017/07/13 20:39:44,10.183.12.108,10.183.51.49,0.0.0.0,0.0.0.0,USERID,,sumo\mkwan,msrpc,vsys1,ENG_USER,ENG_INFRA,ivlan_712,ivlan_751,Syslog,2017/07/13 20:39:44,1070831,1,65123,135,0,0,0x0,tcp,allow,1194,644,550,12,1,40,any,0,3297977305,0x0`),
	loginMsg("sudo", `vagrant : TTY=pts/0 ; PWD=/home/vagrant ; USER=root ; COMMAND=/bin/ls`),
	loginMsg("kernel", `[12345.678] IN=eth0 OUT= MAC=00:11 SRC=203.0.113.9 DST=192.0.2.1 LEN=60 PROTO=TCP SPT=40000 DPT=22`),
	loginMsg("", ``),
	loginMsg("", `: `),
	loginMsg("", `%`),
}

// TestLoginFormatsDeclineOthers checks that each login parser turns down,
// with ErrNotMine, every line the other login formats read and lines of
// NAT formats: these parsers share sources and chains, and one that took
// another's line, or called it malformed, would hide it from the right
// parser.
func TestLoginFormatsDeclineOthers(t *testing.T) {
	all := loginFormatCases()
	for format := range all {
		t.Run(format, func(t *testing.T) {
			p := loginParser(t, format)
			check := func(m *dialect.Message) {
				t.Helper()
				recs, err := p.Parse(m)
				if !errors.Is(err, dialect.ErrNotMine) {
					t.Errorf("Parse(%q, %q) = %d records, error %v; want ErrNotMine", m.App, m.Text, len(recs), err)
				}
			}
			for other, cases := range all {
				if other == format {
					continue
				}
				for _, tc := range cases {
					if tc.want != nil {
						check(tc.msg)
					}
				}
			}
			for _, m := range loginOtherLines {
				check(m)
			}
		})
	}
}

// TestLoginFormatsRegistered checks the registry entries of the login
// formats, and that no other format has their names.
func TestLoginFormatsRegistered(t *testing.T) {
	seen := map[string]int{}
	for _, f := range dialect.Formats() {
		seen[f.Name]++
	}
	for name := range loginFormatCases() {
		if seen[name] != 1 {
			t.Errorf("Formats() has %d formats named %q, want 1", seen[name], name)
		}
		f, err := dialect.Lookup(name)
		if err != nil {
			t.Errorf("Lookup(%q) error = %v", name, err)
			continue
		}
		if f.Name != name || f.Vendor == "" || f.What == "" || f.New == nil {
			t.Errorf("Lookup(%q) = %+v, want name, vendor, what and constructor set", name, f)
		}
	}
}

// TestLoginNotMineReasons checks that a declined line says which format
// declined it, so that a raw record's reason is useful.
func TestLoginNotMineReasons(t *testing.T) {
	for name := range loginFormatCases() {
		_, err := loginParser(t, name).Parse(loginMsg("kernel", "eth0: link up"))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: Parse(kernel line) error = %v, want one naming %q", name, err, name)
		}
	}
}

// BenchmarkLoginDecline measures turning down a line of another program,
// what each login parser does for nearly every line it sees.
func BenchmarkLoginDecline(b *testing.B) {
	m := loginMsg("RT_FLOW", loginOtherLines[1].Text)
	for name := range loginFormatCases() {
		b.Run(name, func(b *testing.B) {
			p := loginParser(b, name)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Parse(m); err == nil {
					b.Fatal("parsed a NAT line")
				}
			}
		})
	}
}
