package dialect

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// paloAlto parses PAN-OS TRAFFIC logs (CSV, PAN-OS 9.1 and later column
// order; later versions only append columns) that show source or
// destination NAT.
//
// A session start (subtype start) gives a create at Generated Time. A
// session end (subtype end) gives two records: a create at the line's
// Start Time and a delete at Generated Time, so that one end-of-session
// log, the usual configuration, bounds the mapping on both sides. Drop and
// deny sessions never passed and carry no mapping. With no NAT the NAT
// columns are 0.0.0.0.
//
// Generated Time and Start Time are the firewall's local time. PAN-OS 10
// logs end in a high-resolution timestamp with its zone: it is the event
// time, and Start Time is read in its zone. Without it both are read in
// the device's zone.
type paloAlto struct{}

const paName = "paloalto"

var (
	errPAMarker   = &decline{paName, "no ,TRAFFIC, column"}
	errPANoNAT    = &decline{paName, "traffic log without NAT (NAT columns 0.0.0.0)"}
	errPANotPANOS = &decline{paName, "no PAN-OS receive time before TRAFFIC"}
)

// PAN-OS TRAFFIC columns, counted from 1 as the documentation does.
const (
	paSubtype    = 5
	paGenerated  = 7
	paSrc        = 8
	paDst        = 9
	paNATSrc     = 10
	paNATDst     = 11
	paVsys       = 16
	paSport      = 25
	paDport      = 26
	paNATSport   = 27
	paNATDport   = 28
	paProto      = 30
	paStart      = 36
	paDeviceName = 53
	// paMinColumns is the fewest columns a TRAFFIC log can have and still
	// carry the start time.
	paMinColumns = paStart
	// paMaxColumns bounds how many columns are split; PAN-OS 11 writes
	// about 120.
	paMaxColumns = 160
	// paTimeLayout is Generated Time and Start Time.
	paTimeLayout = "2006/01/02 15:04:05"
)

// Parse implements Parser.
func (p *paloAlto) Parse(m *Message) ([]*record.Record, error) {
	text := m.Text
	i := strings.Index(text, ",TRAFFIC,")
	if i < 0 {
		return nil, errPAMarker
	}
	// The CSV starts three columns before TRAFFIC (FUTURE_USE, Receive
	// Time, Serial Number); a syslog header the collector did not strip
	// ends in a space before it.
	start := i
	for range 2 {
		start = strings.LastIndexByte(text[:start], ',')
		if start < 0 {
			return nil, errPANotPANOS
		}
	}
	start = strings.LastIndexByte(text[:start], ' ') + 1
	var buf [paMaxColumns]string
	col, err := splitCSV(text[start:], buf[:0])
	if err != nil {
		return nil, fmt.Errorf("parse paloalto traffic log: %w", err)
	}
	c := func(n int) string { return col[n-1] }
	// Another format's CSV may hold ",TRAFFIC,"; a PAN-OS log has its
	// receive time two columns before.
	if len(col) < 4 || !paTimeShape(c(2)) {
		return nil, errPANotPANOS
	}
	if len(col) < paMinColumns {
		return nil, fmt.Errorf("parse paloalto traffic log: %d columns, want at least %d", len(col), paMinColumns)
	}
	sub := c(paSubtype)
	if sub != "start" && sub != "end" {
		return nil, declinef(paName, "traffic log subtype %q carries no mapping", sub)
	}
	var n record.NAT
	if err := p.mapping(&n, c); err != nil {
		return nil, err
	}
	n.VRF = c(paVsys)
	if len(col) >= paDeviceName {
		n.Device = c(paDeviceName)
	}
	if err := checkString("device name", n.Device); err != nil {
		return nil, fmt.Errorf("parse paloalto traffic log: %w", err)
	}
	if err := checkString("virtual system", n.VRF); err != nil {
		return nil, fmt.Errorf("parse paloalto traffic log: %w", err)
	}
	return p.records(m, &n, sub, c(paStart), c(paGenerated), col)
}

