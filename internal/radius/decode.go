package radius

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"
	"layeh.com/radius/rfc2869"
	"layeh.com/radius/rfc3162"
	"layeh.com/radius/rfc4818"
	"layeh.com/radius/rfc6911"

	"github.com/warden-ops/warden/internal/record"
)

// Event rules of the records that Accounting-On and Accounting-Off make.
const (
	RuleAccountingOn  = "radius-accounting-on"
	RuleAccountingOff = "radius-accounting-off"
)

// RawFormat is the Raw.Format of the records that keep an accounting
// request which could not be mapped; their Data is the packet as received.
const RawFormat = "radius"

// terminateCauses names Acct-Terminate-Cause values as FreeRADIUS's
// dictionaries do (RFC 2866 §5.10 for 1-18, RFC 3580 §3.16 for 19-22), so
// the names match what FreeRADIUS detail files and radacct tables hold.
// Other values are kept as their decimal number.
var terminateCauses = [...]string{
	1: "User-Request", 2: "Lost-Carrier", 3: "Lost-Service", 4: "Idle-Timeout", 5: "Session-Timeout",
	6: "Admin-Reset", 7: "Admin-Reboot", 8: "Port-Error", 9: "NAS-Error", 10: "NAS-Request",
	11: "NAS-Reboot", 12: "Port-Unneeded", 13: "Port-Preempted", 14: "Port-Suspended",
	15: "Service-Unavailable", 16: "Callback", 17: "User-Error", 18: "Host-Request",
	19: "Supplicant-Restart", 20: "Reauthentication-Failure", 21: "Port-Reinit", 22: "Port-Disabled",
}

// TerminateCauseName returns the name Session.TerminateCause holds for an
// Acct-Terminate-Cause value.
func TerminateCauseName(v uint32) string {
	if int64(v) < int64(len(terminateCauses)) && terminateCauses[v] != "" {
		return terminateCauses[v]
	}
	return strconv.FormatUint(uint64(v), 10)
}

// request is an authentic Accounting-Request being mapped to a record.
type request struct {
	pkt     *radius.Packet
	wire    []byte // the packet as received, up to its Length
	client  *client
	src     netip.Addr
	recv    time.Time
	vendors *vendorTable
}

// toRecord maps the request to a record. It returns a raw record keeping
// the packet, and the reason, when the request cannot be mapped.
func (q *request) toRecord() (*record.Record, error) {
	r, err := q.mapRecord()
	if err == nil {
		if verr := r.Validate(); verr != nil {
			err = fmt.Errorf("make record: %w", verr)
		}
	}
	if err != nil {
		return q.raw(err.Error()), err
	}
	return r, nil
}

func (q *request) raw(reason string) *record.Record {
	recv := q.recv.UTC()
	return &record.Record{Kind: record.KindRaw, EventTime: recv, ReceiveTime: recv, Source: q.client.name,
		Raw: &record.Raw{Reason: "radius accounting request: " + reason, Format: RawFormat, Data: q.wire}}
}

func (q *request) mapRecord() (*record.Record, error) {
	a := attrReader{p: q.pkt}
	status, hasStatus := a.uint32("Acct-Status-Type", rfc2866.AcctStatusType_Type)
	r := &record.Record{EventTime: q.eventTime(&a), ReceiveTime: q.recv.UTC(), Source: q.client.name}
	nas := q.nasAddr(&a)
	var ev record.SessionEvent
	switch status := rfc2866.AcctStatusType(status); {
	case !hasStatus:
		a.fail(errors.New("no Acct-Status-Type"))
	case status == rfc2866.AcctStatusType_Value_Start:
		ev = record.SessionStart
	case status == rfc2866.AcctStatusType_Value_InterimUpdate:
		ev = record.SessionInterim
	case status == rfc2866.AcctStatusType_Value_Stop:
		ev = record.SessionStop
	case status == rfc2866.AcctStatusType_Value_AccountingOn || status == rfc2866.AcctStatusType_Value_AccountingOff:
		r.Kind, r.Event = record.KindEvent, q.nasEvent(&a, status, nas)
		return r, a.err
	default:
		a.fail(fmt.Errorf("Acct-Status-Type %d is not start, interim-update, stop, accounting-on or -off", uint32(status)))
	}
	if a.err != nil {
		return nil, a.err
	}
	r.Kind, r.Session = record.KindSession, q.session(&a, ev, nas)
	return r, a.err
}

// session reads the session attributes. Standard attributes win; vendor
// attributes fill only what they leave empty.
func (q *request) session(a *attrReader, ev record.SessionEvent, nas netip.Addr) *record.Session {
	s := &record.Session{
		Event:            ev,
		Account:          a.str(rfc2865.UserName_Type),
		CallingStationID: a.str(rfc2865.CallingStationID_Type),
		Addr:             a.addr("Framed-IP-Address", rfc2865.FramedIPAddress_Type, 4),
		IPv6Prefix:       a.prefix("Framed-IPv6-Prefix", rfc3162.FramedIPv6Prefix_Type),
		DelegatedPrefix:  a.prefix("Delegated-IPv6-Prefix", rfc4818.DelegatedIPv6Prefix_Type),
		NASAddr:          nas,
		NASPortID:        a.str(rfc2869.NASPortID_Type),
		SessionID:        a.str(rfc2866.AcctSessionID_Type),
		InputOctets:      a.octets("Acct-Input", rfc2866.AcctInputOctets_Type, rfc2869.AcctInputGigawords_Type),
		OutputOctets:     a.octets("Acct-Output", rfc2866.AcctOutputOctets_Type, rfc2869.AcctOutputGigawords_Type),
	}
	// 255.255.255.255 and .254 ask the user or the NAS to pick an address
	// (RFC 2865 §5.8); they are not one.
	if s.Addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || s.Addr == netip.AddrFrom4([4]byte{255, 255, 255, 254}) {
		s.Addr = netip.Addr{}
	}
	if !s.Addr.IsValid() {
		s.Addr = a.addr("Framed-IPv6-Address", rfc6911.FramedIPv6Address_Type, 16)
	}
	if cause, ok := a.uint32("Acct-Terminate-Cause", rfc2866.AcctTerminateCause_Type); ok {
		s.TerminateCause = TerminateCauseName(cause)
	}
	if s.Account == "" {
		a.fail(errors.New("no User-Name"))
	}
	if !s.Addr.IsValid() || s.CallingStationID == "" || s.NASPortID == "" {
		v := q.vendors.read(q.pkt, q.client.vendor)
		s.Addr = cmp.Or(s.Addr, v.addr)
		s.CallingStationID = cmp.Or(s.CallingStationID, v.callingStationID)
		s.NASPortID = cmp.Or(s.NASPortID, v.nasPortID)
	}
	return s
}

