package record

import (
	"fmt"
	"strconv"
	"strings"
)

// SchemaVersion is the version of the canonical encoding. It is the first
// byte of every encoded record; decoders refuse other versions.
const SchemaVersion = 1

// Kind names a record type. The numbers are written to disk: never renumber.
type Kind uint8

// The record kinds.
const (
	KindSession      Kind = 1
	KindNAT          Kind = 2
	KindRegistration Kind = 3
	KindEvent        Kind = 4
	KindContent      Kind = 5
	KindMaintenance  Kind = 6
	KindAudit        Kind = 7
	KindRaw          Kind = 8
)

// Kinds lists every kind in numeric order.
var Kinds = []Kind{KindSession, KindNAT, KindRegistration, KindEvent, KindContent, KindMaintenance, KindAudit, KindRaw}

var kindNames = [...]string{
	KindSession:      "session",
	KindNAT:          "nat",
	KindRegistration: "registration",
	KindEvent:        "event",
	KindContent:      "content",
	KindMaintenance:  "maintenance",
	KindAudit:        "audit",
	KindRaw:          "raw",
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k >= KindSession && k <= KindRaw }

// String returns the kind's name as used in IDs, JSON and file names.
func (k Kind) String() string {
	if k.Valid() {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if kindNames[k] == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown record kind %q (want one of %s)", s, strings.Join(kindNames[1:], ", "))
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("marshal kind: unknown kind %d", k)
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	*k = v
	return err
}

// ID identifies a record: its kind and its sequence number within the kind.
// Sequence numbers start at 1 and have no gaps; the store assigns them in
// the order records become durable.
type ID struct {
	Kind Kind
	Seq  uint64
}

// String formats the ID as "kind:seq", for example "nat:1042".
func (id ID) String() string {
	return id.Kind.String() + ":" + strconv.FormatUint(id.Seq, 10)
}

// ParseID parses an ID in the form written by [ID.String].
func ParseID(s string) (ID, error) {
	name, seq, ok := strings.Cut(s, ":")
	if !ok {
		return ID{}, fmt.Errorf("parse record id %q: want kind:sequence, like nat:1042", s)
	}
	k, err := ParseKind(name)
	if err != nil {
		return ID{}, fmt.Errorf("parse record id %q: %w", s, err)
	}
	n, err := strconv.ParseUint(seq, 10, 64)
	if err != nil || n == 0 {
		return ID{}, fmt.Errorf("parse record id %q: sequence must be a positive integer", s)
	}
	return ID{Kind: k, Seq: n}, nil
}

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	*id = v
	return err
}
