package dialect

import (
	"errors"
	"fmt"
	"strings"

	"github.com/warden-ops/warden/internal/record"
)

// mikrotikParser reads MikroTik RouterOS login lines, with or without the
// topics RouterOS writes first ("pppoe,ppp,info,account "):
//
//	<user> logged in, <ip>[ from <mac>]                           PPP (PPPoE, PPTP, L2TP, SSTP, OVPN)
//	<user> logged out, <uptime> <bytes-in> <bytes-out> <pkts-in> <pkts-out>[ from <mac>]
//	<id>: user <user> authentication failed                       PPP
//	<user> (<ip>): logged in                                      hotspot
//	<user> (<ip>): logged out: <reason>
//	<user> (<ip>): login failed: <reason>
//	user <user> logged in [from <ip>][ via <service>]             router management
//	user <user> logged out [from <ip>][ via <service>]
//	login failure for user <user> [from <ip>][ via <service>]
//
// PPP and hotspot lines are subscriber sessions: Account is the user, Addr
// the address the subscriber was given. For PPP, CallingStationID is the
// client's MAC address when logged (PPPoE's RADIUS Calling-Station-Id);
// the logout's bytes-in and bytes-out, counted at the router's interface
// to the subscriber, are InputOctets (from the subscriber) and
// OutputOctets; the uptime and packet counts are not kept. A hotspot
// logout's reason ("keepalive timeout") is TerminateCause.
//
// Management logins (winbox, ssh, web, api) are service logins: Account is
// the user, Addr the client's address; the service is not kept.
//
// Failures are events: "login-failed/mikrotik/ppp" (Account),
// "login-failed/mikrotik/hotspot" (Account, SrcAddr, Detail the reason) and
// "login-failed/mikrotik/<service>" for management logins (Account,
// SrcAddr, Detail "login failure via <service>").
//
// Other lines ("<pppoe-alice>: authenticated", "trying to log in by mac")
// are turned down with ErrNotMine. The PPP lines carry no session ID, so a
// login pairs with its logout by account. For PPPoE with RADIUS, RADIUS
// accounting is the better record: it has the session ID and the NAS.
type mikrotikParser struct{}

// newMikroTik returns a parser of MikroTik RouterOS login logs.
func newMikroTik() Parser { return mikrotikParser{} }

var errMikroTikOther = loginNotMine("mikrotik-login", "not a RouterOS login line")

// mikrotikTopics reports whether s is a RouterOS topics list, such as
// "pppoe,ppp,info,account": lower-case words joined by commas.
func mikrotikTopics(s string) bool {
	if !strings.ContainsRune(s, ',') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == ',' || c == '-') {
			return false
		}
	}
	return true
}

// Parse implements Parser.
func (mikrotikParser) Parse(m *Message) ([]*record.Record, error) {
	s := m.Text
	if m.App != "" && !mikrotikTopics(m.App) {
		// A prefix set on the logging action ("PPPOE: "), or another
		// program: the text decides.
		if !strings.Contains(s, "log") && !strings.Contains(s, "authentication failed") {
			return nil, errMikroTikOther
		}
	}
	if word, rest, ok := strings.Cut(s, " "); ok && mikrotikTopics(strings.TrimSuffix(word, ":")) {
		s = rest
	}
	s = strings.TrimPrefix(s, "->: ")
	var r *record.Record
	var err error
	switch {
	case strings.Contains(s, "): log"):
		r, err = mikrotikHotspot(m, s)
	case strings.Contains(s, " logged in, ") || strings.HasSuffix(s, " logged in") || strings.Contains(s, " logged out, "):
		r, err = mikrotikPPP(m, s) // before "user ": a PPP user may be called user
	case strings.HasPrefix(s, "user "):
		r, err = mikrotikManagement(m, s[len("user "):])
	case strings.HasPrefix(s, "login failure for user "):
		r, err = mikrotikManagementFailure(m, s[len("login failure for user "):])
	case strings.HasSuffix(s, " authentication failed") && strings.Contains(s, ": user "):
		r, err = mikrotikPPPFailure(m, s)
	default:
		return nil, errMikroTikOther
	}
	if err != nil {
		if errors.Is(err, ErrNotMine) {
			return nil, err
		}
		return nil, fmt.Errorf("parse RouterOS line: %w", err)
	}
	return []*record.Record{r}, nil
}

// mikrotikFromVia reads "from <ip>", "via <service>" or both.
func mikrotikFromVia(s string) (addr, via string, ok bool) {
	if rest, found := strings.CutPrefix(s, "from "); found {
		if addr, s, found = strings.Cut(rest, " "); !found {
			return addr, "", true // no service named
		}
	}
	via, ok = strings.CutPrefix(s, "via ")
	return addr, via, ok
}

// mikrotikManagement reads "<user> logged in|out [from <ip> ]via <svc>".
func mikrotikManagement(m *Message, s string) (*record.Record, error) {
	var ev record.SessionEvent
	user, rest, ok := strings.Cut(s, " logged in ")
	ev = record.SessionLogin
	if !ok {
		user, rest, ok = strings.Cut(s, " logged out ")
		ev = record.SessionLogout
	}
	if !ok {
		return nil, errMikroTikOther
	}
	addr, _, ok := mikrotikFromVia(rest)
	if !ok || user == "" {
		return nil, errMikroTikOther
	}
	r := loginSession(m, ev)
	var err error
	if r.Session.Account, err = loginString("user", user); err != nil {
		return nil, err
	}
	if addr != "" {
		if r.Session.Addr, err = loginAddr(addr); err != nil {
			return nil, fmt.Errorf("read client address: %w", err)
		}
	}
	return r, nil
}

