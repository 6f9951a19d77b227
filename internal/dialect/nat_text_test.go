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

// natTestReceived is when the test messages were received; BSD syslog
// times without a year take theirs from it.
var natTestReceived = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// natTestSource is the source the test messages come from.
const natTestSource = "dev1"

// natCmp compares records: netip.Addr has unexported fields.
var natCmp = cmp.Options{cmp.Comparer(func(a, b netip.Addr) bool { return a == b })}

// natMsg is a message whose header the collector stripped, or could not
// parse and left in the text.
func natMsg(text string) Message {
	return Message{Received: natTestReceived, Source: natTestSource, Text: text}
}

// natWant is the record a parser must return for a message received as
// natMsg makes it, at event time t.
func natWant(t time.Time, n record.NAT) *record.Record {
	return &record.Record{Kind: record.KindNAT, EventTime: t, ReceiveTime: natTestReceived, Source: natTestSource, NAT: &n}
}

func natAddrT(s string) netip.Addr { return netip.MustParseAddr(s) }

// natCase is one message and what a parser makes of it: records, or an
// error that is ErrNotMine (notMine) or another error holding errHas.
type natCase struct {
	name    string
	msg     Message
	want    []*record.Record
	notMine bool
	errHas  string
}

// runNATCases runs each case with a fresh parser from newParser, or, when
// shared is true, with one parser for all cases in order (for parsers
// that join messages).
func runNATCases(t *testing.T, newParser func() Parser, shared bool, cases []natCase) {
	t.Helper()
	p := newParser()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !shared {
				p = newParser()
			}
			m := c.msg
			got, err := p.Parse(&m)
			switch {
			case c.notMine:
				if !errors.Is(err, ErrNotMine) {
					t.Fatalf("Parse(%q) = %v, %v, want ErrNotMine", m.Text, natDump(got), err)
				}
				if got != nil {
					t.Errorf("Parse(%q) returned records with ErrNotMine: %v", m.Text, natDump(got))
				}
				return
			case c.errHas != "":
				if err == nil || errors.Is(err, ErrNotMine) || !strings.Contains(err.Error(), c.errHas) {
					t.Fatalf("Parse(%q) = %v, %v, want an error holding %q", m.Text, natDump(got), err, c.errHas)
				}
				if got != nil {
					t.Errorf("Parse(%q) returned records with an error: %v", m.Text, natDump(got))
				}
				return
			case err != nil:
				t.Fatalf("Parse(%q) error: %v", m.Text, err)
			}
			if diff := cmp.Diff(got, c.want, natCmp); diff != "" {
				t.Errorf("Parse(%q) records (-got +want):\n%s", m.Text, diff)
			}
			for _, r := range got {
				if err := r.Validate(); err != nil {
					t.Errorf("Parse(%q) record %v does not validate: %v", m.Text, natDump([]*record.Record{r}), err)
				}
			}
		})
	}
}

// natDump formats records for failure messages.
func natDump(recs []*record.Record) string {
	var b strings.Builder
	for _, r := range recs {
		if r.NAT == nil {
			b.WriteString("{non-NAT record}")
			continue
		}
		b.WriteString(r.EventTime.Format(time.RFC3339Nano) + " ")
		b.WriteString(strings.TrimSpace(strings.ReplaceAll(cmp.Diff(nil, r.NAT, natCmp), "\n", " ")))
		b.WriteString("; ")
	}
	return b.String()
}

// natFuzz checks a parser on arbitrary text: it must not panic, must not
// return records with an error, and every record it returns must
// validate. The text is split into lines fed to one parser in turn, so
// that joining parsers see builds and teardowns together.
func natFuzz(f *testing.F, newParser func() Parser, seeds []string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p := newParser()
		for line := range strings.SplitSeq(text, "\n") {
			m := natMsg(line)
			m.Loc = time.FixedZone("UTC+8", 8*3600)
			recs, err := p.Parse(&m)
			if err != nil && recs != nil {
				t.Fatalf("Parse(%q) = %d records and error %v", line, len(recs), err)
			}
			for _, r := range recs {
				if r.ReceiveTime.IsZero() {
					r.ReceiveTime = natTestReceived
				}
				if err := r.Validate(); err != nil {
					t.Fatalf("Parse(%q) record does not validate: %v", line, err)
				}
			}
		}
	})
}

