package dialect

import (
	"errors"
	"fmt"
	"strings"

	"github.com/warden-ops/warden/internal/record"
)

// pamParser reads the Linux PAM lines that pam_unix (and modules that copy
// its wording, such as pam_sss) write for any program:
//
//	pam_unix(<svc>:session): session opened for user <user>[(uid=N)] by [<login>](uid=N)
//	pam_unix(<svc>:session): session closed for user <user>
//	pam_unix(<svc>:auth): authentication failure; logname=<l> uid=N euid=N tty=<t> ruser=<r> rhost=<host>  user=<user>
//
// Session opened is a login and session closed a logout: Account is the
// user the session is for. SessionID is the pid of the process that
// logged the line, which opens and closes the session, when the message
// carries it; the syslog layer does not pass the pid on today, so it is
// usually empty. The service is not kept (a session record has no field
// for it) and session lines carry no address.
//
// Sessions that PAM opens for jobs and identity changes, not logins, are
// turned down with ErrNotMine: the services cron, crond, atd,
// systemd-user, sudo, sudo-i, su, su-l, runuser, runuser-l, pkexec and
// polkit-1. Their lines stay raw; mapped, every cron run would look like a
// root login.
//
// Authentication failure is an event "login-failed/pam/<svc>" for every
// service (a wrong sudo password is a failed authentication too): Account
// is user=, SrcAddr is rhost= when it is an address (no port is logged);
// Detail is "<module>: authentication failure", with "; logname=<l>" when
// the invoking login is known and "; rhost=<name>" when rhost is a host
// name. The rule differs from openssh's "login-failed/sshd" on purpose:
// with UsePAM, sshd logs one failed password both as "Failed password"
// and as this line, and a count over both rules would count it twice.
//
// Other PAM lines (check pass, account, password changes) are turned down
// with ErrNotMine.
type pamParser struct{}

// newPAM returns a parser of Linux PAM session and authentication lines.
func newPAM() Parser { return pamParser{} }

var (
	errPAMOther    = loginNotMine("pam", "not a PAM line")
	errPAMNoEvent  = loginNotMine("pam", "PAM line without a login event")
	errPAMNotLogin = loginNotMine("pam", "PAM session of a job or identity change, not a login")
)

// Parse implements Parser.
func (pamParser) Parse(m *Message) ([]*record.Record, error) {
	_, pid, text := loginProgram(m)
	if !strings.HasPrefix(text, "pam_") && !strings.HasPrefix(text, "message repeated ") {
		return nil, errPAMOther
	}
	text, n := loginUnrepeat(text)
	if !strings.HasPrefix(text, "pam_") {
		return nil, errPAMOther
	}
	module, svc, typ, msg, ok := pamHead(text)
	if !ok {
		return nil, errPAMOther
	}
	var r *record.Record
	var err error
	switch typ {
	case "session":
		r, err = pamSession(m, svc, pid, msg)
	case "auth":
		r, err = pamAuthFailure(m, module, svc, msg)
	default:
		return nil, errPAMNoEvent
	}
	var recs []*record.Record
	if err == nil {
		recs, err = loginRecords(r, n)
	}
	if err != nil {
		if errors.Is(err, ErrNotMine) {
			return nil, err
		}
		return nil, fmt.Errorf("parse PAM line: %w", err)
	}
	return recs, nil
}

// pamHead splits "<module>(<svc>:<type>): <msg>".
func pamHead(s string) (module, svc, typ, msg string, ok bool) {
	i := strings.IndexByte(s, '(')
	if i < 0 || strings.ContainsRune(s[:i], ' ') {
		return "", "", "", "", false
	}
	j := strings.Index(s, "): ")
	if j < i {
		return "", "", "", "", false
	}
	svc, typ, ok = strings.Cut(s[i+1:j], ":")
	if !ok || strings.ContainsRune(svc, ' ') {
		return "", "", "", "", false
	}
	return s[:i], svc, typ, s[j+3:], true
}

// pamNotLogin reports whether svc is a PAM service whose sessions are jobs
// or identity changes rather than logins.
func pamNotLogin(svc string) bool {
	switch svc {
	case "cron", "crond", "atd", "systemd-user", "sudo", "sudo-i", "su", "su-l",
		"runuser", "runuser-l", "pkexec", "polkit-1":
		return true
	}
	return false
}

// pamSession reads "session opened for user ..." and "session closed for
// user ...".
func pamSession(m *Message, svc, pid, msg string) (*record.Record, error) {
	var ev record.SessionEvent
	var user string
	if rest, ok := strings.CutPrefix(msg, "session opened for user "); ok {
		ev = record.SessionLogin
		user, _, _ = strings.Cut(rest, " by ")
	} else if rest, ok := strings.CutPrefix(msg, "session closed for user "); ok {
		ev = record.SessionLogout
		user = rest
	} else {
		return nil, errPAMNoEvent
	}
	if pamNotLogin(svc) {
		return nil, errPAMNotLogin
	}
	if i := strings.LastIndex(user, "(uid="); i >= 0 && strings.HasSuffix(user, ")") {
		user = user[:i]
	}
	user = strings.TrimSpace(user)
	if user == "" {
		return nil, errors.New("read user: empty")
	}
	user, err := loginString("user", user)
	if err != nil {
		return nil, err
	}
	r := loginSession(m, ev)
	r.Session.Account = user
	if pid != "" && strings.Trim(pid, "0123456789") == "" {
		r.Session.SessionID = strings.Clone(pid)
	}
	return r, nil
}

// pamAuthFailure reads "authentication failure; logname=... rhost=...
// user=...".
func pamAuthFailure(m *Message, module, svc, msg string) (*record.Record, error) {
	rest, ok := strings.CutPrefix(msg, "authentication failure;")
	if !ok {
		return nil, errPAMNoEvent
	}
	// user= comes last and is the name as typed, spaces and all; the
	// fields before it are PAM's own and hold no spaces.
	var user string
	if i := strings.Index(rest, " user="); i >= 0 {
		rest, user = rest[:i], rest[i+len(" user="):]
	}
	var logname, rhost string
	for rest != "" {
		var word string
		word, rest, _ = strings.Cut(strings.TrimLeft(rest, " "), " ")
		k, v, _ := strings.Cut(word, "=")
		switch k {
		case "logname":
			logname = v
		case "rhost":
			rhost = v
		}
	}
	rule := "login-failed/pam"
	if loginRuleWord(svc) {
		rule += "/" + svc
	}
	r := loginFailure(m, rule)
	detail := module + ": authentication failure"
	if logname != "" {
		detail += "; logname=" + logname
	}
	if rhost != "" {
		if a, err := loginAddr(rhost); err == nil {
			r.Event.SrcAddr = a
		} else {
			detail += "; rhost=" + rhost
		}
	}
	var err error
	if r.Event.Account, err = loginString("user", user); err != nil {
		return nil, err
	}
	r.Event.Detail = loginShort(detail)
	return r, nil
}
