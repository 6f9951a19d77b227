package ipfix

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// VarLen is the template length of a variable-length field (RFC 7011 §7).
const VarLen = 0xffff

// Field is one field of a template.
type Field struct {
	// ID is the information element (IPFIX) or field type (NetFlow v9).
	ID uint16
	// Length is the value's length in bytes, or VarLen (IPFIX only).
	Length uint16
	// Enterprise is the private enterprise number of an
	// enterprise-specific element (IPFIX only); zero for IANA's.
	Enterprise uint32
}

// Element names an information element: its enterprise number (zero for
// IANA) and ID.
type Element struct {
	Enterprise uint32
	ID         uint16
}

// Template is a template to encode.
type Template struct {
	// ID is the template ID, 256 to 65535.
	ID     uint16
	Fields []Field
	// Scope is the number of leading fields that are scope fields; more
	// than zero makes it an options template.
	Scope int
}

// Event is one NAT event to encode. Each field of the template takes its
// value from the Event field that its element names below, in the
// template's length; an element Event does not name takes
// Values[element], else zeros (a variable-length field: empty). An unset
// address is written as zeros.
type Event struct {
	// Time is observationTimeMilliseconds (323) or observationTimeSeconds
	// (322); Start and End are flowStartMilliseconds (152) and
	// flowEndMilliseconds (153). The zero time is written as 0.
	Time, Start, End time.Time
	// NATEvent is natEvent (230), numbered as the exporter numbers it.
	NATEvent uint8
	// FirewallEvent is firewallEvent, NSEL's NF_F_FW_EVENT (233), or
	// NF_F_FW_EVENT_84 (40005); ExtEvent is NF_F_FW_EXT_EVENT (33002).
	FirewallEvent uint8
	ExtEvent      uint16
	// Protocol is protocolIdentifier (4).
	Protocol uint8
	// Inside is sourceIPv4Address (8) or sourceIPv6Address (27), and
	// sourceTransportPort (7).
	Inside netip.AddrPort
	// Outside is postNATSourceIPv4Address (225; NSEL 40001) or
	// postNATSourceIPv6Address (281), and postNAPTSourceTransportPort
	// (227; NSEL 40003).
	Outside netip.AddrPort
	// Dest is destinationIPv4Address (12) or destinationIPv6Address (28),
	// and destinationTransportPort (11).
	Dest netip.AddrPort
	// PostDest is postNATDestinationIPv4Address (226; NSEL 40002) or
	// postNATDestinationIPv6Address (282), and
	// postNAPTDestinationTransportPort (228; NSEL 40004).
	PostDest netip.AddrPort
	// PortStart, PortEnd, PortStep and PortCount are portRangeStart,
	// portRangeEnd, portRangeStepSize and portRangeNumPorts (361-364).
	PortStart, PortEnd, PortStep, PortCount uint16
	// VRF is ingressVRFID (234); PoolID natPoolId (283); Pool natPoolName
	// (284), NUL-padded in a fixed-length field.
	VRF    uint32
	PoolID uint32
	Pool   string
	// FlowID is flowId, NSEL's NF_F_CONN_ID (148).
	FlowID uint32
	// QuotaEvent and ThresholdEvent are natQuotaExceededEvent (466) and
	// natThresholdEvent (467).
	QuotaEvent, ThresholdEvent uint32
	// Values holds the bytes of any other element, without the length
	// prefix of a variable-length field.
	Values map[Element][]byte
}

// NAT44SessionFields returns the RFC 8158 NAT44 session template of
// log-formats.md §9: 323, 230, 8, 225, 4, 7, 227, 12, 11, 234.
func NAT44SessionFields() []Field {
	return []Field{{ieObsMillis, 8, 0}, {ieNATEvent, 1, 0}, {ieSrcIPv4, 4, 0}, {iePostSrcIPv4, 4, 0},
		{ieProtocol, 1, 0}, {ieSrcPort, 2, 0}, {iePostSrcPort, 2, 0}, {ieDstIPv4, 4, 0}, {ieDstPort, 2, 0},
		{ieIngressVRFID, 4, 0}}
}

