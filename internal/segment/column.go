package segment

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// colType is the Go type behind a column, fixed by the visit order of the
// record kind. It is not written to disk; the column encoding is.
type colType uint8

const (
	tUint8 colType = iota + 1
	tUint16
	tUint64
	tTime
	tString
	tBytes
	tAddr
	tPrefix
	tFields
)

// Column encodings, written to disk as one byte (docs/format/segment.md).
// Never renumber.
const (
	encU8       = 1  // one byte per value
	encU16      = 2  // high bytes of all values, then low bytes
	encUvarint  = 3  // one uvarint per value
	encDelta    = 4  // zigzag varint of the difference to the previous value (first to zero)
	encStrDict  = 5  // dictionary of strings, then index planes
	encLenBytes = 6  // uvarint length and bytes per value
	encAddrDict = 7  // dictionary of addresses, then index planes
	encAddr     = 8  // one address per value
	encPrefix   = 9  // one prefix per value
	encAddr4    = 10 // IPv4 addresses as four byte planes, most significant first
)

// column holds one field of every record in a block, in the slice for its
// type.
type column struct {
	typ   colType
	enc   byte // set by the decoder
	u8    []uint8
	u16   []uint16
	u64   []uint64 // uint64 and time (unix nanoseconds) columns
	strs  []string
	bytes [][]byte // bytes and fields columns
	addrs []netip.Addr
	prefs []netip.Prefix
	// ids, when set by the decoder, index strs or addrs per row: a
	// dictionary column keeps its dictionary rather than a value a row.
	ids []uint32
}

// str returns row k of a string column.
func (c *column) str(k int) string {
	if c.ids != nil {
		return c.strs[c.ids[k]]
	}
	return c.strs[k]
}

// addr returns row k of an address column.
func (c *column) addr(k int) netip.Addr {
	if c.ids != nil {
		return c.addrs[c.ids[k]]
	}
	return c.addrs[k]
}

func (c *column) reset() {
	c.typ, c.enc = 0, 0
	c.u8, c.u16, c.u64 = c.u8[:0], c.u16[:0], c.u64[:0]
	clear(c.strs)
	c.strs = c.strs[:0]
	clear(c.bytes)
	c.bytes = c.bytes[:0]
	c.addrs, c.prefs, c.ids = c.addrs[:0], c.prefs[:0], nil
}

// columnWriter is the Visitor that appends each field of a record to its
// column and feeds keyed fields to the block's filters.
type columnWriter struct {
	cols    []column
	i       int
	filters *[keyClasses]filterBuilder
	scratch []byte
	// flowStart is the kind's record.FlowStart; ref is set while writing a
	// record whose flow fields an earlier record of the block holds, so
	// columns from flowStart on get no value.
	flowStart int
	ref       bool
}

// keyClasses bounds the key classes a block can index (record.Key values).
const keyClasses = 6

// startRecord prepares for the next record; ref says whether its flow
// fields are stored by an earlier record.
func (w *columnWriter) startRecord(ref bool) {
	w.i, w.ref = 0, ref
}

// endRecord finishes a record. The outside endpoint is no longer filtered
// in the header (blocks before 2026-11-22 have it): the store's lookup
// index holds it, with port ranges, at a fraction of the cost.
func (w *columnWriter) endRecord() {}

// col returns the column for the next field, or nil if the field is part
// of a flow stored by an earlier record.
func (w *columnWriter) col(t colType) *column {
	if w.ref && w.i >= w.flowStart {
		w.i++
		return nil
	}
	if w.i == len(w.cols) {
		if w.i < cap(w.cols) {
			w.cols = w.cols[:w.i+1] // reuse the column's buffers from an earlier block
		} else {
			w.cols = append(w.cols, column{})
		}
	}
	c := &w.cols[w.i]
	w.i++
	if c.typ == 0 {
		c.typ = t
	} else if c.typ != t {
		panic(fmt.Sprintf("segment: column %d changes type from %d to %d", w.i-1, c.typ, t))
	}
	return c
}

// key adds a filter key. Ports are indexed only as part of the outside
// endpoint: alone they match most blocks of a busy kind.
func (w *columnWriter) key(k record.Key, b []byte) {
	if k != record.KeyNone && k != record.KeyPort && int(k) < keyClasses {
		w.filters[k].add(k, b)
	}
}

func (w *columnWriter) Uint8(p *uint8) {
	if c := w.col(tUint8); c != nil {
		c.u8 = append(c.u8, *p)
	}
}

func (w *columnWriter) Uint16(p *uint16, k record.Key) {
	c := w.col(tUint16)
	if c == nil {
		return
	}
	c.u16 = append(c.u16, *p)
}

