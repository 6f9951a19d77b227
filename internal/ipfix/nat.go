package ipfix

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// Information elements Warden reads (IANA IPFIX registry; RFC 8158 for
// the NAT ones). NetFlow v9 uses the same numbers below 128, and Cisco's
// NSEL reuses 225-228, 233, 281, 282 and 323 with the IANA meaning.
const (
	ieProtocol         = 4
	ieSrcPort          = 7
	ieSrcIPv4          = 8
	ieDstPort          = 11
	ieDstIPv4          = 12
	ieFlowEndUptime    = 21 // NetFlow v9 LAST_SWITCHED: ms of sysUpTime
	ieFlowStartUptime  = 22 // NetFlow v9 FIRST_SWITCHED
	ieSrcIPv6          = 27
	ieDstIPv6          = 28
	ieFlowID           = 148
	ieFlowStartSeconds = 150
	ieFlowEndSeconds   = 151
	ieFlowStartMillis  = 152
	ieFlowEndMillis    = 153
	iePostSrcIPv4      = 225
	iePostDstIPv4      = 226
	iePostSrcPort      = 227
	iePostDstPort      = 228
	ieNATEvent         = 230
	ieFirewallEvent    = 233
	ieIngressVRFID     = 234
	iePostSrcIPv6      = 281
	iePostDstIPv6      = 282
	ieNATPoolID        = 283
	ieNATPoolName      = 284
	ieObsSeconds       = 322
	ieObsMillis        = 323
	ieObsMicros        = 324
	iePortRangeStart   = 361
	iePortRangeEnd     = 362
	iePortRangeStep    = 363
	iePortRangeNum     = 364
	ieQuotaEvent       = 466
	ieThresholdEvent   = 467

	// Cisco ASA NSEL elements outside the IANA range, NetFlow v9 only
	// (log-formats.md §2.4; the _84 names are nfdump's, for ASA 8.4).
	nselExtEvent      = 33002 // NF_F_FW_EXT_EVENT
	nselUsername      = 40000 // NF_F_USERNAME
	nselXlateSrcAddr  = 40001 // NF_F_XLATE_SRC_ADDR_84
	nselXlateDstAddr  = 40002 // NF_F_XLATE_DST_ADDR_84
	nselXlateSrcPort  = 40003 // NF_F_XLATE_SRC_PORT_84
	nselXlateDstPort  = 40004 // NF_F_XLATE_DST_PORT_84
	nselFirewallEvent = 40005 // NF_F_FW_EVENT_84
)

// ieValues holds the values of the elements Warden maps from one data
// record; nil means absent. The slices alias the packet.
type ieValues struct {
	natEvent, fwEvent, protocol            []byte
	srcIPv4, srcIPv6, srcPort              []byte
	dstIPv4, dstIPv6, dstPort              []byte
	postSrcIPv4, postSrcIPv6, postSrcPort  []byte
	postDstIPv4, postDstIPv6, postDstPort  []byte
	vrf, poolID, poolName                  []byte
	portStart, portEnd, portStep, portNum  []byte
	obsSeconds, obsMillis, obsMicros       []byte
	startSeconds, startMillis, startUptime []byte
	endSeconds, endMillis, endUptime       []byte
}

// set records the value of element id (IANA or NetFlow v9 numbering; not
// enterprise-specific). Elements Warden does not map are ignored.
func (v *ieValues) set(id uint16, b []byte) {
	switch id {
	case ieNATEvent:
		v.natEvent = b
	case ieFirewallEvent, nselFirewallEvent:
		v.fwEvent = b
	case ieProtocol:
		v.protocol = b
	case ieSrcIPv4:
		v.srcIPv4 = b
	case ieSrcIPv6:
		v.srcIPv6 = b
	case ieSrcPort:
		v.srcPort = b
	case ieDstIPv4:
		v.dstIPv4 = b
	case ieDstIPv6:
		v.dstIPv6 = b
	case ieDstPort:
		v.dstPort = b
	case iePostSrcIPv4, nselXlateSrcAddr:
		v.postSrcIPv4 = b
	case iePostSrcIPv6:
		v.postSrcIPv6 = b
	case iePostSrcPort, nselXlateSrcPort:
		v.postSrcPort = b
	case iePostDstIPv4, nselXlateDstAddr:
		v.postDstIPv4 = b
	case iePostDstIPv6:
		v.postDstIPv6 = b
	case iePostDstPort, nselXlateDstPort:
		v.postDstPort = b
	case ieIngressVRFID:
		v.vrf = b
	case ieNATPoolID:
		v.poolID = b
	case ieNATPoolName:
		v.poolName = b
	case iePortRangeStart:
		v.portStart = b
	case iePortRangeEnd:
		v.portEnd = b
	case iePortRangeStep:
		v.portStep = b
	case iePortRangeNum:
		v.portNum = b
	case ieObsSeconds:
		v.obsSeconds = b
	case ieObsMillis:
		v.obsMillis = b
	case ieObsMicros:
		v.obsMicros = b
	case ieFlowStartSeconds:
		v.startSeconds = b
	case ieFlowStartMillis:
		v.startMillis = b
	case ieFlowStartUptime:
		v.startUptime = b
	case ieFlowEndSeconds:
		v.endSeconds = b
	case ieFlowEndMillis:
		v.endMillis = b
	case ieFlowEndUptime:
		v.endUptime = b
	}
}

