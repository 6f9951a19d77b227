package syslog

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/warden-ops/warden/internal/dialect"
)

// testRecv is the receive time of the table tests.
var testRecv = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

// cst is the zone the test devices are in (China Standard Time).
var cst = time.FixedZone("CST", 8*3600)

func cstLoc(netip.Addr) *time.Location { return cst }

// decodeString parses s as the server would, received at recv from a
// device in CST.
func decodeString(s string, recv time.Time) (dialect.Message, error) {
	var m dialect.Message
	err := newParser().decode(&m, []byte(s), recv, cstLoc, testPeer)
	return m, err
}

func TestDecode(t *testing.T) {
	at := func(year, month, day, hour, min, sec, nsec int, loc *time.Location) time.Time {
		return time.Date(year, time.Month(month), day, hour, min, sec, nsec, loc)
	}
	utc, plus8 := time.UTC, time.FixedZone("", 8*3600)
	tests := []struct {
		name    string
		in      string
		want    dialect.Message
		wantErr bool
	}{
		{
			name: "rfc5424 with structured data",
			in:   `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event log entry...`,
			want: dialect.Message{
				Time: at(2003, 10, 11, 22, 14, 15, 3e6, utc), Host: "mymachine.example.com", App: "evntslog", MsgID: "ID47",
				SDID: "exampleSDID@32473", Params: map[string]string{"iut": "3", "eventSource": "Application", "eventID": "1011"},
				Text: "An application event log entry...",
			},
		},
		{
			name: "juniper rt_flow structured",
			in:   `<14>1 2026-10-11T22:14:15.123+08:00 srx-01 RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.40 source-address="10.0.0.1" source-port="59813" nat-source-address="198.51.100.7" nat-source-port="40001" src-nat-rule-type="source rule" encrypted="No "] session created 10.0.0.1/59813->203.0.113.5/443`,
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 123e6, plus8), Host: "srx-01", App: "RT_FLOW", MsgID: "RT_FLOW_SESSION_CREATE",
				SDID: "junos@2636.1.1.1.2.40",
				Params: map[string]string{"source-address": "10.0.0.1", "source-port": "59813", "nat-source-address": "198.51.100.7",
					"nat-source-port": "40001", "src-nat-rule-type": "source rule", "encrypted": "No "},
				Text: "session created 10.0.0.1/59813->203.0.113.5/443",
			},
		},
		{
			name: "rfc5424 nil values, escapes, BOM",
			in:   "<13>1 - - - - - [a@1 b=\"c\\\"d\\]e\\\\f\\g\"] \xef\xbb\xbfbody",
			want: dialect.Message{SDID: "a@1", Params: map[string]string{"b": `c"d]e\f\g`}, Text: "body"},
		},
		{
			name: "rfc5424 typographic quotes from junos apptrack",
			in:   `<14>1 2026-10-11T22:14:15Z srx RT_FLOW - APPTRACK_SESSION_CLOSE [junos@2636.1.1.1.2.129 destination-interface-name=”st0.0” reason="TCP FIN"] x`,
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 0, utc), Host: "srx", App: "RT_FLOW", MsgID: "APPTRACK_SESSION_CLOSE",
				SDID: "junos@2636.1.1.1.2.129", Params: map[string]string{"destination-interface-name": "”st0.0”", "reason": "TCP FIN"},
				Text: "x",
			},
		},
		{
			name: "rfc5424 broken structured data kept in text",
			in:   `<14>1 2026-10-11T22:14:15Z srx RT_FLOW - X [junos@2636 a="unterminated] x`,
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 0, utc), Host: "srx", App: "RT_FLOW", MsgID: "X",
				Text: `[junos@2636 a="unterminated] x`,
			},
		},
		{
			name: "rfc5424 zone-less time read in device zone",
			in:   `<13>1 2026-10-11T22:14:15 host app - - - x`,
			want: dialect.Message{Time: at(2026, 10, 11, 22, 14, 15, 0, cst), Host: "host", App: "app", Text: "x"},
		},
		{
			name: "rfc3164 sshd login",
			in:   "<38>Oct 11 22:14:15 bastion sshd[1234]: Accepted password for alice from 10.0.0.1 port 5555 ssh2",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 0, cst), Host: "bastion", App: "sshd",
				Text: "Accepted password for alice from 10.0.0.1 port 5555 ssh2",
			},
		},
		{
			name: "rfc3164 dovecot and day padded with space",
			in:   "<22>Oct  1 22:14:15 mail dovecot: imap-login: Login: user=<bob>, method=PLAIN, rip=10.0.0.2",
			want: dialect.Message{
				Time: at(2026, 10, 1, 22, 14, 15, 0, cst), Host: "mail", App: "dovecot",
				Text: "imap-login: Login: user=<bob>, method=PLAIN, rip=10.0.0.2",
			},
		},
		{
			name: "rfc3164 day without padding, postfix tag with slash",
			in:   "<22>Oct 1 22:14:15 mail postfix/smtpd[99]: 4F2A: client=x[10.0.0.3], sasl_method=PLAIN, sasl_username=carol",
			want: dialect.Message{
				Time: at(2026, 10, 1, 22, 14, 15, 0, cst), Host: "mail", App: "postfix/smtpd",
				Text: "4F2A: client=x[10.0.0.3], sasl_method=PLAIN, sasl_username=carol",
			},
		},
		{
			name: "rfc3164 without hostname",
			in:   "<13>Oct 11 22:14:15 sshd[1]: hello",
			want: dialect.Message{Time: at(2026, 10, 11, 22, 14, 15, 0, cst), App: "sshd", Text: "hello"},
		},
		{
			name: "rfc3164 with rfc3339 fractions (rsyslog forward format)",
			in:   "<13>2026-10-11T22:14:15.123456+08:00 host tag: x",
			want: dialect.Message{Time: at(2026, 10, 11, 22, 14, 15, 123456000, plus8), Host: "host", App: "tag", Text: "x"},
		},
		{
			name: "juniper rt_flow unstructured",
			in:   "<14>Oct 11 22:14:15 srx-01 RT_FLOW: RT_FLOW_SESSION_CREATE: session created 10.0.0.1/1->2.2.2.2/443",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 0, cst), Host: "srx-01", App: "RT_FLOW",
				Text: "RT_FLOW_SESSION_CREATE: session created 10.0.0.1/1->2.2.2.2/443",
			},
		},
		{
			name: "cisco ios counter and unsynchronised clock",
			in:   "<189>237: *Jan  8 19:46:03.295: %LINEPROTO-5-UPDOWN: Line protocol on Interface Loopback100, changed state to up",
			want: dialect.Message{
				Time: at(2026, 1, 8, 19, 46, 3, 295e6, cst), App: "%LINEPROTO-5-UPDOWN",
				Text: "Line protocol on Interface Loopback100, changed state to up",
			},
		},
		{
			name: "cisco ios counter, sequence and origin hostname",
			in:   "<189>269614: 000104: myhostname: Apr 11 10:02:08: %SYS-5-CONFIG_I: Configured from console by console",
			want: dialect.Message{
				Time: at(2026, 4, 11, 10, 2, 8, 0, cst), Host: "myhostname", App: "%SYS-5-CONFIG_I",
				Text: "Configured from console by console",
			},
		},
		{
			name: "cisco ios empty counter and UTC",
			in:   "<189>: 000088: *Jan  1 23:14:48.135 UTC: %SYS-5-CONFIG_I: Configured",
			want: dialect.Message{Time: at(2026, 1, 1, 23, 14, 48, 135e6, utc), App: "%SYS-5-CONFIG_I", Text: "Configured"},
		},
		{
			name: "cisco ios nat",
			in:   "<190>1234: Oct 11 22:14:15.001: %IPNAT-6-NAT_CREATED: Created tcp 10.0.0.1:1 198.51.100.1:2 203.0.113.1:80 203.0.113.1:80",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 1e6, cst), App: "%IPNAT-6-NAT_CREATED",
				Text: "Created tcp 10.0.0.1:1 198.51.100.1:2 203.0.113.1:80 203.0.113.1:80",
			},
		},
		{
			name: "cisco asa with year",
			in:   "<166>Oct 11 2026 22:14:15: %ASA-6-305011: Built dynamic TCP translation from inside:10.0.0.1/5 to outside:198.51.100.1/6",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 0, cst), App: "%ASA-6-305011",
				Text: "Built dynamic TCP translation from inside:10.0.0.1/5 to outside:198.51.100.1/6",
			},
		},
		{
			name: "cisco asa device-id",
			in:   "<166>Oct 11 2026 22:14:15 fw01 : %ASA-6-302013: Built outbound TCP connection 1",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 0, cst), Host: "fw01", App: "%ASA-6-302013",
				Text: "Built outbound TCP connection 1",
			},
		},
		{
			name: "cisco asa without timestamp",
			in:   "<166>%ASA-6-302014: Teardown TCP connection 1",
			want: dialect.Message{App: "%ASA-6-302014", Text: "Teardown TCP connection 1"},
		},
		{
			name: "huawei vrp date with year",
			in:   "<187>Oct 11 2026 22:14:15 BRAS-01 %%01SHELL/5/LOGINFAIL(l):Failed to login. (Ip=10.1.1.1)",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 0, cst), Host: "BRAS-01", App: "%%01SHELL/5/LOGINFAIL(l)",
				Text: "Failed to login. (Ip=10.1.1.1)",
			},
		},
		{
			name: "huawei vrp with offset and sequence",
			in:   "<189>Oct 11 2026 22:14:15+08:00 HUAWEI %%01SHELL/5/CMDRECORD(s)[5]:Recorded command information.",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 0, plus8), Host: "HUAWEI", App: "%%01SHELL/5/CMDRECORD(s)",
				Text: "Recorded command information.",
			},
		},
		{
			name: "huawei usg session log",
			in:   "<190>2026-10-11 22:14:15 USG6000 %%01SECLOG/6/SESSION_BUILT(l):IPVer=4,Protocol=tcp,SourceIP=10.0.0.1.",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 0, cst), Host: "USG6000", App: "%%01SECLOG/6/SESSION_BUILT(l)",
				Text: "IPVer=4,Protocol=tcp,SourceIP=10.0.0.1.",
			},
		},
		{
			name: "huawei usg without PRI",
			in:   "2026-10-11 22:14:15 USG6000 %%01SECLOG/6/SESSION_TEARDOWN(l):IPVer=4.",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 0, cst), Host: "USG6000", App: "%%01SECLOG/6/SESSION_TEARDOWN(l)",
				Text: "IPVer=4.",
			},
		},
		{
			name: "h3c comware year after time",
			in:   "<190>Oct 11 22:14:15:708 2026 F1050 %%10session/6/SESSION_IPV4_FLOW: Protocol(1001)=TCP;SrcIPAddr(1003)=10.0.0.1;",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 708e6, cst), Host: "F1050", App: "%%10session/6/SESSION_IPV4_FLOW",
				Text: "Protocol(1001)=TCP;SrcIPAddr(1003)=10.0.0.1;",
			},
		},
		{
			name: "h3c comware v5 userlog",
			in:   "<190>%@123%Oct  1 08:00:00:12 2026 MSR USERLOG/7/NAT: TCP; 10.0.0.1:1--->198.51.100.1:2; 203.0.113.1:80",
			want: dialect.Message{
				Time: at(2026, 10, 1, 8, 0, 0, 120e6, cst), Host: "MSR", App: "USERLOG/7/NAT",
				Text: "TCP; 10.0.0.1:1--->198.51.100.1:2; 203.0.113.1:80",
			},
		},
		{
			name: "h3c date with leading percent",
			in:   "<189>%May 30 05:36:29:579 2026 Sysname FTPD/5/FTPD_LOGIN: User ftp (192.168.1.23) has logged in successfully.",
			want: dialect.Message{
				Time: at(2026, 5, 30, 5, 36, 29, 579e6, cst), Host: "Sysname", App: "FTPD/5/FTPD_LOGIN",
				Text: "User ftp (192.168.1.23) has logged in successfully.",
			},
		},
		{
			name: "h3c iso without zone",
			in:   "<189>2026-05-30T06:42:44 Sysname %%10FTPD/5/FTPD_LOGIN(l): User ftp (192.168.1.23) has logged in successfully.",
			want: dialect.Message{
				Time: at(2026, 5, 30, 6, 42, 44, 0, cst), Host: "Sysname", App: "%%10FTPD/5/FTPD_LOGIN(l)",
				Text: "User ftp (192.168.1.23) has logged in successfully.",
			},
		},
		{
			name: "huawei vrp with vs and cid",
			in:   "<189>Jan  8 2026 03:58:15+07:00 HUAWEI %%01HWCM/5/EXIT(l)[1]:VS=0-CID=0x80ca2713; exit from configure mode",
			want: dialect.Message{
				Time: at(2026, 1, 8, 3, 58, 15, 0, time.FixedZone("", 7*3600)), Host: "HUAWEI", App: "%%01HWCM/5/EXIT(l)",
				Text: "VS=0-CID=0x80ca2713; exit from configure mode",
			},
		},
		{
			name: "h3c nat444 in rfc5424-ish header",
			in:   "<134>1 Oct 11 22:14:15 10.1.1.1 NAT-GW - NAT444:userbasedA [6 10.0.0.1 0 198.51.100.1 0 1024 2047]",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 0, cst), Host: "10.1.1.1",
				Text: "NAT-GW - NAT444:userbasedA [6 10.0.0.1 0 198.51.100.1 0 1024 2047]",
			},
		},
		{
			name: "huawei relayed by rsyslog",
			in:   "<190>Sep  9 11:56:41 10.123.169.1 Sep 9 2026 11:56:40 HUAWEI %%01SECLOG/6/SESSION_BUILT(l):IPVer=4,Protocol=udp.",
			want: dialect.Message{
				Time: at(2026, 9, 9, 11, 56, 40, 0, cst), Host: "HUAWEI", App: "%%01SECLOG/6/SESSION_BUILT(l)",
				Text: "IPVer=4,Protocol=udp.",
			},
		},
		{
			name: "asa relayed with relay prefix",
			in:   "10.10.0.254:514 : local4.info %ASA-6-305011: Built dynamic TCP translation from inside:192.168.111.10/56298 to outside:212.156.67.62/12694",
			want: dialect.Message{
				Host: "10.10.0.254", App: "%ASA-6-305011",
				Text: "Built dynamic TCP translation from inside:192.168.111.10/56298 to outside:212.156.67.62/12694",
			},
		},
		{
			name: "asa relay prefix behind a relay header",
			in:   "<166>Oct 11 22:14:15 relay01 10.10.0.254:514 : local4.info %ASA-6-305012: Teardown dynamic UDP translation",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 0, cst), Host: "10.10.0.254", App: "%ASA-6-305012",
				Text: "Teardown dynamic UDP translation",
			},
		},
		{
			name: "relayed device header with PRI",
			in:   "<13>Oct 11 22:14:16 relay01 <166>Oct 11 2026 22:14:15: %ASA-6-302013: Built",
			want: dialect.Message{Time: at(2026, 10, 11, 22, 14, 15, 0, cst), Host: "relay01", App: "%ASA-6-302013", Text: "Built"},
		},
		{
			name: "relayed rfc5424 inside rfc3164",
			in:   `<13>Oct 11 22:14:16 relay01 <14>1 2026-10-11T22:14:15Z srx RT_FLOW - RT_FLOW_SESSION_CLOSE [junos@2636 reason="TCP FIN"] closed`,
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 0, utc), Host: "srx", App: "RT_FLOW", MsgID: "RT_FLOW_SESSION_CLOSE",
				SDID: "junos@2636", Params: map[string]string{"reason": "TCP FIN"}, Text: "closed",
			},
		},
		{
			name: "h3c relayed by rsyslog, month taken for hostname",
			in:   "<190>Nov  1 07:59:58 Oct 11 22:14:15:708 2026 F1050 %%10session/6/SESSION_IPV4_FLOW: Protocol(1001)=TCP;",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 708e6, cst), Host: "F1050", App: "%%10session/6/SESSION_IPV4_FLOW",
				Text: "Protocol(1001)=TCP;",
			},
		},
		{
			name: "h3c relayed by rsyslog as rfc5424, month and day in hostname and app-name",
			in:   "<190>1 2026-11-01T07:59:58.858394+00:00 Oct 11 - - -  22:14:15:708 2026 F1050 %%10session/6/SESSION_IPV4_FLOW: Protocol(1001)=TCP;",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 708e6, cst), Host: "F1050", App: "%%10session/6/SESSION_IPV4_FLOW",
				Text: "Protocol(1001)=TCP;",
			},
		},
		{
			name: "huawei usg relayed by rsyslog with a space put in the time",
			in:   "<190>Nov  1 07:59:58 2026-10-11 22: 14:15 USG6000 %%01SECLOG/6/SESSION_BUILT(l):IPVer=4.",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 0, cst), Host: "USG6000", App: "%%01SECLOG/6/SESSION_BUILT(l)",
				Text: "IPVer=4.",
			},
		},
		{
			name: "huawei usg relayed by rsyslog as rfc5424, date and hour in hostname and app-name",
			in:   "<190>1 2026-11-01T07:59:58.858394+00:00 2026-10-11 22 - - - 14:15 USG6000 %%01SECLOG/6/SESSION_BUILT(l):IPVer=4.",
			want: dialect.Message{
				Time: at(2026, 10, 11, 22, 14, 15, 0, cst), Host: "USG6000", App: "%%01SECLOG/6/SESSION_BUILT(l)",
				Text: "IPVer=4.",
			},
		},
		{
			name: "rfc5424 message with leading spaces (rsyslog from rfc3164)",
			in:   "<38>1 2026-10-11T22:14:15+00:00 bastion sshd 1234 - -  Accepted password for alice",
			want: dialect.Message{Time: at(2026, 10, 11, 22, 14, 15, 0, utc), Host: "bastion", App: "sshd", Text: "Accepted password for alice"},
		},
		{
			name: "timestamp in a program's text is not a header",
			in:   "<13>Oct 11 22:14:15 host app: 2026-10-11 12:00:00 INFO started",
			want: dialect.Message{Time: at(2026, 10, 11, 22, 14, 15, 0, cst), Host: "host", App: "app", Text: "2026-10-11 12:00:00 INFO started"},
		},
		{
			name: "PRI only",
			in:   "<13>just some text",
			want: dialect.Message{Text: "just some text"},
		},
		{
			name:    "no header",
			in:      "just some text: no header here",
			want:    dialect.Message{Text: "just some text: no header here"},
			wantErr: true,
		},
		{
			name:    "bad PRI",
			in:      "<192>Oct 11 22:14:15 host x",
			want:    dialect.Message{Text: "<192>Oct 11 22:14:15 host x"},
			wantErr: true,
		},
		{
			name:    "empty",
			in:      "",
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeString(tt.in, testRecv)
			if (err != nil) != tt.wantErr {
				t.Fatalf("decode(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			tt.want.Received = testRecv
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty(), timeEqual); diff != "" {
				t.Errorf("decode(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if !strings.HasSuffix(tt.in, got.Text) {
				t.Errorf("decode(%q).Text = %q, not a suffix of the input", tt.in, got.Text)
			}
		})
	}
}

