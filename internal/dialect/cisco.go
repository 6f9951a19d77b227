package dialect

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

var (
	errNotASANAT     = fmt.Errorf("%w: no %%ASA-, %%FTD- or %%PIX- message", ErrNotMine)
	errASANATOther   = fmt.Errorf("%w: Cisco ASA message that is not a translation or connection log", ErrNotMine)
	errASANATNoXlate = fmt.Errorf("%w: Cisco ASA connection without translation", ErrNotMine)
	errASANATNoBuild = fmt.Errorf("%w: Cisco ASA teardown of a connection whose translated build was not seen (the teardown carries no mapped address)", ErrNotMine)
	errNotIOSNAT     = fmt.Errorf("%w: no %%IPNAT- or %%NAT- translation message", ErrNotMine)
	errIOSNoXlate    = fmt.Errorf("%w: Cisco IOS translation that leaves the inside address unchanged", ErrNotMine)
	errNotXRCGN      = fmt.Errorf("%w: no IOS-XR NAT44 or DSLITE message", ErrNotMine)
	errXRCGNNoMapped = fmt.Errorf("%w: IOS-XR CGN message without a mapping (port block run-out)", ErrNotMine)
)

// asaNATConns bounds the connections a Cisco ASA parser remembers to join
// a teardown (302014, 302016), which carries no mapped address, to its
// build (302013, 302015): it remembers the last 65,536 translated builds,
// about 13 MB a source at some 200 bytes an entry. A teardown that comes
// after that many later builds finds nothing and is kept raw. The builds
// are always kept as create records, so a forgotten build loses only the
// delete record's mapping; the window covers connections that last while
// 65,536 others start, minutes on a busy firewall.
const asaNATConns = 1 << 16

// asaNAT parses the Cisco ASA and FTD (LINA) syslog messages that carry
// translations:
//
//	%ASA-6-305011: Built dynamic TCP translation from inside:10.0.0.8/51000 to outside:203.0.113.8/32000
//	%ASA-6-305012: Teardown dynamic UDP translation from inside:10.0.0.8/51000 to outside:203.0.113.8/32000 duration 0:00:30
//	%ASA-6-305009: Built dynamic translation from inside:10.0.0.8 to outside:203.0.113.8 (and 305010, its teardown)
//	%ASA-6-302013: Built outbound TCP connection 7 for outside:8.8.8.8/443 (8.8.8.8/443) to inside:10.0.0.8/51000 (203.0.113.8/32000)
//	%ASA-6-302014: Teardown TCP connection 7 for outside:8.8.8.8/443 to inside:10.0.0.8/51000 duration 0:00:30 bytes 100 TCP FINs
//	%ASA-6-302020: Built outbound ICMP connection for faddr 8.8.8.8/0 gaddr 203.0.113.8/7 laddr 10.0.0.8/1 (and 302021)
//
// In a connection build (302013, 302015, inbound or outbound) the second
// endpoint is the local one, whose bracketed pair is its mapped address;
// the first is the foreign host, kept as the destination. The parser
// remembers translated builds by connection ID so that their teardowns,
// which carry only real addresses, become delete records with the
// mapping. Connections the ASA did not translate hold no mapping and are
// declined with ErrNotMine, like every other ASA message, so that the
// caller keeps them raw.
type asaNAT struct {
	limit int
	conns map[uint64]asaNATConn
	ring  []asaNATSlot // build IDs in arrival order; len(ring) == limit once used
	head  int          // index of the oldest slot
	size  int          // slots in use
	seq   uint64
}

type asaNATConn struct {
	seq uint64
	nat record.NAT
}

type asaNATSlot struct {
	id, seq uint64
}

var _ Parser = (*asaNAT)(nil)

// newASANAT returns an ASA parser that remembers the last limit
// translated builds.
func newASANAT(limit int) *asaNAT { return &asaNAT{limit: limit} }

// Parse implements Parser.
func (p *asaNAT) Parse(m *Message) ([]*record.Record, error) {
	s := m.Text
	at, id, body := asaNATFind(s)
	if at < 0 {
		return nil, errNotASANAT
	}
	head := s[:at]
	var (
		r   *record.Record
		err error
	)
	switch id {
	case "305009", "305010", "305011", "305012":
		r, err = p.xlate(m, head, body)
	case "302013", "302015":
		r, err = p.built(m, head, body)
	case "302014", "302016":
		r, err = p.teardown(m, head, body)
	case "302020", "302021":
		r, err = p.icmp(m, head, body)
	default:
		return nil, errASANATOther
	}
	if err != nil {
		if errors.Is(err, ErrNotMine) {
			return nil, err
		}
		return nil, fmt.Errorf("cisco asa %s: %w", id, err)
	}
	return []*record.Record{r}, nil
}

