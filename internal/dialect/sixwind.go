package dialect

import (
	"fmt"
	"strings"

	"github.com/warden-ops/warden/internal/record"
)

// sixWind parses the CG-NAT logs of 6WIND Turbo Router and Virtual
// Service Router (fp-cgnat, fp-cgnat-logd):
//
//	NEW CONN: fwd proto <p> <inside>:<port> -> <dst>:<port>, back proto <p> <dst>:<port> --> <public>:<port>
//	DESTROY CONN: ...
//	USER <inside> (matching rule <n>): NEW BLOCK ([pool "<name>", ]ip public <ip>, proto <p>, port <a> - <b>)[ at <ctime>]
//	USER <inside> (matching rule <n>): DESTROY BLOCK (...)
//
// The back tuple's destination is the translated source. Only the forward
// tuple and the back destination are read: 6WIND's own DESTROY CONN
// example has a back source that disagrees with the forward destination.
// The time after "at" has no zone and is read in the device's zone. The
// VRF is the one in the daemon's name (fp-cgnat-logd@<vrf>), when the
// header or the line carries it.
type sixWind struct{}

const swName = "6wind"

var errSWMarker = &decline{swName, "no CONN: fwd proto or BLOCK ( marker"}

// swTimeLayout is the ctime(3) stamp after " at ".
const swTimeLayout = "Mon Jan _2 15:04:05 2006"

// Parse implements Parser.
func (p *sixWind) Parse(m *Message) ([]*record.Record, error) {
	text := m.Text
	head := lineHead(text)
	if i := strings.Index(head, "CONN: fwd proto "); i >= 0 {
		return p.conn(m, text, i)
	}
	if i := strings.Index(head, " BLOCK ("); i >= 0 && strings.Contains(text[:i], "USER ") {
		return p.block(m, text, i)
	}
	return nil, errSWMarker
}

// conn parses a session line; i is where "CONN: fwd proto " starts.
func (p *sixWind) conn(m *Message, text string, i int) ([]*record.Record, error) {
	var n record.NAT
	head := strings.TrimRight(text[:i], " ")
	switch head[strings.LastIndexByte(head, ' ')+1:] {
	case "NEW":
		n.Event = record.NATCreate
	case "DESTROY":
		n.Event = record.NATDelete
	default:
		return nil, fmt.Errorf("parse 6wind CONN log: unknown event before CONN in %q", truncate(head, 40))
	}
	s := text[i+len("CONN: fwd proto "):]
	fwd, back, ok := strings.Cut(s, ", back proto ")
	if !ok {
		return nil, fmt.Errorf("parse 6wind CONN log: no back tuple")
	}
	proto, fwd := cutWord(fwd)
	var err error
	if n.Protocol, err = record.ParseProtocol(proto); err != nil {
		return nil, fmt.Errorf("parse 6wind CONN log: %w", err)
	}
	from, to, ok := strings.Cut(fwd, " -> ")
	if !ok {
		return nil, fmt.Errorf("parse 6wind CONN log: forward tuple %q has no ->", fwd)
	}
	if n.InsideAddr, n.InsidePort, err = parseAddrPort(strings.TrimSpace(from)); err != nil {
		return nil, fmt.Errorf("parse 6wind CONN log: forward source: %w", err)
	}
	if n.DestAddr, n.DestPort, err = parseAddrPort(strings.TrimSpace(to)); err != nil {
		return nil, fmt.Errorf("parse 6wind CONN log: forward destination: %w", err)
	}
	back, at, _ := strings.Cut(back, " at ")
	k := strings.Index(back, "-> ")
	if k < 0 {
		return nil, fmt.Errorf("parse 6wind CONN log: back tuple %q has no arrow", back)
	}
	if n.OutsideAddr, n.OutsidePort, err = parseAddrPort(strings.TrimSpace(back[k+3:])); err != nil {
		return nil, fmt.Errorf("parse 6wind CONN log: back destination: %w", err)
	}
	return p.record(m, text, at, &n)
}

