package segment

import (
	"encoding/binary"
	"fmt"

	"github.com/warden-ops/warden/internal/record"
)

// compChunks is the compression of a column stored as independent zstd
// frames over runs of its values (docs/format/segment.md#chunked-columns).
// A lookup that keeps a few records of a block decompresses the chunks
// that hold them, not the column: times, counters and strings of 65,536
// records take a few hundred kilobytes, a chunk DefaultChunkBytes.
const compChunks = 2

// DefaultChunkBytes is the raw size at which the encoder cuts a chunk.
const DefaultChunkBytes = 16 << 10

// chunk is one run of a chunked column's values.
type chunk struct {
	first, values  int   // index of the first value, number of values
	rawOff, rawLen int   // where its values are in the column's raw bytes
	base           int64 // delta columns: the value before the first
	data           []byte
}

// chunkable reports whether columns of encoding enc may be chunked: those
// whose raw bytes are the values one after another.
func chunkable(enc byte) bool {
	switch enc {
	case encUvarint, encDelta, encLenBytes, encAddr, encPrefix:
		return true
	}
	return false
}

// nextValue returns the offset of the value after the one at raw[p:] in a
// column of a chunkable encoding, and for encDelta the value's delta.
func nextValue(enc byte, raw []byte, p int) (int, int64, error) {
	switch enc {
	case encUvarint, encDelta:
		v, m := fastUvarint(raw[p:])
		if m <= 0 {
			return 0, 0, errColumnShort
		}
		if enc == encUvarint && m > 1 && raw[p+m-1] == 0 {
			return 0, 0, fmt.Errorf("non-minimal uvarint")
		}
		if enc == encUvarint {
			return p + m, 0, nil
		}
		return p + m, int64(v>>1) ^ -int64(v&1), nil
	case encLenBytes:
		l, m := fastUvarint(raw[p:])
		if m <= 0 || (m > 1 && raw[p+m-1] == 0) || l > uint64(len(raw)-p-m) {
			return 0, 0, errColumnShort
		}
		return p + m + int(l), 0, nil
	case encAddr, encPrefix:
		if p >= len(raw) {
			return 0, 0, errColumnShort
		}
		n := int(raw[p])
		if n != 0 && n != 4 && n != 16 {
			return 0, 0, fmt.Errorf("bad address length %d", n)
		}
		e := p + 1 + n
		if enc == encPrefix && n > 0 {
			e++ // the prefix length
		}
		if e > len(raw) {
			return 0, 0, errColumnShort
		}
		return e, 0, nil
	}
	return 0, 0, fmt.Errorf("encoding %d is not chunked", enc)
}

// appendChunked appends a column as chunks of about chunkBytes raw bytes
// each, cut between values, each compressed if that makes it smaller. It
// returns false, appending nothing, if raw does not hold values of enc.
func (e *Encoder) appendChunked(dst []byte, enc byte, raw []byte) ([]byte, bool) {
	var chunks []chunk
	var sum int64
	c := chunk{}
	for p := 0; p < len(raw); {
		next, d, err := nextValue(enc, raw, p)
		if err != nil {
			return dst, false
		}
		if c.values == 0 {
			c.rawOff, c.base = p, sum
		}
		c.values++
		sum += d
		p = next
		if p-c.rawOff >= e.chunkBytes || p == len(raw) {
			c.rawLen = p - c.rawOff
			c.data = e.zenc.EncodeAll(raw[c.rawOff:p], nil)
			if len(c.data) >= c.rawLen {
				c.data = raw[c.rawOff:p] // stored as is
			}
			chunks = append(chunks, c)
			c = chunk{first: c.first + c.values}
		}
	}
	var dir []byte
	dir = binary.AppendUvarint(dir, uint64(len(chunks)))
	size := 0
	for _, c := range chunks {
		dir = binary.AppendUvarint(dir, uint64(c.values))
		dir = binary.AppendUvarint(dir, uint64(c.rawLen))
		dir = binary.AppendUvarint(dir, uint64(len(c.data)))
		dir = binary.AppendVarint(dir, c.base)
		size += len(c.data)
	}
	size += len(dir)
	dst = append(dst, enc, compChunks)
	dst = binary.AppendUvarint(dst, uint64(len(raw)))
	dst = binary.AppendUvarint(dst, uint64(size))
	dst = append(dst, dir...)
	for _, c := range chunks {
		dst = append(dst, c.data...)
	}
	return dst, true
}

// parseChunks reads the chunk directory of a chunked column of rawLen raw
// bytes and locates each chunk's data.
func parseChunks(enc byte, data []byte, rawLen int) ([]chunk, error) {
	if !chunkable(enc) {
		return nil, fmt.Errorf("encoding %d cannot be chunked", enc)
	}
	d := record.NewRowDecoder(data)
	n := d.Uvarint()
	if n == 0 || n > uint64(len(data)) {
		return nil, fmt.Errorf("%d chunks", n)
	}
	chunks := make([]chunk, n)
	stored := make([]int, n)
	first, off, total := 0, 0, 0
	for i := range chunks {
		values, raw, dl, zbase := d.Uvarint(), d.Uvarint(), d.Uvarint(), d.Uvarint()
		if d.Err() != nil {
			return nil, d.Err()
		}
		if values == 0 || values > uint64(rawLen) || raw > uint64(rawLen-off) || dl > uint64(len(data)) {
			return nil, fmt.Errorf("chunk %d: %d values, %d raw bytes, %d stored", i, values, raw, dl)
		}
		base := int64(zbase>>1) ^ -int64(zbase&1)
		chunks[i] = chunk{first: first, values: int(values), rawOff: off, rawLen: int(raw), base: base}
		stored[i] = int(dl)
		first += int(values)
		off += int(raw)
		total += int(dl)
	}
	if off != rawLen {
		return nil, fmt.Errorf("chunks hold %d raw bytes, column %d", off, rawLen)
	}
	if total != d.Len() {
		return nil, fmt.Errorf("chunks store %d bytes, column has %d after the directory", total, d.Len())
	}
	for i := range chunks {
		chunks[i].data = d.Take(stored[i])
	}
	return chunks, nil
}

// checkChunk checks that the decompressed raw bytes of chunk c hold its
// values exactly, and for a delta column that its base is the value
// before it (sum, the running total of the earlier chunks). It returns
// the running total after the chunk.
func checkChunk(enc byte, c *chunk, raw []byte, sum int64) (int64, error) {
	if c.base != sum { // sum stays 0 but for delta columns
		return 0, fmt.Errorf("chunk of values %d..: base %d, values before it make %d", c.first, c.base, sum)
	}
	p, k := 0, 0
	for ; p < len(raw); k++ {
		next, d, err := nextValue(enc, raw, p)
		if err != nil {
			return 0, fmt.Errorf("chunk of values %d..: value %d: %v", c.first, k, err)
		}
		p, sum = next, sum+d
	}
	if k != c.values {
		return 0, fmt.Errorf("chunk of values %d..: holds %d values, directory says %d", c.first, k, c.values)
	}
	return sum, nil
}