// action is what an exporter's event code means for Warden.
type action struct {
	// name is the vendor's name for the event.
	name string
	// nat is the NAT event of a mapping, or zero.
	nat record.NATEvent
	// rule and sev make a security event of a NAT condition that is not a
	// mapping (addresses exhausted, quota exceeded).
	rule string
	sev  record.Severity
	// skip marks codes that are not NAT events: counted, not stored.
	skip bool
}

// eventTable maps event codes to actions; a code past its end, or whose
// action has no name, is unknown.
type eventTable []action

func (t eventTable) lookup(code uint64) (action, bool) {
	if code >= uint64(len(t)) || t[code].name == "" {
		return action{}, false
	}
	return t[code], true
}

// Rules of the security events made from NAT conditions.
const (
	ruleAddressesExhausted = "nat-addresses-exhausted"
	rulePortsExhausted     = "nat-ports-exhausted"
	ruleQuotaExceeded      = "nat-quota-exceeded"
	ruleThresholdReached   = "nat-threshold-reached"
)

// Severities of those events: running out of addresses refuses new
// subscribers, running out of one address's ports refuses new sessions of
// some, a quota refuses one subscriber more sessions, and a threshold is
// only a warning.
var (
	addressesExhausted = action{rule: ruleAddressesExhausted, sev: record.SeverityHigh}
	portsExhausted     = action{rule: rulePortsExhausted, sev: record.SeverityMedium}
	quotaExceeded      = action{rule: ruleQuotaExceeded, sev: record.SeverityLow}
	thresholdReached   = action{rule: ruleThresholdReached, sev: record.SeverityLow}
)

func named(a action, name string) action { a.name = name; return a }

// rfc8158Events is the IANA "NAT Event Type" registry (RFC 8158),
// log-formats.md §9.
var rfc8158Events = eventTable{
	1:  {name: "NAT translation create", nat: record.NATCreate},
	2:  {name: "NAT translation delete", nat: record.NATDelete},
	3:  named(addressesExhausted, "NAT addresses exhausted"),
	4:  {name: "NAT44 session create", nat: record.NATCreate},
	5:  {name: "NAT44 session delete", nat: record.NATDelete},
	6:  {name: "NAT64 session create", nat: record.NATCreate},
	7:  {name: "NAT64 session delete", nat: record.NATDelete},
	8:  {name: "NAT44 BIB create", nat: record.NATCreate},
	9:  {name: "NAT44 BIB delete", nat: record.NATDelete},
	10: {name: "NAT64 BIB create", nat: record.NATCreate},
	11: {name: "NAT64 BIB delete", nat: record.NATDelete},
	12: named(portsExhausted, "NAT ports exhausted"),
	13: named(quotaExceeded, "Quota exceeded"),
	14: {name: "Address binding create", nat: record.NATCreate},
	15: {name: "Address binding delete", nat: record.NATDelete},
	16: {name: "Port block allocation", nat: record.NATBlockAlloc},
	17: {name: "Port block de-allocation", nat: record.NATBlockRelease},
	18: named(thresholdReached, "Threshold reached"),
}

