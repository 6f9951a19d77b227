package dialect_test

import (
	"net/netip"
	"testing"

	"github.com/warden-ops/warden/internal/dialect"
	"github.com/warden-ops/warden/internal/record"
)

// asaVPNCases are Cisco ASA and FTD VPN messages in the wording of the
// Cisco ASA syslog reference (log-formats.md §2.1), as published lines
// show them (BOTSv3, parser test data).
func asaVPNCases() []loginCase {
	rejected := func(user, addr, detail string) []*record.Record {
		e := record.Event{Rule: "login-failed/cisco-asa", Severity: record.SeverityLow, Account: user, Detail: detail}
		if addr != "" {
			e.SrcAddr = loginAddr(addr)
		}
		return []*record.Record{loginEvent(e)}
	}
	return []loginCase{
		{
			name: "722051 address assigned",
			msg:  loginMsg("%ASA-6-722051", "Group <GroupPolicy_RA> User <alice> IP <203.0.113.5> IPv4 Address <10.10.10.5> IPv6 address <::> assigned to session"),
			want: []*record.Record{loginSession(record.Session{
				Event: record.SessionLogin, Account: "alice", CallingStationID: "203.0.113.5", Addr: loginAddr("10.10.10.5"),
			})},
		},
		{
			name: "722051 with IPv6, tag in the text",
			msg:  loginMsg("", "%ASA-4-722051: Group <GroupPolicy_RA> User <bob> IP <198.51.100.7> IPv4 Address <10.10.10.6> IPv6 address <2001:db8:10::6> assigned to session"),
			want: []*record.Record{loginSession(record.Session{
				Event: record.SessionLogin, Account: "bob", CallingStationID: "198.51.100.7", Addr: loginAddr("10.10.10.6"),
				IPv6Prefix: netip.MustParsePrefix("2001:db8:10::6/128"),
			})},
		},
		{
			name: "722051 FTD without brackets, after a relay header",
			msg:  loginMsg("", "Sep 03 2014 05:12:22 vpn-1 : %FTD-6-722051: Group GroupPolicy_RA User carol IP 198.51.100.8 IPv4 Address 0.0.0.0 IPv6 Address 2001:db8:10::7 assigned to session"),
			want: []*record.Record{loginSession(record.Session{
				Event: record.SessionLogin, Account: "carol", CallingStationID: "198.51.100.8",
				IPv6Prefix: netip.MustParsePrefix("2001:db8:10::7/128"),
			})},
		},
		{
			name: "113019 session disconnected",
			msg:  loginMsg("%ASA-4-113019", "Group = DefaultWEBVPNGroup, Username = alice, IP = 203.0.113.5, Session disconnected. Session Type: SSL, Duration: 0h:49m:49s, Bytes xmt: 18775, Bytes rcv: 768481, Reason: User Requested"),
			want: []*record.Record{loginSession(record.Session{
				Event: record.SessionLogout, Account: "alice", CallingStationID: "203.0.113.5",
				InputOctets: 768481, OutputOctets: 18775, TerminateCause: "User Requested",
			})},
		},
		{
			name: "113019 IKEv2 idle timeout",
			msg:  loginMsg("", "%FTD-4-113019: Group = EXAMPLE, Username = bob, IP = 198.51.100.7, Session disconnected. Session Type: IKEv2, Duration: 2h:28m:09s, Bytes xmt: 54735230, Bytes rcv: 27473152, Reason: Idle Timeout"),
			want: []*record.Record{loginSession(record.Session{
				Event: record.SessionLogout, Account: "bob", CallingStationID: "198.51.100.7",
				InputOctets: 27473152, OutputOctets: 54735230, TerminateCause: "Idle Timeout",
			})},
		},
		{
			name: "113005 masked user",
			msg:  loginMsg("%ASA-6-113005", "AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.1 : user = ***** : user IP = 203.0.113.9"),
			want: rejected("", "203.0.113.9", "AAA user authentication Rejected: AAA failure"),
		},
		{
			name: "113005 without user IP",
			msg:  loginMsg("%ASA-6-113005", "AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.1 : user = jdoe"),
			want: rejected("jdoe", "", "AAA user authentication Rejected: AAA failure"),
		},
		{
			name: "113015 local database",
			msg:  loginMsg("", "%ASA-6-113015: AAA user authentication Rejected : reason = Invalid password : local database : user = admin : user IP = 203.0.113.10"),
			want: rejected("admin", "203.0.113.10", "AAA user authentication Rejected: Invalid password"),
		},

		{name: "connection built", msg: loginMsg("%ASA-6-302013", "Built outbound TCP connection 1 for outside:93.184.216.34/443 (93.184.216.34/443) to inside:10.0.0.2/51000 (203.0.113.1/40000)"), wantErr: dialect.ErrNotMine},
		{name: "113039 parent session", msg: loginMsg("%ASA-6-113039", "Group <GroupPolicy_RA> User <alice> IP <203.0.113.5> AnyConnect parent session started."), wantErr: dialect.ErrNotMine},
		{name: "722051 other wording", msg: loginMsg("%ASA-6-722051", "Group <GroupPolicy_RA> User <alice> IP <203.0.113.5> AAA login failure"), wantErr: dialect.ErrNotMine},
		{name: "113004 success without address", msg: loginMsg("%ASA-6-113004", "AAA user authentication Successful : server = 10.1.1.1 : user = jdoe"), wantErr: dialect.ErrNotMine},
		{name: "other program", msg: loginMsg("sshd", "Accepted password for alice from 203.0.113.5 port 51234 ssh2"), wantErr: dialect.ErrNotMine},
		{name: "percent in another line", msg: loginMsg("", "disk 95% full: cleanup"), wantErr: dialect.ErrNotMine},

		{name: "113019 without user", msg: loginMsg("%ASA-4-113019", "Group = G, Username = , IP = 203.0.113.5, Session disconnected. Session Type: SSL, Duration: 0h:00m:01s, Bytes xmt: 1, Bytes rcv: 1, Reason: User Requested"), wantErr: errLoginMalformed},
		{name: "722051 bad address", msg: loginMsg("%ASA-6-722051", "Group <G> User <alice> IP <203.0.113.500> IPv4 Address <10.10.10.5> IPv6 address <::> assigned to session"), wantErr: errLoginMalformed},
	}
}

