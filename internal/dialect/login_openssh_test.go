package dialect_test

import (
	"testing"

	"github.com/warden-ops/warden/internal/dialect"
	"github.com/warden-ops/warden/internal/record"
)

// openSSHCases are sshd lines: the templates of log-formats.md §11 and
// lines published in elastic/integrations' auth.log test data.
func openSSHCases() []loginCase {
	login := func(user, addr, id string) []*record.Record {
		return []*record.Record{loginSession(record.Session{
			Event: record.SessionLogin, Account: user, Addr: loginAddr(addr), SessionID: id,
		})}
	}
	failed := func(user, addr string, port uint16, detail string) *record.Record {
		return loginEvent(record.Event{
			Rule: "login-failed/sshd", Severity: record.SeverityLow,
			SrcAddr: loginAddr(addr), SrcPort: port, Account: user, Detail: detail,
		})
	}
	return []loginCase{
		{
			name: "accepted password",
			msg:  loginMsg("sshd", "Accepted password for alice from 203.0.113.5 port 51234 ssh2"),
			want: login("alice", "203.0.113.5", "203.0.113.5:51234"),
		},
		{
			name: "accepted publickey ED25519",
			msg:  loginMsg("sshd", "Accepted publickey for vagrant from 10.0.2.2 port 48274 ssh2: ED25519 SHA256:k1kjhwoH/H3w31MbGOIGd7qxrkSQJnoAN0eYJVHDmmI"),
			want: login("vagrant", "10.0.2.2", "10.0.2.2:48274"),
		},
		{
			name: "accepted publickey RSA MD5 fingerprint",
			msg:  loginMsg("sshd", "Accepted publickey for vagrant from 10.0.2.2 port 63673 ssh2: RSA 39:33:99:e9:a0:dc:f2:33:a3:e5:72:3b:7c:3a:56:84"),
			want: login("vagrant", "10.0.2.2", "10.0.2.2:63673"),
		},
		{
			name: "accepted keyboard-interactive over IPv6",
			msg:  loginMsg("sshd", "Accepted keyboard-interactive/pam for bob from 2001:db8::5 port 40022 ssh2"),
			want: login("bob", "2001:db8::5", "[2001:db8::5]:40022"),
		},
		{
			name: "IPv4-mapped client address is unmapped",
			msg:  loginMsg("sshd", "Accepted password for alice from ::ffff:198.51.100.7 port 22 ssh2"),
			want: login("alice", "198.51.100.7", "198.51.100.7:22"),
		},
		{
			name: "sshd-session (OpenSSH 9.8)",
			msg:  loginMsg("sshd-session", "Accepted password for alice from 203.0.113.5 port 51234 ssh2"),
			want: login("alice", "203.0.113.5", "203.0.113.5:51234"),
		},
		{
			name: "header stripped, tag in the text",
			msg:  loginMsg("", "sshd[3402]: Accepted password for vagrant from 192.168.33.1 port 58803 ssh2"),
			want: login("vagrant", "192.168.33.1", "192.168.33.1:58803"),
		},
		{
			name: "header and tag stripped",
			msg:  loginMsg("", "Accepted password for vagrant from 192.168.33.1 port 58803 ssh2"),
			want: login("vagrant", "192.168.33.1", "192.168.33.1:58803"),
		},
		{
			name: "disconnected from user",
			msg:  loginMsg("sshd", "Disconnected from user alice 203.0.113.5 port 51234"),
			want: []*record.Record{loginSession(record.Session{
				Event: record.SessionLogout, Account: "alice", Addr: loginAddr("203.0.113.5"), SessionID: "203.0.113.5:51234",
			})},
		},
		{
			name: "failed password",
			msg:  loginMsg("sshd", "Failed password for root from 89.160.20.156 port 29160 ssh2"),
			want: []*record.Record{failed("root", "89.160.20.156", 29160, "Failed password")},
		},
		{
			name: "failed password for invalid user",
			msg:  loginMsg("sshd", "Failed password for invalid user admin from 203.0.113.9 port 40000 ssh2"),
			want: []*record.Record{failed("admin", "203.0.113.9", 40000, "Failed password for invalid user")},
		},
		{
			name: "failed none for an empty invalid user",
			msg:  loginMsg("sshd", "Failed none for invalid user  from 203.0.113.9 port 40001 ssh2"),
			want: []*record.Record{failed("", "203.0.113.9", 40001, "Failed none for invalid user")},
		},
		{
			name: "failed publickey with key",
			msg:  loginMsg("sshd", "Failed publickey for alice from 203.0.113.9 port 40003 ssh2: RSA SHA256:AAAAB3NzaC1yc2E"),
			want: []*record.Record{failed("alice", "203.0.113.9", 40003, "Failed publickey")},
		},
		{
			name: "user name holding from and port",
			msg:  loginMsg("sshd", "Failed password for invalid user x from 192.0.2.1 port 1 from 203.0.113.9 port 40002 ssh2"),
			want: []*record.Record{failed("x from 192.0.2.1 port 1", "203.0.113.9", 40002, "Failed password for invalid user")},
		},
		{
			name: "rsyslog repeated message",
			msg:  loginMsg("sshd", "message repeated 3 times: [ Failed password for root from 203.0.113.9 port 40004 ssh2]"),
			want: []*record.Record{
				failed("root", "203.0.113.9", 40004, "Failed password"),
				failed("root", "203.0.113.9", 40004, "Failed password"),
				failed("root", "203.0.113.9", 40004, "Failed password"),
			},
		},
		{
			name: "failed, header and tag stripped",
			msg:  loginMsg("", "Failed password for root from 89.160.20.156 port 29160 ssh2"),
			want: []*record.Record{failed("root", "89.160.20.156", 29160, "Failed password")},
		},

		{name: "invalid user (old)", msg: loginMsg("sshd", "Invalid user test from 10.0.2.2"), wantErr: dialect.ErrNotMine},
		{name: "invalid user", msg: loginMsg("sshd", "Invalid user admin from 203.0.113.9 port 40000"), wantErr: dialect.ErrNotMine},
		{name: "received disconnect (old)", msg: loginMsg("sshd", "Received disconnect from 10.0.2.2: 11: disconnected by user"), wantErr: dialect.ErrNotMine},
		{name: "received disconnect", msg: loginMsg("sshd", "Received disconnect from 203.0.113.5 port 51234:11: disconnected by user"), wantErr: dialect.ErrNotMine},
		{name: "preauth close", msg: loginMsg("sshd", "Connection closed by authenticating user root 203.0.113.9 port 40000 [preauth]"), wantErr: dialect.ErrNotMine},
		{name: "preauth disconnect of invalid user", msg: loginMsg("sshd", "Disconnected from invalid user admin 203.0.113.9 port 40000 [preauth]"), wantErr: dialect.ErrNotMine},
		{name: "preauth disconnect", msg: loginMsg("sshd", "Disconnected from authenticating user root 203.0.113.9 port 40000 [preauth]"), wantErr: dialect.ErrNotMine},
		{name: "PAM failure summary", msg: loginMsg("sshd", "PAM 4 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=202.109.143.106  user=root"), wantErr: dialect.ErrNotMine},
		{name: "PAM session line", msg: loginMsg("sshd", "pam_unix(sshd:session): session opened for user vagrant by (uid=0)"), wantErr: dialect.ErrNotMine},
		{name: "no identification", msg: loginMsg("sshd", "Did not receive identification string from 89.160.20.156"), wantErr: dialect.ErrNotMine},
		{name: "PAM error", msg: loginMsg("sshd", "error: PAM: User not known to the underlying authentication module for illegal user test from test.example.com"), wantErr: dialect.ErrNotMine},
		{name: "fatal", msg: loginMsg("sshd", "fatal: Read from socket failed: Connection reset by peer [preauth]"), wantErr: dialect.ErrNotMine},
		{name: "failed to", msg: loginMsg("sshd", "Failed to release session: Interrupted system call"), wantErr: dialect.ErrNotMine},
		{name: "other program", msg: loginMsg("sudo", "pam_unix(sudo:session): session opened for user root by vagrant(uid=1000)"), wantErr: dialect.ErrNotMine},
		{name: "other program with an sshd-like text", msg: loginMsg("myapp", "Accepted password for alice from 203.0.113.5 port 51234 ssh2"), wantErr: dialect.ErrNotMine},
		{name: "dovecot, header stripped", msg: loginMsg("", "dovecot: imap-login: Login: user=<alice>, method=PLAIN, rip=203.0.113.5, lip=192.0.2.1"), wantErr: dialect.ErrNotMine},
		{name: "repeat of another program's line", msg: loginMsg("", "message repeated 2 times: [ eth0: link down]"), wantErr: dialect.ErrNotMine},
		{name: "repeat count too large, text only", msg: loginMsg("", "message repeated 5000 times: [ Failed password for root from 203.0.113.9 port 40004 ssh2]"), wantErr: dialect.ErrNotMine},
		{name: "bad address, text only", msg: loginMsg("", "Accepted password for alice from 203.0.113.500 port 22 ssh2"), wantErr: dialect.ErrNotMine},

		{name: "bad address", msg: loginMsg("sshd", "Accepted password for alice from 203.0.113.500 port 22 ssh2"), wantErr: errLoginMalformed},
		{name: "bad port", msg: loginMsg("sshd", "Accepted password for alice from 203.0.113.5 port 99999 ssh2"), wantErr: errLoginMalformed},
		{name: "accepted without user", msg: loginMsg("sshd", "Accepted password for  from 203.0.113.5 port 22 ssh2"), wantErr: errLoginMalformed},
		{name: "repeat count too large", msg: loginMsg("sshd", "message repeated 5000 times: [ Failed password for root from 203.0.113.9 port 40004 ssh2]"), wantErr: errLoginMalformed},
	}
}

func TestParseSSH(t *testing.T) { runLoginCases(t, "openssh", openSSHCases()) }

func FuzzParseSSH(f *testing.F) {
	for _, tc := range openSSHCases() {
		f.Add(tc.msg.App, tc.msg.Text)
	}
	p := loginParser(f, "openssh")
	f.Fuzz(func(t *testing.T, app, text string) { loginCheckFuzz(t, p, app, text) })
}

func BenchmarkParseSSH(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"accepted", "Accepted publickey for vagrant from 10.0.2.2 port 48274 ssh2: ED25519 SHA256:k1kjhwoH/H3w31MbGOIGd7qxrkSQJnoAN0eYJVHDmmI"},
		{"failed", "Failed password for invalid user admin from 203.0.113.9 port 40000 ssh2"},
		{"other", "Received disconnect from 203.0.113.5 port 51234:11: disconnected by user"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := loginParser(b, "openssh")
			m := loginMsg("sshd", bc.text)
			b.ReportAllocs()
			for b.Loop() {
				_, _ = p.Parse(m) // the result is checked by TestParseSSH
			}
		})
	}
}
