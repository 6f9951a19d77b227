package record

import (
	"fmt"
	"strconv"
	"strings"
)

// The enums below are written to disk as one byte: never renumber them.
// Zero is never a valid value, so a missing field is caught by Validate.

// SessionEvent is what happened to a subscriber or login session.
type SessionEvent uint8

// Session events. Start, interim and stop come from RADIUS accounting;
// login, logout and failed from login logs.
const (
	SessionStart   SessionEvent = 1
	SessionInterim SessionEvent = 2
	SessionStop    SessionEvent = 3
	SessionLogin   SessionEvent = 4
	SessionLogout  SessionEvent = 5
	SessionFailed  SessionEvent = 6
)

var sessionEventNames = []string{"", "start", "interim", "stop", "login", "logout", "failed"}

// NATEvent is what happened to a NAT mapping.
type NATEvent uint8

// NAT events, after RFC 8158's natEvent: a per-session mapping is created
// and deleted; a port block is allocated and released; interim records
// re-announce a live mapping or block.
const (
	NATCreate       NATEvent = 1
	NATDelete       NATEvent = 2
	NATBlockAlloc   NATEvent = 3
	NATBlockRelease NATEvent = 4
	NATInterim      NATEvent = 5
)

var natEventNames = []string{"", "create", "delete", "block-alloc", "block-release", "interim"}

// Severity ranks a security event.
type Severity uint8

// Severities, lowest first.
const (
	SeverityInfo     Severity = 1
	SeverityLow      Severity = 2
	SeverityMedium   Severity = 3
	SeverityHigh     Severity = 4
	SeverityCritical Severity = 5
)

var severityNames = []string{"", "info", "low", "medium", "high", "critical"}

// Protocol is an IANA protocol number. Zero means unknown.
type Protocol uint8

// Common protocol numbers.
const (
	ProtoICMP   Protocol = 1
	ProtoTCP    Protocol = 6
	ProtoUDP    Protocol = 17
	ProtoGRE    Protocol = 47
	ProtoICMPv6 Protocol = 58
	ProtoSCTP   Protocol = 132
)

var protocolNames = map[Protocol]string{
	ProtoICMP: "icmp", ProtoTCP: "tcp", ProtoUDP: "udp", ProtoGRE: "gre", ProtoICMPv6: "icmpv6", ProtoSCTP: "sctp",
}

func enumString(names []string, v uint8) string {
	if int(v) < len(names) && v != 0 {
		return names[v]
	}
	return strconv.Itoa(int(v))
}

func enumParse(what string, names []string, s string) (uint8, error) {
	for i, n := range names {
		if i != 0 && n == s {
			return uint8(i), nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q (want one of %s)", what, s, strings.Join(names[1:], ", "))
}

func enumValid(names []string, v uint8) bool { return v != 0 && int(v) < len(names) }

// String returns the event's name.
func (e SessionEvent) String() string { return enumString(sessionEventNames, uint8(e)) }

// MarshalText implements encoding.TextMarshaler.
func (e SessionEvent) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (e *SessionEvent) UnmarshalText(b []byte) error {
	v, err := enumParse("session event", sessionEventNames, string(b))
	*e = SessionEvent(v)
	return err
}

// String returns the event's name.
func (e NATEvent) String() string { return enumString(natEventNames, uint8(e)) }

// MarshalText implements encoding.TextMarshaler.
func (e NATEvent) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (e *NATEvent) UnmarshalText(b []byte) error {
	v, err := enumParse("nat event", natEventNames, string(b))
	*e = NATEvent(v)
	return err
}

// String returns the severity's name.
func (s Severity) String() string { return enumString(severityNames, uint8(s)) }

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := enumParse("severity", severityNames, string(b))
	*s = Severity(v)
	return err
}

// String returns the protocol's common name, or its number.
func (p Protocol) String() string {
	if n, ok := protocolNames[p]; ok {
		return n
	}
	return strconv.Itoa(int(p))
}

// MarshalText implements encoding.TextMarshaler.
func (p Protocol) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler. It takes a name
// (tcp, udp, icmp, icmpv6, gre, sctp), case-insensitive, or a number.
func (p *Protocol) UnmarshalText(b []byte) error {
	v, err := ParseProtocol(string(b))
	*p = v
	return err
}

// ParseProtocol parses a protocol name or number.
func ParseProtocol(s string) (Protocol, error) {
	ls := strings.ToLower(s)
	for p, n := range protocolNames {
		if n == ls {
			return p, nil
		}
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		return 0, fmt.Errorf("unknown protocol %q (want tcp, udp, icmp, icmpv6, gre, sctp or a number 0-255)", s)
	}
	return Protocol(n), nil
}
