package dialect

import (
	"errors"
	"fmt"
	"strings"

	"github.com/warden-ops/warden/internal/record"
)

// dovecotParser reads Dovecot's login and logout lines, as Dovecot 2.x
// writes them to syslog (program dovecot) or to its own log file (the
// process name in place of the program, "Info: " before the message):
//
//	<svc>-login: Login: user=<user>, method=<m>, rip=<client>, lip=<server>, mpid=<pid>, [TLS|secured, ]session=<id>
//	<svc>-login: Aborted login (auth failed, N attempts in S secs): user=<user>, method=<m>, rip=<client>, lip=<server>, ...
//	<svc>(<user>)[<pid>][<id>]: Disconnected: Logged out in=<n> out=<n>
//
// where svc is imap, pop3, submission or managesieve; 2.3 and 2.4 also
// write the failure as "Disconnected (auth failed, ...)", "Disconnected:
// Aborted login by logging out (auth failed, ...)" or "Login aborted:
// Connection closed (auth failed, ...) (auth_failed)".
//
// Login is a login: Account is user, Addr the client's address (rip),
// NASAddr the server's address the client reached (lip), SessionID the
// session ID. A process line starting "Disconnected", "Logged out",
// "Connection closed" or "Server shutting down" is a logout: Account is
// the user in brackets, SessionID the session ID when the log prefix has
// it (Dovecot 2.3 and later), TerminateCause the reason ("Logged out",
// "Disconnected for inactivity", "Connection closed"), InputOctets and
// OutputOctets the in= and out= byte counts (bytes from and to the
// client, as RADIUS counts them). A logout line carries no address.
//
// A login process line with "(auth failed, ...)" is an event
// "login-failed/dovecot/<svc>": Account is user (absent if the client
// gave none), SrcAddr and SrcPort the client (rip, rport), DstAddr and
// DstPort the server (lip, lport), Detail "auth failed, N attempts in S
// secs". One line stands for the N attempts of one connection; it is one
// event. The auth process's own per-attempt lines ("auth: passwd-file(...):
// Password mismatch"), logged only with auth_verbose, are turned down with
// ErrNotMine, so that an attempt is not counted twice. So are the other
// lines: "no auth attempts", lmtp deliveries, errors.
type dovecotParser struct{}

// newDovecot returns a parser of Dovecot login logs.
func newDovecot() Parser { return dovecotParser{} }

var (
	errDovecotOther   = loginNotMine("dovecot", "not a Dovecot login or mail process line")
	errDovecotNoEvent = loginNotMine("dovecot", "Dovecot line without a login event")
)

// dovecotService reports whether svc is a Dovecot service clients log in
// to.
func dovecotService(svc string) bool {
	switch strings.ToLower(svc) {
	case "imap", "pop3", "submission", "managesieve":
		return true
	}
	return false
}

// dovecotHead is what a line's process prefix says: "imap-login", or
// "imap(alice)<123><abc>".
type dovecotHead struct {
	svc, user, session string
	login              bool // a login process, not a mail process
}

// parseDovecotHead reads a process prefix.
func parseDovecotHead(s string) (dovecotHead, bool) {
	if svc, ok := strings.CutSuffix(s, "-login"); ok {
		return dovecotHead{svc: svc, login: true}, dovecotService(svc)
	}
	i := strings.IndexByte(s, '(')
	j := strings.LastIndexByte(s, ')')
	if i <= 0 || j < i || !dovecotService(s[:i]) {
		return dovecotHead{}, false
	}
	h := dovecotHead{svc: strings.ToLower(s[:i]), user: s[i+1 : j]}
	// Dovecot 2.3 and later: "<pid><session>" after the user.
	tail := s[j+1:]
	for k := 0; tail != "" && k < 2; k++ {
		if tail[0] != '<' {
			return dovecotHead{}, false
		}
		end := strings.IndexByte(tail, '>')
		if end < 0 {
			return dovecotHead{}, false
		}
		if k == 1 {
			h.session = tail[1:end]
		}
		tail = tail[end+1:]
	}
	return h, tail == ""
}

// Parse implements Parser.
func (dovecotParser) Parse(m *Message) ([]*record.Record, error) {
	prog, _, text := loginProgram(m)
	head, msg := prog, text
	if prog == "dovecot" {
		var ok bool
		if head, msg, ok = strings.Cut(text, ": "); !ok {
			return nil, errDovecotNoEvent
		}
	} else if m.App == "" && prog == "" {
		return nil, errDovecotOther
	}
	h, ok := parseDovecotHead(head)
	if !ok {
		if prog == "dovecot" {
			return nil, errDovecotNoEvent
		}
		return nil, errDovecotOther
	}
	msg = strings.TrimPrefix(msg, "Info: ")
	var r *record.Record
	var err error
	switch {
	case h.login && strings.HasPrefix(msg, "Login: "):
		r, err = dovecotLogin(m, msg[len("Login: "):])
	case h.login && strings.Contains(msg, "(auth failed"):
		r, err = dovecotFailure(m, h.svc, msg)
	case !h.login && dovecotLogout(msg):
		r, err = dovecotLogoutRecord(m, h, msg)
	default:
		return nil, errDovecotNoEvent
	}
	if err != nil {
		return nil, fmt.Errorf("parse Dovecot line: %w", err)
	}
	return []*record.Record{r}, nil
}

// dovecotFields are the fields of a login process line.
type dovecotFields struct {
	user, rip, lip, rport, lport, session string
}