// NAT64SessionFields returns a NAT64 session template (as VPP sends it):
// 323, 230, 27, 225, 4, 7, 227, 28, 226, 11, 228, 234.
func NAT64SessionFields() []Field {
	return []Field{{ieObsMillis, 8, 0}, {ieNATEvent, 1, 0}, {ieSrcIPv6, 16, 0}, {iePostSrcIPv4, 4, 0},
		{ieProtocol, 1, 0}, {ieSrcPort, 2, 0}, {iePostSrcPort, 2, 0}, {ieDstIPv6, 16, 0},
		{iePostDstIPv4, 4, 0}, {ieDstPort, 2, 0}, {iePostDstPort, 2, 0}, {ieIngressVRFID, 4, 0}}
}

// PortBlockFields returns the RFC 8158 port block template of
// log-formats.md §9 with the pool's name: 323, 230, 8, 225, 361, 362, 234,
// and 284 of variable length.
func PortBlockFields() []Field {
	return []Field{{ieObsMillis, 8, 0}, {ieNATEvent, 1, 0}, {ieSrcIPv4, 4, 0}, {iePostSrcIPv4, 4, 0},
		{iePortRangeStart, 2, 0}, {iePortRangeEnd, 2, 0}, {ieIngressVRFID, 4, 0}, {ieNATPoolName, VarLen, 0}}
}

// ASAFields returns a Cisco ASA NSEL flow template (NetFlow v9,
// log-formats.md §2.4): 148, 8, 7, 12, 11, 4, 225, 227, 226, 228, 233,
// 33002, 323.
func ASAFields() []Field {
	return []Field{{ieFlowID, 4, 0}, {ieSrcIPv4, 4, 0}, {ieSrcPort, 2, 0}, {ieDstIPv4, 4, 0}, {ieDstPort, 2, 0},
		{ieProtocol, 1, 0}, {iePostSrcIPv4, 4, 0}, {iePostSrcPort, 2, 0}, {iePostDstIPv4, 4, 0},
		{iePostDstPort, 2, 0}, {ieFirewallEvent, 1, 0}, {nselExtEvent, 2, 0}, {ieObsMillis, 8, 0}}
}

// Encoder writes IPFIX or NetFlow v9 export messages of NAT events, for
// tests and tools. It keeps the sequence number across messages, so use
// one Encoder per exporter stream. It is not safe for concurrent use.
type Encoder struct {
	// Version is 10 (IPFIX; zero means 10) or 9 (NetFlow v9).
	Version uint16
	// Domain is the observation domain ID (IPFIX) or source ID (v9).
	Domain uint32
	// Boot is when the exporter started, for NetFlow v9's sysUpTime; zero
	// writes sysUpTime 0.
	Boot time.Time

	seq uint32 // IPFIX: data records sent; NetFlow v9: packets sent
}

func (e *Encoder) version() uint16 {
	if e.Version == 0 {
		return 10
	}
	return e.Version
}

// AppendEvents appends a message that holds template t and a data set of
// evs in it, exported at export.
func (e *Encoder) AppendEvents(dst []byte, export time.Time, t Template, evs ...Event) ([]byte, error) {
	return e.Message(export).Templates(t).Data(t, evs...).Append(dst)
}

// Message starts a message exported at export. Add sets with its methods,
// then Append it.
func (e *Encoder) Message(export time.Time) *Message {
	m := &Message{e: e, export: export}
	if v := e.version(); v != 9 && v != 10 {
		m.err = fmt.Errorf("ipfix: encode version %d: want 9 or 10", v)
	}
	return m
}

