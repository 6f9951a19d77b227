// Package record defines the typed records Warden keeps and their canonical
// binary encoding.
//
// A [Record] carries the fields every record has (event time, receive time,
// source) and exactly one body that matches its [Kind]: [Session], [NAT],
// [Registration], [Event], [Content], [Maintenance], [Audit] or [Raw].
//
// Every record is encoded field by field through a [Visitor]. The same
// visit order drives the canonical row encoding ([AppendCanonical],
// [DecodeCanonical]), which is what the Merkle leaves hash, and the columnar
// block encoding in package segment, which sends field i of every record to
// column i. Adding a field therefore means one line in the kind's visit
// method and a new [SchemaVersion].
//
// The usual flow: a collector or the HTTP API builds a Record, calls
// [Record.Validate], and hands it to the store, which assigns its [ID].
package record
