package record

import (
	"net/netip"
	"time"
)

// Record is one kept record. Exactly one body pointer is set, the one that
// matches Kind.
type Record struct {
	// ID is assigned by the store when the record becomes durable; it is
	// zero before that.
	ID ID
	// Kind says which body is set.
	Kind Kind
	// EventTime is when the event happened, by the source's clock.
	EventTime time.Time
	// ReceiveTime is when Warden received the record.
	ReceiveTime time.Time
	// Source names where the record came from: a configured source name,
	// or the sender's address.
	Source string

	Session      *Session
	NAT          *NAT
	Registration *Registration
	Event        *Event
	Content      *Content
	Maintenance  *Maintenance
	Audit        *Audit
	Raw          *Raw
}

// Session is a subscriber or login session event (Order 82 art. 7): who
// logged in or out, when, from where, with which address.
type Session struct {
	Event            SessionEvent `json:"event"`
	Account          string       `json:"account"`
	CallingStationID string       `json:"calling_station_id,omitempty"`
	// Addr is the assigned IPv4 (or IPv6) address, RADIUS Framed-IP-Address.
	Addr netip.Addr `json:"addr,omitzero"`
	// IPv6Prefix is RADIUS Framed-IPv6-Prefix; DelegatedPrefix is
	// Delegated-IPv6-Prefix (RFC 4818).
	IPv6Prefix      netip.Prefix `json:"ipv6_prefix,omitzero"`
	DelegatedPrefix netip.Prefix `json:"delegated_prefix,omitzero"`
	NASAddr         netip.Addr   `json:"nas_addr,omitzero"`
	NASPortID       string       `json:"nas_port_id,omitempty"`
	SessionID       string       `json:"session_id,omitempty"`
	InputOctets     uint64       `json:"input_octets,omitempty"`
	OutputOctets    uint64       `json:"output_octets,omitempty"`
	TerminateCause  string       `json:"terminate_cause,omitempty"`
}

// NAT is a NAT mapping event (Order 82 art. 8, 10): which inside address and
// port were translated to which outside address and port or port range.
type NAT struct {
	Event    NATEvent `json:"event"`
	Protocol Protocol `json:"proto,omitempty"`
	// InsideAddr and InsidePort are the subscriber's private side. A port
	// block has no inside port.
	InsideAddr netip.Addr `json:"inside_addr"`
	InsidePort uint16     `json:"inside_port,omitempty"`
	// OutsideAddr and OutsidePort are the public side. A port block spans
	// OutsidePort to OutsidePortEnd inclusive; OutsidePortEnd is zero for a
	// single port.
	OutsideAddr    netip.Addr `json:"outside_addr"`
	OutsidePort    uint16     `json:"outside_port,omitempty"`
	OutsidePortEnd uint16     `json:"outside_port_end,omitempty"`
	// DestAddr and DestPort are the remote peer, when the device logs it.
	DestAddr netip.Addr `json:"dest_addr,omitzero"`
	DestPort uint16     `json:"dest_port,omitempty"`
	Device   string     `json:"device,omitempty"`
	VRF      string     `json:"vrf,omitempty"`
	Pool     string     `json:"pool,omitempty"`
}

// Registration is a user's registration (Order 82 art. 8, 10). The personal
// fields are opaque values; the access layer encrypts them before they
// reach the store.
type Registration struct {
	Account string `json:"account"`
	// Fields holds the personal fields, sorted by name, names unique.
	Fields []Field `json:"fields,omitempty"`
}

// Field is one named, opaque registration field.
type Field struct {
	Name  string `json:"name"`
	Value []byte `json:"value"`
}

// Event is a security event (Order 82 art. 8).
type Event struct {
	Rule     string     `json:"rule"`
	Severity Severity   `json:"severity"`
	SrcAddr  netip.Addr `json:"src_addr,omitzero"`
	SrcPort  uint16     `json:"src_port,omitempty"`
	DstAddr  netip.Addr `json:"dst_addr,omitzero"`
	DstPort  uint16     `json:"dst_port,omitempty"`
	Account  string     `json:"account,omitempty"`
	Detail   string     `json:"detail,omitempty"`
}

// Content is a published item (Order 82 art. 9): who published what, where
// and from which address.
type Content struct {
	Account string     `json:"account"`
	Channel string     `json:"channel"`
	Addr    netip.Addr `json:"addr,omitzero"`
	Port    uint16     `json:"port,omitempty"`
	// Digest is the SHA-256 of Body, or of the item when Body is not kept.
	Digest []byte `json:"digest"`
	Body   string `json:"body,omitempty"`
}

// Maintenance is an operator's maintenance action on the network.
type Maintenance struct {
	Operator string `json:"operator"`
	Action   string `json:"action"`
	Target   string `json:"target"`
	Detail   string `json:"detail,omitempty"`
}