// Message is an export message being built. Its methods add sets in
// order and return the message; the first error sticks, and Append
// returns it.
type Message struct {
	e      *Encoder
	export time.Time
	sets   []byte
	count  uint16 // NetFlow v9 header count: template and data records
	data   uint32 // data records, for the IPFIX sequence number
	err    error
}

// Templates adds a template set, and an options template set if any of ts
// has scope fields.
func (m *Message) Templates(ts ...Template) *Message {
	v := m.e.version()
	for _, options := range []bool{false, true} {
		setID := map[bool]uint16{false: 2, true: 3}[options]
		if v == 9 {
			setID -= 2
		}
		var body []byte
		for _, t := range ts {
			if (t.Scope > 0) == options {
				body = m.appendTemplate(body, v, t)
			}
		}
		if body != nil {
			m.Set(setID, body)
		}
	}
	return m
}

func (m *Message) appendTemplate(b []byte, v uint16, t Template) []byte {
	switch {
	case t.ID < 256:
		m.fail(fmt.Errorf("template ID %d: want 256 or more", t.ID))
	case len(t.Fields) == 0 || len(t.Fields) > 0xffff/8:
		m.fail(fmt.Errorf("template %d: %d fields", t.ID, len(t.Fields)))
	case t.Scope < 0 || t.Scope > len(t.Fields):
		m.fail(fmt.Errorf("template %d: scope %d of %d fields", t.ID, t.Scope, len(t.Fields)))
	}
	b = binary.BigEndian.AppendUint16(b, t.ID)
	switch {
	case t.Scope > 0 && v == 9:
		b = binary.BigEndian.AppendUint16(b, uint16(4*t.Scope))
		b = binary.BigEndian.AppendUint16(b, uint16(4*(len(t.Fields)-t.Scope)))
	case t.Scope > 0:
		b = binary.BigEndian.AppendUint16(b, uint16(len(t.Fields)))
		b = binary.BigEndian.AppendUint16(b, uint16(t.Scope))
	default:
		b = binary.BigEndian.AppendUint16(b, uint16(len(t.Fields)))
	}
	for _, f := range t.Fields {
		switch {
		case v == 9 && (f.Enterprise != 0 || f.Length == VarLen):
			m.fail(fmt.Errorf("template %d: field %d: NetFlow v9 has no enterprise or variable-length fields", t.ID, f.ID))
		case v == 10 && f.ID >= 0x8000:
			m.fail(fmt.Errorf("template %d: element %d above 32767", t.ID, f.ID))
		}
		id := f.ID
		if f.Enterprise != 0 {
			id |= 0x8000
		}
		b = binary.BigEndian.AppendUint16(b, id)
		b = binary.BigEndian.AppendUint16(b, f.Length)
		if f.Enterprise != 0 {
			b = binary.BigEndian.AppendUint32(b, f.Enterprise)
		}
	}
	m.count++
	return b
}

// Withdraw adds an IPFIX template withdrawal set for ids; the ID 2
// withdraws every template of the domain. WithdrawOptions does the same
// for options templates (the ID 3: all of them).
func (m *Message) Withdraw(ids ...uint16) *Message { return m.withdraw(2, ids) }

// WithdrawOptions adds an IPFIX options template withdrawal set.
func (m *Message) WithdrawOptions(ids ...uint16) *Message { return m.withdraw(3, ids) }

func (m *Message) withdraw(setID uint16, ids []uint16) *Message {
	if m.e.version() != 10 {
		m.fail(errors.New("NetFlow v9 has no template withdrawal"))
	}
	var body []byte
	for _, id := range ids {
		body = binary.BigEndian.AppendUint16(body, id)
		body = binary.BigEndian.AppendUint16(body, 0)
	}
	return m.Set(setID, body)
}