// natOtherLines are lines of other formats that every NAT parser here
// must decline, apart from its own.
var natOtherLines = map[string]string{
	"juniper": `<14>1 2019-04-12T14:29:06.576Z cixi RT_FLOW - RT_FLOW_SESSION_CLOSE [junos@2636.1.1.1.2.40 reason="TCP FIN" source-address="10.3.255.203" source-port="47776" destination-address="67.43.156.15" destination-port="80" nat-source-address="10.3.136.49" nat-source-port="19162" protocol-id="6"]`,
	"asa":     `<166>%ASA-6-302013: Built outbound TCP connection 7777 for outside:104.31.70.170/80 (104.31.70.170/80) to inside:192.168.1.5/44292 (192.168.10.176/13840)`,
	"ios":     `<14>123456789: HOSTNAME: May 21 12:00:01.123 gmt: %IOSXE-6-PLATFORM: F0: cpp_cp: QFP:0.0 Thread:105 TS:00000000000000 %NAT-6-LOG_TRANSLATION: Created Translation UDP 192.168.0.11:44593 192.168.0.11:21129 192.168.0.11:53 192.168.0.11:53 0................`,
	"xr":      `<134>1 2011 May 31 10:30:45 cgn-xr1 - - NAT44 - [UserbasedA - 10.0.0.1 Broadband - 100.1.1.1 - 2048 3071]`,
	"a10":     `<135> May  7 00:00:00.00 cgn0.thn2/cgn-demo CEF:0|A10|CFW|6.0.0-P1|CGN 100|Nat Port Allocated|5|proto=ICMP src=100.65.161.0 spt=48856 sourceTranslatedAddress=99.99.99.13 sourceTranslatedPort=48856 dst=8.8.8.8 dpt=0`,
	"f5":      `test LSN_ADD 100.64.23.122%0:40000 6 194.15.97.34%0:50000 93.184.216.34 443`,
	"huawei":  `2020-09-09 10:05:11 FW-OUT-01 %%01SECLOG/6/SESSION_TEARDOWN(l):IPVer=4,Protocol=udp,SourceIP=10.123.169.167,DestinationIP=8.8.8.8,SourcePort=52451,DestinationPort=53,SourceNatIP=84.10.61.54,SourceNatPort=3711,BeginTime=1599645876,EndTime=1599645911,CloseReason=aged-out.`,
	"h3c":     `<6> Dec 01 16:15:43 2019 FW-F1050 %%10session/6/SESSION_IPV4_FLOW: Protocol(1001)=TCP;SrcIPAddr(1003)=192.168.187.12;SrcPort(1004)=40912;NatSrcIPAddr(1005)=112.35.18.188;NatSrcPort(1006)=9460;DstIPAddr(1007)=47.95.12.238;DstPort(1008)=80;BeginTime_e(1013)=12012019081543;EndTime_e(1014)=;Event(1048)=(8)Session created;`,
	"sshd":    `Nov 21 11:59:00 host1 sshd[1234]: Accepted password for root from 192.0.2.15 port 54322 ssh2`,
	"forti":   `date=2020-04-23 time=01:16:08 devname="fw" devid="FG100E" logid="0000000013" type="traffic" subtype="forward" srcip=10.0.0.1 srcport=1234 transip=203.0.113.1 transport=4321`,
	"empty":   ``,
}

// natOtherCases returns cases declining natOtherLines, except own.
func natOtherCases(own ...string) []natCase {
	var cases []natCase
	for _, name := range []string{"juniper", "asa", "ios", "xr", "a10", "f5", "huawei", "h3c", "sshd", "forti", "empty"} {
		skip := false
		for _, o := range own {
			skip = skip || o == name
		}
		if !skip {
			cases = append(cases, natCase{name: "other " + name, msg: natMsg(natOtherLines[name]), notMine: true})
		}
	}
	return cases
}