// asaNATFind finds "%ASA-6-302013: " (or %FTD-, %PIX-, and the
// "%ASA-session-6-302013" form) and returns where it starts, the message
// ID and the body after it, or -1.
func asaNATFind(s string) (at int, id, body string) {
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '%')
		if j < 0 {
			break
		}
		j += i
		i = j + 1
		if len(s) < j+5 || s[j+4] != '-' {
			continue
		}
		if v := s[j+1 : j+4]; v != "ASA" && v != "FTD" && v != "PIX" {
			continue
		}
		end := strings.Index(s[j:], ": ")
		if end < 0 || end > 40 {
			continue
		}
		tag := s[j : j+end]
		id = tag[strings.LastIndexByte(tag, '-')+1:]
		if len(id) != 6 {
			continue
		}
		return j, id, s[j+end+2:]
	}
	return -1, "", ""
}

// asaNATEndpoint is "interface:address[/port]".
func asaNATEndpoint(tok string, withPort bool) (netip.Addr, uint16, bool) {
	_, ap, ok := strings.Cut(tok, ":")
	if !ok {
		return netip.Addr{}, 0, false
	}
	if !withPort {
		a, ok := parseNATAddr(ap)
		return a, 0, ok
	}
	return splitNATAddrPort(ap, '/')
}

// asaNATMapped reads "(address/port)" that may run into "(user)".
func asaNATMapped(tok string) (netip.Addr, uint16, bool) {
	if !strings.HasPrefix(tok, "(") {
		return netip.Addr{}, 0, false
	}
	end := strings.IndexByte(tok, ')')
	if end < 0 {
		return netip.Addr{}, 0, false
	}
	return splitNATAddrPort(tok[1:end], '/')
}

// asaNATSkipTo returns what follows the field word in s.
func asaNATSkipTo(s, word string) (string, bool) {
	for s != "" {
		var f string
		f, s = nextNATField(s)
		if f == word {
			return s, true
		}
	}
	return "", false
}

func asaNATVerb(verb string) (record.NATEvent, error) {
	switch verb {
	case "Built":
		return record.NATCreate, nil
	case "Teardown":
		return record.NATDelete, nil
	}
	return 0, fmt.Errorf("unknown action %q", verb)
}

// xlate reads 305009 to 305012:
//
//	Built dynamic TCP translation from inside:10.0.0.8/51000 to outside(acl):203.0.113.8/32000
//	Teardown static translation from inside:10.0.0.8 to outside:203.0.113.8 duration 1:00:00
func (p *asaNAT) xlate(m *Message, head, body string) (*record.Record, error) {
	verb, rest := nextNATField(body)
	ev, err := asaNATVerb(verb)
	if err != nil {
		return nil, err
	}
	_, rest = nextNATField(rest) // dynamic or static
	n := record.NAT{Event: ev}
	w, rest := nextNATField(rest)
	withPort := w != "translation"
	if withPort {
		var ok bool
		if n.Protocol, ok = parseNATProto(w); !ok {
			return nil, fmt.Errorf("bad protocol %q", w)
		}
		if rest, ok = asaNATSkipTo(rest, "translation"); !ok {
			return nil, errors.New(`no "translation"`)
		}
	}
	rest, ok := asaNATSkipTo(rest, "from")
	if !ok {
		return nil, errors.New(`no "from"`)
	}
	real, rest := nextNATField(rest)
	if n.InsideAddr, n.InsidePort, ok = asaNATEndpoint(real, withPort); !ok {
		return nil, fmt.Errorf("bad real address %q", real)
	}
	if rest, ok = asaNATSkipTo(rest, "to"); !ok {
		return nil, errors.New(`no "to"`)
	}
	mapped, _ := nextNATField(rest)
	if n.OutsideAddr, n.OutsidePort, ok = asaNATEndpoint(mapped, withPort); !ok {
		return nil, fmt.Errorf("bad mapped address %q", mapped)
	}
	if n.InsideAddr == n.OutsideAddr && n.InsidePort == n.OutsidePort {
		return nil, errASANATNoXlate
	}
	n.Device = natHostBefore(m, head)
	return newNATRecord(m, natEventTime(m, head), &n)
}