// juniperEvents is the draft (pre-RFC 8158) numbering Junos MS-MPC and
// SPC3 send, log-formats.md §1.6.
var juniperEvents = eventTable{
	1:  {name: "NAT44 session create", nat: record.NATCreate},
	2:  {name: "NAT44 session delete", nat: record.NATDelete},
	3:  named(addressesExhausted, "NAT addresses exhausted"),
	4:  {name: "NAT64 session create", nat: record.NATCreate},
	5:  {name: "NAT64 session delete", nat: record.NATDelete},
	6:  {name: "NAT44 BIB create", nat: record.NATCreate},
	7:  {name: "NAT44 BIB delete", nat: record.NATDelete},
	8:  {name: "NAT64 BIB create", nat: record.NATCreate},
	9:  {name: "NAT64 BIB delete", nat: record.NATDelete},
	10: named(portsExhausted, "NAT ports exhausted"),
	11: named(quotaExceeded, "Quota exceeded"),
	12: {name: "Address binding create", nat: record.NATCreate},
	13: {name: "Address binding delete", nat: record.NATDelete},
	14: {name: "Port block allocation", nat: record.NATBlockAlloc},
	15: {name: "Port block de-allocation", nat: record.NATBlockRelease},
}

// firewallEvents is firewallEvent (IANA 233) and Cisco NSEL's
// NF_F_FW_EVENT (233, or 40005 on ASA 8.4), log-formats.md §2.4. A flow
// event is a NAT event only when the record carries a translated source
// address. Denied flows and alerts are firewall events, not mappings:
// they are skipped and counted.
var firewallEvents = eventTable{
	0: {name: "ignore", skip: true},
	1: {name: "flow created", nat: record.NATCreate},
	2: {name: "flow deleted", nat: record.NATDelete},
	3: {name: "flow denied", skip: true},
	4: {name: "flow alert", skip: true},
	5: {name: "flow update", nat: record.NATInterim},
}

// Vendors name an exporter's numbering of natEvent.
const (
	VendorRFC8158  = "rfc8158"
	VendorJuniper  = "juniper"
	VendorCiscoASA = "cisco-asa"
)

// natEventTables gives each vendor's natEvent numbering. Cisco numbers
// natEvent as the RFC does (ASR NEL uses the historic 1-3); an ASA's
// flow events come in firewallEvent, which every vendor reads alike.
var natEventTables = map[string]eventTable{
	VendorRFC8158:  rfc8158Events,
	VendorJuniper:  juniperEvents,
	VendorCiscoASA: rfc8158Events,
}

// outcome is what a data record became.
type outcome uint8

const (
	outSkip  outcome = iota // not a NAT event: counted, not stored
	outNAT                  // a NAT mapping record
	outEvent                // a security event record
	outBad                  // a NAT event Warden cannot keep as such: kept raw with the reason
)

// natRecord allocates a record and its body together.
type natRecord struct {
	r record.Record
	n record.NAT
}

// convert turns one data record's values into a record, by the
// exporter's natEvent numbering. For outBad it returns the reason. It
// never invents a value: what the record does not carry stays zero.
func convert(v *ieValues, events eventTable, m *message) (*record.Record, outcome, string) {
	a, code, field, reason := v.action(events)
	switch {
	case reason != "":
		return nil, outBad, reason
	case a.skip:
		return nil, outSkip, ""
	}
	// what names the event for details and reasons; not formatted for
	// the common case, a mapping that decodes.
	what := func() string { return fmt.Sprintf("%s %d (%s)", field, code, a.name) }
	t, err := v.eventTime(m, a.nat == record.NATDelete || a.nat == record.NATBlockRelease)
	if err != nil {
		return nil, outBad, what() + ": " + err.Error()
	}
	if a.rule != "" {
		r, err := v.event(a, what())
		if err != nil {
			return nil, outBad, what() + ": " + err.Error()
		}
		r.EventTime = t
		return r, outEvent, ""
	}
	nr := &natRecord{r: record.Record{Kind: record.KindNAT, EventTime: t}}
	nr.r.NAT = &nr.n
	skip, err := v.mapping(&nr.n, a, field == "firewallEvent")
	switch {
	case skip:
		return nil, outSkip, ""
	case err != nil:
		return nil, outBad, what() + ": " + err.Error()
	}
	return &nr.r, outNAT, ""
}

// action finds the record's event: natEvent by the vendor's table, else
// a firewall event. A record with neither is not a NAT event.
func (v *ieValues) action(events eventTable) (a action, code uint64, field, reason string) {
	b, field, table := v.natEvent, "natEvent", events
	if b == nil {
		b, field, table = v.fwEvent, "firewallEvent", firewallEvents
	}
	if b == nil {
		return action{skip: true}, 0, "", ""
	}
	code, ok := uintValue(b)
	if !ok {
		return action{}, 0, field, fmt.Sprintf("%s of %d bytes", field, len(b))
	}
	a, ok = table.lookup(code)
	if !ok {
		return action{}, code, field, fmt.Sprintf("unknown %s %d", field, code)
	}
	return a, code, field, ""
}