// natBench benchmarks a parser on a line of its own and on a line of
// another format.
func natBench(b *testing.B, newParser func() Parser, mine []string, other string) {
	b.Run("mine", func(b *testing.B) {
		p := newParser()
		msgs := make([]Message, len(mine))
		n := 0
		for i, s := range mine {
			msgs[i] = natMsg(s)
			n += len(s)
		}
		b.SetBytes(int64(n / len(mine)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m := &msgs[i%len(msgs)]
			i++
			if _, err := p.Parse(m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("other", func(b *testing.B) {
		p := newParser()
		m := natMsg(other)
		b.SetBytes(int64(len(other)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Parse(&m); !errors.Is(err, ErrNotMine) {
				b.Fatal(err)
			}
		}
	})
}

func TestNATDeviceTime(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	tests := []struct {
		name, in string
		loc      *time.Location
		want     time.Time
		n        int
	}{
		{"rfc3339 zone", "2019-11-14T09:37:51.184+01:00 SRX", nil, time.Date(2019, 11, 14, 8, 37, 51, 184e6, time.UTC), 29},
		{"rfc3339 Z", "2019-04-12T14:29:06.576Z cixi", nil, time.Date(2019, 4, 12, 14, 29, 6, 576e6, time.UTC), 24},
		{"rfc3339 no zone", "2013-01-19T15:18:17.040 SRX100HM", shanghai, time.Date(2013, 1, 19, 7, 18, 17, 40e6, time.UTC), 23},
		{"huawei", "2020-09-09 10:05:11 FW-OUT-01", shanghai, time.Date(2020, 9, 9, 2, 5, 11, 0, time.UTC), 19},
		{"juniper mx", "2026-07-19 16:13:02: CGN-KTA", nil, time.Date(2026, 7, 19, 16, 13, 2, 0, time.UTC), 19},
		{"comware v5 bracket", "2005/07/07 04:20:03-0000/00/00", nil, time.Date(2005, 7, 7, 4, 20, 3, 0, time.UTC), 19},
		{"asa year first", "Mar 02 2015 08:54:14 asa", nil, time.Date(2015, 3, 2, 8, 54, 14, 0, time.UTC), 20},
		{"huawei with offset", "Mar 26 2022 17:06:48+03:00 DST", nil, time.Date(2022, 3, 26, 14, 6, 48, 0, time.UTC), 26},
		{"h3c year after", "Dec 01 16:15:43 2019 GB-ZWY", shanghai, time.Date(2019, 12, 1, 8, 15, 43, 0, time.UTC), 20},
		{"comware v5 centiseconds", "Jul 7 04:20:04:72 2005 Sysname", nil, time.Date(2005, 7, 7, 4, 20, 4, 720e6, time.UTC), 22},
		{"bsd", "Nov 18 09:56:58  INTERNET-ROUTER", nil, time.Date(2026, 11, 18, 9, 56, 58, 0, time.UTC), 15},
		{"bsd padded day", "May  7 00:00:00.00 cgn0", nil, time.Date(2026, 5, 7, 0, 0, 0, 0, time.UTC), 18},
		{"bsd december in january", "Dec 31 23:59:59 x", nil, time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC), 15},
		{"ios gmt", "May 21 12:00:01.123 gmt: %IOSXE", shanghai, time.Date(2026, 5, 21, 12, 0, 1, 123e6, time.UTC), 23},
		{"ios-xr", "2011 May 31 10:30:45 cgn", nil, time.Date(2011, 5, 31, 10, 30, 45, 0, time.UTC), 20},
		{"not a time", "10.123.169.1 x", nil, time.Time{}, 0},
		{"bad day", "Feb 30 2020 10:00:00", nil, time.Time{}, 0},
		{"bad hour", "2020-01-01 25:00:00", nil, time.Time{}, 0},
		{"year zero", "0000/00/00 00:00:00", nil, time.Time{}, 0},
		{"empty", "", nil, time.Time{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Message{Received: natTestReceived, Loc: tt.loc}
			if tt.name == "bsd december in january" {
				m.Received = time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC)
			}
			got, n := natDeviceTime(&m, tt.in)
			if !got.Equal(tt.want) || n != tt.n {
				t.Errorf("natDeviceTime(%q) = %v, %d, want %v, %d", tt.in, got, n, tt.want, tt.n)
			}
		})
	}
}

func TestNATDeviceTimeNoReceiveTime(t *testing.T) {
	// Without a receive time the year of a BSD time is unknown.
	m := Message{}
	if got, n := natDeviceTime(&m, "Nov 18 09:56:58 x"); n != 0 {
		t.Errorf("natDeviceTime without receive time = %v, %d, want none", got, n)
	}
}

func TestNATHeaderTimeAndHost(t *testing.T) {
	tests := []struct {
		name, head string
		host       string // m.Host
		wantTime   time.Time
		wantHost   string
	}{
		{"relay and device header", "Sep 9 11:56:41 10.123.169.1 2020-09-09 10:05:11 FW-OUT-01 ", "", time.Date(2020, 9, 9, 10, 5, 11, 0, time.UTC), "FW-OUT-01"},
		{"asa device id", "Mar 02 2015 08:54:14 asa : ", "", time.Date(2015, 3, 2, 8, 54, 14, 0, time.UTC), "asa"},
		{"pri glued to time", "<166>May 17 2023 03:04:28: ", "h", time.Date(2023, 5, 17, 3, 4, 28, 0, time.UTC), "h"},
		{"pri only", "<166>", "", time.Time{}, ""},
		{"app tag with pid", "Oct 10 2018 12:34:56 localhost CiscoASA[999]: ", "", time.Date(2018, 10, 10, 12, 34, 56, 0, time.UTC), "localhost"},
		{"rfc 5424 placeholders", "<134>1 2011 May 31 10:30:45 cgn-xr1 - - ", "", time.Date(2011, 5, 31, 10, 30, 45, 0, time.UTC), "cgn-xr1"},
		{"nil host", "", "-", time.Time{}, ""},
		{"comware v5", "%@250005%Jul 7 04:20:04:72 2005 Sysname ", "", time.Date(2005, 7, 7, 4, 20, 4, 720e6, time.UTC), "Sysname"},
		{"zone word is no host", "Mar 26 2022 17:06:48+03:00 DST ", "", time.Date(2022, 3, 26, 14, 6, 48, 0, time.UTC), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Message{Received: natTestReceived, Host: tt.host}
			if got := natHeaderTime(&m, tt.head); !got.Equal(tt.wantTime) {
				t.Errorf("natHeaderTime(%q) = %v, want %v", tt.head, got, tt.wantTime)
			}
			if got := natHostBefore(&m, tt.head); got != tt.wantHost {
				t.Errorf("natHostBefore(%q) = %q, want %q", tt.head, got, tt.wantHost)
			}
		})
	}
}

func TestNATParseHelpers(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want record.Protocol
		ok   bool
	}{{"TCP", record.ProtoTCP, true}, {"udp", record.ProtoUDP, true}, {"ICMPv6", record.ProtoICMPv6, true}, {"47", record.ProtoGRE, true}, {"256", 0, false}, {"", 0, false}, {"tcpx", 0, false}} {
		if got, ok := parseNATProto(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("parseNATProto(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for _, tt := range []struct {
		in   string
		want uint16
		ok   bool
	}{{"0", 0, true}, {"65535", 65535, true}, {"65536", 0, false}, {"-1", 0, false}, {"", 0, false}, {"123456", 0, false}} {
		if got, ok := parseNATPort(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("parseNATPort(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for _, tt := range []struct {
		in   string
		want netip.Addr
		ok   bool
	}{{"::ffff:10.0.0.1", natAddrT("10.0.0.1"), true}, {"2001:db8::1", natAddrT("2001:db8::1"), true}, {"fe80::1%eth0", netip.Addr{}, false}, {"10.0.0.256", netip.Addr{}, false}} {
		if got, ok := parseNATAddr(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("parseNATAddr(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if a, p, ok := splitNATAddrPort("2001:db8::1:443", ':'); a != natAddrT("2001:db8::1") || p != 443 || !ok {
		t.Errorf("splitNATAddrPort(IPv6) = %v, %v, %v", a, p, ok)
	}
}

func TestNATFormatsRegistered(t *testing.T) {
	for _, name := range []string{"juniper-srx", "juniper-mx", "cisco-asa", "cisco-ios", "cisco-iosxr-cgn", "a10-cgn", "f5-lsn", "huawei", "h3c"} {
		t.Run(name, func(t *testing.T) {
			f, err := Lookup(name)
			if err != nil {
				t.Fatalf("Lookup(%q): %v", name, err)
			}
			if f.Vendor == "" || f.What == "" || f.New == nil || f.New() == nil {
				t.Errorf("Lookup(%q) = %+v, want Vendor, What and New", name, f)
			}
		})
	}
}