// records returns the record of a session start, or those of a session
// end: a create at start, if the log has it, and a delete.
func (p *paloAlto) records(m *Message, n *record.NAT, sub, start, generated string, col []string) ([]*record.Record, error) {
	t, zone, err := p.time(m, generated, col)
	if err != nil {
		return nil, err
	}
	at := func(t time.Time, ev record.NATEvent) *record.Record {
		r := newRecord(record.KindNAT, m, t)
		*r.NAT = *n
		r.NAT.Event = ev
		return r
	}
	if sub == "start" {
		return []*record.Record{at(t, record.NATCreate)}, nil
	}
	if start == "" {
		return []*record.Record{at(t, record.NATDelete)}, nil
	}
	// Start Time is in the zone of the high-resolution timestamp when the
	// log has one, else in the device's.
	var st time.Time
	if zone != nil {
		st, err = time.ParseInLocation(paTimeLayout, start, zone)
	} else {
		st, err = m.LocalTime(paTimeLayout, start)
	}
	if err == nil {
		st, err = checkTime(st)
	}
	if err != nil {
		return nil, fmt.Errorf("parse paloalto traffic log: start time: %w", err)
	}
	return []*record.Record{at(st, record.NATCreate), at(t, record.NATDelete)}, nil
}

// paTimeShape reports whether s looks like a PAN-OS time,
// 2006/01/02 15:04:05.
func paTimeShape(s string) bool {
	if len(s) != len(paTimeLayout) {
		return false
	}
	for i := range len(s) {
		c, l := s[i], paTimeLayout[i]
		if l >= '0' && l <= '9' {
			if c < '0' || c > '9' {
				return false
			}
		} else if c != l {
			return false
		}
	}
	return true
}

// mapping fills n's addresses, ports and protocol from the columns.
func (p *paloAlto) mapping(n *record.NAT, c func(int) string) error {
	var err error
	// PAN-OS leaves the NAT columns empty, or writes 0.0.0.0 and 0, when
	// there is no NAT; an empty port is 0.
	addr := func(k int, name string, optional bool) netip.Addr {
		if err != nil || optional && c(k) == "" {
			return netip.Addr{}
		}
		var a netip.Addr
		if a, err = parseAddr(c(k)); err != nil {
			err = fmt.Errorf("parse paloalto traffic log: %s: %w", name, err)
		}
		return a
	}
	port := func(k int, name string) uint16 {
		if err != nil || c(k) == "" {
			return 0
		}
		var v uint16
		if v, err = parsePort(c(k)); err != nil {
			err = fmt.Errorf("parse paloalto traffic log: %s: %w", name, err)
		}
		return v
	}
	src, dst := addr(paSrc, "source address", false), addr(paDst, "destination address", false)
	natSrc, natDst := addr(paNATSrc, "NAT source IP", true), addr(paNATDst, "NAT destination IP", true)
	sport, dport := port(paSport, "source port"), port(paDport, "destination port")
	natSport, natDport := port(paNATSport, "NAT source port"), port(paNATDport, "NAT destination port")
	if err != nil {
		return err
	}
	nat := func(a netip.Addr) bool { return a.IsValid() && !a.IsUnspecified() }
	if n.Protocol, err = parseProtocol(c(paProto)); err != nil {
		return fmt.Errorf("parse paloalto traffic log: protocol: %w", err)
	}
	switch {
	case nat(natSrc):
		// Source NAT. The NAT destination is the peer the translated
		// packets went to (PAN-OS repeats the destination when there is
		// no destination NAT).
		n.InsideAddr, n.InsidePort = src, sport
		n.OutsideAddr, n.OutsidePort = natSrc, natSport
		n.DestAddr, n.DestPort = dst, dport
		if nat(natDst) {
			n.DestAddr, n.DestPort = natDst, natDport
		}
	case nat(natDst) && (natDst != dst || natDport != dport):
		// Destination NAT only: the server behind it is the inside.
		n.InsideAddr, n.InsidePort = natDst, natDport
		n.OutsideAddr, n.OutsidePort = dst, dport
		n.DestAddr, n.DestPort = src, sport
	default:
		return errPANoNAT
	}
	return nil
}

// time returns the event time: the high-resolution timestamp if a column
// after the device name holds one, with its zone, else Generated Time in
// the device's zone and a nil zone.
func (p *paloAlto) time(m *Message, generated string, col []string) (time.Time, *time.Location, error) {
	for i := paDeviceName; i < len(col); i++ {
		v := col[i]
		if len(v) < 20 || len(v) > 40 || v[4] != '-' || v[10] != 'T' {
			continue
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			zone := t.Location()
			if t, err = checkTime(t); err != nil {
				return time.Time{}, nil, fmt.Errorf("parse paloalto traffic log: high resolution timestamp: %w", err)
			}
			return t, zone, nil
		}
	}
	t, err := m.LocalTime(paTimeLayout, generated)
	if err == nil {
		t, err = checkTime(t)
	}
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("parse paloalto traffic log: generated time: %w", err)
	}
	return t, nil, nil
}
