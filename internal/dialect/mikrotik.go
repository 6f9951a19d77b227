package dialect

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/warden-ops/warden/internal/record"
)

// mikroTik parses RouterOS firewall log lines (a rule with log=yes) that
// show the NAT the connection went through:
//
//	[<prefix> ]<chain>: in:<ifc> out:<ifc>, [connection-state:<st>[,snat|,dnat] ][src-mac <mac>, ]proto <P>[ (<flags>)], <src>-><dst>, NAT (<src>-><nat-src>)-><dst>, len <n>
//
// with the bracket on the right for destination NAT,
// NAT <src>->(<dst>-><real-dst>), and on both sides for both. RouterOS
// logs packets, not bindings: the first packet of a connection
// (connection-state:new) gives a create, any other packet an interim that
// re-announces the live mapping. Lines without a NAT section are declined.
//
// The PPPoE account that may show as the interface (in:<pppoe-NAME>) has
// no place in a NAT record and is not kept here; sessions come from
// RADIUS or the PPP log.
type mikroTik struct{}

const mtName = "mikrotik"

var (
	errMTMarker = &decline{mtName, "no firewall log marker (out: and proto)"}
	errMTNoNAT  = &decline{mtName, "firewall line without a NAT section"}
)

// Parse implements Parser.
func (p *mikroTik) Parse(m *Message) ([]*record.Record, error) {
	text := m.Text
	oi := strings.Index(lineHead(text), " out:")
	if oi < 0 {
		return nil, errMTMarker
	}
	pi := strings.Index(text[oi:], "proto ")
	if pi < 0 {
		return nil, errMTMarker
	}
	pi += oi
	ni := strings.Index(text[pi:], ", NAT ")
	if ni < 0 {
		return nil, errMTNoNAT
	}
	ni += pi
	name := text[pi+len("proto "):]
	if k := strings.IndexAny(name, " ,"); k >= 0 {
		name = name[:k]
	}
	// RouterOS names protocols it knows and numbers the others; a name
	// outside record's list is kept as the unknown protocol.
	proto, _ := record.ParseProtocol(name)

	nat := text[ni+len(", NAT "):]
	if k := strings.Index(nat, ", len "); k >= 0 {
		nat = nat[:k]
	}
	nat = strings.TrimRight(nat, " \r\n")
	var n record.NAT
	n.Protocol = proto
	if err := mtMapping(&n, nat, hasPorts(proto)); err != nil {
		return nil, fmt.Errorf("parse mikrotik NAT section %q: %w", nat, err)
	}
	n.Event = record.NATInterim
	if ci := strings.Index(text[:pi], "connection-state:"); ci >= 0 {
		st := text[ci+len("connection-state:") : pi]
		if k := strings.IndexAny(st, ", "); k >= 0 {
			st = st[:k]
		}
		if st == "new" {
			n.Event = record.NATCreate
		}
	}
	r := newRecord(record.KindNAT, m, m.Time)
	*r.NAT = n
	return []*record.Record{r}, nil
}

// mtMapping reads a NAT section: "(a->b)->c" (source NAT), "a->(c->d)"
// (destination NAT) or "(a->b)->(c->d)" (both).
func mtMapping(n *record.NAT, s string, withPort bool) error {
	var a, b, c, d string
	var ok bool
	if strings.HasPrefix(s, "(") {
		k := strings.IndexByte(s, ')')
		if k < 0 {
			return fmt.Errorf("unclosed bracket")
		}
		if a, b, ok = strings.Cut(s[1:k], "->"); !ok {
			return fmt.Errorf("no -> in the source translation")
		}
		rest, ok := strings.CutPrefix(s[k+1:], "->")
		if !ok {
			return fmt.Errorf("no -> after the source translation")
		}
		if strings.HasPrefix(rest, "(") {
			k := strings.IndexByte(rest, ')')
			if k < 0 {
				return fmt.Errorf("unclosed bracket")
			}
			if c, d, ok = strings.Cut(rest[1:k], "->"); !ok {
				return fmt.Errorf("no -> in the destination translation")
			}
		} else {
			c = rest
		}
	} else {
		k := strings.Index(s, "->(")
		if k < 0 || !strings.HasSuffix(s, ")") {
			return fmt.Errorf("no translation in brackets")
		}
		a = s[:k]
		if c, d, ok = strings.Cut(s[k+3:len(s)-1], "->"); !ok {
			return fmt.Errorf("no -> in the destination translation")
		}
	}
	var err error
	ep := func(s string) (netip.Addr, uint16) {
		if err != nil {
			return netip.Addr{}, 0
		}
		var ad netip.Addr
		var p uint16
		ad, p, err = mtEndpoint(s, withPort)
		return ad, p
	}
	srcA, srcP := ep(a)
	dstA, dstP := ep(c)
	switch {
	case b != "" && d != "": // both: the peer is the real destination
		n.InsideAddr, n.InsidePort = srcA, srcP
		n.OutsideAddr, n.OutsidePort = ep(b)
		n.DestAddr, n.DestPort = ep(d)
	case b != "":
		n.InsideAddr, n.InsidePort = srcA, srcP
		n.OutsideAddr, n.OutsidePort = ep(b)
		n.DestAddr, n.DestPort = dstA, dstP
	default: // destination NAT: the server behind it is the inside
		n.InsideAddr, n.InsidePort = ep(d)
		n.OutsideAddr, n.OutsidePort = dstA, dstP
		n.DestAddr, n.DestPort = srcA, srcP
	}
	return err
}

// mtEndpoint parses a tuple end. Without ports (ICMP) it is an address;
// with an unknown protocol it may be either.
func mtEndpoint(s string, withPort bool) (netip.Addr, uint16, error) {
	if !withPort {
		if a, err := parseAddr(s); err == nil {
			return a, 0, nil
		}
	}
	return parseAddrPort(s)
}
