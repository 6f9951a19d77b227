package dialect_test

import (
	"testing"

	"github.com/warden-ops/warden/internal/dialect"
	"github.com/warden-ops/warden/internal/record"
)

// dovecotCases are Dovecot 2.0 to 2.4 lines: the templates of
// log-formats.md §11 and lines quoted in public parsers and forum posts.
func dovecotCases() []loginCase {
	login := func(user, rip, lip, session string) []*record.Record {
		return []*record.Record{loginSession(record.Session{
			Event: record.SessionLogin, Account: user, Addr: loginAddr(rip), NASAddr: loginAddr(lip), SessionID: session,
		})}
	}
	logout := func(user, session, cause string, in, out uint64) []*record.Record {
		return []*record.Record{loginSession(record.Session{
			Event: record.SessionLogout, Account: user, SessionID: session, TerminateCause: cause,
			InputOctets: in, OutputOctets: out,
		})}
	}
	failed := func(svc, user, rip string, rport uint16, lip string, lport uint16, detail string) []*record.Record {
		return []*record.Record{loginEvent(record.Event{
			Rule: "login-failed/dovecot/" + svc, Severity: record.SeverityLow,
			SrcAddr: loginAddr(rip), SrcPort: rport, DstAddr: loginAddr(lip), DstPort: lport,
			Account: user, Detail: detail,
		})}
	}
	return []loginCase{
		{
			name: "imap login",
			msg:  loginMsg("dovecot", "imap-login: Login: user=<alice>, method=PLAIN, rip=203.0.113.5, lip=192.0.2.1, mpid=1234, TLS, session=<abc>"),
			want: login("alice", "203.0.113.5", "192.0.2.1", "abc"),
		},
		{
			name: "imap login, address user",
			msg:  loginMsg("dovecot", "imap-login: Login: user=<user@domain.com>, method=PLAIN, rip=71.237.182.194, lip=192.168.78.10, mpid=25876, TLS, session=<euPpGapR8M9H7bbC>"),
			want: login("user@domain.com", "71.237.182.194", "192.168.78.10", "euPpGapR8M9H7bbC"),
		},
		{
			name: "pop3 login, Dovecot 2.0 field order",
			msg:  loginMsg("dovecot", "pop3-login: Login: user=<augie>, session=RjEydYzOewBGJIO7, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, mpid=28885, secured"),
			want: login("augie", "127.0.0.1", "127.0.0.1", "RjEydYzOewBGJIO7"),
		},
		{
			name: "log file form over IPv6",
			msg:  loginMsg("imap-login", "Info: Login: user=<alice>, method=PLAIN, rip=2001:db8::5, lip=2001:db8::1, mpid=77, TLS, session=<q2>"),
			want: login("alice", "2001:db8::5", "2001:db8::1", "q2"),
		},
		{
			name: "header stripped",
			msg:  loginMsg("", "dovecot: imap-login: Login: user=<alice>, method=PLAIN, rip=203.0.113.5, lip=192.0.2.1, mpid=1234, TLS, session=<abc>"),
			want: login("alice", "203.0.113.5", "192.0.2.1", "abc"),
		},
		{
			name: "header and program stripped",
			msg:  loginMsg("", "imap-login: Login: user=<alice>, method=PLAIN, rip=203.0.113.5, lip=192.0.2.1, mpid=1234, TLS, session=<abc>"),
			want: login("alice", "203.0.113.5", "192.0.2.1", "abc"),
		},
		{
			name: "logout, Dovecot 2.3",
			msg:  loginMsg("dovecot", "imap(delta)<846><EgPmyrZJ7NKsHgAB>: Disconnected: Logged out in=397 out=10242 deleted=0 expunged=0 trashed=0 hdr_count=17 hdr_bytes=5147 body_count=0 body_bytes=0"),
			want: logout("delta", "EgPmyrZJ7NKsHgAB", "Logged out", 397, 10242),
		},
		{
			name: "logout, Dovecot 2.2",
			msg:  loginMsg("dovecot", "imap(user@domain.tld): Disconnected: Logged out in=244 out=858"),
			want: logout("user@domain.tld", "", "Logged out", 244, 858),
		},
		{
			name: "pop3 logout",
			msg:  loginMsg("dovecot", "pop3(user@domain.tld): Disconnected: Logged out top=0/0, retr=0/0, del=0/0, size=0, in=12, out=43"),
			want: logout("user@domain.tld", "", "Logged out", 12, 43),
		},
		{
			name: "inactivity",
			msg:  loginMsg("dovecot", "imap(alice)<1234><abc>: Disconnected for inactivity in=10 out=20"),
			want: logout("alice", "abc", "Disconnected for inactivity", 10, 20),
		},
		{
			name: "connection closed",
			msg:  loginMsg("dovecot", "imap(alice): Connection closed (IDLE running for 0.001 + waiting input for 28.914 secs, 2 B in + 10 B out, state=wait-input) in=755 out=714148"),
			want: logout("alice", "", "Connection closed", 755, 714148),
		},
		{
			name: "logout, log file form",
			msg:  loginMsg("", "imap(alice)<1234><abc>: Info: Disconnected: Logged out in=1 out=2"),
			want: logout("alice", "abc", "Logged out", 1, 2),
		},
		{
			name: "auth failed, Dovecot 2.2",
			msg:  loginMsg("dovecot", "imap-login: Disconnected (auth failed, 1 attempts in 4 secs): user=<username>, method=PLAIN, rip=2.2.2.2, lip=5.5.5.5, secured, session=<afeKFIcOYgAFPe0N>"),
			want: failed("imap", "username", "2.2.2.2", 0, "5.5.5.5", 0, "auth failed, 1 attempts in 4 secs"),
		},
		{
			name: "aborted login",
			msg:  loginMsg("dovecot", "pop3-login: Aborted login (auth failed, 2 attempts): user=<hassan>, method=PLAIN, rip=192.168.1.8, lip=192.168.1.3, TLS"),
			want: failed("pop3", "hassan", "192.168.1.8", 0, "192.168.1.3", 0, "auth failed, 2 attempts"),
		},
		{
			name: "auth failed, Dovecot 2.4",
			msg:  loginMsg("dovecot", "imap-login: Login aborted: Connection closed (auth failed, 1 attempts in 2 secs) (auth_failed): user=<dave@example.com>, method=PLAIN, rip=203.0.113.7, lip=192.0.2.1, TLS, session=<x1>"),
			want: failed("imap", "dave@example.com", "203.0.113.7", 0, "192.0.2.1", 0, "auth failed, 1 attempts in 2 secs"),
		},
		{
			name: "auth failed, Dovecot 2.0 field order",
			msg:  loginMsg("dovecot", "pop3-login: user=<aaa>, method=PLAIN, rip=77.70.33.151, lip=67.15.172.14 Aborted login (auth failed, 8 attempts)"),
			want: failed("pop3", "aaa", "77.70.33.151", 0, "67.15.172.14", 0, "auth failed, 8 attempts"),
		},
		{
			name: "auth failed with ports",
			msg:  loginMsg("dovecot", "submission-login: Aborted login (auth failed, 3 attempts in 15 secs): user=<bob>, method=LOGIN, rip=203.0.113.8, rport=51000, lip=192.0.2.1, lport=587, TLS, session=<s9>"),
			want: failed("submission", "bob", "203.0.113.8", 51000, "192.0.2.1", 587, "auth failed, 3 attempts in 15 secs"),
		},
		{
			name: "user cannot override rip",
			msg:  loginMsg("dovecot", "imap-login: Aborted login (auth failed, 1 attempts): user=<x>, rip=192.0.2.99>, rip=203.0.113.9, lip=192.0.2.1"),
			want: failed("imap", "x", "203.0.113.9", 0, "192.0.2.1", 0, "auth failed, 1 attempts"),
		},

		{name: "no auth attempts", msg: loginMsg("dovecot", "imap-login: Disconnected (no auth attempts in 0 secs): user=<>, rip=203.0.113.9, lip=192.0.2.1, session=<x>"), wantErr: dialect.ErrNotMine},
		{name: "lmtp delivery", msg: loginMsg("dovecot", "lmtp(user@domain.com): msgid=<E1dJxFC-0006k0-Pw@domain.com>: saved mail to INBOX"), wantErr: dialect.ErrNotMine},
		{name: "lmtp connect", msg: loginMsg("dovecot", "lmtp(25929): Connect from local"), wantErr: dialect.ErrNotMine},
		{name: "auth process", msg: loginMsg("dovecot", "auth: passwd-file(alice,203.0.113.9): unknown user"), wantErr: dialect.ErrNotMine},
		{name: "auth worker error", msg: loginMsg("dovecot", "auth-worker(1891): Error: pam(alice,127.0.0.1): pam_start() failed: Critical error - immediate abort"), wantErr: dialect.ErrNotMine},
		{name: "master start", msg: loginMsg("dovecot", "master: Dovecot v2.3.16 starting up for imap, pop3 (core dumps disabled)"), wantErr: dialect.ErrNotMine},
		{name: "mail process error", msg: loginMsg("dovecot", "imap(alice)<1><s>: Error: Mailbox INBOX: UID=1: read() failed"), wantErr: dialect.ErrNotMine},
		{name: "other program", msg: loginMsg("sshd", "Accepted password for alice from 203.0.113.5 port 51234 ssh2"), wantErr: dialect.ErrNotMine},
		{name: "no program", msg: loginMsg("", "Login: user=<alice>, method=PLAIN, rip=203.0.113.5"), wantErr: dialect.ErrNotMine},

		{name: "bad rip", msg: loginMsg("dovecot", "imap-login: Login: user=<alice>, method=PLAIN, rip=not-an-ip, lip=192.0.2.1"), wantErr: errLoginMalformed},
		{name: "login without user", msg: loginMsg("dovecot", "imap-login: Login: user=<>, method=PLAIN, rip=203.0.113.5, lip=192.0.2.1"), wantErr: errLoginMalformed},
		{name: "bad byte count", msg: loginMsg("dovecot", "imap(alice): Disconnected: Logged out in=99999999999999999999999 out=1"), wantErr: errLoginMalformed},
	}
}

