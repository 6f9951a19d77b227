package dialect_test

import (
	"testing"

	"github.com/warden-ops/warden/internal/dialect"
	"github.com/warden-ops/warden/internal/record"
)

// mikrotikCases are RouterOS lines: the templates of log-formats.md §8.1
// and lines quoted in public RouterOS log readers and forum posts.
func mikrotikCases() []loginCase {
	session := func(s record.Session) []*record.Record { return []*record.Record{loginSession(s)} }
	failed := func(rule, user, addr, detail string) []*record.Record {
		e := record.Event{Rule: rule, Severity: record.SeverityLow, Account: user, Detail: detail}
		if addr != "" {
			e.SrcAddr = loginAddr(addr)
		}
		return []*record.Record{loginEvent(e)}
	}
	return []loginCase{
		{
			name: "PPPoE login with MAC",
			msg:  loginMsg("", "pppoe,ppp,info,account skn001 logged in, 10.99.0.2 from 52:54:00:AA:00:03"),
			want: session(record.Session{Event: record.SessionLogin, Account: "skn001", Addr: loginAddr("10.99.0.2"), CallingStationID: "52:54:00:AA:00:03"}),
		},
		{
			name: "PPTP login",
			msg:  loginMsg("", "pptp,ppp,info,account alice logged in, 192.168.200.10"),
			want: session(record.Session{Event: record.SessionLogin, Account: "alice", Addr: loginAddr("192.168.200.10")}),
		},
		{
			name: "PPPoE logout with counters",
			msg:  loginMsg("", "pppoe,ppp,info,account skn001 logged out, 143 115036 112418 106 92 from 52:54:00:AA:00:03"),
			want: session(record.Session{Event: record.SessionLogout, Account: "skn001", CallingStationID: "52:54:00:AA:00:03", InputOctets: 115036, OutputOctets: 112418}),
		},
		{
			name: "PPTP logout",
			msg:  loginMsg("", "pptp,ppp,info,account alice logged out, 109 1568 98 14 8"),
			want: session(record.Session{Event: record.SessionLogout, Account: "alice", InputOctets: 1568, OutputOctets: 98}),
		},
		{
			name: "PPP authentication failed",
			msg:  loginMsg("", "pppoe,ppp,error <0010>: user skn014 authentication failed"),
			want: failed("login-failed/mikrotik/ppp", "skn014", "", "authentication failed"),
		},
		{
			name: "management login",
			msg:  loginMsg("", "system,info,account user admin logged in from 192.168.88.50 via winbox"),
			want: session(record.Session{Event: record.SessionLogin, Account: "admin", Addr: loginAddr("192.168.88.50")}),
		},
		{
			name: "management logout",
			msg:  loginMsg("", "system,info,account user admin logged out from 192.168.88.50 via winbox"),
			want: session(record.Session{Event: record.SessionLogout, Account: "admin", Addr: loginAddr("192.168.88.50")}),
		},
		{
			name: "management login, topics in the program name",
			msg:  loginMsg("system,info,account", "user admin logged in from 2001:db8::50 via ssh"),
			want: session(record.Session{Event: record.SessionLogin, Account: "admin", Addr: loginAddr("2001:db8::50")}),
		},
		{
			name: "management login, topics lost",
			msg:  loginMsg("", "user admin logged in via local"),
			want: session(record.Session{Event: record.SessionLogin, Account: "admin"}),
		},
		{
			name: "management login failure",
			msg:  loginMsg("", "system,error,critical login failure for user admin from 203.0.113.7 via ssh"),
			want: failed("login-failed/mikrotik/ssh", "admin", "203.0.113.7", "login failure via ssh"),
		},
		{
			name: "management login failure without address",
			msg:  loginMsg("", "system,error,critical login failure for user monitoring via api"),
			want: failed("login-failed/mikrotik/api", "monitoring", "", "login failure via api"),
		},
		{
			name: "hotspot login",
			msg:  loginMsg("", "hotspot,account,info,debug alice (10.5.50.12): logged in"),
			want: session(record.Session{Event: record.SessionLogin, Account: "alice", Addr: loginAddr("10.5.50.12")}),
		},
		{
			name: "hotspot logout",
			msg:  loginMsg("", "->: alice (10.5.50.12): logged out: keepalive timeout"),
			want: session(record.Session{Event: record.SessionLogout, Account: "alice", Addr: loginAddr("10.5.50.12"), TerminateCause: "keepalive timeout"}),
		},
		{
			name: "hotspot login failed by MAC",
			msg:  loginMsg("", "hotspot,info,debug 3C:D0:F8:79:A7:A5 (192.168.123.250): login failed: invalid username or password"),
			want: failed("login-failed/mikrotik/hotspot", "3C:D0:F8:79:A7:A5", "192.168.123.250", "invalid username or password"),
		},
		{
			name: "action prefix as program name",
			msg:  loginMsg("PPPOE", "pppoe,ppp,info,account skn001 logged in, 10.99.0.2"),
			want: session(record.Session{Event: record.SessionLogin, Account: "skn001", Addr: loginAddr("10.99.0.2")}),
		},

		{name: "PPP authenticated", msg: loginMsg("", "pppoe,ppp,info <pppoe-alice>: authenticated"), wantErr: dialect.ErrNotMine},
		{name: "PPP terminating", msg: loginMsg("", "pptp,ppp,info <pptp-USERNAME>: terminating..."), wantErr: dialect.ErrNotMine},
		{name: "hotspot trying", msg: loginMsg("", "hotspot,info,debug alice (10.5.50.12): trying to log in by http-chap"), wantErr: dialect.ErrNotMine},
		{name: "firewall", msg: loginMsg("", "firewall,info srcnat: in:ether2 out:ether1, proto TCP (SYN), 10.0.0.2:51000->93.184.216.34:443, len 60"), wantErr: dialect.ErrNotMine},
		{name: "dhcp", msg: loginMsg("", "dhcp,info dhcp1 assigned 192.168.88.55 to 00:0C:29:85:2B:B3"), wantErr: dialect.ErrNotMine},
		{name: "other program", msg: loginMsg("sshd", "Accepted password for alice from 203.0.113.5 port 51234 ssh2"), wantErr: dialect.ErrNotMine},

		{name: "bad assigned address", msg: loginMsg("", "pppoe,ppp,info,account alice logged in, 10.99.0.999"), wantErr: errLoginMalformed},
		{name: "bad counters", msg: loginMsg("", "pppoe,ppp,info,account alice logged out, 143 x y 1 2"), wantErr: errLoginMalformed},
	}
}

func TestParseMikroTikLogin(t *testing.T) { runLoginCases(t, "mikrotik-login", mikrotikCases()) }

func FuzzParseMikroTikLogin(f *testing.F) {
	for _, tc := range mikrotikCases() {
		f.Add(tc.msg.App, tc.msg.Text)
	}
	p := loginParser(f, "mikrotik-login")
	f.Fuzz(func(t *testing.T, app, text string) { loginCheckFuzz(t, p, app, text) })
}

func BenchmarkParseMikroTikLogin(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"ppp-login", "pppoe,ppp,info,account skn001 logged in, 10.99.0.2 from 52:54:00:AA:00:03"},
		{"ppp-logout", "pppoe,ppp,info,account skn001 logged out, 143 115036 112418 106 92 from 52:54:00:AA:00:03"},
		{"other", "firewall,info srcnat: in:ether2 out:ether1, proto TCP (SYN), 10.0.0.2:51000->93.184.216.34:443, len 60"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := loginParser(b, "mikrotik-login")
			m := loginMsg("", bc.text)
			b.ReportAllocs()
			for b.Loop() {
				_, _ = p.Parse(m) // the result is checked by TestParseMikroTikLogin
			}
		})
	}
}
