package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/segment"
	"github.com/warden-ops/warden/internal/synth"
)

// batchRecords returns synthetic NAT records with a session record in the
// middle, as a mixed batch.
func batchRecords(n int) []*record.Record {
	g := synth.NewCGNAT(synth.CGNATConfig{Subscribers: 100, PublicAddrs: 4, Rate: 100,
		Start: time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC), Destinations: true, Seed: 7})
	recs := natBatch(g, n)
	s := sessionRecord("alice", "2001:db8::7", g.Next().EventTime)
	s.ReceiveTime = s.EventTime.Add(time.Second)
	s.Session.DelegatedPrefix = netip.MustParsePrefix("2001:db8:100::/56")
	return slices.Insert(recs, n/2, s)
}

// encodeBatch encodes a WAL payload as Append does.
func encodeBatch(recs []*record.Record, first *[record.KindRaw + 1]uint64) []byte {
	return append(encodeHeader(recs, first), encodeBody(recs).body...)
}

type decoded struct {
	seqs  []uint64
	recs  []*record.Record
	canon [][]byte
}

func decodeAll(b []byte) (decoded, error) {
	var d decoded
	err := decodeBatch(b, func(seq uint64, r *record.Record, canonical []byte) error {
		d.seqs = append(d.seqs, seq)
		d.recs = append(d.recs, r)
		d.canon = append(d.canon, bytes.Clone(canonical))
		return nil
	})
	return d, err
}

// firstSeqs returns each kind's first sequence number in a decoded batch.
func (d *decoded) firstSeqs() *[record.KindRaw + 1]uint64 {
	var first [record.KindRaw + 1]uint64
	for i, r := range d.recs {
		if first[r.Kind] == 0 {
			first[r.Kind] = d.seqs[i]
		}
	}
	return &first
}

var batchCmp = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
}

func TestBatchRoundTrip(t *testing.T) {
	for _, n := range []int{1, 2, 50} {
		recs := batchRecords(n)
		first := [record.KindRaw + 1]uint64{record.KindNAT: 1000, record.KindSession: 1}
		b := encodeBatch(recs, &first)
		got, err := decodeAll(b)
		if err != nil {
			t.Fatalf("decodeBatch(%d records) = %v", len(recs), err)
		}
		if diff := cmp.Diff(recs, got.recs, batchCmp); diff != "" {
			t.Errorf("decodeBatch(%d records) differs (-want +got):\n%s", len(recs), diff)
		}
		next := first
		eb := encodeBody(recs)
		for i, r := range recs {
			if got.seqs[i] != next[r.Kind] {
				t.Errorf("record %d (%s): seq %d, want %d", i, r.Kind, got.seqs[i], next[r.Kind])
			}
			next[r.Kind]++
			if want := record.AppendCanonical(nil, r); !bytes.Equal(got.canon[i], want) {
				t.Errorf("record %d: canonical %x, want %x", i, got.canon[i], want)
			}
			if h := segment.LeafHash(got.canon[i]); h != eb.leaves[i] {
				t.Errorf("record %d: leaf %v, want %v", i, eb.leaves[i], h)
			}
		}
		for cut := range len(b) {
			if _, err := decodeAll(b[:cut]); err == nil {
				t.Errorf("decodeBatch(first %d of %d bytes) = nil, want error", cut, len(b))
			}
		}
	}
}

func TestDecodeBatchErrors(t *testing.T) {
	recs := batchRecords(2) // nat, session, nat
	first := [record.KindRaw + 1]uint64{record.KindNAT: 5, record.KindSession: 9}
	good := encodeBatch(recs, &first)
	body := encodeBody(recs).body
	withHeader := func(h ...byte) []byte { return append(h, body...) }
	tests := map[string][]byte{
		"empty":               {},
		"unknown kind":        withHeader(2, 1, 9, 9, 5),
		"kind zero":           withHeader(2, 0, 9, 2, 5),
		"first seq zero":      withHeader(2, 1, 9, 2, 0),
		"kind listed twice":   withHeader(3, 1, 9, 2, 5, 2, 6),
		"kind not in header":  withHeader(1, 2, 5),
		"count exceeds input": append(encodeHeader(recs, &first), 0xff, 0xff, 0x03),
		"count too high":      append(encodeHeader(recs, &first), append([]byte{4}, body[1:]...)...),
		"trailing byte":       append(bytes.Clone(good), 0),
		"bad record":          append(encodeHeader(recs, &first), 1, 2, 1, 9),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if got, err := decodeAll(b); err == nil {
				t.Errorf("decodeBatch(%x) = %d records, nil error, want error", b, len(got.recs))
			}
		})
	}
}

func TestDecodeBatchFnError(t *testing.T) {
	first := [record.KindRaw + 1]uint64{record.KindNAT: 1, record.KindSession: 1}
	b := encodeBatch(batchRecords(4), &first)
	errStop := errors.New("stop")
	calls := 0
	err := decodeBatch(b, func(uint64, *record.Record, []byte) error {
		calls++
		if calls == 2 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) || calls != 2 {
		t.Errorf("decodeBatch(fn fails on call 2) = %v after %d calls, want %v after 2", err, calls, errStop)
	}
}

// writerHeader reports whether the header of payload b (which decodes) is
// in the form the writer produces: kinds ascending, each present in the
// body. It returns the header's length.
func writerHeader(b []byte, d *decoded) (int, bool) {
	nk, off := int(b[0]), 1
	var kinds []record.Kind
	for range nk {
		kinds = append(kinds, record.Kind(b[off]))
		_, n := binary.Uvarint(b[off+1:])
		off += 1 + n
	}
	var present []record.Kind
	for _, r := range d.recs {
		if !slices.Contains(present, r.Kind) {
			present = append(present, r.Kind)
		}
	}
	slices.Sort(present)
	return off, slices.Equal(kinds, present)
}

func FuzzDecodeBatch(f *testing.F) {
	first := [record.KindRaw + 1]uint64{record.KindNAT: 1, record.KindSession: 1 << 40}
	recs := batchRecords(5)
	f.Add(encodeBatch(recs, &first))
	f.Add(encodeBatch(recs[:1], &first))
	f.Add(encodeBatch(recs[2:4], &first))
	f.Add([]byte{})
	f.Add([]byte{0, 0})
	f.Add([]byte{1, 2, 1, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		d, err := decodeAll(b)
		if err != nil {
			return
		}
		for i, r := range d.recs {
			if got := record.AppendCanonical(nil, r); !bytes.Equal(got, d.canon[i]) {
				t.Fatalf("record %d of %x: canonical bytes %x re-encode as %x", i, in, d.canon[i], got)
			}
		}
		got := encodeBatch(d.recs, d.firstSeqs())
		// The format lets a header list kinds in any order, and list
		// kinds with no records; the writer never does. The body must
		// always re-encode identically, the whole payload when its header
		// is in the writer's form.
		hlen, canonical := writerHeader(in, &d)
		if canonical && !bytes.Equal(got, in) {
			t.Fatalf("encodeBatch(decodeBatch(%x)) = %x", in, got)
		}
		if body := encodeBody(d.recs).body; !bytes.Equal(body, in[hlen:]) {
			t.Fatalf("encodeBody(decodeBatch(%x)) = %x, want %x", in, body, in[hlen:])
		}
		again, err := decodeAll(got)
		if err != nil {
			t.Fatalf("decodeBatch(encodeBatch(decodeBatch(%x))) = %v", in, err)
		}
		if !slices.Equal(again.seqs, d.seqs) {
			t.Fatalf("re-encoded batch of %x has seqs %v, want %v", in, again.seqs, d.seqs)
		}
	})
}
