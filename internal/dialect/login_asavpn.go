package dialect

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/warden-ops/warden/internal/record"
)

// asaVPNParser reads the remote-access VPN session messages of Cisco ASA
// and FTD (%ASA-, %FTD-, %PIX-):
//
//	722051: Group <g> User <u> IP <public-ip> IPv4 Address <a4> IPv6 address <a6> assigned to session
//	113019: Group = <g>, Username = <u>, IP = <public-ip>, Session disconnected. Session Type: <t>, Duration: <d>, Bytes xmt: <n>, Bytes rcv: <n>, Reason: <r>
//	113005: AAA user authentication Rejected : reason = <r> : server = <aaa-ip> : user = <u>[ : user IP = <ip>]
//	113015: AAA user authentication Rejected : reason = <r> : local database : user = <u>[ : user IP = <ip>]
//
// 722051 is a login: Account is the user, Addr the IPv4 address assigned
// to the session, IPv6Prefix the assigned IPv6 address as a /128 (both
// empty when the ASA writes 0.0.0.0 or ::), CallingStationID the client's
// public address, as the ASA sends it in RADIUS Calling-Station-Id.
//
// 113019 is a logout: Account, CallingStationID as above (it does not
// carry the assigned address), InputOctets "Bytes rcv" (from the client),
// OutputOctets "Bytes xmt" (to the client), TerminateCause the reason
// ("User Requested", "Idle Timeout"). The group policy, session type and
// duration are not kept. Login and logout pair by account and public
// address; the messages carry no session ID.
//
// 113005 and 113015 are events "login-failed/cisco-asa": Account is the
// user, left empty when the ASA masks it as ***** (the default unless
// "no logging hide username"), SrcAddr the user IP when logged, Detail
// "AAA user authentication Rejected: <reason>". They cover every AAA login
// to the device, management included, not only VPN.
//
// Other messages are turned down with ErrNotMine: 113039, 716001, 716002
// and 722037 announce the same sessions without the assigned address, and
// mapping them too would record each session twice.
type asaVPNParser struct{}

// newASAVPN returns a parser of Cisco ASA remote-access VPN logs.
func newASAVPN() Parser { return asaVPNParser{} }

var (
	errASAOther   = loginNotMine("cisco-asa-vpn", "not a Cisco ASA message")
	errASANoEvent = loginNotMine("cisco-asa-vpn", "Cisco ASA message without a VPN login event")
)

// asaMessage finds the "%ASA-<sev>-<id>" tag in m's program name or text,
// and returns the message ID and the body after it.
func asaMessage(m *Message) (id, body string, ok bool) {
	tag, body := m.App, m.Text
	if !strings.HasPrefix(tag, "%") {
		i := strings.IndexByte(m.Text, '%')
		if i < 0 {
			return "", "", false
		}
		if tag, body, ok = strings.Cut(m.Text[i:], ": "); !ok {
			return "", "", false
		}
	}
	if !strings.HasPrefix(tag, "%ASA-") && !strings.HasPrefix(tag, "%FTD-") && !strings.HasPrefix(tag, "%PIX-") {
		return "", "", false
	}
	return tag[strings.LastIndexByte(tag, '-')+1:], body, true
}

// Parse implements Parser.
func (asaVPNParser) Parse(m *Message) ([]*record.Record, error) {
	id, body, ok := asaMessage(m)
	if !ok {
		return nil, errASAOther
	}
	var r *record.Record
	var err error
	switch id {
	case "722051":
		r, err = asaAssigned(m, body)
	case "113019":
		r, err = asaDisconnected(m, body)
	case "113005", "113015":
		r, err = asaRejected(m, body)
	default:
		return nil, errASANoEvent
	}
	if err != nil {
		if errors.Is(err, ErrNotMine) {
			return nil, err
		}
		return nil, fmt.Errorf("parse Cisco ASA %s: %w", id, err)
	}
	return []*record.Record{r}, nil
}

// asaWord reads "<key> <value> " or "<key> <<value>> " from the start of s;
// the ASA writes the values in angle brackets, some documents without.
func asaWord(s, key string) (value, rest string, ok bool) {
	if len(s) <= len(key) || !strings.EqualFold(s[:len(key)], key) || s[len(key)] != ' ' {
		return "", "", false
	}
	s = s[len(key)+1:]
	if strings.HasPrefix(s, "<") {
		end := strings.Index(s, "> ")
		if end < 0 {
			return "", "", false
		}
		return s[1:end], s[end+2:], true
	}
	value, rest, _ = strings.Cut(s, " ")
	return value, rest, true
}