// mikrotikManagementFailure reads "<user> [from <ip> ]via <svc>" after
// "login failure for user ".
func mikrotikManagementFailure(m *Message, s string) (*record.Record, error) {
	var user, rest string
	if i := strings.LastIndex(s, " from "); i >= 0 {
		user, rest = s[:i], s[i+1:]
	} else if i := strings.LastIndex(s, " via "); i >= 0 {
		user, rest = s[:i], s[i+1:]
	} else {
		return nil, errMikroTikOther
	}
	addr, via, ok := mikrotikFromVia(rest)
	if !ok {
		return nil, errMikroTikOther
	}
	rule := "login-failed/mikrotik"
	if loginRuleWord(via) {
		rule += "/" + via
	}
	r := loginFailure(m, rule)
	var err error
	if r.Event.Account, err = loginString("user", user); err != nil {
		return nil, err
	}
	if addr != "" {
		if r.Event.SrcAddr, err = loginAddr(addr); err != nil {
			return nil, fmt.Errorf("read client address: %w", err)
		}
	}
	detail := "login failure"
	if via != "" {
		detail += " via " + via
	}
	r.Event.Detail = loginShort(detail)
	return r, nil
}

// mikrotikHotspot reads "<user> (<ip>): logged in", "...: logged out:
// <reason>" and "...: login failed: <reason>".
func mikrotikHotspot(m *Message, s string) (*record.Record, error) {
	i := strings.Index(s, "): log")
	head, msg := s[:i], s[i+len("): "):]
	j := strings.LastIndex(head, " (")
	if j <= 0 {
		return nil, errMikroTikOther
	}
	user, ip := head[:j], head[j+len(" ("):]
	var r *record.Record
	var reason string
	switch {
	case msg == "logged in":
		r = loginSession(m, record.SessionLogin)
	case msg == "logged out" || strings.HasPrefix(msg, "logged out: "):
		r = loginSession(m, record.SessionLogout)
		reason = strings.TrimPrefix(msg, "logged out")
		r.Session.TerminateCause = loginShort(strings.TrimPrefix(reason, ": "))
	case strings.HasPrefix(msg, "login failed"):
		reason = strings.TrimPrefix(strings.TrimPrefix(msg, "login failed"), ": ")
		r = loginFailure(m, "login-failed/mikrotik/hotspot")
	default:
		return nil, errMikroTikOther // "trying to log in by mac"
	}
	a, err := loginAddr(ip)
	if err != nil {
		return nil, fmt.Errorf("read hotspot address: %w", err)
	}
	if user, err = loginString("user", user); err != nil {
		return nil, err
	}
	if r.Kind == record.KindEvent {
		r.Event.Account, r.Event.SrcAddr = user, a
		r.Event.Detail = loginShort(reason)
		return r, nil
	}
	if user == "" {
		return nil, errors.New("read user: empty")
	}
	r.Session.Account, r.Session.Addr = user, a
	return r, nil
}

// mikrotikPPP reads "<user> logged in, <ip>[ from <mac>]" and "<user>
// logged out, <uptime> <in> <out> <pkts-in> <pkts-out>[ from <mac>]".
func mikrotikPPP(m *Message, s string) (*record.Record, error) {
	var ev record.SessionEvent
	user, rest, ok := strings.Cut(s, " logged in")
	ev = record.SessionLogin
	if !ok || (rest != "" && !strings.HasPrefix(rest, ", ")) {
		user, rest, ok = strings.Cut(s, " logged out, ")
		ev = record.SessionLogout
		if !ok {
			return nil, errMikroTikOther
		}
	}
	rest = strings.TrimPrefix(rest, ", ")
	rest, mac, _ := strings.Cut(rest, " from ")
	if user == "" {
		return nil, errors.New("read user: empty")
	}
	r := loginSession(m, ev)
	var err error
	if r.Session.Account, err = loginString("user", user); err != nil {
		return nil, err
	}
	if r.Session.CallingStationID, err = loginString("mac", mac); err != nil {
		return nil, err
	}
	if ev == record.SessionLogin {
		if rest != "" {
			if r.Session.Addr, err = loginAddr(rest); err != nil {
				return nil, fmt.Errorf("read assigned address: %w", err)
			}
		}
		return r, nil
	}
	// uptime bytes-in bytes-out packets-in packets-out
	_, rest, _ = strings.Cut(rest, " ")
	in, rest, _ := strings.Cut(rest, " ")
	out, _, _ := strings.Cut(rest, " ")
	if r.Session.InputOctets, err = loginUint(in); err != nil {
		return nil, fmt.Errorf("read bytes in: %w", err)
	}
	if r.Session.OutputOctets, err = loginUint(out); err != nil {
		return nil, fmt.Errorf("read bytes out: %w", err)
	}
	return r, nil
}

// mikrotikPPPFailure reads "<id>: user <user> authentication failed".
func mikrotikPPPFailure(m *Message, s string) (*record.Record, error) {
	_, rest, _ := strings.Cut(s, ": user ")
	user := strings.TrimSuffix(rest, " authentication failed")
	r := loginFailure(m, "login-failed/mikrotik/ppp")
	var err error
	if r.Event.Account, err = loginString("user", user); err != nil {
		return nil, err
	}
	r.Event.Detail = "authentication failed"
	return r, nil
}
