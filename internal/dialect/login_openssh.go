package dialect

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/warden-ops/warden/internal/record"
)

// sshdParser reads OpenSSH sshd logs (program sshd, or sshd-session and
// sshd-auth since OpenSSH 9.8 and 10.0):
//
//	Accepted <method> for <user> from <ip> port <port> ssh2[: <key>]
//	Failed <method> for [invalid user ]<user> from <ip> port <port> ssh2[: <key>]
//	Disconnected from user <user> <ip> port <port>
//
// Accepted is a login and "Disconnected from user" a logout: Account is
// the user, Addr the client's address, and SessionID the client's address
// and port ("203.0.113.5:51234", "[2001:db8::5]:51234"). The endpoint, not
// the pid, is the session's identifier: it is on both lines, while under
// privilege separation the two lines come from different processes; and
// it keeps the client's port, which a trace-back needs when the client's
// address is a shared CGNAT address. The method and key are not kept.
//
// Failed is an event "login-failed/sshd": Account is the attempted user,
// invalid or not; SrcAddr and SrcPort the client; Detail "Failed <method>"
// and " for invalid user" when sshd knew no such account.
//
// Other sshd lines are turned down with ErrNotMine, so the caller keeps
// them raw. "Invalid user x from ip" is not mapped: every attempt it
// announces is also logged as "Failed <method> for invalid user x", and
// mapping both would count one attempt twice. Preauth closes ("Connection
// closed by authenticating user", "Disconnected from invalid user ...
// [preauth]") are a client giving up, not a failed authentication.
// "Received disconnect" names no user; after a login, "Disconnected from
// user" follows it. "PAM n more authentication failures" repeats failures
// already logged. Older OpenSSH logs no "Disconnected from user" line;
// there the logout is PAM's "session closed" line, which the pam format
// maps. A source that runs both formats gets an sshd login twice
// (Accepted, and PAM's session opened): one with the client's address, one
// without.
type sshdParser struct{}

// newOpenSSH returns a parser of OpenSSH sshd login logs.
func newOpenSSH() Parser { return sshdParser{} }

var (
	errSSHDOther   = loginNotMine("openssh", "not an sshd line")
	errSSHDNoEvent = loginNotMine("openssh", "sshd line without a login event")
	errSSHDPAM     = loginNotMine("openssh", "sshd PAM line: the pam format reads it")
)

// sshdProgram reports whether prog is an OpenSSH server program.
func sshdProgram(prog string) bool {
	return prog == "sshd" || prog == "sshd-session" || prog == "sshd-auth"
}

// Parse implements Parser.
func (sshdParser) Parse(m *Message) ([]*record.Record, error) {
	prog, _, text := loginProgram(m)
	known := sshdProgram(prog)
	if !known {
		if m.App != "" {
			return nil, errSSHDOther
		}
		text = m.Text // header and tag stripped: go by the text alone
	}
	text, n := loginUnrepeat(text)
	var r *record.Record
	var err error
	switch {
	case strings.HasPrefix(text, "Accepted "):
		r, err = sshdAuth(m, text[len("Accepted "):], true)
	case strings.HasPrefix(text, "Failed "):
		r, err = sshdAuth(m, text[len("Failed "):], false)
	case strings.HasPrefix(text, "Disconnected from user "):
		r, err = sshdDisconnect(m, text[len("Disconnected from user "):])
	case !known:
		return nil, errSSHDOther
	case strings.HasPrefix(text, "pam_"):
		return nil, errSSHDPAM
	default:
		return nil, errSSHDNoEvent
	}
	var recs []*record.Record
	if err == nil {
		recs, err = loginRecords(r, n)
	}
	if err != nil {
		if !known || errors.Is(err, ErrNotMine) {
			return nil, loginNotMineErr("openssh", err)
		}
		return nil, fmt.Errorf("parse sshd line: %w", err)
	}
	return recs, nil
}

// sshdAuth reads the rest of an Accepted or Failed line: "<method> for
// [invalid user ]<user> from <ip> port <port> ...".
func sshdAuth(m *Message, s string, accepted bool) (*record.Record, error) {
	method, rest, ok := strings.Cut(s, " for ")
	if !ok || method == "" || strings.ContainsRune(method, ' ') {
		return nil, errSSHDNoEvent // "Failed to ...", not an authentication
	}
	user, addr, port, ok := sshdFrom(rest)
	if !ok {
		return nil, errSSHDNoEvent
	}
	if addr == "" {
		return nil, errors.New("read client address: no address")
	}
	a, err := loginAddr(addr)
	if err != nil {
		return nil, fmt.Errorf("read client address: %w", err)
	}
	p, err := loginPort(port)
	if err != nil {
		return nil, fmt.Errorf("read client port: %w", err)
	}
	if accepted {
		if user == "" {
			return nil, errors.New("read user: empty")
		}
		if user, err = loginString("user", user); err != nil {
			return nil, err
		}
		r := loginSession(m, record.SessionLogin)
		r.Session.Account, r.Session.Addr = user, a
		r.Session.SessionID = netip.AddrPortFrom(a, p).String()
		return r, nil
	}
	detail := "Failed " + method
	if u, ok := strings.CutPrefix(user, "invalid user "); ok {
		user, detail = u, detail+" for invalid user"
	}
	if user, err = loginString("user", user); err != nil {
		return nil, err
	}
	r := loginFailure(m, "login-failed/sshd")
	r.Event.Account, r.Event.SrcAddr, r.Event.SrcPort = user, a, p
	r.Event.Detail = loginShort(detail)
	return r, nil
}

// sshdFrom splits "<user> from <ip> port <port>[ <more>]" at the last
// " from " that is followed by an address-like word and "port <digits>":
// the user name comes first and may itself hold " from " (an attacker
// chooses it), while what follows the port is sshd's own text.
func sshdFrom(s string) (user, addr, port string, ok bool) {
	end := len(s)
	for {
		i := strings.LastIndex(s[:end], " from ")
		if i < 0 {
			return "", "", "", false
		}
		tail := s[i+len(" from "):]
		a, rest, found := strings.Cut(tail, " port ")
		if found && !strings.ContainsRune(a, ' ') {
			p := rest
			if j := strings.IndexByte(rest, ' '); j >= 0 {
				p = rest[:j]
			}
			if p != "" && strings.Trim(p, "0123456789") == "" {
				return s[:i], a, p, true
			}
		}
		end = i
	}
}

// sshdDisconnect reads the rest of "Disconnected from user <user> <ip>
// port <port>".
func sshdDisconnect(m *Message, s string) (*record.Record, error) {
	i := strings.LastIndex(s, " port ")
	if i < 0 {
		return nil, errSSHDNoEvent
	}
	head, port := s[:i], s[i+len(" port "):]
	j := strings.LastIndexByte(head, ' ')
	if j <= 0 {
		return nil, errSSHDNoEvent
	}
	user, addr := head[:j], head[j+1:]
	a, err := loginAddr(addr)
	if err != nil {
		return nil, fmt.Errorf("read client address: %w", err)
	}
	p, err := loginPort(port)
	if err != nil {
		return nil, fmt.Errorf("read client port: %w", err)
	}
	if user, err = loginString("user", user); err != nil {
		return nil, err
	}
	r := loginSession(m, record.SessionLogout)
	r.Session.Account, r.Session.Addr = user, a
	r.Session.SessionID = netip.AddrPortFrom(a, p).String()
	return r, nil
}