// block parses a port block line; i is where " BLOCK (" starts.
func (p *sixWind) block(m *Message, text string, i int) ([]*record.Record, error) {
	var n record.NAT
	head := text[:i]
	switch head[strings.LastIndexByte(head, ' ')+1:] {
	case "NEW":
		n.Event = record.NATBlockAlloc
	case "DESTROY":
		n.Event = record.NATBlockRelease
	default:
		return nil, fmt.Errorf("parse 6wind BLOCK log: unknown event before BLOCK in %q", truncate(head, 40))
	}
	u := strings.Index(head, "USER ")
	user, _ := cutWord(head[u+len("USER "):])
	var err error
	if n.InsideAddr, err = parseAddr(user); err != nil {
		return nil, fmt.Errorf("parse 6wind BLOCK log: user: %w", err)
	}
	s := text[i+len(" BLOCK ("):]
	close := strings.LastIndexByte(s, ')')
	if close < 0 {
		return nil, fmt.Errorf("parse 6wind BLOCK log: unclosed bracket")
	}
	items, at := s[:close], ""
	if rest, ok := strings.CutPrefix(s[close+1:], " at "); ok {
		at = rest
	}
	if rest, ok := strings.CutPrefix(items, `pool "`); ok {
		q := strings.IndexByte(rest, '"')
		if q < 0 {
			return nil, fmt.Errorf("parse 6wind BLOCK log: unclosed pool name")
		}
		n.Pool = rest[:q]
		items = strings.TrimPrefix(rest[q+1:], ", ")
	}
	if err := swBlockItems(&n, items); err != nil {
		return nil, fmt.Errorf("parse 6wind BLOCK log: %w", err)
	}
	if err := checkString("pool", n.Pool); err != nil {
		return nil, fmt.Errorf("parse 6wind BLOCK log: %w", err)
	}
	return p.record(m, text, at, &n)
}

// swBlockItems reads a block's "ip public <ip>, proto <p>, port <a> - <b>".
func swBlockItems(n *record.NAT, items string) error {
	var havePublic, havePorts bool
	var err error
	for items != "" {
		var item string
		item, items, _ = strings.Cut(items, ", ")
		switch {
		case strings.HasPrefix(item, "ip public "):
			if n.OutsideAddr, err = parseAddr(strings.TrimPrefix(item, "ip public ")); err != nil {
				return fmt.Errorf("ip public: %w", err)
			}
			havePublic = true
		case strings.HasPrefix(item, "proto "):
			if n.Protocol, err = record.ParseProtocol(strings.TrimPrefix(item, "proto ")); err != nil {
				return err
			}
		case strings.HasPrefix(item, "port "):
			a, b, ok := strings.Cut(strings.TrimPrefix(item, "port "), " - ")
			if !ok {
				return fmt.Errorf("port range %q", item)
			}
			if n.OutsidePort, err = parsePort(a); err == nil {
				n.OutsidePortEnd, err = parsePort(b)
			}
			if err != nil {
				return fmt.Errorf("port range: %w", err)
			}
			if n.OutsidePortEnd < n.OutsidePort {
				return fmt.Errorf("port range %d - %d ends before it starts", n.OutsidePort, n.OutsidePortEnd)
			}
			havePorts = true
		}
	}
	if !havePublic {
		return fmt.Errorf("no public address (ip public <ip>)")
	}
	if !havePorts {
		return fmt.Errorf("no port range")
	}
	return nil
}

// record finishes a record with the VRF and the time.
func (p *sixWind) record(m *Message, text, at string, n *record.NAT) ([]*record.Record, error) {
	n.VRF = swVRF(m.App)
	if n.VRF == "" {
		if i := strings.Index(text, "fp-cgnat"); i >= 0 {
			n.VRF = swVRF(text[i:])
		}
	}
	if err := checkString("vrf", n.VRF); err != nil {
		return nil, fmt.Errorf("parse 6wind log: %w", err)
	}
	t := m.Time
	if at = strings.TrimSpace(at); at != "" {
		lt, err := m.LocalTime(swTimeLayout, at)
		if err == nil {
			lt, err = checkTime(lt)
		}
		if err != nil {
			return nil, fmt.Errorf("parse 6wind log: time after at: %w", err)
		}
		t = lt
	}
	r := newRecord(record.KindNAT, m, t)
	*r.NAT = *n
	return []*record.Record{r}, nil
}

// swVRF returns the VRF in a daemon name such as fp-cgnat-logd@main[4269]:.
func swVRF(app string) string {
	if !strings.HasPrefix(app, "fp-cgnat") {
		return ""
	}
	_, v, ok := strings.Cut(app, "@")
	if !ok {
		return ""
	}
	if k := strings.IndexAny(v, "[: "); k >= 0 {
		v = v[:k]
	}
	return v
}
