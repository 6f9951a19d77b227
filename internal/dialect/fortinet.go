package dialect

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// fortiGate parses FortiGate (FortiOS) logs that carry a NAT mapping:
//
//   - traffic logs (type=traffic) with trandisp snat, dnat or snat+dnat:
//     the source's public side is transip:transport, a DNAT target is
//     tranip:tranport. action=start is a session start, logid 20 (long
//     session statistics) an interim, other actions a session end; deny,
//     dns and ip-conn sessions never passed and carry no mapping.
//   - hyperscale (NP7) hardware session logs (type=sess act=start|end
//     tran=snat sip= sport= nsip= nsport= ...).
//   - IP pool port block events: logids 22015 (created), 22016
//     (deallocated) and 22024 (interim), with saddr, nat, portbegin,
//     portend and poolname.
//
// It reads the key=value form (plain, FortiAnalyzer-forwarded) and CEF.
// The event time is eventtime (a UTC epoch in s, ms, µs or ns), else
// date and time with tz, else date and time in the device's zone.
type fortiGate struct{}

const fortiName = "fortigate"

var (
	errFortiMarker = &decline{fortiName, "no FortiGate log marker (logid=, type=sess or CEF Fortigate)"}
	errFortiNoNAT  = &decline{fortiName, "traffic log without NAT (trandisp noop or missing)"}
)

// fortiLog holds the fields of one log that the parser uses.
type fortiLog struct {
	logid, typ, subtype, action, date, clock, tz, eventtime string
	srcip, srcport, dstip, dstport, proto                   string
	trandisp, transip, transport, tranip, tranport          string
	devname, devid, sn, vd                                  string
	saddr, nat, portbegin, portend, poolname                string
}

func (f *fortiLog) set(k, v string) {
	k = strings.TrimPrefix(k, "FTNTFGT") // CEF prefix of FortiOS-only fields
	switch k {
	case "logid":
		f.logid = v
	case "type":
		f.typ = v
	case "subtype":
		f.subtype = v
	case "action", "act":
		// act is CEF's action and the hardware log's start|end.
		f.action = v
	case "date":
		f.date = v
	case "time":
		f.clock = v
	case "tz":
		f.tz = v
	case "eventtime":
		f.eventtime = v
	case "srcip", "src", "sip":
		f.srcip = v
	case "srcport", "spt", "sport":
		f.srcport = v
	case "dstip", "dst", "dip":
		f.dstip = v
	case "dstport", "dpt", "dport":
		f.dstport = v
	case "proto":
		f.proto = v
	case "trandisp", "tran":
		f.trandisp = v
	case "transip", "sourceTranslatedAddress", "nsip":
		f.transip = v
	case "transport", "sourceTranslatedPort", "nsport":
		f.transport = v
	case "tranip", "destinationTranslatedAddress", "ndip":
		f.tranip = v
	case "tranport", "destinationTranslatedPort", "ndport":
		f.tranport = v
	case "devname", "dvchost":
		f.devname = v
	case "devid", "deviceExternalId":
		f.devid = v
	case "sn":
		f.sn = v
	case "vd":
		f.vd = v
	case "saddr":
		f.saddr = v
	case "nat":
		f.nat = v
	case "portbegin":
		f.portbegin = v
	case "portend":
		f.portend = v
	case "poolname":
		f.poolname = v
	case "cat": // CEF: "traffic:forward"
		f.typ, f.subtype, _ = strings.Cut(v, ":")
	}
}

