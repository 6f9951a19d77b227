package segment

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"
	"slices"

	"github.com/warden-ops/warden/internal/record"
)

// gather returns a reader of the kept records only: record i of it is
// record kept[i] of the block. It decodes from each decompressed column
// just the values of those records (and of their flow rows), walking a
// variable-width column only as far as its last kept value; the rest of
// the block's values are never materialised. A lookup keeps a few records
// of 65,536, so this is what makes a block cheap to answer from.
func (cr *columnReader) gather(lay []field, kept []int) (*columnReader, error) {
	g := &columnReader{cols: make([]column, len(cr.cols)), flowStart: cr.flowStart}
	var flowRows []int
	if cr.flowStart > 0 {
		flowRows = make([]int, len(kept))
		for i, j := range kept {
			flowRows[i] = cr.slot[j]
		}
		slices.Sort(flowRows)
		flowRows = slices.Compact(flowRows)
		g.slot = make([]int, len(kept))
		for i, j := range kept {
			g.slot[i], _ = slices.BinarySearch(flowRows, cr.slot[j])
		}
	}
	for i := range cr.cols {
		rows := kept
		if cr.flowStart > 0 && i >= cr.flowStart {
			rows = flowRows
		}
		if c := &cr.cols[i]; c.typ != 0 {
			if c.typ != lay[i].typ {
				return nil, corrupt("column %d: type %d read as %d", i, c.typ, lay[i].typ)
			}
			pick(&g.cols[i], c, rows)
			continue
		}
		if err := cr.gatherInto(&g.cols[i], i, lay[i].typ, rows); err != nil {
			return nil, corrupt("column %d: %v", i, err)
		}
	}
	return g, nil
}

// gatherInto sets c to the values at rows of column i: from the column
// decompressed whole, or from the chunks that hold them.
func (cr *columnReader) gatherInto(c *column, i int, t colType, rows []int) error {
	s := &cr.spans[i]
	if s.comp != compChunks || cr.raws[i] != nil {
		raw, err := cr.raw(i)
		if err != nil {
			return err
		}
		return gatherColumn(c, t, s.enc, raw, cr.values(i), rows, 0)
	}
	c.typ, c.enc = t, s.enc
	for k := range s.chunks {
		ch := &s.chunks[k]
		end := ch.first + ch.values
		n := 0
		for n < len(rows) && rows[n] < end {
			n++
		}
		if n == 0 {
			continue
		}
		in := make([]int, n)
		for m, r := range rows[:n] {
			in[m] = r - ch.first
		}
		rows = rows[n:]
		b, err := cr.chunk(i, k)
		if err != nil {
			return err
		}
		if err := gatherColumn(c, t, s.enc, b, ch.values, in, ch.base); err != nil {
			return fmt.Errorf("chunk of values %d..: %v", ch.first, err)
		}
	}
	if len(rows) > 0 {
		return fmt.Errorf("row %d past the chunks", rows[0])
	}
	return nil
}

// pick sets dst to the given rows of the decoded column c.
func pick(dst, c *column, rows []int) {
	dst.typ, dst.enc = c.typ, c.enc
	for _, k := range rows {
		switch c.typ {
		case tUint8:
			dst.u8 = append(dst.u8, c.u8[k])
		case tUint16:
			dst.u16 = append(dst.u16, c.u16[k])
		case tUint64, tTime:
			dst.u64 = append(dst.u64, c.u64[k])
		case tString:
			dst.strs = append(dst.strs, c.str(k))
		case tBytes, tFields:
			dst.bytes = append(dst.bytes, c.bytes[k])
		case tAddr:
			dst.addrs = append(dst.addrs, c.addr(k))
		case tPrefix:
			dst.prefs = append(dst.prefs, c.prefs[k])
		}
	}
}

// gatherColumn sets c (of type t) to the values at rows (ascending,
// distinct, each below n) of the n values enc-encoded in b. Fixed-width
// encodings are read at the rows directly; the others are walked from the
// start up to the last row. Unlike decodeColumn it does not check the
// values past the last row.
//
// Values are appended to c, so that the chunks of a chunked column gather
// into one; base is the value before b's first for a delta column.
func gatherColumn(c *column, t colType, enc byte, b []byte, n int, rows []int, base int64) error {
	c.typ, c.enc = t, enc
	if len(rows) == 0 {
		return nil
	}
	if last := rows[len(rows)-1]; last >= n {
		return fmt.Errorf("row %d of %d", last, n)
	}
	d := record.NewRowDecoder(b)
	switch {
	case t == tUint8 && enc == encU8:
		if len(b) != n {
			return errColumnShort
		}
		for _, k := range rows {
			c.u8 = append(c.u8, b[k])
		}
		return nil
	case t == tUint16 && enc == encU16:
		if len(b) != 2*n {
			return errColumnShort
		}
		for _, k := range rows {
			c.u16 = append(c.u16, uint16(b[k])<<8|uint16(b[n+k]))
		}
		return nil
	case t == tAddr && enc == encAddr4:
		if len(b) != 4*n {
			return errColumnShort
		}
		for _, k := range rows {
			c.addrs = append(c.addrs, netip.AddrFrom4([4]byte{b[k], b[n+k], b[2*n+k], b[3*n+k]}))
		}
		return nil
	case t == tUint64 && enc == encUvarint:
		return gatherVarints(c, b, rows, false, 0)
	case t == tTime && enc == encDelta:
		return gatherVarints(c, b, rows, true, base)
	case (t == tString || t == tBytes || t == tFields) && enc == encLenBytes:
		next, p := 0, 0
		for k := 0; next < len(rows); k++ {
			l, m := fastUvarint(b[p:])
			if m <= 0 || (m > 1 && b[p+m-1] == 0) || l > uint64(len(b)-p-m) {
				return errColumnShort
			}
			e := p + m + int(l)
			v := b[p+m : e : e]
			p = e
			if rows[next] != k {
				continue
			}
			next++
			if t == tString {
				c.strs = append(c.strs, string(v))
			} else {
				c.bytes = append(c.bytes, v)
			}
		}
		return nil
	case t == tString && enc == encStrDict:
		return gatherDict(&c.strs, d, b, n, rows, func(d *record.RowDecoder) string { return string(d.LenBytes()) })
	case t == tAddr && enc == encAddrDict:
		return gatherDict(&c.addrs, d, b, n, rows, (*record.RowDecoder).ReadAddr)
	case t == tAddr && enc == encAddr:
		walk(rows, func(k int, keep bool) {
			a := d.ReadAddr()
			if keep {
				c.addrs = append(c.addrs, a)
			}
		})
	case t == tPrefix && enc == encPrefix:
		walk(rows, func(k int, keep bool) {
			var p netip.Prefix
			d.Prefix(&p)
			if keep {
				c.prefs = append(c.prefs, p)
			}
		})
	default:
		return fmt.Errorf("encoding %d does not fit a column of type %d", enc, t)
	}
	return d.Err()
}

