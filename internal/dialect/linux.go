package dialect

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// linuxCT parses Linux netfilter connection tracking events, which is
// where Linux NAT, whether configured with iptables or nftables, shows
// its result:
//
//   - conntrack(8) event lines (conntrack -E, with or without
//     -o timestamp and -o extended), and table dump lines (conntrack -L),
//     which give interim records;
//   - ulogd2 NFCT flows written by the LOGEMU or SYSLOG output
//     ("[NEW] ORIG: SRC=.. DST=.. PROTO=TCP SPT=.. DPT=.. , REPLY: SRC=.. ..."),
//   - ulogd2 NFCT flows written by the JSON output (keys orig.ip.saddr.str,
//     reply.ip.daddr.str, orig.l4.sport, ct.event, flow.start.sec, ...).
//
// The first tuple is the original direction and the second the reply
// direction: source NAT shows as a reply destination other than the
// original source (the reply destination is then the public side), and
// destination NAT as a reply source other than the original destination.
// Events without NAT are declined, and so are kernel packet logs
// (iptables LOG, nftables log), which are written before NAT is applied
// and cannot show its result.
type linuxCT struct{}

const ctName = "linux-conntrack"

var (
	errCTMarker = &decline{ctName, "no conntrack, ulogd2 or netfilter marker"}
	errCTNoNAT  = &decline{ctName, "connection without NAT (reply tuple mirrors the original)"}
	errCTPacket = &decline{ctName, "kernel packet log (iptables LOG, nftables log) is written before NAT and cannot show it; log conntrack events instead"}
)

// ctTuple is one direction of a connection.
type ctTuple struct {
	src, dst     netip.Addr
	sport, dport uint16
}

// Parse implements Parser.
func (p *linuxCT) Parse(m *Message) ([]*record.Record, error) {
	s := strings.TrimLeft(m.Text, " \t")
	head := lineHead(s)
	switch {
	case strings.Contains(head, "ORIG: ") && strings.Contains(s, "REPLY: "):
		return p.printflow(m, s)
	case strings.HasPrefix(s, "{") && strings.Contains(s, `"orig.`):
		return p.jsonFlow(m, s)
	case strings.Contains(head, "src=") && strings.Contains(s, " dst="):
		return p.conntrack(m, s)
	case strings.Contains(head, "IN=") && strings.Contains(head, " OUT=") && strings.Contains(s, " SRC="):
		return nil, errCTPacket
	}
	return nil, errCTMarker
}

// ctEvents maps a conntrack event tag to a NAT event.
var ctEvents = [...]struct {
	tag string
	ev  record.NATEvent
}{{"[NEW]", record.NATCreate}, {"[UPDATE]", record.NATInterim}, {"[DESTROY]", record.NATDelete}}

// conntrack parses a conntrack(8) line.
func (p *linuxCT) conntrack(m *Message, s string) ([]*record.Record, error) {
	t := m.Time
	ev := record.NATInterim // a table dump line shows a live connection
	tagged := false
	// The event tag, after any syslog header a relay left in and the
	// -o timestamp stamp; a table dump line has neither.
	before := ""
	if strings.IndexByte(lineHead(s), '[') >= 0 {
		for _, e := range ctEvents {
			if j := strings.Index(lineHead(s), e.tag); j >= 0 {
				ev, tagged = e.ev, true
				before, s = s[:j], s[j+len(e.tag):]
				break
			}
		}
	}
	// -o timestamp writes "[<seconds>.<microseconds>   ]" just before the
	// tag.
	if b := strings.TrimRight(before, " \t"); strings.HasSuffix(b, "]") {
		stamp := b[strings.LastIndexByte(b, '[')+1 : len(b)-1]
		if stamp = strings.TrimSpace(stamp); strings.IndexByte(stamp, '.') > 0 && stamp[0] >= '0' && stamp[0] <= '9' {
			var err error
			if t, err = epochTime(stamp); err != nil {
				return nil, fmt.Errorf("parse conntrack event: timestamp: %w", err)
			}
		}
	}
	s = strings.TrimLeft(s, " \t")
	// Header words before the first key=value: [l3name l3num] l4name
	// l4num [timeout] [state].
	var words [6]string
	nw := 0
	rest := s
	for rest != "" {
		w, r := cutWord(rest)
		if strings.IndexByte(w, '=') >= 0 || nw == len(words) {
			break
		}
		words[nw] = w
		nw++
		rest = r
	}
	h := words[:nw]
	if len(h) >= 2 && (h[0] == "ipv4" || h[0] == "ipv6") {
		h = h[2:]
	}
	if !tagged && (len(h) < 2 || !ctL4Name(h[0])) {
		// Only a line that starts like a table dump line is one.
		return nil, errCTMarker
	}
	if len(h) < 2 {
		return nil, fmt.Errorf("parse conntrack event: no protocol before the tuples")
	}
	num, err := strconv.ParseUint(h[1], 10, 8)
	if err != nil {
		return nil, fmt.Errorf("parse conntrack event: protocol number %q", h[1])
	}
	tuples, err := ctScanTuples(rest)
	if err != nil {
		return nil, fmt.Errorf("parse conntrack event: %w", err)
	}
	return p.record(m, t, ev, record.Protocol(num), &tuples[0], &tuples[1])
}