// timeEqual compares times as instants and by their offset, not by
// *time.Location pointer.
var timeEqual = cmp.Comparer(func(a, b time.Time) bool {
	_, ao := a.Zone()
	_, bo := b.Zone()
	return a.Equal(b) && ao == bo
})

func TestYearInference(t *testing.T) {
	tests := []struct {
		in   string
		recv time.Time
		want time.Time
	}{
		// Last year's message arriving just after New Year.
		{"<13>Dec 31 23:59:59 h a: x", time.Date(2027, 1, 1, 0, 0, 5, 0, cst), time.Date(2026, 12, 31, 23, 59, 59, 0, cst)},
		// A fast clock's New Year arriving just before it.
		{"<13>Jan  1 00:00:05 h a: x", time.Date(2026, 12, 31, 23, 59, 50, 0, cst), time.Date(2027, 1, 1, 0, 0, 5, 0, cst)},
		// A backlog from months ago.
		{"<13>Mar  3 10:00:00 h a: x", time.Date(2026, 11, 1, 0, 0, 0, 0, cst), time.Date(2026, 3, 3, 10, 0, 0, 0, cst)},
		// More than 30 days ahead is last year.
		{"<13>Dec 25 10:00:00 h a: x", time.Date(2026, 11, 1, 0, 0, 0, 0, cst), time.Date(2025, 12, 25, 10, 0, 0, 0, cst)},
		// Feb 29 in a leap year.
		{"<13>Feb 29 10:00:00 h a: x", time.Date(2028, 3, 1, 0, 0, 0, 0, cst), time.Date(2028, 2, 29, 10, 0, 0, 0, cst)},
	}
	for _, tt := range tests {
		got, err := decodeString(tt.in, tt.recv)
		if err != nil || !got.Time.Equal(tt.want) {
			t.Errorf("decode(%q) at %v: Time = %v, err = %v; want %v", tt.in, tt.recv, got.Time, err, tt.want)
		}
	}
}

func TestDecodeNilLocIsUTC(t *testing.T) {
	var m dialect.Message
	if err := newParser().decode(&m, []byte("<13>Oct 11 22:14:15 h a: x"), testRecv, nil, netip.Addr{}); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 10, 11, 22, 14, 15, 0, time.UTC); !m.Time.Equal(want) {
		t.Errorf("Time = %v, want %v", m.Time, want)
	}
}

func TestStampRejectsImpossibleDates(t *testing.T) {
	for _, in := range []string{
		"Feb 30 10:00:00", "Apr 31 10:00:00", "Oct 11 24:00:00", "Oct 11 22:60:00", "Oct 00 22:00:00",
		"2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "Foo 11 22:14:15", "Oct 11 2:14:15",
	} {
		if st, _, ok := parseStamp(in, 0); ok {
			t.Errorf("parseStamp(%q) = %+v, want failure", in, st)
		}
	}
}