// parseDovecotFields reads "user=<u>, method=m, rip=a, lip=b, ...". The
// user, which the client chose, is read first and ends at the first ">, "
// (or the last '>'); the fields after it are Dovecot's own.
func parseDovecotFields(s string) dovecotFields {
	var f dovecotFields
	if i := strings.Index(s, "user=<"); i >= 0 {
		rest := s[i+len("user=<"):]
		if end := strings.Index(rest, ">, "); end >= 0 {
			f.user, s = rest[:end], rest[end+2:]
		} else if end := strings.LastIndexByte(rest, '>'); end >= 0 {
			f.user, s = rest[:end], rest[end+1:]
		} else {
			f.user, s = rest, ""
		}
	}
	for s != "" {
		var item string
		item, s, _ = strings.Cut(s, ", ")
		item = strings.TrimSpace(item)
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			continue
		}
		if sp := strings.IndexByte(v, ' '); sp >= 0 {
			v = v[:sp]
		}
		switch k {
		case "rip":
			f.rip = v
		case "lip":
			f.lip = v
		case "rport":
			f.rport = v
		case "lport":
			f.lport = v
		case "session":
			f.session = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
		}
	}
	return f
}

// dovecotLogin reads the fields of a "Login:" line.
func dovecotLogin(m *Message, s string) (*record.Record, error) {
	f := parseDovecotFields(s)
	if f.user == "" {
		return nil, errors.New("read user: empty")
	}
	r := loginSession(m, record.SessionLogin)
	var err error
	if r.Session.Account, err = loginString("user", f.user); err != nil {
		return nil, err
	}
	if f.rip != "" {
		if r.Session.Addr, err = loginAddr(f.rip); err != nil {
			return nil, fmt.Errorf("read rip: %w", err)
		}
	}
	if f.lip != "" {
		if r.Session.NASAddr, err = loginAddr(f.lip); err != nil {
			return nil, fmt.Errorf("read lip: %w", err)
		}
	}
	if r.Session.SessionID, err = loginString("session", f.session); err != nil {
		return nil, err
	}
	return r, nil
}

// dovecotFailure reads a login process line with "(auth failed, ...)".
func dovecotFailure(m *Message, svc, msg string) (*record.Record, error) {
	i := strings.Index(msg, "(auth failed")
	detail := msg[i+1:]
	if j := strings.IndexByte(detail, ')'); j >= 0 {
		detail = detail[:j]
	}
	f := parseDovecotFields(msg) // Dovecot 2.0 wrote the fields first
	r := loginFailure(m, "login-failed/dovecot/"+strings.ToLower(svc))
	var err error
	if r.Event.Account, err = loginString("user", f.user); err != nil {
		return nil, err
	}
	if f.rip != "" {
		if r.Event.SrcAddr, err = loginAddr(f.rip); err != nil {
			return nil, fmt.Errorf("read rip: %w", err)
		}
	}
	if f.rport != "" {
		if r.Event.SrcPort, err = loginPort(f.rport); err != nil {
			return nil, fmt.Errorf("read rport: %w", err)
		}
	}
	if f.lip != "" {
		if r.Event.DstAddr, err = loginAddr(f.lip); err != nil {
			return nil, fmt.Errorf("read lip: %w", err)
		}
	}
	if f.lport != "" {
		if r.Event.DstPort, err = loginPort(f.lport); err != nil {
			return nil, fmt.Errorf("read lport: %w", err)
		}
	}
	r.Event.Detail = loginShort(detail)
	return r, nil
}

// dovecotLogout reports whether a mail process message ends the session.
func dovecotLogout(msg string) bool {
	for _, p := range [...]string{"Disconnected", "Logged out", "Connection closed", "Server shutting down"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// dovecotLogoutRecord reads a mail process's logout line.
func dovecotLogoutRecord(m *Message, h dovecotHead, msg string) (*record.Record, error) {
	if h.user == "" {
		return nil, errors.New("read user: empty")
	}
	r := loginSession(m, record.SessionLogout)
	var err error
	if r.Session.Account, err = loginString("user", h.user); err != nil {
		return nil, err
	}
	if r.Session.SessionID, err = loginString("session", h.session); err != nil {
		return nil, err
	}
	r.Session.TerminateCause = loginShort(dovecotReason(msg))
	if v, ok := dovecotCount(msg, " in="); ok {
		if r.Session.InputOctets, err = loginUint(v); err != nil {
			return nil, fmt.Errorf("read in: %w", err)
		}
	}
	if v, ok := dovecotCount(msg, " out="); ok {
		if r.Session.OutputOctets, err = loginUint(v); err != nil {
			return nil, fmt.Errorf("read out: %w", err)
		}
	}
	return r, nil
}

// dovecotReason returns the reason a logout line gives, without the
// statistics: "Logged out" for "Disconnected: Logged out in=1 out=2".
func dovecotReason(msg string) string {
	if rest, ok := strings.CutPrefix(msg, "Disconnected: "); ok && rest != "" {
		msg = rest
	}
	for _, sep := range [...]string{" in=", " top=", " bytes=", " (", ", "} {
		if i := strings.Index(msg, sep); i >= 0 {
			msg = msg[:i]
		}
	}
	return msg
}

// dovecotCount returns the digits after the last key (" in=") in msg.
func dovecotCount(msg, key string) (string, bool) {
	i := strings.LastIndex(msg, key)
	if i < 0 {
		return "", false
	}
	v := msg[i+len(key):]
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	return v[:end], true
}