// ctScanTuples reads the original and reply tuples of a conntrack line
// from its key=value words; each tuple starts at a src= key.
func ctScanTuples(s string) ([2]ctTuple, error) {
	var tuples [2]ctTuple
	nt := -1
	for s != "" {
		var w string
		w, s = cutWord(s)
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			continue // [UNREPLIED], [ASSURED]
		}
		if k == "src" {
			nt++
		}
		if nt < 0 || nt > 1 {
			continue // keys after the tuples: mark=, id=, zone=, ...
		}
		tp := &tuples[nt]
		var err error
		switch k {
		case "src":
			tp.src, err = parseAddr(v)
		case "dst":
			tp.dst, err = parseAddr(v)
		case "sport":
			tp.sport, err = parsePort(v)
		case "dport":
			tp.dport, err = parsePort(v)
		}
		if err != nil {
			return tuples, fmt.Errorf("%s: %w", k, err)
		}
	}
	if nt < 1 {
		return tuples, fmt.Errorf("want an original and a reply tuple")
	}
	return tuples, nil
}

// ctL4Name reports whether s is a layer 4 protocol name conntrack prints.
func ctL4Name(s string) bool {
	switch s {
	case "tcp", "udp", "udplite", "icmp", "icmpv6", "sctp", "dccp", "gre", "unknown":
		return true
	}
	return false
}

// record builds the record of a connection from its two tuples.
func (p *linuxCT) record(m *Message, t time.Time, ev record.NATEvent, proto record.Protocol, orig, reply *ctTuple) ([]*record.Record, error) {
	if !orig.src.IsValid() || !orig.dst.IsValid() || !reply.src.IsValid() || !reply.dst.IsValid() {
		return nil, fmt.Errorf("parse %s: a tuple lacks an address", ctName)
	}
	snat := reply.dst != orig.src || reply.dport != orig.sport
	dnat := reply.src != orig.dst || reply.sport != orig.dport
	var n record.NAT
	n.Event, n.Protocol = ev, proto
	switch {
	case snat:
		// The reply comes back to the public side; its source is the
		// real peer, after any destination NAT.
		n.InsideAddr, n.InsidePort = orig.src, orig.sport
		n.OutsideAddr, n.OutsidePort = reply.dst, reply.dport
		n.DestAddr, n.DestPort = reply.src, reply.sport
	case dnat:
		n.InsideAddr, n.InsidePort = reply.src, reply.sport
		n.OutsideAddr, n.OutsidePort = orig.dst, orig.dport
		n.DestAddr, n.DestPort = orig.src, orig.sport
	default:
		return nil, errCTNoNAT
	}
	r := newRecord(record.KindNAT, m, t)
	*r.NAT = n
	return []*record.Record{r}, nil
}

// printflow parses a flow as ulogd2's LOGEMU and SYSLOG outputs write it.
func (p *linuxCT) printflow(m *Message, s string) ([]*record.Record, error) {
	oi := strings.Index(s, "ORIG: ")
	ri := strings.Index(s, "REPLY: ")
	if ri < oi {
		return nil, fmt.Errorf("parse ulogd2 flow: REPLY before ORIG")
	}
	prefix := s[:oi]
	t := m.Time
	// LOGEMU writing to a file starts the line with a syslog-style stamp.
	if len(prefix) >= 15 && prefix[3] == ' ' {
		if lt, err := m.LocalTime(time.Stamp, prefix[:15]); err == nil {
			if t, err = checkTime(withYear(lt, m.yearRef())); err != nil {
				return nil, fmt.Errorf("parse ulogd2 flow: %w", err)
			}
		}
	}
	var ev record.NATEvent
	for _, e := range ctEvents {
		if strings.Contains(prefix, e.tag) {
			ev = e.ev
			break
		}
	}
	if ev == 0 {
		// printflow prints no tag for a ct.event it does not know;
		// NFCT's destroy (4) is one of them.
		return nil, fmt.Errorf("parse ulogd2 flow: no event tag ([NEW], [UPDATE], [DESTROY])")
	}
	origText := strings.TrimSuffix(strings.TrimRight(s[oi+len("ORIG: "):ri], " "), ",")
	var orig, reply ctTuple
	proto, err := pfTuple(origText, &orig)
	if err != nil {
		return nil, fmt.Errorf("parse ulogd2 flow: ORIG: %w", err)
	}
	if _, err := pfTuple(s[ri+len("REPLY: "):], &reply); err != nil {
		return nil, fmt.Errorf("parse ulogd2 flow: REPLY: %w", err)
	}
	return p.record(m, t, ev, proto, &orig, &reply)
}

