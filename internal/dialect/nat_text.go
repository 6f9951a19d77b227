package dialect

// This file holds what the vendor NAT parsers of juniper.go, cisco.go,
// a10.go, f5.go and huawei.go share: parsing addresses, ports and
// protocols without allocating, reading the time and host name of a device
// header left in the text, and building a NAT record that validates.
//
// The parsers share one policy for lines of their own format that hold no
// mapping (a flow the device did not translate, a denied session, an
// alarm): they return ErrNotMine wrapped with the reason, so that the
// caller keeps the line as a raw record and nothing is lost. None of them
// returns no records and no error.

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unique"

	"github.com/warden-ops/warden/internal/record"
)

// parseNATAddr parses an IPv4 or IPv6 address. An IPv4-mapped IPv6
// address becomes the IPv4 address; an address with a zone is refused,
// since a zone cannot be kept.
func parseNATAddr(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// parseNATPort parses a decimal port number.
func parseNATPort(s string) (uint16, bool) {
	if s == "" || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n > 0xffff {
		return 0, false
	}
	return uint16(n), true
}

// parseNATUint parses a decimal number of up to 19 digits.
func parseNATUint(s string) (uint64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// parseNATProto parses a protocol name (tcp, udp, icmp, icmpv6, gre,
// sctp, any case) or an IANA protocol number.
func parseNATProto(s string) (record.Protocol, bool) {
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		n, ok := parseNATUint(s)
		if !ok || n > 255 {
			return 0, false
		}
		return record.Protocol(n), true
	}
	switch {
	case strings.EqualFold(s, "tcp"):
		return record.ProtoTCP, true
	case strings.EqualFold(s, "udp"):
		return record.ProtoUDP, true
	case strings.EqualFold(s, "icmp"):
		return record.ProtoICMP, true
	case strings.EqualFold(s, "icmpv6"), strings.EqualFold(s, "ipv6-icmp"):
		return record.ProtoICMPv6, true
	case strings.EqualFold(s, "gre"):
		return record.ProtoGRE, true
	case strings.EqualFold(s, "sctp"):
		return record.ProtoSCTP, true
	}
	return 0, false
}

// splitNATAddrPort parses "addr<sep>port", splitting at the last sep so
// that an IPv6 address before a ':' separator still parses.
func splitNATAddrPort(s string, sep byte) (netip.Addr, uint16, bool) {
	i := strings.LastIndexByte(s, sep)
	if i < 0 {
		return netip.Addr{}, 0, false
	}
	a, ok := parseNATAddr(s[:i])
	if !ok {
		return netip.Addr{}, 0, false
	}
	p, ok := parseNATPort(s[i+1:])
	return a, p, ok
}

// splitNATPortRange parses "first-last".
func splitNATPortRange(s string) (first, last uint16, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	first, ok1 := parseNATPort(a)
	last, ok2 := parseNATPort(b)
	return first, last, ok1 && ok2
}

// nextNATField returns the first space-separated field of s and what
// follows it.
func nextNATField(s string) (field, rest string) {
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	s = s[i:]
	if j := strings.IndexByte(s, ' '); j >= 0 {
		return s[:j], s[j+1:]
	}
	return s, ""
}

// natFlow holds the text of a session log's addresses, ports and
// protocol, as the device wrote them; empty when absent.
type natFlow struct {
	src, sport, dst, dport             string
	natSrc, natSport, natDst, natDport string
	proto                              string
}

// fill sets n's addresses, ports and protocol from f. The destination kept
// is the translated one when the device logs it: the peer as the outside
// saw it. fill returns noXlate when the source was not translated, and an
// error naming the field for a value that does not parse; an absent port
// or protocol stays zero.
func (f *natFlow) fill(n *record.NAT, noXlate error) error {
	if f.natSrc == "" {
		return noXlate
	}
	var ok bool
	if n.InsideAddr, ok = parseNATAddr(f.src); !ok {
		return fmt.Errorf("bad source address %q", f.src)
	}
	if n.OutsideAddr, ok = parseNATAddr(f.natSrc); !ok {
		return fmt.Errorf("bad translated source address %q", f.natSrc)
	}
	if err := natOptPort(&n.InsidePort, f.sport, "source port"); err != nil {
		return err
	}
	if err := natOptPort(&n.OutsidePort, f.natSport, "translated source port"); err != nil {
		return err
	}
	if n.InsideAddr == n.OutsideAddr && n.InsidePort == n.OutsidePort {
		return noXlate
	}
	dst, dport := f.natDst, f.natDport
	if dst == "" {
		dst, dport = f.dst, f.dport
	}
	if dst != "" {
		if n.DestAddr, ok = parseNATAddr(dst); !ok {
			return fmt.Errorf("bad destination address %q", dst)
		}
		if err := natOptPort(&n.DestPort, dport, "destination port"); err != nil {
			return err
		}
	}
	if f.proto != "" {
		if n.Protocol, ok = parseNATProto(f.proto); !ok {
			return fmt.Errorf("bad protocol %q", f.proto)
		}
	}
	return nil
}

// natOptPort parses s into *p unless s is empty.
func natOptPort(p *uint16, s, what string) error {
	if s == "" {
		return nil
	}
	v, ok := parseNATPort(s)
	if !ok {
		return fmt.Errorf("bad %s %q", what, s)
	}
	*p = v
	return nil
}

// natEpoch returns the time sec seconds after 1970 UTC, and false for a
// time a record cannot hold.
func natEpoch(sec uint64) (time.Time, bool) {
	t := time.Unix(int64(sec), 0).UTC()
	return t, sec < 1<<40 && natTimeOK(t)
}

var (
	natMinTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	natMaxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// natTimeOK reports whether t lies in the years a record can hold.
func natTimeOK(t time.Time) bool { return !t.Before(natMinTime) && t.Before(natMaxTime) }

// newNATRecord returns a NAT record holding n, from m, at event time t (or
// the receive time if t is zero). It checks what Validate checks of the
// body, so that every record a parser returns is valid.
func newNATRecord(m *Message, t time.Time, n *record.NAT) (*record.Record, error) {
	switch {
	case !n.InsideAddr.IsValid():
		return nil, errors.New("no inside address")
	case !n.OutsideAddr.IsValid():
		return nil, errors.New("no outside address")
	case n.OutsidePortEnd != 0 && n.OutsidePortEnd < n.OutsidePort:
		return nil, fmt.Errorf("port block %d-%d ends before it starts", n.OutsidePort, n.OutsidePortEnd)
	case len(n.Device) > record.MaxStringLen, len(n.VRF) > record.MaxStringLen, len(n.Pool) > record.MaxStringLen:
		return nil, fmt.Errorf("device, VRF or pool name longer than %d bytes", record.MaxStringLen)
	}
	r := newRecord(record.KindNAT, m, t)
	if !t.IsZero() && !natTimeOK(r.EventTime) {
		return nil, fmt.Errorf("event time %s outside 1970-2199", r.EventTime.Format(time.RFC3339))
	}
	*r.NAT = *n
	r.NAT.Device, r.NAT.VRF, r.NAT.Pool = natIntern(n.Device), natIntern(n.VRF), natIntern(n.Pool)
	return r, nil
}

// natIntern returns s as a string that shares no memory with the message
// text, which the collector may reuse. Device, VRF and pool names repeat,
// so interning them costs no allocation after the first.
func natIntern(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}

// natMonths are the English month abbreviations devices write.
var natMonths = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// natTimeScan reads a device timestamp from the start of s.
type natTimeScan struct {
	s string
	i int
}

func (p *natTimeScan) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *natTimeScan) skip(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

// num reads between min and max digits.
func (p *natTimeScan) num(min, max int) (int, bool) {
	n, j := 0, p.i
	for j < len(p.s) && j-p.i < max && p.s[j] >= '0' && p.s[j] <= '9' {
		n = n*10 + int(p.s[j]-'0')
		j++
	}
	if j-p.i < min {
		return 0, false
	}
	p.i = j
	return n, true
}

func (p *natTimeScan) spaces() bool {
	j := p.i
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
	return p.i > j
}

func (p *natTimeScan) month() (int, bool) {
	if p.i+3 > len(p.s) {
		return 0, false
	}
	w := p.s[p.i : p.i+3]
	for k, name := range natMonths {
		if strings.EqualFold(w, name) {
			p.i += 3
			return k + 1, true
		}
	}
	return 0, false
}

// clock reads hh:mm:ss and an optional fraction, written after '.' or
// (Comware V5) ':'.
func (p *natTimeScan) clock() (h, mi, s, ns int, ok bool) {
	var ok1, ok2, ok3 bool
	h, ok1 = p.num(1, 2)
	if !ok1 || !p.skip(':') {
		return 0, 0, 0, 0, false
	}
	mi, ok2 = p.num(2, 2)
	if !ok2 || !p.skip(':') {
		return 0, 0, 0, 0, false
	}
	s, ok3 = p.num(2, 2)
	if !ok3 {
		return 0, 0, 0, 0, false
	}
	if c := p.peek(); (c == '.' || c == ':') && p.i+1 < len(p.s) && p.s[p.i+1] >= '0' && p.s[p.i+1] <= '9' {
		p.i++
		start := p.i
		f, _ := p.num(1, 9)
		for d := p.i - start; d < 9; d++ {
			f *= 10
		}
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++ // digits past nanoseconds
		}
		ns = f
	}
	return h, mi, s, ns, h < 24 && mi < 60 && s < 61
}

// zone reads an optional zone after the clock: Z, ±hh:mm or ±hhmm, or the
// word UTC or GMT, and returns its offset east of UTC in seconds. ok is
// false when there is none.
func (p *natTimeScan) zone() (off int, ok bool) {
	switch sign := p.peek(); sign {
	case 'Z':
		p.i++
		return 0, true
	case '+', '-':
		save := p.i
		p.i++
		h, ok1 := p.num(2, 2)
		p.skip(':')
		mi, ok2 := p.num(2, 2)
		if c := p.peek(); !ok1 || !ok2 || h > 23 || mi > 59 || c >= '0' && c <= '9' || c == '/' || c == '-' {
			p.i = save
			return 0, false
		}
		off = (h*60 + mi) * 60
		if sign == '-' {
			off = -off
		}
		return off, true
	case ' ':
		w := p.s[p.i+1:]
		if len(w) >= 3 && (strings.EqualFold(w[:3], "UTC") || strings.EqualFold(w[:3], "GMT")) &&
			(len(w) == 3 || w[3] == ' ' || w[3] == ':') {
			p.i += 4
			return 0, true
		}
	}
	return 0, false
}

// date reads the date before the clock: "2006-01-02T", "2006/01/02 ",
// "2006 Jan _2 ", "Jan _2 2006 " or "Jan _2 " (yearKnown false).
func (p *natTimeScan) date() (y, mo, d int, yearKnown, ok bool) {
	if c := p.peek(); c < '0' || c > '9' {
		if mo, ok = p.month(); !ok || !p.spaces() {
			return 0, 0, 0, false, false
		}
		if d, ok = p.num(1, 2); !ok || !p.skip(' ') {
			return 0, 0, 0, false, false
		}
		// A year before the clock (ASA, Huawei)?
		save := p.i
		if y, ok = p.num(4, 4); ok && p.skip(' ') {
			return y, mo, d, true, true
		}
		p.i = save
		return 0, mo, d, false, true
	}
	if y, ok = p.num(4, 4); !ok {
		return 0, 0, 0, false, false
	}
	switch sep := p.peek(); sep {
	case '-', '/':
		p.i++
		if mo, ok = p.num(2, 2); !ok || !p.skip(sep) {
			return 0, 0, 0, false, false
		}
		if d, ok = p.num(2, 2); !ok || !(p.skip('T') || p.skip(' ')) {
			return 0, 0, 0, false, false
		}
	case ' ':
		p.i++
		if mo, ok = p.month(); !ok || !p.spaces() {
			return 0, 0, 0, false, false
		}
		if d, ok = p.num(1, 2); !ok || !p.skip(' ') {
			return 0, 0, 0, false, false
		}
	default:
		return 0, 0, 0, false, false
	}
	return y, mo, d, true, true
}

// natDeviceTime reads a timestamp at the start of s and returns it and the
// bytes it took, or a zero time and 0. It knows the forms devices write:
//
//	2006-01-02T15:04:05.000+08:00  (RFC 3339, zone optional)
//	2006-01-02 15:04:05            (Huawei, Juniper MX services cards)
//	2006/01/02 15:04:05            (Comware V5)
//	Jan _2 2006 15:04:05           (Cisco ASA, Huawei)
//	Jan _2 15:04:05 2006           (H3C Comware)
//	Jan _2 15:04:05                (BSD syslog; the year is inferred)
//	2006 Jan _2 15:04:05           (Cisco IOS-XR CGN)
//
// each with an optional fraction and zone. A time without a zone is read
// in the device's zone; a year is inferred from the receive time, and not
// at all when that is unknown.
func natDeviceTime(m *Message, s string) (time.Time, int) {
	p := natTimeScan{s: s}
	y, mo, d, yearKnown, ok := p.date()
	if !ok {
		return time.Time{}, 0
	}
	h, mi, sec, ns, ok := p.clock()
	if !ok {
		return time.Time{}, 0
	}
	off, zoned := p.zone()
	if !yearKnown {
		// A year after the clock (H3C)?
		save := p.i
		if p.skip(' ') {
			if yy, ok := p.num(4, 4); ok && (p.i == len(p.s) || p.s[p.i] == ' ' || p.s[p.i] == ':') {
				y, yearKnown = yy, true
			} else {
				p.i = save
			}
		}
	}
	// A zoned time is built in UTC and moved by its offset, which saves
	// allocating a zone.
	loc := m.loc()
	if zoned {
		loc = time.UTC
	}
	at := func(y int) time.Time {
		return time.Date(y, time.Month(mo), d, h, mi, sec, ns, loc).Add(-time.Duration(off) * time.Second)
	}
	if !yearKnown {
		if m.Received.IsZero() {
			return time.Time{}, 0
		}
		ref := m.Received
		y = ref.In(loc).Year()
		switch t := at(y); {
		case t.After(ref.AddDate(0, 0, 31)):
			y-- // December's lines read in January
		case t.Before(ref.AddDate(0, 0, -335)):
			y++ // a device clock ahead across New Year
		}
	}
	t := at(y)
	if mo < 1 || mo > 12 || d != time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC).Day() || !natTimeOK(t) {
		return time.Time{}, 0
	}
	return t, p.i
}