// Data adds a data set of evs encoded with template t.
func (m *Message) Data(t Template, evs ...Event) *Message {
	var body []byte
	for i := range evs {
		for _, f := range t.Fields {
			var err error
			if body, err = appendValue(body, f, &evs[i]); err != nil {
				m.fail(fmt.Errorf("template %d: element %d: %w", t.ID, f.ID, err))
			}
		}
	}
	m.count += uint16(len(evs))
	m.data += uint32(len(evs))
	return m.Set(t.ID, body)
}

// Set adds a set of any ID with body as its contents, as given: for tests
// of malformed input. NetFlow v9 sets are padded to 32 bits.
func (m *Message) Set(id uint16, body []byte) *Message {
	n := setHeaderLen + len(body)
	if m.e.version() == 9 {
		n = (n + 3) &^ 3
	}
	m.sets = binary.BigEndian.AppendUint16(m.sets, id)
	m.sets = binary.BigEndian.AppendUint16(m.sets, uint16(n))
	m.sets = append(m.sets, body...)
	m.sets = append(m.sets, make([]byte, n-setHeaderLen-len(body))...)
	if n > 0xffff {
		m.fail(fmt.Errorf("set %d of %d bytes", id, n))
	}
	return m
}

func (m *Message) fail(err error) {
	if m.err == nil {
		m.err = fmt.Errorf("ipfix: encode: %w", err)
	}
}

// Append appends the message to dst and advances the encoder's sequence
// number.
func (m *Message) Append(dst []byte) ([]byte, error) {
	if m.err != nil {
		return dst, m.err
	}
	export := uint32(max(m.export.Unix(), 0))
	if m.e.version() == 9 {
		var up uint32
		if !m.e.Boot.IsZero() {
			up = uint32(m.export.Sub(m.e.Boot).Milliseconds())
		}
		dst = binary.BigEndian.AppendUint16(dst, 9)
		dst = binary.BigEndian.AppendUint16(dst, m.count)
		dst = binary.BigEndian.AppendUint32(dst, up)
		dst = binary.BigEndian.AppendUint32(dst, export)
		dst = binary.BigEndian.AppendUint32(dst, m.e.seq)
		dst = binary.BigEndian.AppendUint32(dst, m.e.Domain)
		m.e.seq++
		return append(dst, m.sets...), nil
	}
	n := ipfixHeaderLen + len(m.sets)
	if n > 0xffff {
		return dst, fmt.Errorf("ipfix: encode: message of %d bytes", n)
	}
	dst = binary.BigEndian.AppendUint16(dst, 10)
	dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	dst = binary.BigEndian.AppendUint32(dst, export)
	dst = binary.BigEndian.AppendUint32(dst, m.e.seq)
	dst = binary.BigEndian.AppendUint32(dst, m.e.Domain)
	m.e.seq += m.data
	return append(dst, m.sets...), nil
}

