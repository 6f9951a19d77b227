package record

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Limits on field sizes. They bound the memory one record can take and
// keep a runaway sender from filling a block with one value; raw lines and
// content bodies are the only large fields.
const (
	MaxStringLen = 4 << 10
	MaxDataLen   = 1 << 20
)

var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Validate reports the first thing wrong with r, naming the field. A record
// that validates encodes and decodes to an equal record.
func (r *Record) Validate() error { return r.validate(false) }

// validate is Validate; noReceiveTime skips the receive-time check for
// input whose receive time the caller stamps later.
func (r *Record) validate(noReceiveTime bool) error {
	if !r.Kind.Valid() {
		return fmt.Errorf("kind: unknown kind %d", r.Kind)
	}
	if n := r.bodies(); n != 1 || r.body() == nil {
		return fmt.Errorf("%s: the record must carry exactly the %s body", r.Kind, r.Kind)
	}
	v := validator{}
	v.time("time", r.EventTime)
	if !noReceiveTime {
		v.time("received", r.ReceiveTime)
	}
	v.required("source", r.Source)
	switch r.Kind {
	case KindSession:
		s := r.Session
		v.check("event", enumValid(sessionEventNames, uint8(s.Event)), "missing or unknown session event")
		v.required("account", s.Account)
		v.str("calling_station_id", s.CallingStationID)
		v.addr("addr", s.Addr)
		v.prefix("ipv6_prefix", s.IPv6Prefix)
		v.prefix("delegated_prefix", s.DelegatedPrefix)
		v.addr("nas_addr", s.NASAddr)
		v.str("nas_port_id", s.NASPortID)
		v.str("session_id", s.SessionID)
		v.str("terminate_cause", s.TerminateCause)
	case KindNAT:
		n := r.NAT
		v.check("event", enumValid(natEventNames, uint8(n.Event)), "missing or unknown nat event")
		v.check("inside_addr", n.InsideAddr.IsValid(), "required")
		v.addr("inside_addr", n.InsideAddr)
		v.check("outside_addr", n.OutsideAddr.IsValid(), "required")
		v.addr("outside_addr", n.OutsideAddr)
		v.check("outside_port_end", n.OutsidePortEnd == 0 || n.OutsidePortEnd >= n.OutsidePort,
			"the port range ends before it starts")
		v.addr("dest_addr", n.DestAddr)
		v.str("device", n.Device)
		v.str("vrf", n.VRF)
		v.str("pool", n.Pool)
	case KindRegistration:
		g := r.Registration
		v.required("account", g.Account)
		for i, f := range g.Fields {
			v.required("fields.name", f.Name)
			v.check("fields", len(f.Value) <= MaxStringLen, "value too long")
			v.check("fields", i == 0 || g.Fields[i-1].Name < f.Name, "names must be unique and sorted")
		}
	case KindEvent:
		e := r.Event
		v.required("rule", e.Rule)
		v.check("severity", enumValid(severityNames, uint8(e.Severity)), "missing or unknown severity")
		v.addr("src_addr", e.SrcAddr)
		v.addr("dst_addr", e.DstAddr)
		v.str("account", e.Account)
		v.str("detail", e.Detail)
	case KindContent:
		c := r.Content
		v.required("account", c.Account)
		v.required("channel", c.Channel)
		v.addr("addr", c.Addr)
		v.check("digest", len(c.Digest) == 32, "must be a SHA-256 digest (32 bytes)")
		v.check("body", len(c.Body) <= MaxDataLen, "too long")
	case KindMaintenance:
		m := r.Maintenance
		v.required("operator", m.Operator)
		v.required("action", m.Action)
		v.str("target", m.Target)
		v.str("detail", m.Detail)
	case KindAudit:
		a := r.Audit
		v.required("actor", a.Actor)
		v.required("action", a.Action)
		v.required("outcome", a.Outcome)
		v.addr("addr", a.Addr)
		v.str("query", a.Query)
		v.str("case_ref", a.CaseRef)
	case KindRaw:
		w := r.Raw
		v.required("reason", w.Reason)
		v.str("format", w.Format)
		v.check("data", len(w.Data) <= MaxDataLen, "too long")
	}
	return v.err
}

func (r *Record) bodies() int {
	n := 0
	for _, b := range []bool{r.Session != nil, r.NAT != nil, r.Registration != nil, r.Event != nil,
		r.Content != nil, r.Maintenance != nil, r.Audit != nil, r.Raw != nil} {
		if b {
			n++
		}
	}
	return n
}

func (r *Record) body() any {
	switch r.Kind {
	case KindSession:
		return nilIf(r.Session)
	case KindNAT:
		return nilIf(r.NAT)
	case KindRegistration:
		return nilIf(r.Registration)
	case KindEvent:
		return nilIf(r.Event)
	case KindContent:
		return nilIf(r.Content)
	case KindMaintenance:
		return nilIf(r.Maintenance)
	case KindAudit:
		return nilIf(r.Audit)
	case KindRaw:
		return nilIf(r.Raw)
	}
	return nil
}

func nilIf[T any](p *T) any {
	if p == nil {
		return nil
	}
	return p
}

// validator keeps the first failed check as a *FieldError.
type validator struct{ err error }

// FieldError says which field of a record is wrong and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// ErrInvalid matches every *FieldError under errors.Is.
var ErrInvalid = errors.New("invalid record")

// Is reports whether target is ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

func (v *validator) check(field string, ok bool, reason string) {
	if !ok && v.err == nil {
		v.err = &FieldError{Field: field, Reason: reason}
	}
}

func (v *validator) required(field, s string) {
	v.check(field, s != "", "required")
	v.str(field, s)
}

func (v *validator) str(field, s string) {
	if len(s) > MaxStringLen {
		v.check(field, false, fmt.Sprintf("longer than %d bytes", MaxStringLen))
	}
}

func (v *validator) time(field string, t time.Time) {
	v.check(field, !t.IsZero(), "required")
	v.check(field, t.IsZero() || (!t.Before(minTime) && t.Before(maxTime)), "outside 1970-2199")
}

func (v *validator) addr(field string, a netip.Addr) {
	v.check(field, a.Zone() == "", "an address zone cannot be kept")
	v.check(field, !a.Is4In6(), "IPv4-mapped IPv6 address: send the IPv4 address")
}

func (v *validator) prefix(field string, p netip.Prefix) {
	if !p.IsValid() {
		v.check(field, p == netip.Prefix{}, "invalid prefix")
		return
	}
	v.addr(field, p.Addr())
	if p != p.Masked() {
		v.check(field, false, "host bits set: want "+p.Masked().String())
	}
}