// nasEvent is the event an Accounting-On or -Off makes: the NAS started
// or stopped, and every session it had open ended (RFC 2866 §5.1).
func (q *request) nasEvent(a *attrReader, status rfc2866.AcctStatusType, nas netip.Addr) *record.Event {
	e := &record.Event{Rule: RuleAccountingOn, Severity: record.SeverityInfo, SrcAddr: nas,
		Account: a.str(rfc2865.UserName_Type)}
	what := "Accounting-On: the NAS started"
	if status == rfc2866.AcctStatusType_Value_AccountingOff {
		e.Rule, what = RuleAccountingOff, "Accounting-Off: the NAS is stopping"
	}
	e.Detail = what + "; every session it had open has ended"
	if id := a.str(rfc2865.NASIdentifier_Type); id != "" {
		e.Detail += "; NAS-Identifier " + strconv.Quote(id)
	}
	return e
}

// eventTime is Event-Timestamp, or else the receive time less
// Acct-Delay-Time. An Event-Timestamp of zero is a NAS without a clock.
func (q *request) eventTime(a *attrReader) time.Time {
	if ts, ok := a.uint32("Event-Timestamp", rfc2869.EventTimestamp_Type); ok && ts != 0 {
		return time.Unix(int64(ts), 0).UTC()
	}
	delay, _ := a.uint32("Acct-Delay-Time", rfc2866.AcctDelayTime_Type)
	return q.recv.Add(-time.Duration(delay) * time.Second).UTC()
}

// nasAddr is NAS-IP-Address, else NAS-IPv6-Address, else the source.
func (q *request) nasAddr(a *attrReader) netip.Addr {
	if v := a.addr("NAS-IP-Address", rfc2865.NASIPAddress_Type, 4); v.IsValid() {
		return v
	}
	if v := a.addr("NAS-IPv6-Address", rfc3162.NASIPv6Address_Type, 16); v.IsValid() {
		return v
	}
	return q.src.Unmap().WithZone("")
}

// attrReader reads the first attribute of a type, keeping the first
// decoding error.
type attrReader struct {
	p   *radius.Packet
	err error
}

func (a *attrReader) fail(err error) {
	if a.err == nil {
		a.err = err
	}
}

func (a *attrReader) str(t radius.Type) string {
	v, _ := a.p.Lookup(t)
	return string(v)
}

func (a *attrReader) uint32(name string, t radius.Type) (uint32, bool) {
	v, ok := a.p.Lookup(t)
	if !ok {
		return 0, false
	}
	if len(v) != 4 {
		a.fail(fmt.Errorf("decode %s: %d bytes, want 4", name, len(v)))
		return 0, false
	}
	return binary.BigEndian.Uint32(v), true
}

// octets returns name-Octets plus name-Gigawords times 2^32 (RFC 2869 §5.1).
func (a *attrReader) octets(name string, low, high radius.Type) uint64 {
	lo, _ := a.uint32(name+"-Octets", low)
	hi, _ := a.uint32(name+"-Gigawords", high)
	return uint64(hi)<<32 | uint64(lo)
}

func (a *attrReader) addr(name string, t radius.Type, size int) netip.Addr {
	v, ok := a.p.Lookup(t)
	if !ok {
		return netip.Addr{}
	}
	if len(v) != size {
		a.fail(fmt.Errorf("decode %s: %d bytes, want %d", name, len(v), size))
		return netip.Addr{}
	}
	ip, _ := netip.AddrFromSlice(v)
	return ip.Unmap()
}

// prefix decodes an RFC 3162 §2.3 prefix: reserved byte, length in bits,
// then up to 16 bytes, the missing ones zero. Bits past the length "must
// be zero"; a NAS that sets them still means the prefix, so they are
// cleared rather than refused.
func (a *attrReader) prefix(name string, t radius.Type) netip.Prefix {
	v, ok := a.p.Lookup(t)
	if !ok {
		return netip.Prefix{}
	}
	if len(v) < 2 || len(v) > 18 {
		a.fail(fmt.Errorf("decode %s: %d bytes, want 2 to 18", name, len(v)))
		return netip.Prefix{}
	}
	if v[1] > 128 {
		a.fail(fmt.Errorf("decode %s: prefix length %d", name, v[1]))
		return netip.Prefix{}
	}
	var b [16]byte
	copy(b[:], v[2:])
	p, err := netip.AddrFrom16(b).Prefix(int(v[1]))
	if err != nil {
		a.fail(fmt.Errorf("decode %s: %w", name, err))
	}
	return p
}
