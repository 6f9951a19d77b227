package seal

import (
	"encoding/binary"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/warden-ops/warden/internal/record"
)

// EntryType tells block entries from expiry entries. Written to disk:
// never renumber.
type EntryType uint8

// Entry types.
const (
	EntryBlock  EntryType = 1
	EntryExpiry EntryType = 2
)

func (t EntryType) String() string {
	switch t {
	case EntryBlock:
		return "block"
	case EntryExpiry:
		return "expiry"
	}
	return fmt.Sprintf("entry-type(%d)", uint8(t))
}

// Decoding limits. maxBlockRecords matches segment.MaxBlockRecords; the
// retention bound (about 290 years) keeps seconds convertible to a
// time.Duration.
const (
	maxBlockRecords     = 1 << 20
	maxRetentionSeconds = 1<<63/uint64(time.Second) - 1
)

// Entry is one leaf of the log: a sealed block, or the removal of a whole
// segment under the retention policy.
type Entry struct {
	Type    EntryType
	Kind    record.Kind
	Segment string // segment file, relative to the segments directory
	Time    int64  // when the block was sealed or the segment removed (Unix ns)

	// Block entries.
	Offset, Length int64 // the frame's place in the segment file
	FirstSeq       uint64
	Count          int
	MinTime        int64
	MaxTime        int64
	MinReceive     int64
	MaxReceive     int64
	Root           tlog.Hash // Merkle root over the block's records
	Digest         tlog.Hash // SHA-256 of the frame bytes; for expiry, of the whole file

	// Expiry entries.
	Size      int64         // the removed file's size
	LastSeq   uint64        // with FirstSeq, the records the segment held
	Retention time.Duration // the policy in force
	Reason    string
}

// AppendBinary appends the entry's encoding (docs/format/log.md).
func (e *Entry) AppendBinary(dst []byte) ([]byte, error) {
	dst = append(dst, byte(e.Type), byte(e.Kind))
	dst = binary.AppendUvarint(dst, uint64(len(e.Segment)))
	dst = append(dst, e.Segment...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Time))
	switch e.Type {
	case EntryBlock:
		dst = binary.AppendUvarint(dst, uint64(e.Offset))
		dst = binary.AppendUvarint(dst, uint64(e.Length))
		dst = binary.AppendUvarint(dst, e.FirstSeq)
		dst = binary.AppendUvarint(dst, uint64(e.Count))
		for _, t := range []int64{e.MinTime, e.MaxTime, e.MinReceive, e.MaxReceive} {
			dst = binary.BigEndian.AppendUint64(dst, uint64(t))
		}
		dst = append(dst, e.Root[:]...)
		dst = append(dst, e.Digest[:]...)
	case EntryExpiry:
		dst = append(dst, e.Digest[:]...)
		dst = binary.AppendUvarint(dst, uint64(e.Size))
		dst = binary.AppendUvarint(dst, e.FirstSeq)
		dst = binary.AppendUvarint(dst, e.LastSeq)
		if e.Retention < 0 || e.Retention%time.Second != 0 {
			return nil, fmt.Errorf("encode expiry entry: retention %s is not a whole number of seconds", e.Retention)
		}
		dst = binary.AppendUvarint(dst, uint64(e.Retention/time.Second))
		dst = binary.AppendUvarint(dst, uint64(len(e.Reason)))
		dst = append(dst, e.Reason...)
	default:
		return nil, fmt.Errorf("encode entry: unknown type %d", e.Type)
	}
	return dst, nil
}

// DecodeEntry decodes one entry, rejecting trailing bytes.
func DecodeEntry(b []byte) (*Entry, error) {
	d := record.NewRowDecoder(b)
	e := &Entry{Type: EntryType(d.Byte()), Kind: record.Kind(d.Byte())}
	e.Segment = string(d.LenBytes())
	e.Time = int64(d.Fixed64())
	switch e.Type {
	case EntryBlock:
		e.Offset, e.Length = int64(d.Uvarint()), int64(d.Uvarint())
		var count uint64
		e.FirstSeq, count = d.Uvarint(), d.Uvarint()
		if count == 0 || count > maxBlockRecords {
			return nil, fmt.Errorf("decode block entry: record count %d out of range", count)
		}
		e.Count = int(count)
		e.MinTime, e.MaxTime = int64(d.Fixed64()), int64(d.Fixed64())
		e.MinReceive, e.MaxReceive = int64(d.Fixed64()), int64(d.Fixed64())
		copy(e.Root[:], d.Take(tlog.HashSize))
		copy(e.Digest[:], d.Take(tlog.HashSize))
	case EntryExpiry:
		copy(e.Digest[:], d.Take(tlog.HashSize))
		e.Size = int64(d.Uvarint())
		e.FirstSeq, e.LastSeq = d.Uvarint(), d.Uvarint()
		secs := d.Uvarint()
		if secs > maxRetentionSeconds {
			return nil, fmt.Errorf("decode expiry entry: retention of %d seconds out of range", secs)
		}
		e.Retention = time.Duration(secs) * time.Second
		e.Reason = string(d.LenBytes())
	default:
		return nil, fmt.Errorf("decode entry: unknown type %d", e.Type)
	}
	if d.Err() != nil {
		return nil, fmt.Errorf("decode %s entry: %w", e.Type, d.Err())
	}
	if d.Len() != 0 {
		return nil, fmt.Errorf("decode %s entry: %d trailing bytes", e.Type, d.Len())
	}
	if !e.Kind.Valid() {
		return nil, fmt.Errorf("decode %s entry: unknown kind %d", e.Type, e.Kind)
	}
	return e, nil
}