// gatherVarints sets c.u64 to the values at rows of a column of uvarints,
// or of zigzag varint deltas if delta is set. It is the hot loop of a
// lookup (every block holds two time columns), so it decodes in place.
func gatherVarints(c *column, b []byte, rows []int, delta bool, base int64) error {
	prev := uint64(base)
	next, p := 0, 0
	for k := 0; next < len(rows); k++ {
		v, m := fastUvarint(b[p:])
		if m <= 0 || (!delta && m > 1 && b[p+m-1] == 0) {
			return errColumnShort
		}
		p += m
		if delta {
			prev += uint64(int64(v>>1) ^ -int64(v&1))
			v = prev
		}
		if rows[next] == k {
			c.u64 = append(c.u64, v)
			next++
		}
	}
	return nil
}

// fastUvarint is binary.Uvarint, decoding in a register when 8 bytes are
// left: the values of time columns, deltas in nanoseconds, take 4 to 6
// bytes each, and a byte-at-a-time loop dominates a lookup.
func fastUvarint(b []byte) (uint64, int) {
	if len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		if stop := ^x & 0x8080808080808080; stop != 0 {
			n := bits.TrailingZeros64(stop)/8 + 1
			x &= 1<<(8*n) - 1 // 1<<64 is 0: all ones for n = 8
			return x&0x7f | x>>1&(0x7f<<7) | x>>2&(0x7f<<14) | x>>3&(0x7f<<21) |
				x>>4&(0x7f<<28) | x>>5&(0x7f<<35) | x>>6&(0x7f<<42) | x>>7&(0x7f<<49), n
		}
	}
	return binary.Uvarint(b)
}

// walk calls f for every row from 0 to the last of rows, in order, saying
// whether the row is one of rows (ascending and distinct).
func walk(rows []int, f func(k int, keep bool)) {
	next := 0
	for k := 0; next < len(rows); k++ {
		keep := rows[next] == k
		if keep {
			next++
		}
		f(k, keep)
	}
}

// gatherDict appends to dst the values at rows of a dictionary column of
// n values, whose entries read decodes.
func gatherDict[T any](dst *[]T, d *record.RowDecoder, b []byte, n int, rows []int, read func(*record.RowDecoder) T) error {
	dict, err := dictEntries(d, b, n, func(d *record.RowDecoder) { read(d) })
	if err != nil {
		return err
	}
	ids, err := gatherIndexes(d, n, len(dict), rows)
	if err != nil {
		return err
	}
	for _, id := range ids {
		*dst = append(*dst, read(record.NewRowDecoder(dict[id])))
	}
	return nil
}

// dictEntries reads the dictionary at the start of a dictionary column,
// returning each entry's encoded bytes; skip reads one entry from d.
func dictEntries(d *record.RowDecoder, b []byte, n int, skip func(*record.RowDecoder)) ([][]byte, error) {
	dn := d.Uvarint()
	if d.Err() != nil {
		return nil, d.Err()
	}
	if dn > uint64(len(b)) || (dn == 0 && n > 0) {
		return nil, fmt.Errorf("bad dictionary size %d", dn)
	}
	dict := make([][]byte, dn)
	for i := range dict {
		before := d.Len()
		start := len(b) - before
		skip(d)
		if d.Err() != nil {
			return nil, d.Err()
		}
		dict[i] = b[start : len(b)-d.Len()]
	}
	return dict, nil
}

// gatherIndexes reads the dictionary indexes of rows from the index planes
// that follow a dictionary of dictLen entries.
func gatherIndexes(d *record.RowDecoder, n, dictLen int, rows []int) ([]uint32, error) {
	w := indexWidth(dictLen)
	ids := make([]uint32, len(rows))
	for plane := w - 1; plane >= 0; plane-- {
		b := d.Take(n)
		if d.Err() != nil {
			return nil, d.Err()
		}
		for i, k := range rows {
			ids[i] |= uint32(b[k]) << (8 * plane)
		}
	}
	if d.Len() != 0 {
		return nil, fmt.Errorf("%d trailing bytes", d.Len())
	}
	for _, id := range ids {
		if int(id) >= dictLen {
			return nil, fmt.Errorf("dictionary index %d out of range %d", id, dictLen)
		}
	}
	return ids, nil
}