// built reads 302013 and 302015:
//
//	Built outbound TCP connection 7 for outside:8.8.8.8/443 (8.8.8.8/443) to inside:10.0.0.8/51000 (203.0.113.8/32000)
func (p *asaNAT) built(m *Message, head, body string) (*record.Record, error) {
	_, rest := nextNATField(body) // Built
	_, rest = nextNATField(rest)  // inbound or outbound
	proto, rest := nextNATField(rest)
	if proto == "Probe" {
		proto, rest = nextNATField(rest)
	}
	n := record.NAT{Event: record.NATCreate}
	var ok bool
	if n.Protocol, ok = parseNATProto(proto); !ok {
		return nil, fmt.Errorf("bad protocol %q", proto)
	}
	if rest, ok = asaNATSkipTo(rest, "connection"); !ok {
		return nil, errors.New(`no "connection"`)
	}
	idTok, rest := nextNATField(rest)
	id, ok := parseNATUint(idTok)
	if !ok {
		return nil, fmt.Errorf("bad connection ID %q", idTok)
	}
	if rest, ok = asaNATSkipTo(rest, "for"); !ok {
		return nil, errors.New(`no "for"`)
	}
	foreign, rest := nextNATField(rest)
	if n.DestAddr, n.DestPort, ok = asaNATEndpoint(foreign, true); !ok {
		return nil, fmt.Errorf("bad foreign address %q", foreign)
	}
	if rest, ok = asaNATSkipTo(rest, "to"); !ok {
		return nil, errors.New(`no "to"`)
	}
	local, rest := nextNATField(rest)
	if n.InsideAddr, n.InsidePort, ok = asaNATEndpoint(local, true); !ok {
		return nil, fmt.Errorf("bad local address %q", local)
	}
	mapped, _ := nextNATField(rest)
	if n.OutsideAddr, n.OutsidePort, ok = asaNATMapped(mapped); !ok ||
		n.InsideAddr == n.OutsideAddr && n.InsidePort == n.OutsidePort {
		return nil, errASANATNoXlate
	}
	n.Device = natHostBefore(m, head)
	r, err := newNATRecord(m, natEventTime(m, head), &n)
	if err != nil {
		return nil, err
	}
	p.remember(id, *r.NAT)
	return r, nil
}

// teardown reads 302014 and 302016 and joins them to their build:
//
//	Teardown TCP connection 7 for outside:8.8.8.8/443 to inside:10.0.0.8/51000 duration 0:00:30 bytes 100 TCP FINs
func (p *asaNAT) teardown(m *Message, head, body string) (*record.Record, error) {
	_, rest := nextNATField(body) // Teardown
	var ok bool
	if rest, ok = asaNATSkipTo(rest, "connection"); !ok {
		return nil, errors.New(`no "connection"`)
	}
	idTok, rest := nextNATField(rest)
	id, ok := parseNATUint(idTok)
	if !ok {
		return nil, fmt.Errorf("bad connection ID %q", idTok)
	}
	c, found := p.conns[id]
	if !found {
		return nil, errASANATNoBuild
	}
	delete(p.conns, id)
	// IDs restart when the ASA does: check that the local end matches.
	if rest, ok = asaNATSkipTo(rest, "to"); ok {
		local, _ := nextNATField(rest)
		if a, port, ok := asaNATEndpoint(local, true); ok && (a != c.nat.InsideAddr || port != c.nat.InsidePort) {
			return nil, errASANATNoBuild
		}
	}
	n := c.nat
	n.Event = record.NATDelete
	n.Device = natHostBefore(m, head)
	return newNATRecord(m, natEventTime(m, head), &n)
}

