package dialect

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/warden-ops/warden/internal/record"
)

// This file holds the helpers that the login and logout parsers
// (login_*.go) share. Their names start with login so that they cannot
// collide with the NAT parsers' helpers in the same package.
//
// The login parsers map lines the same way:
//
//   - A successful login is a session record with event login; a logout
//     or closed session is one with event logout. For a service login
//     (sshd, Dovecot, Postfix, a router's management login) Session.Addr
//     holds the client's address, the only address such a line carries;
//     for a subscriber login (VPN, PPP, hotspot, User-ID) it holds the
//     address the subscriber was given, as RADIUS Framed-IP-Address does.
//   - A failed login is a security event with rule
//     "login-failed/<program>[/<service>]", severity low, the attempted
//     account and the client's address and port.
//   - Fields a line does not carry stay empty. Each parser's comment says
//     which field holds what.

// loginNotMine returns an ErrNotMine that names the format and says why
// the line was turned down. Parsers keep one per reason in a package
// variable, so that declining a line, which happens for nearly every line
// a parser sees, allocates nothing.
func loginNotMine(format, reason string) error {
	return fmt.Errorf("%w: %s: %s", ErrNotMine, format, reason)
}

// loginNotMineErr turns err, raised while parsing a line that was
// recognised only by its text (the header and the program tag were
// stripped), into an ErrNotMine: such a line may be another program's, and
// the next parser should try it.
func loginNotMineErr(format string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrNotMine, format, err)
}

// loginMaxRepeat bounds the count of a "message repeated N times" line
// that a parser expands into N records. A login line repeats only while
// one client retries one connection (sshd allows 6 tries by default), so
// real counts are small; a larger count is refused as malformed rather
// than expanded, so that one line cannot make a parser allocate without
// bound.
const loginMaxRepeat = 1000

// loginUnrepeat undoes rsyslog's repeated-message reduction (on by default
// on Debian and Ubuntu): for "message repeated N times: [ text]" it
// returns text and N, for any other line the line and 1. Every repeat is
// one more login or failed attempt, so a parser returns N records (see
// loginRecords).
func loginUnrepeat(s string) (string, int) {
	const prefix = "message repeated "
	if !strings.HasPrefix(s, prefix) {
		return s, 1
	}
	num, text, ok := strings.Cut(s[len(prefix):], " times: [")
	if !ok || !strings.HasSuffix(text, "]") {
		return s, 1
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 {
		return s, 1
	}
	return strings.TrimPrefix(text[:len(text)-1], " "), n
}

// loginRecords returns r and n-1 copies of it, or an error if n is over
// loginMaxRepeat.
func loginRecords(r *record.Record, n int) ([]*record.Record, error) {
	if n > loginMaxRepeat {
		return nil, fmt.Errorf("read repeat count: %d is over %d", n, loginMaxRepeat)
	}
	recs := make([]*record.Record, n)
	recs[0] = r
	for i := 1; i < n; i++ {
		c := *r
		if r.Session != nil {
			s := *r.Session
			c.Session = &s
		}
		if r.Event != nil {
			e := *r.Event
			c.Event = &e
		}
		recs[i] = &c
	}
	return recs, nil
}

// loginCutPID splits "prog[pid]" into prog and pid.
func loginCutPID(tag string) (prog, pid string) {
	i := strings.IndexByte(tag, '[')
	if i < 0 || !strings.HasSuffix(tag, "]") {
		return tag, ""
	}
	return tag[:i], tag[i+1 : len(tag)-1]
}

// loginMaxTag is the longest program tag loginTag takes from a text: the
// syslog parser allows 48 bytes of name, and a pid adds up to 12.
const loginMaxTag = 64

// loginTag splits the "prog[pid]: " a BSD syslog header ends with off s,
// for a message whose header was stripped before it reached Warden. A
// program name has no space, colon or bracket (RFC 3164 TAG, as the
// syslog parser reads it).
func loginTag(s string) (prog, pid, rest string, ok bool) {
	head := s[:min(len(s), loginMaxTag+2)]
	i := strings.Index(head, ": ")
	if i <= 0 {
		return "", "", "", false
	}
	prog, pid = loginCutPID(s[:i])
	if prog == "" || strings.ContainsAny(prog, " :[]") || strings.ContainsAny(pid, " :[]") {
		return "", "", "", false
	}
	return prog, pid, s[i+2:], true
}

// loginProgram returns the program that logged m (the header's APP-NAME,
// without a "[pid]"), its pid if known, and the body. When the header has
// no APP-NAME it takes them from a tag at the start of the text. The
// syslog layer does not pass the pid on (Message has no PROCID), so pid is
// usually empty.
func loginProgram(m *Message) (prog, pid, text string) {
	if m.App != "" {
		prog, pid = loginCutPID(m.App)
		return prog, pid, m.Text
	}
	if prog, pid, rest, ok := loginTag(m.Text); ok {
		return prog, pid, rest
	}
	return "", "", m.Text
}

// loginAddr parses an IP address as a record keeps it: an IPv4-mapped IPv6
// address (old sshd writes ::ffff:192.0.2.1) is unmapped, and a zone
// (fe80::1%eth0) is dropped, because a record cannot keep one and the
// address is what identifies the client.
func loginAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	return a.WithZone("").Unmap(), nil
}

// loginPort parses a decimal port number.
func loginPort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("parse port: %w", err)
	}
	return uint16(n), nil
}

// loginUint parses a decimal counter.
func loginUint(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse counter: %w", err)
	}
	return n, nil
}

// loginString returns a copy of s for a record field, or an error if s is
// longer than a record keeps. The copy keeps the record from pinning the
// message's text, which the collector may reuse.
func loginString(field, s string) (string, error) {
	if len(s) > record.MaxStringLen {
		return "", fmt.Errorf("read %s: longer than %d bytes", field, record.MaxStringLen)
	}
	return strings.Clone(s), nil
}

// loginMaxDetail bounds an event's Detail or a session's TerminateCause:
// a short reason, not a copy of the line.
const loginMaxDetail = 256

// loginShort returns a copy of s cut to loginMaxDetail bytes at a
// character boundary.
func loginShort(s string) string {
	if len(s) > loginMaxDetail {
		i := loginMaxDetail
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i]
	}
	return strings.Clone(s)
}

// loginRuleWord reports whether s may be part of a rule name: a short
// word of letters, digits, '-' and '_'. Service names from a line go into
// rule names only if they are.
func loginRuleWord(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// loginSession returns a session record for m with event ev at the
// message's header time.
func loginSession(m *Message, ev record.SessionEvent) *record.Record {
	r := newRecord(record.KindSession, m, m.Time)
	r.Session.Event = ev
	return r
}

// loginFailure returns a failed-login event for m, at the message's header
// time, with rule and severity set.
func loginFailure(m *Message, rule string) *record.Record {
	r := newRecord(record.KindEvent, m, m.Time)
	r.Event.Rule = rule
	r.Event.Severity = record.SeverityLow
	return r
}
