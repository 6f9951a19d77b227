package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// The JSON form of a record is one flat object: the common fields
// (id, kind, time, received, source) beside the body's fields, for example
//
//	{"kind":"nat","time":"2026-11-01T10:00:00+08:00","source":"cgn-1",
//	 "event":"create","proto":"tcp","inside_addr":"100.64.0.7","inside_port":51234,
//	 "outside_addr":"203.0.113.7","outside_port":40001}
type jsonHeader struct {
	ID       *ID       `json:"id,omitempty"`
	Kind     Kind      `json:"kind"`
	Time     time.Time `json:"time"`
	Received time.Time `json:"received,omitzero"`
	Source   string    `json:"source"`
}

// One wrapper per kind embeds the header beside the body, so the body's
// fields sit at the top level and unknown fields can be refused.
type (
	sessionJSON struct {
		jsonHeader
		*Session
	}
	natJSON struct {
		jsonHeader
		*NAT
	}
	registrationJSON struct {
		jsonHeader
		*Registration
	}
	eventJSON struct {
		jsonHeader
		*Event
	}
	contentJSON struct {
		jsonHeader
		*Content
	}
	maintenanceJSON struct {
		jsonHeader
		*Maintenance
	}
	auditJSON struct {
		jsonHeader
		*Audit
	}
	rawJSON struct {
		jsonHeader
		*Raw
	}
)

// wrap returns the JSON wrapper for r's kind, pointing into r's body.
func (r *Record) wrap(h *jsonHeader) any {
	switch r.Kind {
	case KindSession:
		return &sessionJSON{*h, r.Session}
	case KindNAT:
		return &natJSON{*h, r.NAT}
	case KindRegistration:
		return &registrationJSON{*h, r.Registration}
	case KindEvent:
		return &eventJSON{*h, r.Event}
	case KindContent:
		return &contentJSON{*h, r.Content}
	case KindMaintenance:
		return &maintenanceJSON{*h, r.Maintenance}
	case KindAudit:
		return &auditJSON{*h, r.Audit}
	case KindRaw:
		return &rawJSON{*h, r.Raw}
	}
	return nil
}

func (w *sessionJSON) header() *jsonHeader      { return &w.jsonHeader }
func (w *natJSON) header() *jsonHeader          { return &w.jsonHeader }
func (w *registrationJSON) header() *jsonHeader { return &w.jsonHeader }
func (w *eventJSON) header() *jsonHeader        { return &w.jsonHeader }
func (w *contentJSON) header() *jsonHeader      { return &w.jsonHeader }
func (w *maintenanceJSON) header() *jsonHeader  { return &w.jsonHeader }
func (w *auditJSON) header() *jsonHeader        { return &w.jsonHeader }
func (w *rawJSON) header() *jsonHeader          { return &w.jsonHeader }

// MarshalJSON implements json.Marshaler with the flat form described above.
func (r *Record) MarshalJSON() ([]byte, error) {
	h := jsonHeader{Kind: r.Kind, Time: r.EventTime, Received: r.ReceiveTime, Source: r.Source}
	if r.ID.Seq != 0 {
		id := r.ID
		h.ID = &id
	}
	w := r.wrap(&h)
	if w == nil || r.body() == nil {
		return nil, fmt.Errorf("marshal record: no %s body", r.Kind)
	}
	return json.Marshal(w)
}

// UnmarshalJSON implements json.Unmarshaler with the flat form. Unlike
// ParseJSON it keeps the "id" (a proof bundle carries it) and the receive
// time as given; it validates like ParseJSON.
func (r *Record) UnmarshalJSON(b []byte) error {
	p, id, err := parseJSON(b)
	if err != nil {
		return err
	}
	*r = *p
	r.ID = id
	return nil
}

// ParseJSON decodes one record in the flat JSON form. It refuses unknown
// fields, normalizes IPv4-mapped addresses to IPv4, and validates the
// result. A missing "received" is left zero for the caller to fill in, and
// an "id" is ignored: the store assigns IDs. Errors name the field.
func ParseJSON(line []byte) (*Record, error) {
	r, _, err := parseJSON(line)
	return r, err
}

func parseJSON(line []byte) (*Record, ID, error) {
	var peek struct {
		Kind *Kind `json:"kind"`
	}
	if err := json.Unmarshal(line, &peek); err != nil {
		return nil, ID{}, jsonError(err)
	}
	if peek.Kind == nil {
		return nil, ID{}, &FieldError{Field: "kind", Reason: "required"}
	}
	r := new(Record)
	r.Init(*peek.Kind)
	w := r.wrap(&jsonHeader{})
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(w); err != nil {
		return nil, ID{}, jsonError(err)
	}
	if dec.More() {
		return nil, ID{}, errors.New("json: more than one value on the line")
	}
	h := w.(interface{ header() *jsonHeader }).header()
	r.EventTime, r.ReceiveTime, r.Source = h.Time, h.Received, h.Source
	r.normalize()
	if err := r.validate(r.ReceiveTime.IsZero()); err != nil {
		return nil, ID{}, err
	}
	var id ID
	if h.ID != nil {
		id = *h.ID
	}
	return r, id, nil
}

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		// te.Field is a Go path through the wrapper ("NAT.inside_port",
		// "jsonHeader.source"); the JSON name is its last element.
		field := te.Field[strings.LastIndexByte(te.Field, '.')+1:]
		return &FieldError{Field: field, Reason: "want " + te.Type.String() + ", got JSON " + te.Value}
	}
	return fmt.Errorf("json: %w", err)
}

// normalize unmaps IPv4-mapped IPv6 addresses and converts times to UTC.
func (r *Record) normalize() {
	r.EventTime = r.EventTime.UTC()
	r.ReceiveTime = r.ReceiveTime.UTC()
	un := func(a *netip.Addr) { *a = a.Unmap() }
	switch r.Kind {
	case KindSession:
		un(&r.Session.Addr)
		un(&r.Session.NASAddr)
	case KindNAT:
		un(&r.NAT.InsideAddr)
		un(&r.NAT.OutsideAddr)
		un(&r.NAT.DestAddr)
	case KindEvent:
		un(&r.Event.SrcAddr)
		un(&r.Event.DstAddr)
	case KindContent:
		un(&r.Content.Addr)
	case KindAudit:
		un(&r.Audit.Addr)
	}
}