// Parse implements Parser.
func (p *fortiGate) Parse(m *Message) ([]*record.Record, error) {
	text := m.Text
	body := text
	if i := strings.Index(text, "|Fortigate|"); i >= 0 {
		// CEF: the extension follows the seventh '|'.
		j, n := 0, 0
		for j < len(text) && n < 7 {
			if text[j] == '|' {
				n++
			}
			j++
		}
		if n < 7 {
			return nil, fmt.Errorf("parse fortigate CEF log: header has %d of 7 fields", n)
		}
		body = text[j:]
	} else if !strings.Contains(text, "logid=") && !strings.Contains(text, "type=sess") {
		return nil, errFortiMarker
	}
	var f fortiLog
	scanKV(body, f.set)
	switch {
	case f.typ == "sess":
		return p.session(m, &f)
	case f.typ == "traffic":
		return p.traffic(m, &f)
	case f.typ == "event" && (strings.HasSuffix(f.logid, "22015") || strings.HasSuffix(f.logid, "22016") ||
		strings.HasSuffix(f.logid, "22024")):
		return p.portBlock(m, &f)
	}
	return nil, declinef(fortiName, "log type %q logid %q carries no NAT mapping", f.typ, f.logid)
}

// traffic handles a traffic log.
func (p *fortiGate) traffic(m *Message, f *fortiLog) ([]*record.Record, error) {
	var ev record.NATEvent
	switch {
	case f.action == "deny" || f.action == "dns" || f.action == "ip-conn" || f.action == "blocked":
		return nil, declinef(fortiName, "traffic log with action %q: the session never passed", f.action)
	case f.action == "start":
		ev = record.NATCreate
	case strings.HasSuffix(f.logid, "0000000020") || f.logid == "20":
		ev = record.NATInterim
	default:
		ev = record.NATDelete
	}
	return p.mapping(m, f, ev)
}

// session handles a hyperscale hardware session log.
func (p *fortiGate) session(m *Message, f *fortiLog) ([]*record.Record, error) {
	var ev record.NATEvent
	switch f.action {
	case "start":
		ev = record.NATCreate
	case "end":
		ev = record.NATDelete
	default:
		return nil, fmt.Errorf("parse fortigate session log: unknown act %q", f.action)
	}
	return p.mapping(m, f, ev)
}

// mapping builds the record of a traffic or hardware session log.
func (p *fortiGate) mapping(m *Message, f *fortiLog, ev record.NATEvent) ([]*record.Record, error) {
	snat, dnat := false, false
	switch f.trandisp {
	case "snat":
		snat = true
	case "dnat":
		dnat = true
	case "snat+dnat":
		snat, dnat = true, true
	default:
		return nil, errFortiNoNAT
	}
	proto, err := parseProtocol(f.proto)
	if err != nil {
		return nil, fmt.Errorf("parse fortigate log: proto: %w", err)
	}
	src, sport, err := fortiEndpoint("src", f.srcip, f.srcport)
	if err != nil {
		return nil, err
	}
	dst, dport, err := fortiEndpoint("dst", f.dstip, f.dstport)
	if err != nil {
		return nil, err
	}
	var n record.NAT
	n.Event, n.Protocol = ev, proto
	if dnat {
		ta, tp, err := fortiEndpoint("tranip", f.tranip, f.tranport)
		if err != nil {
			return nil, err
		}
		if !ta.IsValid() {
			return nil, fmt.Errorf("parse fortigate log: trandisp %s without tranip", f.trandisp)
		}
		// The server behind the DNAT is the inside; the address the
		// client reached is the outside.
		n.InsideAddr, n.InsidePort = ta, tp
		n.OutsideAddr, n.OutsidePort = dst, dport
		n.DestAddr, n.DestPort = src, sport
	}
	if snat {
		ta, tp, err := fortiEndpoint("transip", f.transip, f.transport)
		if err != nil {
			return nil, err
		}
		if !ta.IsValid() {
			return nil, fmt.Errorf("parse fortigate log: trandisp %s without transip", f.trandisp)
		}
		if ta.IsUnspecified() {
			return nil, declinef(fortiName, "source NAT to %s: no translation happened", ta)
		}
		dest, destPort := dst, dport
		if dnat {
			dest, destPort = n.InsideAddr, n.InsidePort
		}
		n.InsideAddr, n.InsidePort = src, sport
		n.OutsideAddr, n.OutsidePort = ta, tp
		n.DestAddr, n.DestPort = dest, destPort
	}
	if !n.InsideAddr.IsValid() {
		return nil, fmt.Errorf("parse fortigate log: no source address")
	}
	return p.record(m, f, &n)
}