// Audit records who read or changed what in Warden.
type Audit struct {
	Actor   string     `json:"actor"`
	Addr    netip.Addr `json:"addr,omitzero"`
	Action  string     `json:"action"`
	Query   string     `json:"query,omitempty"`
	CaseRef string     `json:"case_ref,omitempty"`
	Count   uint64     `json:"count,omitempty"`
	Outcome string     `json:"outcome"`
}

// Raw is input that no parser understood, kept verbatim.
type Raw struct {
	Reason string `json:"reason"`
	Format string `json:"format,omitempty"`
	Data   []byte `json:"data"`
}

// Key classes mark the fields that block filters index so that a lookup
// can skip blocks. The numbers are written to disk: never renumber.
type Key uint8

// Key classes.
const (
	KeyNone        Key = 0
	KeyOutsideAddr Key = 1
	KeyInsideAddr  Key = 2
	KeyPort        Key = 3
	KeyAccount     Key = 4
	// KeyOutsideEndpoint is derived, not declared by a field: the outside
	// address and port of a record that has both, as 16 address bytes and
	// 2 port bytes. A public address and port together are what a
	// trace-back asks for; either alone matches most blocks.
	KeyOutsideEndpoint Key = 5
)

// Visitor reads or writes a record's fields in canonical order. Each method
// is called with a pointer to the field: an encoder reads it, a decoder
// sets it. key names the filter class the field belongs to, or KeyNone.
// Implementations must not retain the pointers after the call.
type Visitor interface {
	Uint8(p *uint8)
	Uint16(p *uint16, key Key)
	Uint64(p *uint64)
	Time(p *time.Time)
	String(p *string, key Key)
	Bytes(p *[]byte)
	Addr(p *netip.Addr, key Key)
	Prefix(p *netip.Prefix)
	// Fields visits a list of named fields, which encoders write as one
	// value in the form of [AppendFields].
	Fields(p *[]Field)
}

// Visit walks r's fields in canonical order: the common fields, then the
// body of r.Kind. When decoding, the body must have been allocated with
// [Record.Init] first.
func (r *Record) Visit(v Visitor) {
	v.Time(&r.EventTime)
	v.Time(&r.ReceiveTime)
	v.String(&r.Source, KeyNone)
	switch r.Kind {
	case KindSession:
		r.Session.visit(v)
	case KindNAT:
		r.NAT.visit(v)
	case KindRegistration:
		r.Registration.visit(v)
	case KindEvent:
		r.Event.visit(v)
	case KindContent:
		r.Content.visit(v)
	case KindMaintenance:
		r.Maintenance.visit(v)
	case KindAudit:
		r.Audit.visit(v)
	case KindRaw:
		r.Raw.visit(v)
	default:
		panic("record: visit of unknown kind " + r.Kind.String())
	}
}

// headerFields is the number of common fields Visit walks before the body.
const headerFields = 3

// FlowStart returns the index, in visit order, of the first field of kind
// k's flow: the fields that the records of one flow (a NAT mapping's create
// and delete, a session's start, interims and stop) all share, up to the
// last field. Blocks store such fields once per flow. Zero means the kind
// has no flows.
func FlowStart(k Kind) int {
	switch k {
	case KindNAT:
		return headerFields + 1 // after the event
	case KindSession:
		return headerFields + 4 // after the event, counters and cause
	}
	return 0
}

// AppendFlowKey appends the canonical encoding of r's flow fields (from
// FlowStart on) to dst. Two records of a flow have equal keys.
func AppendFlowKey(dst []byte, r *Record) []byte {
	e := flowEncoder{start: FlowStart(r.Kind), rowEncoder: rowEncoder{buf: dst}}
	r.Visit(&e)
	return e.buf
}

// flowEncoder is a rowEncoder that skips the first start fields.
type flowEncoder struct {
	rowEncoder
	start, i int
}

func (e *flowEncoder) skip() bool { e.i++; return e.i <= e.start }

func (e *flowEncoder) Uint8(p *uint8) {
	if !e.skip() {
		e.rowEncoder.Uint8(p)
	}
}
func (e *flowEncoder) Uint16(p *uint16, k Key) {
	if !e.skip() {
		e.rowEncoder.Uint16(p, k)
	}
}
func (e *flowEncoder) Uint64(p *uint64) {
	if !e.skip() {
		e.rowEncoder.Uint64(p)
	}
}
func (e *flowEncoder) Time(p *time.Time) {
	if !e.skip() {
		e.rowEncoder.Time(p)
	}
}
func (e *flowEncoder) String(p *string, k Key) {
	if !e.skip() {
		e.rowEncoder.String(p, k)
	}
}
func (e *flowEncoder) Bytes(p *[]byte) {
	if !e.skip() {
		e.rowEncoder.Bytes(p)
	}
}
func (e *flowEncoder) Addr(p *netip.Addr, k Key) {
	if !e.skip() {
		e.rowEncoder.Addr(p, k)
	}
}
func (e *flowEncoder) Prefix(p *netip.Prefix) {
	if !e.skip() {
		e.rowEncoder.Prefix(p)
	}
}
func (e *flowEncoder) Fields(p *[]Field) {
	if !e.skip() {
		e.rowEncoder.Fields(p)
	}
}

