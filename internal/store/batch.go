package store

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/segment"
)

// A WAL payload is one batch (docs/format/wal.md): a header giving the
// first sequence number of each kind in the batch, then the records'
// canonical encodings. A record's sequence number is its kind's first
// plus the number of records of its kind before it in the batch.
//
//	header: nkinds u8, then nkinds × (kind u8, first seq uvarint)
//	body:   count uvarint, then count × (length uvarint, canonical bytes)

// encodedBatch is a batch encoded outside the store's lock: the body and
// each record's leaf hash.
type encodedBatch struct {
	body   []byte
	leaves []tlog.Hash
}

func encodeBody(recs []*record.Record) encodedBatch {
	eb := encodedBatch{leaves: make([]tlog.Hash, len(recs))}
	eb.body = binary.AppendUvarint(make([]byte, 0, 64*len(recs)), uint64(len(recs)))
	tmp := []byte{0} // the leaf hash prefix, then the canonical encoding
	var app record.Appender
	for i, r := range recs {
		tmp = app.Canonical(tmp[:1], r)
		eb.leaves[i] = segment.LeafHashPrefixed(tmp)
		tmp := tmp[1:]
		eb.body = binary.AppendUvarint(eb.body, uint64(len(tmp)))
		eb.body = append(eb.body, tmp...)
	}
	return eb
}

// encodeHeader returns the batch header for the given first sequence
// numbers of the kinds present.
func encodeHeader(recs []*record.Record, first *[record.KindRaw + 1]uint64) []byte {
	var present [record.KindRaw + 1]bool
	n := 0
	for _, r := range recs {
		if !present[r.Kind] {
			present[r.Kind] = true
			n++
		}
	}
	h := []byte{byte(n)}
	for k, ok := range present {
		if ok {
			h = append(h, byte(k))
			h = binary.AppendUvarint(h, first[k])
		}
	}
	return h
}

// decodeBatch calls fn with each record of a batch payload, its sequence
// number and its canonical encoding (valid during the call).
func decodeBatch(b []byte, fn func(seq uint64, r *record.Record, canonical []byte) error) error {
	d := record.NewRowDecoder(b)
	var next [record.KindRaw + 1]uint64
	nk := int(d.Byte())
	for range nk {
		k := record.Kind(d.Byte())
		seq := d.Uvarint()
		if !k.Valid() || seq == 0 || next[k] != 0 {
			return fmt.Errorf("wal batch: bad header entry for kind %d", k)
		}
		next[k] = seq
	}
	n := d.Uvarint()
	if d.Err() != nil || n > uint64(len(b)) {
		return fmt.Errorf("wal batch: bad header (count %d, %v)", n, d.Err())
	}
	for i := range n {
		enc := d.LenBytes()
		if d.Err() != nil {
			return fmt.Errorf("wal batch record %d: %w", i, d.Err())
		}
		r, err := record.DecodeCanonical(enc)
		if err != nil {
			return fmt.Errorf("wal batch record %d: %w", i, err)
		}
		if next[r.Kind] == 0 {
			return fmt.Errorf("wal batch record %d: %s is not in the batch header", i, r.Kind)
		}
		seq := next[r.Kind]
		next[r.Kind]++
		if err := fn(seq, r, enc); err != nil {
			return err
		}
	}
	if d.Len() != 0 {
		return fmt.Errorf("wal batch: %d trailing bytes", d.Len())
	}
	return nil
}
