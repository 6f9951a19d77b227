// Package dialect turns the log lines network equipment sends into
// records: vendor NAT logs, login and logout logs, and formats operators
// describe in the configuration.
//
// A collector (package syslog) hands each [Message] to the [Parser]s
// configured for its source, in order; a parser that does not recognise
// the message returns [ErrNotMine] and the next one tries. A message no
// parser takes is kept as a raw record by the caller, with the reasons.
//
// Parsers never invent values: a field the line does not carry stays zero.
// Event time comes, in order of preference, from a UTC epoch in the body,
// a body time with its own zone, a body or header time read in the
// device's configured zone, and only then from the receive time.
package dialect

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// Message is one log message as a collector received it. Parsers must not
// retain it or its maps after Parse returns.
type Message struct {
	// Received is when Warden received the message.
	Received time.Time
	// Time is the header timestamp, zero if the header had none. A header
	// time without a zone has been read in Loc.
	Time time.Time
	// Host, App and MsgID are the header's HOSTNAME, APP-NAME (or RFC 3164
	// TAG) and MSGID.
	Host, App, MsgID string
	// SDID is the first structured-data element's ID and Params its
	// parameters (RFC 5424), or nil.
	SDID   string
	Params map[string]string
	// Text is the message body after the header.
	Text string
	// Source is the name Warden knows the sender by.
	Source string
	// Loc is the device's time zone for times written without one; nil
	// means UTC. Offset corrects the device's clock: it is added to every
	// device time.
	Loc    *time.Location
	Offset time.Duration
}

// Parser turns one message into records. It returns ErrNotMine, wrapped or
// not, when the message is not in its format; any other error means the
// message is in its format but malformed, and says why. A Parser of a
// Stateful format keeps state between messages (Cisco ASA joins teardown
// to build by connection ID), so each source gets its own instance, used by
// one goroutine at a time; the others are safe for concurrent use.
type Parser interface {
	Parse(m *Message) ([]*record.Record, error)
}

// ErrNotMine is returned by a parser for a message in another format.
var ErrNotMine = errors.New("not this format")

// Format describes a built-in format.
type Format struct {
	// Name is what the configuration calls it, like "juniper-srx".
	Name string
	// Vendor and What describe it for people.
	Vendor, What string
	// New returns a parser for one source.
	New func() Parser
	// Stateful formats keep state between messages (Cisco ASA joins a
	// teardown to its build), so their parser must see one message at a
	// time. Parsers of the other formats may run concurrently.
	Stateful bool
}

// Formats returns the built-in formats, sorted by name.
func Formats() []Format {
	all := slices.Concat(natFormats, natFormatsMore, loginFormats)
	slices.SortFunc(all, func(a, b Format) int { return strings.Compare(a.Name, b.Name) })
	return all
}

// Lookup returns the built-in format called name.
func Lookup(name string) (Format, error) {
	for _, f := range Formats() {
		if f.Name == name {
			return f, nil
		}
	}
	var names []string
	for _, f := range Formats() {
		names = append(names, f.Name)
	}
	return Format{}, fmt.Errorf("unknown log format %q (built in: %s)", name, strings.Join(names, ", "))
}

// Chain tries parsers in order and returns the first answer that is not
// ErrNotMine. If every parser declines, the error lists their reasons.
type Chain []Parser

// Parse implements Parser.
func (c Chain) Parse(m *Message) ([]*record.Record, error) {
	var reasons []string
	for _, p := range c {
		recs, err := p.Parse(m)
		if err == nil || !errors.Is(err, ErrNotMine) {
			return recs, err
		}
		reasons = append(reasons, err.Error())
	}
	if len(reasons) == 0 {
		return nil, fmt.Errorf("%w: no parser configured for this source", ErrNotMine)
	}
	return nil, fmt.Errorf("%w: %s", ErrNotMine, strings.Join(reasons, "; "))
}

// newRecord returns a record of kind k with the message's source and
// receive time, and event time t (corrected by the source's offset), or
// the receive time if t is zero.
func newRecord(k record.Kind, m *Message, t time.Time) *record.Record {
	r := record.New(k)
	r.Source, r.ReceiveTime = m.Source, m.Received
	if t.IsZero() {
		r.EventTime = m.Received
	} else {
		r.EventTime = t.Add(m.Offset).UTC()
	}
	return r
}

// loc returns the device's zone.
func (m *Message) loc() *time.Location {
	if m.Loc == nil {
		return time.UTC
	}
	return m.Loc
}

// LocalTime parses value with layout in the device's zone (a layout with a
// zone uses the zone in the value).
func (m *Message) LocalTime(layout, value string) (time.Time, error) {
	return time.ParseInLocation(layout, value, m.loc())
}