// natHeaderTime returns the last device timestamp found at the start of a
// field of head, the text before a format's marker: when a relay added its
// own header, the device's comes last. A field may start with a <PRI>.
func natHeaderTime(m *Message, head string) time.Time {
	var last time.Time
	for i := 0; i < len(head); {
		for i < len(head) && head[i] == ' ' {
			i++
		}
		if i < len(head) && head[i] == '<' {
			if j := strings.IndexByte(head[i:], '>'); j > 0 && j < 5 {
				i += j + 1
			}
		}
		if strings.HasPrefix(head[i:], "%@") { // Comware V5 "%@250005%"
			if j := strings.IndexByte(head[i+2:], '%'); j >= 0 {
				i += j + 3
			}
		}
		if t, n := natDeviceTime(m, head[i:]); n > 0 {
			last = t
			i += n
			continue
		}
		j := strings.IndexByte(head[i:], ' ')
		if j < 0 {
			break
		}
		i += j
	}
	return last
}

// natEventTime picks a record's event time when the body holds none: a
// device timestamp in head, then the header time the collector parsed.
func natEventTime(m *Message, head string) time.Time {
	if t := natHeaderTime(m, head); !t.IsZero() {
		return t
	}
	return m.Time
}

// natHostBefore returns the host name that ends head, the text before a
// format's marker, skipping "-" and ":" fields and "app[pid]:" tags; or
// m.Host when head does not end in something that looks like a host name.
func natHostBefore(m *Message, head string) string {
	for head != "" {
		head = strings.TrimRight(head, " ")
		i := strings.LastIndexByte(head, ' ')
		f := head[i+1:]
		head = head[:i+1]
		if f == "-" || f == ":" || strings.HasSuffix(f, "]:") {
			continue // RFC 5424 placeholders, "tmm[1234]:" tags
		}
		f = strings.TrimSuffix(f, ":")
		if natLooksLikeHost(f) {
			return f
		}
		break
	}
	if m.Host == "-" {
		return ""
	}
	return m.Host
}

// natLooksLikeHost reports whether f can be a host name or address: not a
// <PRI>, a number, a time, a zone, or an application tag like "app[12]".
func natLooksLikeHost(f string) bool {
	if f == "" || f[0] == '<' || f[0] == '%' || strings.ContainsAny(f, "()[]{}=\"") {
		return false
	}
	if _, ok := parseNATUint(f); ok {
		return false
	}
	if strings.IndexByte(f, ':') >= 0 {
		// Only an IPv6 address: it has "::" or seven colons. Checking
		// first spares parsing (and an error) for times like 12:00:01.
		if !strings.Contains(f, "::") && strings.Count(f, ":") != 7 {
			return false
		}
		_, ok := parseNATAddr(f)
		return ok
	}
	return !strings.EqualFold(f, "UTC") && !strings.EqualFold(f, "GMT") && !strings.EqualFold(f, "DST")
}