func TestParseDovecot(t *testing.T) { runLoginCases(t, "dovecot", dovecotCases()) }

func FuzzParseDovecot(f *testing.F) {
	for _, tc := range dovecotCases() {
		f.Add(tc.msg.App, tc.msg.Text)
	}
	p := loginParser(f, "dovecot")
	f.Fuzz(func(t *testing.T, app, text string) { loginCheckFuzz(t, p, app, text) })
}

func BenchmarkParseDovecot(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"login", "imap-login: Login: user=<alice>, method=PLAIN, rip=203.0.113.5, lip=192.0.2.1, mpid=1234, TLS, session=<abc>"},
		{"logout", "imap(delta)<846><EgPmyrZJ7NKsHgAB>: Disconnected: Logged out in=397 out=10242 deleted=0 expunged=0 trashed=0"},
		{"failed", "imap-login: Disconnected (auth failed, 1 attempts in 4 secs): user=<alice>, method=PLAIN, rip=203.0.113.5, lip=192.0.2.1, TLS, session=<abc>"},
		{"other", "lmtp(user@domain.com): msgid=<E1dJxFC-0006k0-Pw@domain.com>: saved mail to INBOX"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := loginParser(b, "dovecot")
			m := loginMsg("dovecot", bc.text)
			b.ReportAllocs()
			for b.Loop() {
				_, _ = p.Parse(m) // the result is checked by TestParseDovecot
			}
		})
	}
}
