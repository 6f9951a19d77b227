package dialect_test

import (
	"testing"

	"github.com/warden-ops/warden/internal/dialect"
	"github.com/warden-ops/warden/internal/record"
)

// postfixCases are Postfix smtpd SASL lines: the templates of
// log-formats.md §11 and the wording of smtpd_sasl_glue.c.
func postfixCases() []loginCase {
	login := func(user, addr, qid string) []*record.Record {
		return []*record.Record{loginSession(record.Session{
			Event: record.SessionLogin, Account: user, Addr: loginAddr(addr), SessionID: qid,
		})}
	}
	failed := func(user, addr string, port uint16, detail string) []*record.Record {
		return []*record.Record{loginEvent(record.Event{
			Rule: "login-failed/postfix", Severity: record.SeverityLow,
			SrcAddr: loginAddr(addr), SrcPort: port, Account: user, Detail: detail,
		})}
	}
	return []loginCase{
		{
			name: "sasl login",
			msg:  loginMsg("postfix/smtpd", "4BQ2ZH3F1Vz9sWP: client=unknown[203.0.113.5], sasl_method=PLAIN, sasl_username=alice"),
			want: login("alice", "203.0.113.5", "4BQ2ZH3F1Vz9sWP"),
		},
		{
			name: "submission service, client port, sasl_sender",
			msg:  loginMsg("postfix/submission/smtpd", "1A2B3C4D5E: client=host.example.net[198.51.100.20]:52344, sasl_method=LOGIN, sasl_username=bob@example.net, sasl_sender=bob@example.net"),
			want: login("bob@example.net", "198.51.100.20", "1A2B3C4D5E"),
		},
		{
			name: "IPv6 client",
			msg:  loginMsg("postfix/smtpd", "1A2B3C4D5F: client=unknown[2001:db8::25], sasl_method=PLAIN, sasl_username=carol"),
			want: login("carol", "2001:db8::25", "1A2B3C4D5F"),
		},
		{
			name: "header stripped",
			msg:  loginMsg("", "postfix/smtpd[1234]: 4BQ2ZH3F1Vz9sWP: client=unknown[203.0.113.5], sasl_method=PLAIN, sasl_username=alice"),
			want: login("alice", "203.0.113.5", "4BQ2ZH3F1Vz9sWP"),
		},
		{
			name: "failed LOGIN",
			msg:  loginMsg("postfix/smtpd", "warning: unknown[203.0.113.5]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"),
			want: failed("", "203.0.113.5", 0, "SASL LOGIN authentication failed: UGFzc3dvcmQ6"),
		},
		{
			name: "failed PLAIN",
			msg:  loginMsg("postfix/smtpd", "warning: mail.example.com[203.0.113.6]: SASL PLAIN authentication failed: authentication failure"),
			want: failed("", "203.0.113.6", 0, "SASL PLAIN authentication failed: authentication failure"),
		},
		{
			name: "failed, old wording without reason",
			msg:  loginMsg("postfix/smtpd", "warning: unknown[203.0.113.7]: SASL LOGIN authentication failed"),
			want: failed("", "203.0.113.7", 0, "SASL LOGIN authentication failed"),
		},
		{
			name: "failed with port and sasl_username",
			msg:  loginMsg("postfix/smtpd", "warning: unknown[203.0.113.8]:60377: SASL LOGIN authentication failed: (reason unavailable), sasl_username=admin@example.com"),
			want: failed("admin@example.com", "203.0.113.8", 60377, "SASL LOGIN authentication failed: (reason unavailable)"),
		},
		{
			name: "failed, header and tag stripped",
			msg:  loginMsg("", "warning: unknown[203.0.113.5]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"),
			want: failed("", "203.0.113.5", 0, "SASL LOGIN authentication failed: UGFzc3dvcmQ6"),
		},

		{name: "connect", msg: loginMsg("postfix/smtpd", "connect from unknown[203.0.113.5]"), wantErr: dialect.ErrNotMine},
		{name: "disconnect", msg: loginMsg("postfix/smtpd", "disconnect from unknown[203.0.113.5] ehlo=1 auth=0/1 quit=1 commands=2/3"), wantErr: dialect.ErrNotMine},
		{name: "aborted", msg: loginMsg("postfix/smtpd", "warning: unknown[203.0.113.5]: SASL LOGIN authentication aborted"), wantErr: dialect.ErrNotMine},
		{name: "client without SASL", msg: loginMsg("postfix/smtpd", "4BQ2ZH3F1Vz9sWP: client=unknown[203.0.113.5]"), wantErr: dialect.ErrNotMine},
		{name: "queue manager", msg: loginMsg("postfix/qmgr", "4BQ2ZH3F1Vz9sWP: from=<alice@example.com>, size=1234, nrcpt=1 (queue active)"), wantErr: dialect.ErrNotMine},
		{name: "other program", msg: loginMsg("sshd", "Failed password for root from 89.160.20.156 port 29160 ssh2"), wantErr: dialect.ErrNotMine},
		{name: "other warning, text only", msg: loginMsg("", "warning: disk is full: SASL is not to blame"), wantErr: dialect.ErrNotMine},

		{name: "bad client address", msg: loginMsg("postfix/smtpd", "4BQ2ZH3F1Vz9sWP: client=unknown[999.0.113.5], sasl_method=PLAIN, sasl_username=alice"), wantErr: errLoginMalformed},
		{name: "empty sasl_username", msg: loginMsg("postfix/smtpd", "4BQ2ZH3F1Vz9sWP: client=unknown[203.0.113.5], sasl_method=PLAIN, sasl_username="), wantErr: errLoginMalformed},
	}
}

func TestParsePostfix(t *testing.T) { runLoginCases(t, "postfix-sasl", postfixCases()) }

func FuzzParsePostfix(f *testing.F) {
	for _, tc := range postfixCases() {
		f.Add(tc.msg.App, tc.msg.Text)
	}
	p := loginParser(f, "postfix-sasl")
	f.Fuzz(func(t *testing.T, app, text string) { loginCheckFuzz(t, p, app, text) })
}

func BenchmarkParsePostfix(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"login", "4BQ2ZH3F1Vz9sWP: client=unknown[203.0.113.5], sasl_method=PLAIN, sasl_username=alice"},
		{"failed", "warning: unknown[203.0.113.5]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"},
		{"other", "disconnect from unknown[203.0.113.5] ehlo=1 auth=0/1 quit=1 commands=2/3"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := loginParser(b, "postfix-sasl")
			m := loginMsg("postfix/smtpd", bc.text)
			b.ReportAllocs()
			for b.Loop() {
				_, _ = p.Parse(m) // the result is checked by TestParsePostfix
			}
		})
	}
}