// pfTuple reads SRC= DST= PROTO= SPT= DPT= from one half of a printflow
// line.
func pfTuple(s string, tp *ctTuple) (record.Protocol, error) {
	var proto record.Protocol
	for s != "" {
		var w string
		w, s = cutWord(s)
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			continue
		}
		var err error
		switch k {
		case "SRC":
			tp.src, err = parseAddr(v)
		case "DST":
			tp.dst, err = parseAddr(v)
		case "SPT":
			tp.sport, err = parsePort(v)
		case "DPT":
			tp.dport, err = parsePort(v)
		case "PROTO":
			switch v {
			case "ESP":
				proto = 50
			case "AH":
				proto = 51
			default:
				proto, err = record.ParseProtocol(v)
			}
		}
		if err != nil {
			return 0, fmt.Errorf("%s: %w", k, err)
		}
	}
	return proto, nil
}

// ulogdJSON is the part of a ulogd2 JSON flow the parser reads. Addresses
// are strings when the IP2STR filter ran (.str keys).
type ulogdJSON struct {
	Timestamp    string  `json:"timestamp"`
	OrigSaddr    string  `json:"orig.ip.saddr.str"`
	OrigDaddr    string  `json:"orig.ip.daddr.str"`
	ReplySaddr   string  `json:"reply.ip.saddr.str"`
	ReplyDaddr   string  `json:"reply.ip.daddr.str"`
	OrigSaddrRaw string  `json:"orig.ip.saddr"`
	OrigDaddrRaw string  `json:"orig.ip.daddr"`
	ReplySaddrR  string  `json:"reply.ip.saddr"`
	ReplyDaddrR  string  `json:"reply.ip.daddr"`
	Proto        *uint8  `json:"orig.ip.protocol"`
	OrigSport    uint16  `json:"orig.l4.sport"`
	OrigDport    uint16  `json:"orig.l4.dport"`
	ReplySport   uint16  `json:"reply.l4.sport"`
	ReplyDport   uint16  `json:"reply.l4.dport"`
	Event        *uint32 `json:"ct.event"`
	StartSec     *int64  `json:"flow.start.sec"`
	StartUsec    int64   `json:"flow.start.usec"`
	EndSec       *int64  `json:"flow.end.sec"`
	EndUsec      int64   `json:"flow.end.usec"`
}

// jsonFlow parses a flow as ulogd2's JSON output writes it.
func (p *linuxCT) jsonFlow(m *Message, s string) ([]*record.Record, error) {
	var j ulogdJSON
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		return nil, fmt.Errorf("parse ulogd2 JSON flow: %w", err)
	}
	if j.Event == nil {
		return nil, fmt.Errorf("parse ulogd2 JSON flow: no ct.event")
	}
	var ev record.NATEvent
	var sec *int64
	var usec int64
	switch *j.Event { // NFCT's event bits
	case 1:
		ev, sec, usec = record.NATCreate, j.StartSec, j.StartUsec
	case 2:
		ev = record.NATInterim
	case 4:
		ev, sec, usec = record.NATDelete, j.EndSec, j.EndUsec
	default:
		return nil, fmt.Errorf("parse ulogd2 JSON flow: unknown ct.event %d", *j.Event)
	}
	t := m.Time
	var err error
	switch {
	case sec != nil:
		t, err = checkTime(time.Unix(*sec, usec*1000).UTC())
	case j.Timestamp != "":
		// Written in ulogd's local time, without a zone.
		layout := "2006-01-02T15:04:05"
		if strings.IndexByte(j.Timestamp, '.') >= 0 {
			layout += ".999999"
		}
		if t, err = m.LocalTime(layout, j.Timestamp); err == nil {
			t, err = checkTime(t)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("parse ulogd2 JSON flow: time: %w", err)
	}
	var orig, reply ctTuple
	for _, a := range [...]struct {
		name   string
		v1, v2 string
		dst    *netip.Addr
	}{
		{"orig.ip.saddr", j.OrigSaddr, j.OrigSaddrRaw, &orig.src},
		{"orig.ip.daddr", j.OrigDaddr, j.OrigDaddrRaw, &orig.dst},
		{"reply.ip.saddr", j.ReplySaddr, j.ReplySaddrR, &reply.src},
		{"reply.ip.daddr", j.ReplyDaddr, j.ReplyDaddrR, &reply.dst},
	} {
		v := a.v1
		if v == "" {
			v = a.v2
		}
		if *a.dst, err = parseAddr(v); err != nil {
			return nil, fmt.Errorf("parse ulogd2 JSON flow: %s: %w", a.name, err)
		}
	}
	orig.sport, orig.dport = j.OrigSport, j.OrigDport
	reply.sport, reply.dport = j.ReplySport, j.ReplyDport
	var proto record.Protocol
	if j.Proto != nil {
		proto = record.Protocol(*j.Proto)
	}
	return p.record(m, t, ev, proto, &orig, &reply)
}