// icmp reads 302020 and 302021, which carry all three addresses:
//
//	Built outbound ICMP connection for faddr 8.8.8.8/0 gaddr 203.0.113.8/7 laddr 10.0.0.8/1 type 8 code 0
func (p *asaNAT) icmp(m *Message, head, body string) (*record.Record, error) {
	verb, rest := nextNATField(body)
	ev, err := asaNATVerb(verb)
	if err != nil {
		return nil, err
	}
	n := record.NAT{Event: ev, Protocol: record.ProtoICMP}
	if ev == record.NATCreate {
		_, rest = nextNATField(rest) // inbound or outbound
	}
	proto, _ := nextNATField(rest)
	if proto == "ICMPv6" {
		n.Protocol = record.ProtoICMPv6
	}
	for _, f := range [...]struct {
		word string
		addr *netip.Addr
		port *uint16
	}{{"faddr", &n.DestAddr, &n.DestPort}, {"gaddr", &n.OutsideAddr, &n.OutsidePort}, {"laddr", &n.InsideAddr, &n.InsidePort}} {
		v, ok := asaNATSkipTo(rest, f.word)
		if !ok {
			return nil, fmt.Errorf("no %s", f.word)
		}
		tok, _ := nextNATField(v)
		if *f.addr, *f.port, ok = splitNATAddrPort(tok, '/'); !ok {
			return nil, fmt.Errorf("bad %s %q", f.word, tok)
		}
	}
	if n.InsideAddr == n.OutsideAddr && n.InsidePort == n.OutsidePort {
		return nil, errASANATNoXlate
	}
	n.Device = natHostBefore(m, head)
	return newNATRecord(m, natEventTime(m, head), &n)
}

// remember stores a translated build for its teardown. The ring holds the
// last limit builds in order, torn down or not; when it is full the oldest
// slot goes, and with it its build if that is still waiting.
func (p *asaNAT) remember(id uint64, n record.NAT) {
	if p.ring == nil {
		if p.limit <= 0 {
			p.limit = asaNATConns
		}
		p.ring = make([]asaNATSlot, p.limit)
		p.conns = make(map[uint64]asaNATConn)
	}
	if p.size == len(p.ring) {
		old := p.ring[p.head]
		if c, ok := p.conns[old.id]; ok && c.seq == old.seq {
			delete(p.conns, old.id)
		}
		p.head = (p.head + 1) % len(p.ring)
		p.size--
	}
	p.seq++
	p.ring[(p.head+p.size)%len(p.ring)] = asaNATSlot{id: id, seq: p.seq}
	p.size++
	p.conns[id] = asaNATConn{seq: p.seq, nat: n}
}

// iosNAT parses Cisco IOS and IOS-XE NAT translation logs ("ip nat log
// translations syslog"):
//
//	%IPNAT-6-NAT_CREATED: Created tcp 10.0.0.1:1234 203.0.113.1:4321 8.8.8.8:53 8.8.8.8:53
//	%IOSXE-6-PLATFORM: F0: cpp_cp: QFP:0.0 Thread:105 TS:00000000000000 %NAT-6-LOG_TRANSLATION: Created Translation UDP 10.0.0.1:1234 203.0.113.1:4321 8.8.8.8:53 8.8.8.8:53 0
//
// The four endpoints are inside local, inside global, outside local and
// outside global: the inside local is the subscriber, the inside global
// the outside address, the outside global the peer. The IOS-XE form ends
// with the VRF ID. A translation that leaves the inside address alone
// (outside NAT only) holds no mapping and is declined with ErrNotMine.
type iosNAT struct{}

var _ Parser = iosNAT{}

// Parse implements Parser.
func (iosNAT) Parse(m *Message) ([]*record.Record, error) {
	s := m.Text
	at := strings.Index(s, "%IPNAT-")
	if at < 0 {
		if at = strings.Index(s, "%NAT-"); at < 0 {
			return nil, errNotIOSNAT
		}
	}
	tag, body, ok := strings.Cut(s[at+1:], ": ")
	if !ok || strings.IndexByte(tag, ' ') >= 0 {
		return nil, errNotIOSNAT
	}
	r, err := iosNATRecord(m, s[:at], tag, body)
	if err != nil {
		if errors.Is(err, ErrNotMine) {
			return nil, err
		}
		return nil, fmt.Errorf("cisco ios %s: %w", tag, err)
	}
	return []*record.Record{r}, nil
}