func (w *columnWriter) Uint64(p *uint64) {
	if c := w.col(tUint64); c != nil {
		c.u64 = append(c.u64, *p)
	}
}

func (w *columnWriter) Time(p *time.Time) {
	if c := w.col(tTime); c != nil {
		c.u64 = append(c.u64, uint64(p.UnixNano()))
	}
}

func (w *columnWriter) String(p *string, k record.Key) {
	c := w.col(tString)
	if c == nil {
		return
	}
	c.strs = append(c.strs, *p)
	if k != record.KeyNone && *p != "" {
		w.scratch = append(w.scratch[:0], *p...)
		w.key(k, w.scratch)
	}
}

func (w *columnWriter) Bytes(p *[]byte) {
	if c := w.col(tBytes); c != nil {
		c.bytes = append(c.bytes, *p)
	}
}

func (w *columnWriter) Addr(p *netip.Addr, k record.Key) {
	c := w.col(tAddr)
	if c == nil {
		return
	}
	c.addrs = append(c.addrs, *p)
	if k != record.KeyNone && p.IsValid() {
		a := p.As16()
		w.key(k, a[:])
	}
}

func (w *columnWriter) Prefix(p *netip.Prefix) {
	if c := w.col(tPrefix); c != nil {
		c.prefs = append(c.prefs, *p)
	}
}

func (w *columnWriter) Fields(p *[]record.Field) {
	if c := w.col(tFields); c != nil {
		c.bytes = append(c.bytes, record.AppendFields(nil, *p))
	}
}

// appendColumn appends the uncompressed encoding of c to dst and returns
// the encoding byte chosen.
func appendColumn(dst []byte, c *column) ([]byte, byte) {
	switch c.typ {
	case tUint8:
		return append(dst, c.u8...), encU8
	case tUint16:
		for _, v := range c.u16 {
			dst = append(dst, byte(v>>8))
		}
		for _, v := range c.u16 {
			dst = append(dst, byte(v))
		}
		return dst, encU16
	case tUint64:
		for _, v := range c.u64 {
			dst = binary.AppendUvarint(dst, v)
		}
		return dst, encUvarint
	case tTime:
		var prev int64
		for _, v := range c.u64 {
			dst = binary.AppendVarint(dst, int64(v)-prev)
			prev = int64(v)
		}
		return dst, encDelta
	case tString:
		return appendStrings(dst, c.strs)
	case tBytes, tFields:
		for _, b := range c.bytes {
			dst = binary.AppendUvarint(dst, uint64(len(b)))
			dst = append(dst, b...)
		}
		return dst, encLenBytes
	case tAddr:
		return appendAddrs(dst, c.addrs)
	case tPrefix:
		for _, p := range c.prefs {
			dst = record.AppendPrefix(dst, p)
		}
		return dst, encPrefix
	}
	panic("segment: column of unknown type")
}

// dictWorthIt reports whether a dictionary of distinct values pays for
// itself over n values: it must repeat values at least twice on average.
func dictWorthIt(distinct, n int) bool { return distinct*2 <= n || n <= 16 }

func appendStrings(dst []byte, vs []string) ([]byte, byte) {
	idx := make(map[string]uint32, 64)
	var dict []string
	ids := make([]uint32, len(vs))
	for i, v := range vs {
		id, ok := idx[v]
		if !ok {
			id = uint32(len(dict))
			idx[v] = id
			dict = append(dict, v)
		}
		ids[i] = id
	}
	if !dictWorthIt(len(dict), len(vs)) {
		for _, v := range vs {
			dst = binary.AppendUvarint(dst, uint64(len(v)))
			dst = append(dst, v...)
		}
		return dst, encLenBytes
	}
	dst = binary.AppendUvarint(dst, uint64(len(dict)))
	for _, v := range dict {
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		dst = append(dst, v...)
	}
	return appendIndexPlanes(dst, ids, len(dict)), encStrDict
}

func appendAddrs(dst []byte, vs []netip.Addr) ([]byte, byte) {
	idx := make(map[netip.Addr]uint32, 64)
	var dict []netip.Addr
	ids := make([]uint32, len(vs))
	for i, v := range vs {
		id, ok := idx[v]
		if !ok {
			id = uint32(len(dict))
			idx[v] = id
			dict = append(dict, v)
		}
		ids[i] = id
	}
	if !dictWorthIt(len(dict), len(vs)) {
		if allIPv4(dict) {
			// Byte planes let zstd drop the shared leading bytes
			// (100.64.x.x) and keep the rest near their entropy.
			for plane := range 4 {
				for _, v := range vs {
					dst = append(dst, v.As4()[plane])
				}
			}
			return dst, encAddr4
		}
		for _, v := range vs {
			dst = record.AppendAddr(dst, v)
		}
		return dst, encAddr
	}
	dst = binary.AppendUvarint(dst, uint64(len(dict)))
	for _, v := range dict {
		dst = record.AppendAddr(dst, v)
	}
	return appendIndexPlanes(dst, ids, len(dict)), encAddrDict
}