// mapping fills n for a mapping event. skip reports a flow event without
// translation, which is no NAT event.
func (v *ieValues) mapping(n *record.NAT, a action, flow bool) (skip bool, err error) {
	n.Event = a.nat
	var errs errList
	n.InsideAddr = errs.addr(v.srcIPv6, v.srcIPv4, "sourceIPv6Address", "sourceIPv4Address")
	n.OutsideAddr = errs.addr(v.postSrcIPv4, v.postSrcIPv6, "postNATSourceIPv4Address", "postNATSourceIPv6Address")
	n.InsidePort = errs.port(v.srcPort, "sourceTransportPort")
	n.DestAddr, n.DestPort = v.dest(&errs)
	n.Protocol = record.Protocol(errs.unsigned(v.protocol, 0xff, "protocolIdentifier"))
	if v.vrf != nil {
		n.VRF = strconv.FormatUint(errs.unsigned(v.vrf, 1<<32-1, "ingressVRFID"), 10)
	}
	n.Pool = poolName(v.poolName)
	if n.Pool == "" && v.poolID != nil {
		n.Pool = strconv.FormatUint(errs.unsigned(v.poolID, 1<<32-1, "natPoolId"), 10)
	}
	if a.nat == record.NATBlockAlloc || a.nat == record.NATBlockRelease {
		n.OutsidePort, n.OutsidePortEnd = v.block(&errs)
	} else {
		n.OutsidePort = errs.port(v.postSrcPort, "postNAPTSourceTransportPort")
	}
	if errs.err != nil {
		return false, errs.err
	}
	switch {
	case !n.OutsideAddr.IsValid() && flow:
		return true, nil
	case !n.OutsideAddr.IsValid():
		return false, errors.New("no post-NAT source address")
	case !n.InsideAddr.IsValid():
		return false, errors.New("no source address")
	}
	return false, nil
}

// dest returns the remote peer: the post-NAT destination when the record
// has one (the public side, the real IPv4 peer of a NAT64 session), else
// the destination.
func (v *ieValues) dest(errs *errList) (netip.Addr, uint16) {
	post := errs.addr(v.postDstIPv4, v.postDstIPv6, "postNATDestinationIPv4Address", "postNATDestinationIPv6Address")
	if post.IsValid() {
		if p := errs.port(v.postDstPort, "postNAPTDestinationTransportPort"); p != 0 {
			return post, p
		}
		return post, errs.port(v.dstPort, "destinationTransportPort")
	}
	return errs.addr(v.dstIPv4, v.dstIPv6, "destinationIPv4Address", "destinationIPv6Address"),
		errs.port(v.dstPort, "destinationTransportPort")
}

// block returns a port block's first and last port (zero when it is one
// port): portRangeEnd, else portRangeStart plus portRangeNumPorts. A
// block whose step is more than one is not a range and is refused: a
// range would claim ports that belong to other subscribers.
func (v *ieValues) block(errs *errList) (start, end uint16) {
	start = errs.port(v.portStart, "portRangeStart")
	step := errs.unsigned(v.portStep, 0xffff, "portRangeStepSize")
	num := errs.unsigned(v.portNum, 0xffff, "portRangeNumPorts")
	switch {
	case v.portEnd != nil:
		end = errs.port(v.portEnd, "portRangeEnd")
	case num > 0:
		if uint64(start)+num-1 > 0xffff {
			errs.fail(fmt.Errorf("port block %d+%d passes 65535", start, num))
		}
		end = uint16(uint64(start) + num - 1)
	}
	if step > 1 && end > start {
		errs.fail(fmt.Errorf("port block %d-%d has step %d: not a contiguous range", start, end, step))
	}
	if end < start && v.portEnd != nil {
		errs.fail(fmt.Errorf("port block ends at %d before it starts at %d", end, start))
	}
	if end == start {
		end = 0
	}
	return start, end
}

// event builds the security event for a NAT condition that is not a
// mapping. Its detail names the event and lists every field it carried.
func (v *ieValues) event(a action, what string) (*record.Record, error) {
	var errs errList
	e := &record.Event{Rule: a.rule, Severity: a.sev}
	e.SrcAddr = errs.addr(v.srcIPv6, v.srcIPv4, "sourceIPv6Address", "sourceIPv4Address")
	e.SrcPort = errs.port(v.srcPort, "sourceTransportPort")
	e.DstAddr, e.DstPort = v.dest(&errs)
	if errs.err != nil {
		return nil, errs.err
	}
	e.Detail = what
	return &record.Record{Kind: record.KindEvent, Event: e}, nil
}