func iosNATRecord(m *Message, head, tag, body string) (*record.Record, error) {
	var n record.NAT
	switch {
	case strings.HasSuffix(tag, "CREATED"):
		n.Event = record.NATCreate
	case strings.HasSuffix(tag, "DELETED"):
		n.Event = record.NATDelete
	case strings.HasSuffix(tag, "LOG_TRANSLATION"):
	default:
		return nil, errNotIOSNAT
	}
	w, rest := nextNATField(body)
	switch w {
	case "Created":
		n.Event = record.NATCreate
		w, rest = nextNATField(rest)
	case "Deleted":
		n.Event = record.NATDelete
		w, rest = nextNATField(rest)
	}
	if n.Event == 0 {
		return nil, fmt.Errorf("no Created or Deleted in %q", body)
	}
	if w == "Translation" {
		w, rest = nextNATField(rest)
	}
	var ok bool
	if n.Protocol, ok = parseNATProto(w); !ok {
		return nil, fmt.Errorf("bad protocol %q", w)
	}
	var eps [4]string
	for i := range eps {
		eps[i], rest = nextNATField(rest)
	}
	if n.InsideAddr, n.InsidePort, ok = iosNATEndpoint(eps[0]); !ok {
		return nil, fmt.Errorf("bad inside local address %q", eps[0])
	}
	if n.OutsideAddr, n.OutsidePort, ok = iosNATEndpoint(eps[1]); !ok {
		return nil, fmt.Errorf("bad inside global address %q", eps[1])
	}
	if n.DestAddr, n.DestPort, ok = iosNATEndpoint(eps[3]); !ok {
		return nil, fmt.Errorf("bad outside global address %q", eps[3])
	}
	if n.InsideAddr == n.OutsideAddr && n.InsidePort == n.OutsidePort {
		return nil, errIOSNoXlate
	}
	// The IOS-XE VRF ID, which the published sample pads with dots.
	if vrf, _ := nextNATField(rest); vrf != "" {
		if vrf = strings.TrimRight(vrf, "."); vrf != "" {
			if _, ok := parseNATUint(vrf); ok {
				n.VRF = vrf
			}
		}
	}
	t, host := iosNATHeader(m, head)
	n.Device = host
	return newNATRecord(m, t, &n)
}

// iosNATEndpoint reads "address[:port]"; IOS NAT logs IPv4 only, so one
// colon separates the port.
func iosNATEndpoint(s string) (netip.Addr, uint16, bool) {
	if strings.Count(s, ":") == 1 {
		return splitNATAddrPort(s, ':')
	}
	a, ok := parseNATAddr(s)
	return a, 0, ok
}

// iosNATHeader finds the time and host in the IOS header before the message:
// "<14>123456789: HOSTNAME: May 21 12:00:01.123 gmt: %IOSXE-6-PLATFORM: ...".
// IOS writes the host name before its timestamp.
func iosNATHeader(m *Message, head string) (t time.Time, host string) {
	if i := strings.Index(head, "%IOSXE-"); i >= 0 {
		head = head[:i]
	}
	prev := ""
	for i := 0; i < len(head); {
		for i < len(head) && head[i] == ' ' {
			i++
		}
		if i < len(head) && head[i] == '<' {
			if j := strings.IndexByte(head[i:], '>'); j > 0 && j < 5 {
				i += j + 1
			}
		}
		if i < len(head) && head[i] == '*' { // clock not in sync
			i++
		}
		if tt, n := natDeviceTime(m, head[i:]); n > 0 {
			if h := strings.TrimSuffix(prev, ":"); natLooksLikeHost(h) {
				host = h
			}
			return tt, natHostOr(m, host)
		}
		f, _ := nextNATField(head[i:])
		prev = f
		i += len(f)
	}
	return natEventTime(m, head), natHostBefore(m, head)
}

// natHostOr returns host, or m.Host when host is empty.
func natHostOr(m *Message, host string) string {
	if host != "" || m.Host == "-" {
		return host
	}
	return m.Host
}

// xrCGN parses the syslog of Cisco IOS-XR carrier-grade NAT (CRS CGSE,
// ASR 9000 VSM): RFC 5424 messages whose MSGID is NAT44 or DSLITE and
// whose text holds one or more records:
//
//	<134>1 2016 Mar 15 10:20:30 cgn1 - - NAT44 - [UserbasedA - 100.64.0.1 Broadband - 203.0.113.1 - 2048 3071][SessionbasedAD TCP 100.64.0.2 - - 203.0.113.1 1234 4321 - 8.8.8.8 53]
//
// A record is [Event L4 OrigSrcIP VRF OrigSrcIPv6 XlatedSrcIP OrigPort
// FirstPort LastPort [DstIP DstPort]] with "-" for fields that do not
// apply. User-based events are port blocks, session-based ones single
// mappings. For DS-Lite the subscriber is the softwire's IPv6 address
// (OrigSrcIPv6), kept as the inside address; the IPv4 inside address of a
// B4 is not unique. Port block run-out alarms hold no mapping.
type xrCGN struct{}

