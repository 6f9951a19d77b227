package dialect

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/warden-ops/warden/internal/record"
)

// nfWare parses NFWare vCGNAT syslog NAT messages (RFC 5424; the message
// text is the record):
//
//	<A|D> VRF <id> INT <ip> EXT <ip>                                           address mapping
//	<A|D> VRF <id> <proto> INT <ip>:<port> EXT <ip>:<port>                     port mapping
//	<A|D> VRF <id> <proto> INT <ip>:<port> EXT <ip>:<port> DST <ip>:<port> DIR <OUT|IN>   session
//	<A|D> VRF <id> INT <ip> EXT <ip>:<first>-<last>                            port block
//
// A is an allocation (create, or block-alloc for a port block) and D a
// release. The VRF id is kept as the VRF. NFWare documents interim logs
// for port blocks but not their letter, so other letters are reported as
// errors and the lines kept raw. The event time is the header's.
type nfWare struct{}

const nfName = "nfware"

var errNFMarker = &decline{nfName, "no <A|D> VRF prefix"}

// Parse implements Parser.
func (p *nfWare) Parse(m *Message) ([]*record.Record, error) {
	s := strings.TrimLeft(m.Text, " ")
	if i := strings.Index(lineHead(s), " VRF "); i < 0 {
		return nil, errNFMarker
	} else if i != 1 {
		// A header the collector left in place: the record starts at
		// the event letter before " VRF ".
		if i < 2 || s[i-2] != ' ' {
			return nil, errNFMarker
		}
		s = s[i-1:]
	}
	letter, rest := cutWord(s)
	vrfWord, rest := cutWord(rest)
	vrf, rest := cutWord(rest)
	if vrfWord != "VRF" || len(letter) != 1 || letter[0] < 'A' || letter[0] > 'Z' {
		return nil, errNFMarker
	}
	if _, err := strconv.ParseUint(vrf, 10, 32); err != nil {
		return nil, errNFMarker
	}
	var n record.NAT
	alloc := false
	switch letter {
	case "A":
		alloc = true
	case "D":
	default:
		return nil, fmt.Errorf("parse nfware log: unknown event letter %q", letter)
	}
	n.VRF = vrf
	w, rest := cutWord(rest)
	withPorts := false
	if w != "INT" {
		var err error
		if n.Protocol, err = record.ParseProtocol(w); err != nil {
			return nil, fmt.Errorf("parse nfware log: %w", err)
		}
		withPorts = true
		if w, rest = cutWord(rest); w != "INT" {
			return nil, fmt.Errorf("parse nfware log: want INT, got %q", w)
		}
	}
	in, rest := cutWord(rest)
	if w, rest = cutWord(rest); w != "EXT" {
		return nil, fmt.Errorf("parse nfware log: want EXT, got %q", w)
	}
	ext, rest := cutWord(rest)
	var err error
	if n.InsideAddr, n.InsidePort, err = parseEndpoint(in, withPorts); err != nil {
		return nil, fmt.Errorf("parse nfware log: INT: %w", err)
	}
	block, err := nfOutside(&n, ext, withPorts)
	if err != nil {
		return nil, fmt.Errorf("parse nfware log: EXT: %w", err)
	}
	if rest != "" {
		if !withPorts {
			return nil, fmt.Errorf("parse nfware log: unexpected %q after EXT", rest)
		}
		if err := nfDest(&n, rest); err != nil {
			return nil, fmt.Errorf("parse nfware log: %w", err)
		}
	}
	switch {
	case block && alloc:
		n.Event = record.NATBlockAlloc
	case block:
		n.Event = record.NATBlockRelease
	case alloc:
		n.Event = record.NATCreate
	default:
		n.Event = record.NATDelete
	}
	r := newRecord(record.KindNAT, m, m.Time)
	*r.NAT = n
	return []*record.Record{r}, nil
}

// nfOutside reads EXT: <ip>:<port> with ports, else <ip> or, for a port
// block, <ip>:<first>-<last>. It reports whether it was a port block.
func nfOutside(n *record.NAT, ext string, withPorts bool) (block bool, err error) {
	if withPorts {
		n.OutsideAddr, n.OutsidePort, err = parseAddrPort(ext)
		return false, err
	}
	k := strings.LastIndexByte(ext, ':')
	if k < 0 || strings.IndexByte(ext[k:], '-') < 0 {
		n.OutsideAddr, err = parseAddr(ext)
		return false, err
	}
	first, last, _ := strings.Cut(ext[k+1:], "-")
	if n.OutsideAddr, err = parseAddr(ext[:k]); err != nil {
		return true, err
	}
	if n.OutsidePort, err = parsePort(first); err == nil {
		n.OutsidePortEnd, err = parsePort(last)
	}
	if err != nil {
		return true, fmt.Errorf("port block: %w", err)
	}
	if n.OutsidePortEnd < n.OutsidePort {
		return true, fmt.Errorf("port block %d-%d ends before it starts", n.OutsidePort, n.OutsidePortEnd)
	}
	return true, nil
}

// nfDest reads "DST <ip>:<port> DIR <OUT|IN>".
func nfDest(n *record.NAT, s string) error {
	w, rest := cutWord(s)
	if w != "DST" {
		return fmt.Errorf("unexpected %q after EXT", w)
	}
	dst, rest := cutWord(rest)
	var err error
	if n.DestAddr, n.DestPort, err = parseAddrPort(dst); err != nil {
		return fmt.Errorf("DST: %w", err)
	}
	if dirWord, dir := cutWord(rest); dirWord != "DIR" || (strings.TrimSpace(dir) != "OUT" && strings.TrimSpace(dir) != "IN") {
		return fmt.Errorf("want DIR OUT or DIR IN after DST, got %q", rest)
	}
	return nil
}