// appendValue appends the value of field f for ev.
func appendValue(b []byte, f Field, ev *Event) ([]byte, error) {
	if v, ok := ev.Values[Element{f.Enterprise, f.ID}]; ok {
		return appendBytes(b, f, v)
	}
	if f.Enterprise != 0 {
		return appendBytes(b, f, nil)
	}
	switch f.ID {
	case ieObsMillis:
		return appendUint(b, f, millis(ev.Time))
	case ieObsSeconds:
		return appendUint(b, f, uint64(max(ev.Time.Unix(), 0)))
	case ieFlowStartMillis:
		return appendUint(b, f, millis(ev.Start))
	case ieFlowEndMillis:
		return appendUint(b, f, millis(ev.End))
	case ieNATEvent:
		return appendUint(b, f, uint64(ev.NATEvent))
	case ieFirewallEvent, nselFirewallEvent:
		return appendUint(b, f, uint64(ev.FirewallEvent))
	case nselExtEvent:
		return appendUint(b, f, uint64(ev.ExtEvent))
	case ieProtocol:
		return appendUint(b, f, uint64(ev.Protocol))
	case ieSrcIPv4, ieSrcIPv6:
		return appendAddr(b, f, ev.Inside.Addr(), f.ID == ieSrcIPv4)
	case ieSrcPort:
		return appendUint(b, f, uint64(ev.Inside.Port()))
	case iePostSrcIPv4, nselXlateSrcAddr, iePostSrcIPv6:
		return appendAddr(b, f, ev.Outside.Addr(), f.ID != iePostSrcIPv6)
	case iePostSrcPort, nselXlateSrcPort:
		return appendUint(b, f, uint64(ev.Outside.Port()))
	case ieDstIPv4, ieDstIPv6:
		return appendAddr(b, f, ev.Dest.Addr(), f.ID == ieDstIPv4)
	case ieDstPort:
		return appendUint(b, f, uint64(ev.Dest.Port()))
	case iePostDstIPv4, nselXlateDstAddr, iePostDstIPv6:
		return appendAddr(b, f, ev.PostDest.Addr(), f.ID != iePostDstIPv6)
	case iePostDstPort, nselXlateDstPort:
		return appendUint(b, f, uint64(ev.PostDest.Port()))
	case iePortRangeStart:
		return appendUint(b, f, uint64(ev.PortStart))
	case iePortRangeEnd:
		return appendUint(b, f, uint64(ev.PortEnd))
	case iePortRangeStep:
		return appendUint(b, f, uint64(ev.PortStep))
	case iePortRangeNum:
		return appendUint(b, f, uint64(ev.PortCount))
	case ieIngressVRFID:
		return appendUint(b, f, uint64(ev.VRF))
	case ieNATPoolID:
		return appendUint(b, f, uint64(ev.PoolID))
	case ieNATPoolName:
		return appendBytes(b, f, []byte(ev.Pool))
	case ieFlowID:
		return appendUint(b, f, uint64(ev.FlowID))
	case ieQuotaEvent:
		return appendUint(b, f, uint64(ev.QuotaEvent))
	case ieThresholdEvent:
		return appendUint(b, f, uint64(ev.ThresholdEvent))
	}
	return appendBytes(b, f, nil)
}

func millis(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(max(t.UnixMilli(), 0))
}

// appendUint appends v in f.Length bytes (reduced-size encoding allowed).
func appendUint(b []byte, f Field, v uint64) ([]byte, error) {
	if f.Length == 0 || f.Length > 8 {
		return b, fmt.Errorf("length %d for an integer", f.Length)
	}
	if f.Length < 8 && v>>(8*f.Length) != 0 {
		return b, fmt.Errorf("%d does not fit in %d bytes", v, f.Length)
	}
	for i := int(f.Length) - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b, nil
}

// appendAddr appends an IPv4 (v4) or IPv6 address; an unset one as zeros.
func appendAddr(b []byte, f Field, a netip.Addr, v4 bool) ([]byte, error) {
	want := map[bool]uint16{true: 4, false: 16}[v4]
	switch {
	case f.Length != want:
		return b, fmt.Errorf("length %d for an address of %d bytes", f.Length, want)
	case !a.IsValid():
		return append(b, make([]byte, want)...), nil
	case a.Is4() != v4:
		return b, fmt.Errorf("address %s in a field of %d bytes", a, want)
	}
	return append(b, a.AsSlice()...), nil
}

// appendBytes appends v with a length prefix in a variable-length field,
// or NUL-padded to a fixed length.
func appendBytes(b []byte, f Field, v []byte) ([]byte, error) {
	switch {
	case f.Length == VarLen && len(v) < 255:
		b = append(b, byte(len(v)))
	case f.Length == VarLen && len(v) <= 0xffff:
		b = append(b, 255)
		b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	case f.Length == VarLen || len(v) > int(f.Length):
		return b, fmt.Errorf("%d bytes in a field of %d", len(v), f.Length)
	default:
		b = append(b, v...)
		return append(b, make([]byte, int(f.Length)-len(v))...), nil
	}
	return append(b, v...), nil
}
