package dialect_test

import (
	"testing"

	"github.com/warden-ops/warden/internal/dialect"
	"github.com/warden-ops/warden/internal/record"
)

// pamCases are pam_unix lines: the templates of log-formats.md §11 and
// lines published in elastic/integrations' auth.log test data.
func pamCases() []loginCase {
	session := func(ev record.SessionEvent, user, id string) []*record.Record {
		return []*record.Record{loginSession(record.Session{Event: ev, Account: user, SessionID: id})}
	}
	failure := func(rule, user, addr, detail string) []*record.Record {
		e := record.Event{Rule: rule, Severity: record.SeverityLow, Account: user, Detail: detail}
		if addr != "" {
			e.SrcAddr = loginAddr(addr)
		}
		return []*record.Record{loginEvent(e)}
	}
	return []loginCase{
		{
			name: "session opened with uid",
			msg:  loginMsg("sshd", "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)"),
			want: session(record.SessionLogin, "alice", ""),
		},
		{
			name: "session opened, old wording",
			msg:  loginMsg("sshd", "pam_unix(sshd:session): session opened for user vagrant by (uid=0)"),
			want: session(record.SessionLogin, "vagrant", ""),
		},
		{
			name: "session closed",
			msg:  loginMsg("sshd", "pam_unix(sshd:session): session closed for user vagrant"),
			want: session(record.SessionLogout, "vagrant", ""),
		},
		{
			name: "pid from a tag in the text",
			msg:  loginMsg("", "sshd[3007]: pam_unix(sshd:session): session closed for user vagrant"),
			want: session(record.SessionLogout, "vagrant", "3007"),
		},
		{
			name: "pid from the program name",
			msg:  loginMsg("sshd-session[3007]", "pam_unix(sshd:session): session opened for user vagrant(uid=1000) by vagrant(uid=0)"),
			want: session(record.SessionLogin, "vagrant", "3007"),
		},
		{
			name: "console login",
			msg:  loginMsg("login", "pam_unix(login:session): session opened for user root(uid=0) by LOGIN(uid=0)"),
			want: session(record.SessionLogin, "root", ""),
		},
		{
			name: "header and tag stripped",
			msg:  loginMsg("", "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)"),
			want: session(record.SessionLogin, "alice", ""),
		},
		{
			name: "authentication failure",
			msg:  loginMsg("sshd", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=alice"),
			want: failure("login-failed/pam/sshd", "alice", "203.0.113.5", "pam_unix: authentication failure"),
		},
		{
			name: "authentication failure (RHEL 7)",
			msg:  loginMsg("sshd", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=202.109.143.106  user=root"),
			want: failure("login-failed/pam/sshd", "root", "202.109.143.106", "pam_unix: authentication failure"),
		},
		{
			name: "sudo password failure",
			msg:  loginMsg("sudo", "pam_unix(sudo:auth): authentication failure; logname=vagrant uid=1001 euid=0 tty=/dev/pts/1 ruser=tsg rhost=  user=tsg"),
			want: failure("login-failed/pam/sudo", "tsg", "", "pam_unix: authentication failure; logname=vagrant"),
		},
		{
			name: "unknown user, host name",
			msg:  loginMsg("sshd", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=host.example.com"),
			want: failure("login-failed/pam/sshd", "", "", "pam_unix: authentication failure; rhost=host.example.com"),
		},
		{
			name: "pam_sss",
			msg:  loginMsg("sshd", "pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=2001:db8::9 user=bob"),
			want: failure("login-failed/pam/sshd", "bob", "2001:db8::9", "pam_sss: authentication failure"),
		},
		{
			name: "rsyslog repeated message",
			msg:  loginMsg("sshd", "message repeated 2 times: [ pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=alice]"),
			want: append(
				failure("login-failed/pam/sshd", "alice", "203.0.113.5", "pam_unix: authentication failure"),
				failure("login-failed/pam/sshd", "alice", "203.0.113.5", "pam_unix: authentication failure")...),
		},

		{name: "cron session", msg: loginMsg("CRON", "pam_unix(cron:session): session opened for user root by (uid=0)"), wantErr: dialect.ErrNotMine},
		{name: "sudo session", msg: loginMsg("sudo", "pam_unix(sudo:session): session opened for user root by vagrant(uid=1000)"), wantErr: dialect.ErrNotMine},
		{name: "su session", msg: loginMsg("su", "pam_unix(su:session): session opened for user tsg by vagrant(uid=0)"), wantErr: dialect.ErrNotMine},
		{name: "systemd-user session", msg: loginMsg("systemd", "pam_unix(systemd-user:session): session opened for user alice(uid=1000) by alice(uid=0)"), wantErr: dialect.ErrNotMine},
		{name: "password change", msg: loginMsg("passwd", "pam_unix(passwd:chauthtok): password changed for tsg"), wantErr: dialect.ErrNotMine},
		{name: "requirement not met", msg: loginMsg("sshd", `pam_succeed_if(sshd:auth): requirement "uid >= 1000" not met by user "root"`), wantErr: dialect.ErrNotMine},
		{name: "check pass", msg: loginMsg("sshd", "pam_unix(sshd:auth): check pass; user unknown"), wantErr: dialect.ErrNotMine},
		{name: "sshd line", msg: loginMsg("sshd", "Accepted password for alice from 203.0.113.5 port 51234 ssh2"), wantErr: dialect.ErrNotMine},
		{name: "sudo command", msg: loginMsg("sudo", "vagrant : TTY=pts/0 ; PWD=/home/vagrant ; USER=root ; COMMAND=/bin/ls"), wantErr: dialect.ErrNotMine},
		{name: "not PAM", msg: loginMsg("", "pam is a cooking spray"), wantErr: dialect.ErrNotMine},

		{name: "repeat of another line", msg: loginMsg("sshd", "message repeated 2 times: [ Received disconnect from 203.0.113.5 port 51234:11: bye]"), wantErr: dialect.ErrNotMine},

		{name: "repeat count too large", msg: loginMsg("sshd", "message repeated 5000 times: [ pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=alice]"), wantErr: errLoginMalformed},
		{name: "session without user", msg: loginMsg("sshd", "pam_unix(sshd:session): session opened for user (uid=0) by (uid=0)"), wantErr: errLoginMalformed},
	}
}

func TestParsePAM(t *testing.T) { runLoginCases(t, "pam", pamCases()) }

func FuzzParsePAM(f *testing.F) {
	for _, tc := range pamCases() {
		f.Add(tc.msg.App, tc.msg.Text)
	}
	p := loginParser(f, "pam")
	f.Fuzz(func(t *testing.T, app, text string) { loginCheckFuzz(t, p, app, text) })
}

func BenchmarkParsePAM(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"session", "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)"},
		{"failure", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=alice"},
		{"other", "Accepted password for alice from 203.0.113.5 port 51234 ssh2"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := loginParser(b, "pam")
			m := loginMsg("sshd", bc.text)
			b.ReportAllocs()
			for b.Loop() {
				_, _ = p.Parse(m) // the result is checked by TestParsePAM
			}
		})
	}
}
