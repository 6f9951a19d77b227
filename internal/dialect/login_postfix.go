package dialect

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/warden-ops/warden/internal/record"
)

// postfixParser reads the SASL lines of the Postfix SMTP server (program
// postfix/smtpd, or <name>/smtpd and postfix/<service>/smtpd for other
// instances and master.cf services):
//
//	<queue-id>: client=<name>[<ip>][:<port>], sasl_method=<m>, sasl_username=<user>[, sasl_sender=<s>]
//	warning: <name>[<ip>][:<port>]: SASL <METHOD> authentication failed[: <reason>][, sasl_username=<user>]
//
// Postfix logs a successful SASL login once per message the client
// submits, not once per connection, and logs no logout. The client= line
// is a login: Account is sasl_username, Addr the client's address,
// SessionID the queue ID, which finds the message in the mail log. The
// client's port, logged with smtpd_client_port_logging, is not kept (a
// session record has no field for it).
//
// The warning is an event "login-failed/postfix": SrcAddr and SrcPort the
// client, Account the sasl_username when Postfix logs it (3.x adds it),
// Detail "SASL <METHOD> authentication failed[: <reason>]". The reason is
// the SASL server's, often a base64 challenge ("UGFzc3dvcmQ6").
//
// Other smtpd lines (connect, disconnect with auth=0/1, "authentication
// aborted", client= without SASL) are turned down with ErrNotMine.
type postfixParser struct{}

// newPostfix returns a parser of Postfix SASL login logs.
func newPostfix() Parser { return postfixParser{} }

var (
	errPostfixOther   = loginNotMine("postfix-sasl", "not a Postfix smtpd line")
	errPostfixNoEvent = loginNotMine("postfix-sasl", "Postfix smtpd line without a SASL login")
)

// postfixSMTPD reports whether prog is a Postfix SMTP server.
func postfixSMTPD(prog string) bool {
	return strings.HasPrefix(prog, "postfix") && strings.HasSuffix(prog, "/smtpd")
}

// Parse implements Parser.
func (postfixParser) Parse(m *Message) ([]*record.Record, error) {
	prog, _, text := loginProgram(m)
	known := postfixSMTPD(prog)
	if !known {
		if m.App != "" {
			return nil, errPostfixOther
		}
		text = m.Text // header and tag stripped: go by the text alone
	}
	text, n := loginUnrepeat(text)
	var r *record.Record
	var err error
	switch {
	case strings.HasPrefix(text, "warning: ") && strings.Contains(text, ": SASL "):
		r, err = postfixFailure(m, text[len("warning: "):])
	case strings.Contains(text, ", sasl_username="):
		r, err = postfixLogin(m, text)
	case !known:
		return nil, errPostfixOther
	default:
		return nil, errPostfixNoEvent
	}
	var recs []*record.Record
	if err == nil {
		recs, err = loginRecords(r, n)
	}
	if err != nil {
		if !known || errors.Is(err, ErrNotMine) {
			return nil, loginNotMineErr("postfix-sasl", err)
		}
		return nil, fmt.Errorf("parse Postfix line: %w", err)
	}
	return recs, nil
}

// postfixLogin reads "<queue-id>: client=<name>[<ip>], sasl_method=<m>,
// sasl_username=<user>".
func postfixLogin(m *Message, s string) (*record.Record, error) {
	qid, rest, ok := strings.Cut(s, ": client=")
	if !ok || !postfixQueueID(qid) {
		return nil, errPostfixNoEvent
	}
	client, _, _ := strings.Cut(rest, ", ")
	addr, _, err := postfixClient(client)
	if err != nil {
		return nil, err
	}
	i := strings.Index(rest, ", sasl_username=")
	if i < 0 {
		return nil, errPostfixNoEvent
	}
	user, _, _ := strings.Cut(rest[i+len(", sasl_username="):], ", sasl_sender=")
	if user == "" {
		return nil, errors.New("read sasl_username: empty")
	}
	r := loginSession(m, record.SessionLogin)
	if r.Session.Account, err = loginString("sasl_username", user); err != nil {
		return nil, err
	}
	r.Session.Addr = addr
	r.Session.SessionID = strings.Clone(qid)
	return r, nil
}

// postfixQueueID reports whether s looks like a Postfix queue ID, short
// (hex) or long form: 5 to 32 letters and digits.
func postfixQueueID(s string) bool {
	if len(s) < 5 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// postfixClient reads "<name>[<ip>]" or "<name>[<ip>]:<port>".
func postfixClient(s string) (netip.Addr, uint16, error) {
	i := strings.LastIndexByte(s, '[')
	j := strings.LastIndexByte(s, ']')
	if i < 0 || j < i {
		return netip.Addr{}, 0, fmt.Errorf("read client %q: no [address]", s)
	}
	a, err := loginAddr(strings.TrimPrefix(s[i+1:j], "IPv6:"))
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("read client address: %w", err)
	}
	var p uint16
	if rest := s[j+1:]; rest != "" {
		port, ok := strings.CutPrefix(rest, ":")
		if !ok {
			return netip.Addr{}, 0, fmt.Errorf("read client %q: text after the address", s)
		}
		if p, err = loginPort(port); err != nil {
			return netip.Addr{}, 0, fmt.Errorf("read client port: %w", err)
		}
	}
	return a, p, nil
}

// postfixFailure reads "<name>[<ip>]: SASL <METHOD> authentication
// failed...".
func postfixFailure(m *Message, s string) (*record.Record, error) {
	i := strings.Index(s, ": SASL ")
	if i < 0 {
		return nil, errPostfixNoEvent
	}
	client, rest := s[:i], s[i+len(": SASL "):]
	method, rest, _ := strings.Cut(rest, " ")
	tail, ok := strings.CutPrefix(rest, "authentication failed")
	if !ok || method == "" {
		return nil, errPostfixNoEvent // "authentication aborted"
	}
	addr, port, err := postfixClient(client)
	if err != nil {
		return nil, err
	}
	var user string
	if k := strings.LastIndex(tail, ", sasl_username="); k >= 0 {
		tail, user = tail[:k], tail[k+len(", sasl_username="):]
	}
	detail := "SASL " + method + " authentication failed"
	if reason := strings.TrimPrefix(tail, ":"); strings.TrimSpace(reason) != "" {
		detail += ":" + reason
	}
	r := loginFailure(m, "login-failed/postfix")
	if r.Event.Account, err = loginString("sasl_username", user); err != nil {
		return nil, err
	}
	r.Event.SrcAddr, r.Event.SrcPort = addr, port
	r.Event.Detail = loginShort(detail)
	return r, nil
}