// portBlock handles an IP pool port block event.
func (p *fortiGate) portBlock(m *Message, f *fortiLog) ([]*record.Record, error) {
	var n record.NAT
	switch {
	case strings.HasSuffix(f.logid, "22015"):
		n.Event = record.NATBlockAlloc
	case strings.HasSuffix(f.logid, "22016"):
		n.Event = record.NATBlockRelease
	default:
		n.Event = record.NATInterim
	}
	var err error
	if n.InsideAddr, err = parseAddr(f.saddr); err != nil {
		return nil, fmt.Errorf("parse fortigate port block log: saddr: %w", err)
	}
	if n.OutsideAddr, err = parseAddr(f.nat); err != nil {
		return nil, fmt.Errorf("parse fortigate port block log: nat: %w", err)
	}
	if n.OutsidePort, err = parsePort(f.portbegin); err != nil {
		return nil, fmt.Errorf("parse fortigate port block log: portbegin: %w", err)
	}
	if n.OutsidePortEnd, err = parsePort(f.portend); err != nil {
		return nil, fmt.Errorf("parse fortigate port block log: portend: %w", err)
	}
	if n.OutsidePortEnd < n.OutsidePort {
		return nil, fmt.Errorf("parse fortigate port block log: port range %d-%d ends before it starts",
			n.OutsidePort, n.OutsidePortEnd)
	}
	n.Pool = f.poolname
	return p.record(m, f, &n)
}

// record finishes a record: device, VDOM and time.
func (p *fortiGate) record(m *Message, f *fortiLog, n *record.NAT) ([]*record.Record, error) {
	n.Device = f.devname
	if n.Device == "" {
		n.Device = f.devid
	}
	if n.Device == "" {
		n.Device = f.sn
	}
	n.VRF = f.vd
	for _, s := range [...]struct{ name, v string }{{"devname", n.Device}, {"vd", n.VRF}, {"poolname", n.Pool}} {
		if err := checkString(s.name, s.v); err != nil {
			return nil, fmt.Errorf("parse fortigate log: %w", err)
		}
	}
	t, err := fortiTime(m, f)
	if err != nil {
		return nil, err
	}
	r := newRecord(record.KindNAT, m, t)
	*r.NAT = *n
	return []*record.Record{r}, nil
}

// fortiEndpoint parses an address and an optional port; both may be
// absent.
func fortiEndpoint(name, addr, port string) (netip.Addr, uint16, error) {
	var a netip.Addr
	var p uint16
	var err error
	if addr != "" {
		if a, err = parseAddr(addr); err != nil {
			return a, 0, fmt.Errorf("parse fortigate log: %s: %w", name, err)
		}
	}
	if port != "" {
		if p, err = parsePort(port); err != nil {
			return a, 0, fmt.Errorf("parse fortigate log: %s port: %w", name, err)
		}
	}
	return a, p, nil
}

// fortiTime returns the log's event time, zero if it has none.
func fortiTime(m *Message, f *fortiLog) (time.Time, error) {
	if f.eventtime != "" {
		t, err := epochTime(f.eventtime)
		if err != nil {
			return time.Time{}, fmt.Errorf("parse fortigate log: eventtime: %w", err)
		}
		return t, nil
	}
	if f.date == "" || f.clock == "" {
		return m.Time, nil
	}
	v := f.date + " " + f.clock
	var t time.Time
	var err error
	if f.tz != "" {
		t, err = time.Parse("2006-01-02 15:04:05 -0700", v+" "+f.tz)
	} else {
		t, err = m.LocalTime("2006-01-02 15:04:05", v)
	}
	if err == nil {
		t, err = checkTime(t)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("parse fortigate log: date and time: %w", err)
	}
	return t, nil
}