var _ Parser = xrCGN{}

// Parse implements Parser.
func (xrCGN) Parse(m *Message) ([]*record.Record, error) {
	s := m.Text
	var head, body string
	dslite := false
	switch {
	case m.MsgID == "NAT44" || m.MsgID == "DSLITE":
		dslite = m.MsgID == "DSLITE"
		body = s
	default:
		at := strings.Index(s, "NAT44 - [")
		if at < 0 {
			if at = strings.Index(s, "DSLITE - ["); at < 0 {
				return nil, errNotXRCGN
			}
			dslite = true
		}
		head, body = s[:at], s[at:]
	}
	i := strings.IndexByte(body, '[')
	if i < 0 {
		return nil, errNotXRCGN
	}
	body = body[i+1:]
	t := natEventTime(m, head)
	device := natHostBefore(m, head)
	var recs []*record.Record
	for {
		rec, rest, ok := strings.Cut(body, "]")
		if !ok {
			return nil, errors.New("cisco ios-xr cgn: record does not end with ']'")
		}
		r, err := xrCGNRecord(m, t, device, rec, dslite)
		if err != nil {
			return nil, fmt.Errorf("cisco ios-xr cgn [%s]: %w", rec, err)
		}
		if r != nil {
			recs = append(recs, r)
		}
		rest = strings.TrimLeft(rest, " ")
		if !strings.HasPrefix(rest, "[") {
			break
		}
		body = rest[1:]
	}
	if len(recs) == 0 {
		return nil, errXRCGNNoMapped
	}
	return recs, nil
}

// xrCGNRecord builds the record of one [...] entry, or nil for an entry
// without a mapping.
func xrCGNRecord(m *Message, t time.Time, device, rec string, dslite bool) (*record.Record, error) {
	var f [11]string
	nf := 0
	for rest := rec; rest != "" && nf < len(f); nf++ {
		f[nf], rest = nextNATField(rest)
		if f[nf] == "" {
			break
		}
	}
	n := record.NAT{Device: device}
	block := false
	switch f[0] {
	case "UserbasedA":
		n.Event, block = record.NATBlockAlloc, true
	case "UserbasedW":
		n.Event, block = record.NATBlockRelease, true
	case "SessionbasedA", "SessionbasedAD":
		n.Event = record.NATCreate
	case "SessionbasedW", "SessionbasedWD":
		n.Event = record.NATDelete
	case "Portblockrunout":
		return nil, nil
	default:
		return nil, fmt.Errorf("unknown event %q", f[0])
	}
	if nf != 9 && nf != 11 {
		return nil, fmt.Errorf("%d fields, want 9 or 11", nf)
	}
	var ok bool
	if f[1] != "-" {
		if n.Protocol, ok = parseNATProto(f[1]); !ok {
			return nil, fmt.Errorf("bad protocol %q", f[1])
		}
	}
	inside := f[2]
	if dslite && f[4] != "-" {
		inside = f[4]
	}
	if n.InsideAddr, ok = parseNATAddr(inside); !ok {
		return nil, fmt.Errorf("bad original source address %q", inside)
	}
	if f[3] != "-" {
		n.VRF = f[3]
	}
	if n.OutsideAddr, ok = parseNATAddr(f[5]); !ok {
		return nil, fmt.Errorf("bad translated source address %q", f[5])
	}
	if f[6] != "-" && !block {
		if n.InsidePort, ok = parseNATPort(f[6]); !ok {
			return nil, fmt.Errorf("bad original port %q", f[6])
		}
	}
	if n.OutsidePort, ok = parseNATPort(f[7]); !ok {
		return nil, fmt.Errorf("bad first translated port %q", f[7])
	}
	if block && f[8] != "-" {
		if n.OutsidePortEnd, ok = parseNATPort(f[8]); !ok {
			return nil, fmt.Errorf("bad last translated port %q", f[8])
		}
	}
	if nf == 11 && f[9] != "-" {
		if n.DestAddr, ok = parseNATAddr(f[9]); !ok {
			return nil, fmt.Errorf("bad destination address %q", f[9])
		}
		if f[10] != "-" {
			if n.DestPort, ok = parseNATPort(f[10]); !ok {
				return nil, fmt.Errorf("bad destination port %q", f[10])
			}
		}
	}
	return newNATRecord(m, t, &n)
}