func allIPv4(as []netip.Addr) bool {
	for _, a := range as {
		if !a.Is4() {
			return false
		}
	}
	return true
}

// indexWidth is the number of bytes that hold an index into a dictionary of
// n entries.
func indexWidth(n int) int {
	w := 1
	for n > 1<<(8*w) {
		w++
	}
	return w
}

// appendIndexPlanes writes the indexes as byte planes, most significant
// first, which lets zstd see the (mostly constant) high bytes as runs.
func appendIndexPlanes(dst []byte, ids []uint32, dictLen int) []byte {
	w := indexWidth(dictLen)
	for plane := w - 1; plane >= 0; plane-- {
		for _, id := range ids {
			dst = append(dst, byte(id>>(8*plane)))
		}
	}
	return dst
}

var errColumnShort = errors.New("column ends early")

// decodeColumn fills c (of type t) with n values from b, encoded with enc.
func decodeColumn(c *column, t colType, enc byte, b []byte, n int) error {
	c.typ, c.enc = t, enc
	// Size the column once: growing it value by value costs more than
	// decoding.
	switch t {
	case tUint16:
		c.u16 = slices.Grow(c.u16[:0], n)
	case tUint64, tTime:
		c.u64 = slices.Grow(c.u64[:0], n)
	case tString:
		if enc != encStrDict {
			c.strs = slices.Grow(c.strs[:0], n)
		}
	case tBytes, tFields:
		c.bytes = slices.Grow(c.bytes[:0], n)
	case tAddr:
		if enc != encAddrDict {
			c.addrs = slices.Grow(c.addrs[:0], n)
		}
	case tPrefix:
		c.prefs = slices.Grow(c.prefs[:0], n)
	}
	d := record.NewRowDecoder(b)
	switch {
	case t == tUint8 && enc == encU8:
		if len(b) != n {
			return errColumnShort
		}
		c.u8 = append(c.u8[:0], b...)
		return nil
	case t == tUint16 && enc == encU16:
		if len(b) != 2*n {
			return errColumnShort
		}
		c.u16 = c.u16[:0]
		for i := range n {
			c.u16 = append(c.u16, uint16(b[i])<<8|uint16(b[n+i]))
		}
		return nil
	case (t == tUint64 && enc == encUvarint) || (t == tTime && enc == encDelta):
		c.u64 = c.u64[:0]
		var prev int64
		for range n {
			if enc == encUvarint {
				c.u64 = append(c.u64, d.Uvarint())
				continue
			}
			v, k := binary.Varint(b)
			if k <= 0 {
				return errColumnShort
			}
			b = b[k:]
			prev += v
			c.u64 = append(c.u64, uint64(prev))
		}
		if enc == encDelta {
			d = record.NewRowDecoder(b)
		}
	case (t == tString || t == tBytes || t == tFields) && enc == encLenBytes:
		for range n {
			v := d.LenBytes()
			if t == tString {
				c.strs = append(c.strs, string(v))
			} else {
				c.bytes = append(c.bytes, v)
			}
		}
	case t == tString && enc == encStrDict:
		dn := d.Uvarint()
		if dn > uint64(len(b)) || (dn == 0 && n > 0) {
			return fmt.Errorf("bad dictionary size %d", dn)
		}
		dict := make([]string, dn)
		for i := range dict {
			dict[i] = string(d.LenBytes())
		}
		ids, err := readIndexPlanes(d, n, len(dict))
		if err != nil {
			return err
		}
		c.strs, c.ids = dict, ids
	case t == tAddr && enc == encAddrDict:
		dn := d.Uvarint()
		if dn > uint64(len(b)) || (dn == 0 && n > 0) {
			return fmt.Errorf("bad dictionary size %d", dn)
		}
		dict := make([]netip.Addr, dn)
		for i := range dict {
			dict[i] = d.ReadAddr()
		}
		ids, err := readIndexPlanes(d, n, len(dict))
		if err != nil {
			return err
		}
		c.addrs, c.ids = dict, ids
	case t == tAddr && enc == encAddr4:
		if len(b) != 4*n {
			return errColumnShort
		}
		for i := range n {
			c.addrs = append(c.addrs, netip.AddrFrom4([4]byte{b[i], b[n+i], b[2*n+i], b[3*n+i]}))
		}
		return nil
	case t == tAddr && enc == encAddr:
		for range n {
			c.addrs = append(c.addrs, d.ReadAddr())
		}
	case t == tPrefix && enc == encPrefix:
		for range n {
			var p netip.Prefix
			d.Prefix(&p)
			c.prefs = append(c.prefs, p)
		}
	default:
		return fmt.Errorf("encoding %d does not fit a column of type %d", enc, t)
	}
	if d.Err() != nil {
		return d.Err()
	}
	if d.Len() != 0 {
		return fmt.Errorf("%d trailing bytes", d.Len())
	}
	return nil
}

