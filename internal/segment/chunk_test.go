package segment

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/warden-ops/warden/internal/record"
)

// TestChunkedCorrupt flips bytes of a block with chunked columns: every
// flip must make Decode fail, or decode records whose Merkle root differs
// from the header's (which verification reports). A selection over the
// flipped block must not panic.
func TestChunkedCorrupt(t *testing.T) {
	enc, _ := NewEncoder(zstd.SpeedFastest)
	enc.chunkBytes = 256
	dec, _ := NewDecoder()
	recs := natRecords(2000)
	frame, h, err := enc.Encode(nil, 1, recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	cr, err := dec.openBody(h, frame[h.BodyOffset:])
	if err != nil {
		t.Fatal(err)
	}
	chunked := 0
	for _, s := range cr.spans {
		if s.comp == compChunks {
			chunked++
		}
	}
	if chunked == 0 {
		t.Fatal("no column was chunked")
	}
	sel := Select{Keys: map[record.Key][]byte{record.KeyOutsideAddr: AddrKey(recs[1000].NAT.OutsideAddr)}}
	rng := rand.New(rand.NewPCG(5, 6))
	failed := 0
	for range 500 {
		bad := append([]byte(nil), frame...)
		p := h.BodyOffset + rng.IntN(len(frame)-h.BodyOffset)
		bad[p] ^= byte(1 + rng.IntN(255))
		dec.DecodeSelect(bad, sel) // must not panic
		h2, got, err := dec.Decode(bad)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.As(err, new(*RecordError)) {
				t.Errorf("flip at %d: %v, want a corrupt-block error", p, err)
			}
			failed++
			continue
		}
		if _, root := Roots(LeafHashes(got), h2.GroupShift); root == h.Root {
			t.Fatalf("flip at %d: decoded to the same records without an error", p)
		}
	}
	if failed == 0 {
		t.Error("no flip made Decode fail")
	}
}

func TestParseChunks(t *testing.T) {
	dir := func(vals ...uint64) []byte {
		var b []byte
		for _, v := range vals {
			b = binary.AppendUvarint(b, v)
		}
		return b
	}
	for _, tt := range []struct {
		name string
		data []byte
		raw  int
	}{
		{"no chunks", dir(0), 0},
		{"zero values", append(dir(1, 0, 4, 2, 0), 1, 2), 4},
		{"raw past the column", append(dir(1, 2, 5, 2, 0), 1, 2), 4},
		{"raw short of the column", append(dir(1, 2, 3, 2, 0), 1, 2), 4},
		{"stored bytes missing", append(dir(1, 2, 4, 3, 0), 1, 2), 4},
		{"trailing bytes", append(dir(1, 2, 4, 1, 0), 1, 2), 4},
	} {
		if _, err := parseChunks(encUvarint, tt.data, tt.raw); err == nil {
			t.Errorf("%s: parsed", tt.name)
		}
	}
	if _, err := parseChunks(encU16, append(dir(1, 2, 4, 2, 0), 1, 2), 4); err == nil {
		t.Error("a column of U16 planes parsed as chunks")
	}
	c := chunk{values: 2, base: 5}
	if _, err := checkChunk(encDelta, &c, []byte{2, 2}, 4); err == nil {
		t.Error("a delta chunk whose base is not the value before it passed")
	}
	c.base = 4
	if sum, err := checkChunk(encDelta, &c, []byte{2, 2}, 4); err != nil || sum != 6 {
		t.Errorf("checkChunk = %d, %v; want 6", sum, err)
	}
	if _, err := checkChunk(encDelta, &c, []byte{2}, 4); err == nil {
		t.Error("a chunk with fewer values than its directory says passed")
	}
}