// New returns a record of kind k with an empty body. The record and its
// body are one allocation for the kinds collectors make by the million
// (NAT and sessions).
func New(k Kind) *Record {
	switch k {
	case KindNAT:
		x := new(struct {
			r Record
			n NAT
		})
		x.r.Kind, x.r.NAT = k, &x.n
		return &x.r
	case KindSession:
		x := new(struct {
			r Record
			s Session
		})
		x.r.Kind, x.r.Session = k, &x.s
		return &x.r
	}
	r := new(Record)
	r.Init(k)
	return r
}

// Init sets r.Kind to k and allocates an empty body for it, clearing the
// others.
func (r *Record) Init(k Kind) {
	*r = Record{Kind: k}
	switch k {
	case KindSession:
		r.Session = new(Session)
	case KindNAT:
		r.NAT = new(NAT)
	case KindRegistration:
		r.Registration = new(Registration)
	case KindEvent:
		r.Event = new(Event)
	case KindContent:
		r.Content = new(Content)
	case KindMaintenance:
		r.Maintenance = new(Maintenance)
	case KindAudit:
		r.Audit = new(Audit)
	case KindRaw:
		r.Raw = new(Raw)
	}
}

// The fields that change over a session's life (event, counters, cause)
// come first; the rest, which start, interim and stop records share, form
// the flow (see FlowStart).
func (s *Session) visit(v Visitor) {
	v.Uint8((*uint8)(&s.Event))
	v.Uint64(&s.InputOctets)
	v.Uint64(&s.OutputOctets)
	v.String(&s.TerminateCause, KeyNone)
	v.String(&s.Account, KeyAccount)
	v.String(&s.CallingStationID, KeyNone)
	v.Addr(&s.Addr, KeyInsideAddr)
	v.Prefix(&s.IPv6Prefix)
	v.Prefix(&s.DelegatedPrefix)
	v.Addr(&s.NASAddr, KeyNone)
	v.String(&s.NASPortID, KeyNone)
	v.String(&s.SessionID, KeyNone)
}

func (n *NAT) visit(v Visitor) {
	v.Uint8((*uint8)(&n.Event))
	v.Uint8((*uint8)(&n.Protocol))
	v.Addr(&n.InsideAddr, KeyInsideAddr)
	v.Uint16(&n.InsidePort, KeyNone)
	v.Addr(&n.OutsideAddr, KeyOutsideAddr)
	v.Uint16(&n.OutsidePort, KeyPort)
	v.Uint16(&n.OutsidePortEnd, KeyNone)
	v.Addr(&n.DestAddr, KeyNone)
	v.Uint16(&n.DestPort, KeyNone)
	v.String(&n.Device, KeyNone)
	v.String(&n.VRF, KeyNone)
	v.String(&n.Pool, KeyNone)
}

func (g *Registration) visit(v Visitor) {
	v.String(&g.Account, KeyAccount)
	v.Fields(&g.Fields)
}

func (e *Event) visit(v Visitor) {
	v.String(&e.Rule, KeyNone)
	v.Uint8((*uint8)(&e.Severity))
	v.Addr(&e.SrcAddr, KeyInsideAddr)
	v.Uint16(&e.SrcPort, KeyNone)
	v.Addr(&e.DstAddr, KeyNone)
	v.Uint16(&e.DstPort, KeyNone)
	v.String(&e.Account, KeyAccount)
	v.String(&e.Detail, KeyNone)
}

func (c *Content) visit(v Visitor) {
	v.String(&c.Account, KeyAccount)
	v.String(&c.Channel, KeyNone)
	v.Addr(&c.Addr, KeyOutsideAddr)
	v.Uint16(&c.Port, KeyPort)
	v.Bytes(&c.Digest)
	v.String(&c.Body, KeyNone)
}

func (m *Maintenance) visit(v Visitor) {
	v.String(&m.Operator, KeyAccount)
	v.String(&m.Action, KeyNone)
	v.String(&m.Target, KeyNone)
	v.String(&m.Detail, KeyNone)
}

func (a *Audit) visit(v Visitor) {
	v.String(&a.Actor, KeyAccount)
	v.Addr(&a.Addr, KeyNone)
	v.String(&a.Action, KeyNone)
	v.String(&a.Query, KeyNone)
	v.String(&a.CaseRef, KeyNone)
	v.Uint64(&a.Count)
	v.String(&a.Outcome, KeyNone)
}

func (w *Raw) visit(v Visitor) {
	v.String(&w.Reason, KeyNone)
	v.String(&w.Format, KeyNone)
	v.Bytes(&w.Data)
}
