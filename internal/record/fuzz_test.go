package record_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/warden-ops/warden/internal/record"
)

func FuzzDecodeCanonical(f *testing.F) {
	for _, r := range append(fullRecords(), minimalRecords()...) {
		f.Add(record.AppendCanonical(nil, r))
	}
	f.Add([]byte{})
	f.Add([]byte{record.SchemaVersion})
	f.Add(badPrefixLen())
	f.Add(fieldsTrailing())
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		r, err := record.DecodeCanonical(b)
		if err != nil {
			if r != nil {
				t.Fatalf("DecodeCanonical(%x) = %+v, %v: a record with an error", in, r, err)
			}
			return
		}
		// The encoding is canonical: what decodes re-encodes to the
		// same bytes, so one record has exactly one encoding.
		if got := record.AppendCanonical(nil, r); !bytes.Equal(got, in) {
			t.Fatalf("AppendCanonical(DecodeCanonical(%x)) = %x", in, got)
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, line := range jsonLines {
		f.Add([]byte(line))
	}
	for _, r := range fullRecords() {
		b, err := r.MarshalJSON()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"kind":"nat","time":"2026-11-01T02:00:00Z","source":"s","event":"create","inside_addr":"::ffff:1.2.3.4","outside_addr":"203.0.113.1"}`))
	f.Add([]byte(`{"kind":"nat"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := record.ParseJSON(line)
		if err != nil {
			if r != nil {
				t.Fatalf("ParseJSON(%q) = %+v, %v: a record with an error", line, r, err)
			}
			return
		}
		b, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON(ParseJSON(%q)) = %v", line, err)
		}
		got, err := record.ParseJSON(b)
		if err != nil {
			t.Fatalf("ParseJSON(%s) = %v; from ParseJSON(%q)", b, err, line)
		}
		// Empty lists and byte strings may come back nil: the JSON form
		// omits them.
		if diff := cmp.Diff(r, got, cmpOpts, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("ParseJSON(MarshalJSON(r)) differs from r = ParseJSON(%q) (-r +got):\n%s", line, diff)
		}
		// A parsed record, once its receive time is stamped, validates and
		// survives the canonical encoding.
		if r.ReceiveTime.IsZero() {
			r.ReceiveTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("Validate(ParseJSON(%q)) = %v", line, err)
		}
		dec, err := record.DecodeCanonical(record.AppendCanonical(nil, r))
		if err != nil {
			t.Fatalf("DecodeCanonical(AppendCanonical(ParseJSON(%q))) = %v", line, err)
		}
		if diff := cmp.Diff(r, dec, cmpOpts, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("canonical round trip of ParseJSON(%q) differs (-want +got):\n%s", line, diff)
		}
	})
}