func TestParseASAVPN(t *testing.T) { runLoginCases(t, "cisco-asa-vpn", asaVPNCases()) }

func FuzzParseASAVPN(f *testing.F) {
	for _, tc := range asaVPNCases() {
		f.Add(tc.msg.App, tc.msg.Text)
	}
	p := loginParser(f, "cisco-asa-vpn")
	f.Fuzz(func(t *testing.T, app, text string) { loginCheckFuzz(t, p, app, text) })
}

func BenchmarkParseASAVPN(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"assigned", "%ASA-6-722051: Group <GroupPolicy_RA> User <alice> IP <203.0.113.5> IPv4 Address <10.10.10.5> IPv6 address <::> assigned to session"},
		{"disconnected", "%ASA-4-113019: Group = DefaultWEBVPNGroup, Username = alice, IP = 203.0.113.5, Session disconnected. Session Type: SSL, Duration: 0h:49m:49s, Bytes xmt: 18775, Bytes rcv: 768481, Reason: User Requested"},
		{"other", "%ASA-6-302013: Built outbound TCP connection 1 for outside:93.184.216.34/443 (93.184.216.34/443) to inside:10.0.0.2/51000 (203.0.113.1/40000)"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := loginParser(b, "cisco-asa-vpn")
			m := loginMsg("", bc.text)
			b.ReportAllocs()
			for b.Loop() {
				_, _ = p.Parse(m) // the result is checked by TestParseASAVPN
			}
		})
	}
}
