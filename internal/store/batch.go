package store

import (
	"encoding/binary"
	"fmt"

	"github.com/warden-ops/warden/internal/record"
)

// A WAL payload is one batch (docs/format/wal.md): a uvarint count, then
// per record its sequence number (uvarint), the length of its canonical
// encoding (uvarint) and the encoding, which names the kind.
func encodeBatch(recs []*record.Record, ids []record.ID) []byte {
	buf := binary.AppendUvarint(make([]byte, 0, 64*len(recs)), uint64(len(recs)))
	var tmp []byte
	for i, r := range recs {
		tmp = record.AppendCanonical(tmp[:0], r)
		buf = binary.AppendUvarint(buf, ids[i].Seq)
		buf = binary.AppendUvarint(buf, uint64(len(tmp)))
		buf = append(buf, tmp...)
	}
	return buf
}

// decodeBatch calls fn with each record of a batch payload.
func decodeBatch(b []byte, fn func(seq uint64, r *record.Record) error) error {
	d := record.NewRowDecoder(b)
	n := d.Uvarint()
	if n > uint64(len(b)) {
		return fmt.Errorf("wal batch: count %d exceeds its %d bytes", n, len(b))
	}
	for i := range n {
		seq := d.Uvarint()
		enc := d.LenBytes()
		if d.Err() != nil {
			return fmt.Errorf("wal batch record %d: %w", i, d.Err())
		}
		r, err := record.DecodeCanonical(enc)
		if err != nil {
			return fmt.Errorf("wal batch record %d: %w", i, err)
		}
		if err := fn(seq, r); err != nil {
			return err
		}
	}
	if d.Len() != 0 {
		return fmt.Errorf("wal batch: %d trailing bytes", d.Len())
	}
	return nil
}
