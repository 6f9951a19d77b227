package dialect

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/warden-ops/warden/internal/record"
)

var (
	errNotF5LSN       = fmt.Errorf("%w: no F5 LSN_ event", ErrNotMine)
	errF5LSNNoMapping = fmt.Errorf("%w: F5 LSN event without a mapping", ErrNotMine)
)

// f5LSN parses the carrier-grade NAT (large scale NAT) logs of F5 BIG-IP
// in the default syslog format of an LSN log profile:
//
//	LSN_ADD 100.64.23.122%0:40000 6 194.15.97.34%0:50000 8.8.8.8 443
//	LSN_PB_ALLOCATED 100.64.23.122%0 194.15.97.34%0:1024-1087
//
// A NAPT event (LSN_ADD, LSN_DELETE, LSN_INBOUND_ADD,
// LSN_INBOUND_DELETE) is the client, the protocol number, the translation
// and the destination; "%N" is a route domain, kept as the VRF. No
// verbatim F5 line has been published: the NAPT layout follows third-party
// parsers, and the port block layout (LSN_PB_ALLOCATED, LSN_PB_RELEASED)
// is read leniently, as the client followed by a translation with a port
// range and optionally a protocol number.
type f5LSN struct{}

var _ Parser = f5LSN{}

// Parse implements Parser.
func (f5LSN) Parse(m *Message) ([]*record.Record, error) {
	s := m.Text
	at, tag := -1, ""
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "LSN_")
		if j < 0 {
			break
		}
		j += i
		i = j + 4
		if j > 0 && s[j-1] != ' ' && s[j-1] != '"' && s[j-1] != ':' {
			continue
		}
		end := j
		for end < len(s) && (s[end] >= 'A' && s[end] <= 'Z' || s[end] == '_') {
			end++
		}
		if end < len(s) && s[end] != ' ' && s[end] != '"' && s[end] != ',' {
			continue
		}
		at, tag = j, s[j:end]
		break
	}
	if at < 0 {
		return nil, errNotF5LSN
	}
	n := record.NAT{}
	var err error
	body := strings.TrimLeft(strings.TrimLeft(s[at+len(tag):], "\","), " ")
	switch tag {
	case "LSN_ADD", "LSN_INBOUND_ADD":
		n.Event = record.NATCreate
		err = f5NAPT(body, &n)
	case "LSN_DELETE", "LSN_INBOUND_DELETE":
		n.Event = record.NATDelete
		err = f5NAPT(body, &n)
	case "LSN_PB_ALLOCATED":
		n.Event = record.NATBlockAlloc
		err = f5PortBlock(body, &n)
	case "LSN_PB_RELEASED":
		n.Event = record.NATBlockRelease
		err = f5PortBlock(body, &n)
	default:
		return nil, errF5LSNNoMapping
	}
	head := s[:at]
	if err == nil {
		n.Device = natHostBefore(m, head)
		var r *record.Record
		if r, err = newNATRecord(m, natEventTime(m, head), &n); err == nil {
			return []*record.Record{r}, nil
		}
	}
	return nil, fmt.Errorf("f5 %s: %w", tag, err)
}

// f5Endpoint reads "address[%route-domain][:port]".
func f5Endpoint(s string) (a netip.Addr, rd, port string, ok bool) {
	if i := strings.IndexByte(s, '%'); i >= 0 {
		if a, ok = parseNATAddr(s[:i]); !ok {
			return a, "", "", false
		}
		rd, port, _ = strings.Cut(s[i+1:], ":")
		if _, ok := parseNATUint(rd); !ok {
			return a, "", "", false
		}
		return a, rd, port, true
	}
	// Without a route domain, one colon separates an IPv4 address from
	// its port; more colons make an IPv6 address, which cannot carry one.
	if i := strings.IndexByte(s, ':'); i >= 0 && strings.IndexByte(s[i+1:], ':') < 0 {
		a, ok = parseNATAddr(s[:i])
		return a, "", s[i+1:], ok
	}
	a, ok = parseNATAddr(s)
	return a, "", "", ok
}

// f5NAPT reads "CLIENT PROTO TRANSLATION DEST DPORT".
func f5NAPT(body string, n *record.NAT) error {
	var f [5]string
	rest := body
	for i := range f {
		f[i], rest = nextNATField(rest)
	}
	if f[4] == "" {
		return fmt.Errorf("%q has fewer than 5 fields", body)
	}
	a, rd, port, ok := f5Endpoint(f[0])
	if !ok {
		return fmt.Errorf("bad client %q", f[0])
	}
	n.InsideAddr, n.VRF = a, rd
	if n.InsidePort, ok = parseNATPort(port); !ok {
		return fmt.Errorf("bad client port in %q", f[0])
	}
	if n.Protocol, ok = parseNATProto(f[1]); !ok {
		return fmt.Errorf("bad protocol %q", f[1])
	}
	if n.OutsideAddr, _, port, ok = f5Endpoint(f[2]); !ok {
		return fmt.Errorf("bad translation %q", f[2])
	}
	if n.OutsidePort, ok = parseNATPort(port); !ok {
		return fmt.Errorf("bad translated port in %q", f[2])
	}
	if n.DestAddr, _, _, ok = f5Endpoint(f[3]); !ok {
		return fmt.Errorf("bad destination %q", f[3])
	}
	if n.DestPort, ok = parseNATPort(f[4]); !ok {
		return fmt.Errorf("bad destination port %q", f[4])
	}
	return nil
}

// f5PortBlock reads "CLIENT [PROTO] TRANSLATION:FIRST-LAST".
func f5PortBlock(body string, n *record.NAT) error {
	client, rest := nextNATField(body)
	a, rd, _, ok := f5Endpoint(client)
	if !ok {
		return fmt.Errorf("bad client %q", client)
	}
	n.InsideAddr, n.VRF = a, rd
	for rest != "" {
		var f string
		f, rest = nextNATField(rest)
		if p, ok := parseNATUint(f); ok && p <= 255 {
			n.Protocol = record.Protocol(p)
			continue
		}
		a, _, ports, ok := f5Endpoint(f)
		if !ok || ports == "" {
			continue
		}
		if n.OutsidePort, n.OutsidePortEnd, ok = splitNATPortRange(ports); !ok {
			return fmt.Errorf("bad port range in %q", f)
		}
		n.OutsideAddr = a
		return nil
	}
	return errors.New("no translation with a port range")
}