func readIndexPlanes(d *record.RowDecoder, n, dictLen int) ([]uint32, error) {
	w := indexWidth(dictLen)
	ids := make([]uint32, n)
	for plane := w - 1; plane >= 0; plane-- {
		b := d.Take(n)
		if d.Err() != nil {
			return nil, d.Err()
		}
		shift := 8 * plane
		for i, v := range b {
			ids[i] |= uint32(v) << shift
		}
	}
	for _, id := range ids {
		if int(id) >= dictLen {
			return nil, fmt.Errorf("dictionary index %d out of range %d", id, dictLen)
		}
	}
	return ids, nil
}

// columnReader is the Visitor that sets each field of record j from the
// decoded columns. Columns are decoded the first time they are visited,
// when their type becomes known.
type columnReader struct {
	cols []column
	i, j int
	err  error
	// flowStart and slot map a record to the stored row of its flow
	// columns (from flowStart on): slot[j] for record j.
	flowStart int
	slot      []int
	k         int // the row to read in the column col returned
	// spans locate the stored columns, decompressed with dec; raws holds
	// those decompressed whole, encs the columns' encodings. count and
	// rows are the numbers of records and of flow rows.
	spans       []columnSpan
	dec         *Decoder
	raws        [][]byte
	encs        []byte
	count, rows int
	// decodeKeys makes a selection decode the columns it tests rather
	// than test their raw bytes.
	decodeKeys bool
}

func (r *columnReader) col(t colType) *column {
	i := r.i
	r.i++
	if r.err != nil {
		return nil
	}
	r.k = r.j
	if r.flowStart > 0 && i >= r.flowStart {
		r.k = r.slot[r.j]
	}
	if i >= len(r.cols) {
		r.err = fmt.Errorf("record has more fields than the block's %d columns", len(r.cols))
		return nil
	}
	c := &r.cols[i]
	if c.typ == 0 {
		if err := r.load(i, t); err != nil {
			r.err = fmt.Errorf("column %d: %w", i, err)
			return nil
		}
	} else if c.typ != t {
		r.err = fmt.Errorf("column %d: type %d read as %d", i, c.typ, t)
		return nil
	}
	return c
}

func (r *columnReader) Uint8(p *uint8) {
	if c := r.col(tUint8); c != nil {
		*p = c.u8[r.k]
	}
}

func (r *columnReader) Uint16(p *uint16, _ record.Key) {
	if c := r.col(tUint16); c != nil {
		*p = c.u16[r.k]
	}
}

func (r *columnReader) Uint64(p *uint64) {
	if c := r.col(tUint64); c != nil {
		*p = c.u64[r.k]
	}
}

func (r *columnReader) Time(p *time.Time) {
	if c := r.col(tTime); c != nil {
		*p = time.Unix(0, int64(c.u64[r.k])).UTC()
	}
}

func (r *columnReader) String(p *string, _ record.Key) {
	if c := r.col(tString); c != nil {
		*p = c.str(r.k)
	}
}

func (r *columnReader) Bytes(p *[]byte) {
	if c := r.col(tBytes); c != nil {
		if b := c.bytes[r.k]; len(b) > 0 {
			*p = b
		}
	}
}

func (r *columnReader) Addr(p *netip.Addr, _ record.Key) {
	if c := r.col(tAddr); c != nil {
		*p = c.addr(r.k)
	}
}

func (r *columnReader) Prefix(p *netip.Prefix) {
	if c := r.col(tPrefix); c != nil {
		*p = c.prefs[r.k]
	}
}

func (r *columnReader) Fields(p *[]record.Field) {
	c := r.col(tFields)
	if c == nil {
		return
	}
	fs, err := record.DecodeFields(c.bytes[r.k])
	if err != nil {
		r.err = fmt.Errorf("column %d row %d: %w", r.i-1, r.j, err)
		return
	}
	*p = fs
}