// eventTime returns when the event happened: observationTime*, else the
// flow's end for a deletion or its start otherwise, else the message's
// export time (see message.export). A time of zero counts as absent.
func (v *ieValues) eventTime(m *message, end bool) (time.Time, error) {
	var errs errList
	t := errs.time(v.obsMillis, v.obsMicros, v.obsSeconds, nil, m)
	if t.IsZero() && end {
		t = errs.time(v.endMillis, nil, v.endSeconds, v.endUptime, m)
	}
	if t.IsZero() && !end {
		t = errs.time(v.startMillis, nil, v.startSeconds, v.startUptime, m)
	}
	if t.IsZero() {
		t = m.export
	}
	if errs.err != nil {
		return time.Time{}, errs.err
	}
	if t.Before(minTime) || !t.Before(maxTime) {
		return time.Time{}, fmt.Errorf("event time %s outside 1970-2199", t.Format(time.RFC3339))
	}
	return t, nil
}

// The range of times a record may carry (record.Validate's).
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ntpEpoch is the NTP era 0 start in Unix seconds (RFC 7011 §6.1.9).
const ntpEpoch = 2208988800

// errList decodes field values and keeps the first error, naming the
// field.
type errList struct{ err error }

func (e *errList) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// unsigned returns an unsigned value of 1 to 8 bytes (reduced-size
// encoding, RFC 7011 §6.2) no larger than limit; zero if absent.
func (e *errList) unsigned(b []byte, limit uint64, name string) uint64 {
	if b == nil {
		return 0
	}
	n, ok := uintValue(b)
	if !ok || n > limit {
		e.fail(fmt.Errorf("%s: %d bytes %x is not an integer up to %d", name, len(b), b, limit))
		return 0
	}
	return n
}

func (e *errList) port(b []byte, name string) uint16 {
	return uint16(e.unsigned(b, 0xffff, name))
}

// addr returns the first of a and b that is a specified address. All-zero
// addresses are how exporters fill fields that do not apply.
func (e *errList) addr(a, b []byte, nameA, nameB string) netip.Addr {
	for i, v := range [2][]byte{a, b} {
		if v == nil {
			continue
		}
		ip, ok := netip.AddrFromSlice(v)
		if !ok {
			e.fail(fmt.Errorf("%s: %d bytes is not an address", [2]string{nameA, nameB}[i], len(v)))
			return netip.Addr{}
		}
		if ip = ip.Unmap(); !ip.IsUnspecified() {
			return ip
		}
	}
	return netip.Addr{}
}

// time reads the first time present of ms (milliseconds since the
// epoch), us (NTP timestamp), s (seconds) and up (NetFlow v9 sysUpTime
// milliseconds).
func (e *errList) time(ms, us, s, up []byte, m *message) time.Time {
	switch {
	case ms != nil:
		if n := e.unsigned(ms, 1<<63-1, "milliseconds"); n != 0 {
			return time.UnixMilli(int64(n)).UTC()
		}
	case us != nil:
		if len(us) != 8 {
			e.fail(fmt.Errorf("observationTimeMicroseconds: %d bytes, want 8", len(us)))
			return time.Time{}
		}
		sec, frac := binary.BigEndian.Uint32(us), binary.BigEndian.Uint32(us[4:])
		if sec != 0 || frac != 0 {
			// Round the 2^-32 s fraction to the nearest microsecond.
			us := (uint64(frac)*1e6 + 1<<31) >> 32
			return time.Unix(int64(sec)-ntpEpoch, int64(us)*1e3).UTC()
		}
	case s != nil:
		if n := e.unsigned(s, 1<<32-1, "seconds"); n != 0 {
			return time.Unix(int64(n), 0).UTC()
		}
	case up != nil && m.version == 9:
		n := e.unsigned(up, 1<<32-1, "sysUpTime")
		// The header gives sysUpTime and Unix seconds at export; the
		// field is sysUpTime at the event. uint32 arithmetic survives
		// the counter's wrap.
		ago := int64(int32(m.uptime - uint32(n)))
		return m.export.Add(-time.Duration(ago) * time.Millisecond)
	}
	return time.Time{}
}

// uintValue decodes a big-endian unsigned integer of 1 to 8 bytes.
func uintValue(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 8 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n, true
}

// poolName returns natPoolName without the NUL padding of a fixed-length
// field, cut to what a record field holds.
func poolName(b []byte) string {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return string(b[:min(len(b), record.MaxStringLen)])
}