// asaAssigned reads a 722051 body.
func asaAssigned(m *Message, s string) (*record.Record, error) {
	var user, public, v4, v6 string
	ok := true
	step := func(key string) string {
		var v string
		if ok {
			v, s, ok = asaWord(s, key)
		}
		return v
	}
	step("Group")
	user = step("User")
	public = step("IP")
	v4 = step("IPv4 Address")
	v6 = step("IPv6 address")
	if !ok || !strings.HasPrefix(s, "assigned to session") {
		return nil, errASANoEvent
	}
	if user == "" {
		return nil, errors.New("read user: empty")
	}
	r := loginSession(m, record.SessionLogin)
	var err error
	if r.Session.Account, err = loginString("user", user); err != nil {
		return nil, err
	}
	pub, err := loginAddr(public)
	if err != nil {
		return nil, fmt.Errorf("read public address: %w", err)
	}
	r.Session.CallingStationID = pub.String()
	a4, err := loginAddr(v4)
	if err != nil {
		return nil, fmt.Errorf("read IPv4 address: %w", err)
	}
	if !a4.IsUnspecified() {
		r.Session.Addr = a4
	}
	if v6 != "" {
		a6, err := loginAddr(v6)
		if err != nil {
			return nil, fmt.Errorf("read IPv6 address: %w", err)
		}
		if !a6.IsUnspecified() {
			r.Session.IPv6Prefix = netip.PrefixFrom(a6, a6.BitLen())
		}
	}
	return r, nil
}

// asaDisconnected reads a 113019 body.
func asaDisconnected(m *Message, s string) (*record.Record, error) {
	rest, ok := strings.CutPrefix(s, "Group = ")
	if !ok {
		return nil, errASANoEvent
	}
	_, rest, ok1 := strings.Cut(rest, ", Username = ")
	user, rest, ok2 := strings.Cut(rest, ", IP = ")
	public, rest, ok3 := strings.Cut(rest, ", Session disconnected.")
	if !ok1 || !ok2 || !ok3 {
		return nil, errASANoEvent
	}
	if user == "" {
		return nil, errors.New("read username: empty")
	}
	r := loginSession(m, record.SessionLogout)
	var err error
	if r.Session.Account, err = loginString("username", user); err != nil {
		return nil, err
	}
	pub, err := loginAddr(public)
	if err != nil {
		return nil, fmt.Errorf("read public address: %w", err)
	}
	r.Session.CallingStationID = pub.String()
	if v, ok := asaAfter(rest, "Bytes xmt: ", ","); ok {
		if r.Session.OutputOctets, err = loginUint(v); err != nil {
			return nil, fmt.Errorf("read bytes xmt: %w", err)
		}
	}
	if v, ok := asaAfter(rest, "Bytes rcv: ", ","); ok {
		if r.Session.InputOctets, err = loginUint(v); err != nil {
			return nil, fmt.Errorf("read bytes rcv: %w", err)
		}
	}
	if v, ok := asaAfter(rest, "Reason: ", ""); ok {
		r.Session.TerminateCause = loginShort(strings.TrimSpace(v))
	}
	return r, nil
}

// asaAfter returns the text after key in s, up to end (or to the end of s
// when end is empty or absent).
func asaAfter(s, key, end string) (string, bool) {
	i := strings.Index(s, key)
	if i < 0 {
		return "", false
	}
	v := s[i+len(key):]
	if end != "" {
		v, _, _ = strings.Cut(v, end)
	}
	return v, true
}

// asaRejected reads a 113005 or 113015 body.
func asaRejected(m *Message, s string) (*record.Record, error) {
	rest, ok := strings.CutPrefix(s, "AAA user authentication Rejected : ")
	if !ok {
		return nil, errASANoEvent
	}
	var reason, user, userIP string
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, " : ")
		k, v, _ := strings.Cut(part, " = ")
		switch k {
		case "reason":
			reason = v
		case "user":
			user = v
		case "user IP":
			userIP = strings.TrimSpace(v)
		}
	}
	if strings.Trim(user, "*") == "" {
		user = "" // masked by "logging hide username"
	}
	r := loginFailure(m, "login-failed/cisco-asa")
	var err error
	if r.Event.Account, err = loginString("user", strings.TrimSpace(user)); err != nil {
		return nil, err
	}
	if userIP != "" {
		if r.Event.SrcAddr, err = loginAddr(userIP); err != nil {
			return nil, fmt.Errorf("read user IP: %w", err)
		}
	}
	r.Event.Detail = loginShort("AAA user authentication Rejected: " + reason)
	return r, nil
}
