package segment

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// Select picks records of a block by their keyed fields. A lookup that
// selects decodes only the columns it tests and builds only the records it
// keeps: a 65,536-record NAT block in which one outside address appears a
// few dozen times costs the decompression of its columns, not 65,536
// records.
type Select struct {
	// Keys keep a record if, for every class, one of its fields of that
	// class holds the key (AddrKey, PortKey, or a string's bytes).
	Keys map[record.Key][]byte
	// Holder, if valid, keeps a record only if one of its inside
	// addresses is Holder or one of its prefixes contains it.
	Holder netip.Addr
	// HeldPort, if not 0, keeps a NAT record only if the outside ports it
	// maps hold HeldPort: its OutsidePort, the range OutsidePort to
	// OutsidePortEnd when that is set, or every port when both are 0. A
	// trace asks for an address's records this way, so that a block in
	// which the address maps hundreds of ports builds only the few
	// records of the one asked about.
	HeldPort uint16
	// SourceEnds keeps, of the records the rest of the selection keeps,
	// only the first and the last of each source in the block: enough to
	// learn which sources logged a key, and when about, without building
	// every record.
	SourceEnds bool
}

func (s *Select) empty() bool { return len(s.Keys) == 0 && !s.Holder.IsValid() && s.HeldPort == 0 }

// DecodeSelect parses a frame and returns its header and the records sel
// keeps, with their IDs. Like Decode, it checks the values it reads;
// unlike Decode, it reads a column that no selection tests only up to the
// last record it keeps, so a corrupt column may pass unnoticed here
// (verification reads them all).
func (d *Decoder) DecodeSelect(frame []byte, sel Select) (*Header, []*record.Record, error) {
	h, recs, _, err := d.DecodeSelectKeep(frame, sel)
	return h, recs, err
}

// DecodeSelectKeep is DecodeSelect that also returns the block with its
// columns decompressed, when it decompressed them all (it kept a record),
// for a cache to answer later lookups in the same block from.
func (d *Decoder) DecodeSelectKeep(frame []byte, sel Select) (*Header, []*record.Record, *Decoded, error) {
	h, err := DecodeHeader(frame)
	if err != nil {
		return nil, nil, nil, err
	}
	cr, err := d.openBody(h, frame[h.BodyOffset:])
	if err != nil {
		return h, nil, nil, err
	}
	lay := layoutOf(h.Kind)
	if len(lay) != len(cr.cols) {
		return h, nil, nil, corrupt("block has %d columns, records have %d fields", len(cr.cols), len(lay))
	}
	recs, all, err := cr.selectRows(h, lay, sel)
	if err != nil || !all {
		return h, recs, nil, err
	}
	return h, recs, &Decoded{h: h, cr: cr, lay: lay}, nil
}

// Decoded is a block whose columns are all decompressed, but for chunked
// ones, which it holds compressed and a selection decompresses the
// chunks it needs of. It is immutable and safe for concurrent use.
type Decoded struct {
	h   *Header
	lay []field
	// mu guards cr's column lists, to which selections add the columns
	// they decoded.
	mu sync.Mutex
	cr *columnReader
}

// Header returns the block's header.
func (b *Decoded) Header() *Header { return b.h }

// Select returns the records sel keeps, like DecodeSelect, without
// decompressing anything again.
func (b *Decoded) Select(sel Select) ([]*record.Record, error) {
	// The cursor fields are per use. The decompressed columns are all
	// loaded, so shared; a column this selection decodes is decoded into
	// a copy of the column list.
	b.mu.Lock()
	cr := *b.cr
	cr.cols, cr.raws = slices.Clone(b.cr.cols), slices.Clone(b.cr.raws)
	b.mu.Unlock()
	// A block asked again is likely asked more: decode the columns a
	// selection tests, and keep them, rather than test their raw bytes
	// each time.
	cr.decodeKeys = true
	recs, _, err := cr.selectRows(b.h, b.lay, sel)
	b.mu.Lock()
	for i := range cr.cols {
		if b.cr.cols[i].typ == 0 && cr.cols[i].typ != 0 {
			b.cr.cols[i] = cr.cols[i]
		}
		if b.cr.raws[i] == nil && cr.raws[i] != nil {
			b.cr.raws[i] = cr.raws[i]
		}
	}
	b.mu.Unlock()
	return recs, err
}

// Size estimates the memory the decoded columns hold, in bytes.
func (b *Decoded) Size() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := int64(len(b.cr.slot)) * 8
	for i, r := range b.cr.raws {
		n += int64(len(r))
		if r == nil {
			n += int64(len(b.cr.spans[i].data)) // chunks, held compressed
		}
	}
	for i := range b.cr.cols {
		c := &b.cr.cols[i]
		n += int64(len(c.u8)) + 2*int64(len(c.u16)) + 8*int64(len(c.u64)) + 24*int64(len(c.bytes)) +
			24*int64(len(c.addrs)) + 32*int64(len(c.prefs)) + 4*int64(len(c.ids))
		for _, s := range c.strs {
			n += 16 + int64(len(s))
		}
		for _, v := range c.bytes {
			n += int64(len(v))
		}
	}
	return n
}

// selectRows returns the records of the block sel keeps, and whether all
// columns are now decoded.
func (cr *columnReader) selectRows(h *Header, lay []field, sel Select) ([]*record.Record, bool, error) {
	if sel.empty() {
		if err := cr.loadAll(lay); err != nil {
			return nil, false, err
		}
		recs := newRecords(h.Kind, h.Count)
		for j, r := range recs {
			if err := cr.read(r, j); err != nil {
				return nil, false, err
			}
			r.ID = record.ID{Kind: h.Kind, Seq: h.FirstSeq + uint64(j)}
		}
		return recs, true, nil
	}
	keep := make([]bool, h.Count)
	for j := range keep {
		keep[j] = true
	}
	for c, want := range sel.Keys {
		m := keyMatcher(want)
		if err := cr.restrict(keep, lay, func(f field) bool { return f.key == c }, m); err != nil {
			return nil, false, err
		}
	}
	if a := sel.Holder; a.IsValid() {
		a16, a := a.Unmap().As16(), a.Unmap()
		m := matcher{
			addr:   func(v netip.Addr) bool { return v.IsValid() && v.As16() == a16 },
			prefix: func(p netip.Prefix) bool { return p.IsValid() && p.Contains(a) },
			addr16: &a16,
		}
		if err := cr.restrict(keep, lay, func(f field) bool { return f.key == record.KeyInsideAddr || f.typ == tPrefix }, m); err != nil {
			return nil, false, err
		}
	}
	if sel.HeldPort != 0 {
		if err := cr.restrictHeldPort(keep, lay, h.Kind, sel.HeldPort); err != nil {
			return nil, false, err
		}
	}
	var kept []int
	for j, ok := range keep {
		if ok {
			kept = append(kept, j)
		}
	}
	if len(kept) == 0 {
		return nil, false, nil
	}
	if sel.SourceEnds {
		var err error
		if kept, err = cr.sourceEnds(lay, kept); err != nil {
			return nil, false, err
		}
	}
	if err := cr.loadRaws(); err != nil {
		return nil, false, err
	}
	g, err := cr.gather(lay, kept)
	if err != nil {
		return nil, false, err
	}
	recs := newRecords(h.Kind, len(kept))
	for i, r := range recs {
		if err := g.read(r, i); err != nil {
			if re, ok := err.(*RecordError); ok {
				re.Index = kept[i]
			}
			return nil, false, err
		}
		r.ID = record.ID{Kind: h.Kind, Seq: h.FirstSeq + uint64(kept[i])}
	}
	return recs, true, nil
}

// loadAll decodes the columns not decoded yet, on all cores: a lookup
// waits on one block at a time, and its columns are independent.
func (cr *columnReader) loadAll(lay []field) error {
	return cr.each(func(i int) bool { return cr.cols[i].typ == 0 }, func(i int) error {
		return cr.load(i, lay[i].typ)
	})
}

// loadRaws decompresses the columns not decompressed yet, on all cores.
func (cr *columnReader) loadRaws() error {
	// Chunked columns are left for gather, which decompresses only the
	// chunks it needs.
	return cr.each(func(i int) bool { return cr.raws[i] == nil && cr.spans[i].comp != compChunks }, func(i int) error {
		_, err := cr.raw(i)
		return err
	})
}

// each runs do for every column i that todo chooses, on all cores.
func (cr *columnReader) each(todo func(i int) bool, do func(i int) error) error {
	var cols []int
	for i := range cr.cols {
		if todo(i) {
			cols = append(cols, i)
		}
	}
	errs := make([]error, len(cols))
	var next atomic.Int64
	work := func() {
		for {
			k := int(next.Add(1)) - 1
			if k >= len(cols) {
				return
			}
			if err := do(cols[k]); err != nil {
				errs[k] = corrupt("column %d: %v", cols[k], err)
			}
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(cols)) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	return errors.Join(errs...)
}

// restrict clears keep[j] for every record j none of whose fields that
// pick chooses m matches. A block with no such field keeps nothing.
func (cr *columnReader) restrict(keep []bool, lay []field, pick func(field) bool, m matcher) error {
	var plain, flow [][]bool // per column, whether each value matches
	for i, f := range lay {
		if !pick(f) {
			continue
		}
		h, err := cr.hits(i, f.typ, m)
		if err != nil {
			return corrupt("column %d: %v", i, err)
		}
		// A flow column holds one value a flow row, shared by the
		// records of the flow.
		if cr.flowStart > 0 && i >= cr.flowStart {
			flow = append(flow, h)
		} else {
			plain = append(plain, h)
		}
	}
	for j := range keep {
		if !keep[j] {
			continue
		}
		found := false
		for _, h := range flow {
			if found = h[cr.slot[j]]; found {
				break
			}
		}
		for _, h := range plain {
			if found {
				break
			}
			found = h[j]
		}
		keep[j] = found
	}
	return nil
}

// hits returns whether each value of column i, of type t, matches m. It
// tests the common key encodings in the raw column without decoding it,
// and decodes the others.
func (cr *columnReader) hits(i int, t colType, m matcher) ([]bool, error) {
	c := &cr.cols[i]
	if c.typ != 0 {
		if c.typ != t {
			return nil, fmt.Errorf("type %d read as %d", c.typ, t)
		}
		return m.hits(c, cr.values(i)), nil
	}
	raw, err := cr.raw(i)
	if err != nil {
		return nil, err
	}
	if !cr.decodeKeys {
		if h, ok, err := m.hitsRaw(t, cr.encs[i], raw, cr.values(i)); ok || err != nil {
			return h, err
		}
	}
	if err := cr.load(i, t); err != nil {
		return nil, err
	}
	return m.hits(c, cr.values(i)), nil
}

// sourceEnds returns, of the kept records, the first and the last of
// each source.
func (cr *columnReader) sourceEnds(lay []field, kept []int) ([]int, error) {
	const src = 2 // the common fields are event time, receive time, source
	if len(lay) <= src || lay[src].typ != tString {
		return nil, corrupt("no source column")
	}
	var c column
	if err := cr.gatherInto(&c, src, tString, kept); err != nil {
		return nil, corrupt("column %d: %v", src, err)
	}
	type ends struct{ first, last int }
	by := map[string]ends{}
	for i, s := range c.strs {
		e, ok := by[s]
		if !ok {
			e.first = kept[i]
		}
		e.last = kept[i]
		by[s] = e
	}
	var out []int
	for _, e := range by {
		out = append(out, e.first, e.last)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// restrictHeldPort clears keep[j] for every NAT record j whose outside
// ports do not hold p (Select.HeldPort). Other kinds keep nothing.
func (cr *columnReader) restrictHeldPort(keep []bool, lay []field, k record.Kind, p uint16) error {
	// The outside port is the port-keyed column of a NAT record, and the
	// end of its range the column after it.
	i := slices.IndexFunc(lay, func(f field) bool { return f.key == record.KeyPort })
	if k != record.KindNAT || i < 0 || i+1 >= len(lay) || lay[i].typ != tUint16 || lay[i+1].typ != tUint16 {
		clear(keep)
		return nil
	}
	start, err := cr.uint16s(i)
	if err != nil {
		return corrupt("column %d: %v", i, err)
	}
	end, err := cr.uint16s(i + 1)
	if err != nil {
		return corrupt("column %d: %v", i+1, err)
	}
	for j := range keep {
		if !keep[j] {
			continue
		}
		v := j
		if cr.flowStart > 0 && i >= cr.flowStart {
			v = cr.slot[j]
		}
		s, e := start(v), end(v)
		keep[j] = s == 0 && e == 0 || e == 0 && s == p || e != 0 && s <= p && p <= e
	}
	return nil
}

// uint16s returns a reader of the values of uint16 column i, from its
// planes when it is not decoded.
func (cr *columnReader) uint16s(i int) (func(k int) uint16, error) {
	if c := &cr.cols[i]; c.typ != 0 {
		if c.typ != tUint16 {
			return nil, fmt.Errorf("type %d read as %d", c.typ, tUint16)
		}
		return func(k int) uint16 { return c.u16[k] }, nil
	}
	raw, err := cr.raw(i)
	if err != nil {
		return nil, err
	}
	n := cr.values(i)
	if cr.encs[i] != encU16 {
		return nil, fmt.Errorf("encoding %d does not fit a column of type %d", cr.encs[i], tUint16)
	}
	if len(raw) != 2*n {
		return nil, errColumnShort
	}
	return func(k int) uint16 { return uint16(raw[k])<<8 | uint16(raw[n+k]) }, nil
}

// matcher tests the values of keyed columns, one function a column type;
// a nil function matches nothing. addr16 and port, when set, are the one
// address (16-byte form) and port that addr and u16 match.
type matcher struct {
	addr   func(netip.Addr) bool
	prefix func(netip.Prefix) bool
	u16    func(uint16) bool
	str    func(string) bool
	addr16 *[16]byte
	port   uint16
}

// keyMatcher matches the values whose key is want (AddrKey, PortKey or a
// string's bytes).
func keyMatcher(want []byte) matcher {
	m := matcher{str: func(s string) bool { return s == string(want) }}
	if len(want) == 16 {
		w := [16]byte(want)
		m.addr = func(a netip.Addr) bool { return a.IsValid() && a.As16() == w }
		m.addr16 = &w
	}
	if len(want) == 2 {
		w := binary.BigEndian.Uint16(want)
		m.u16 = func(v uint16) bool { return v != 0 && v == w }
		m.port = w
	}
	return m
}

// testValues sets h[k] to whether value k passes test: vals[k], or, for a
// dictionary column, vals[ids[k]], tested once an entry.
func testValues[T any](h []bool, vals []T, ids []uint32, test func(T) bool) {
	if ids == nil {
		for k, v := range vals {
			h[k] = test(v)
		}
		return
	}
	entry := make([]bool, len(vals))
	for i, v := range vals {
		entry[i] = test(v)
	}
	for k, id := range ids {
		h[k] = entry[id]
	}
}

// hits returns whether each of the n values of column c matches. A
// dictionary column is tested once an entry, not once a value.
func (m matcher) hits(c *column, n int) []bool {
	h := make([]bool, n)
	switch {
	case c.typ == tAddr && m.addr != nil:
		testValues(h, c.addrs, c.ids, m.addr)
	case c.typ == tString && m.str != nil:
		testValues(h, c.strs, c.ids, m.str)
	case c.typ == tUint16 && m.u16 != nil:
		for k, v := range c.u16 {
			h[k] = m.u16(v)
		}
	case c.typ == tPrefix && m.prefix != nil:
		for k, p := range c.prefs {
			h[k] = m.prefix(p)
		}
	}
	return h
}

// field is one column of a kind's records: its type and key class.
type field struct {
	typ colType
	key record.Key
}

// layoutOf returns the columns of kind k's blocks, in order.
func layoutOf(k record.Kind) []field {
	var r record.Record
	r.Init(k)
	var l layout
	r.Visit(&l)
	return l.fields
}

// layout is the Visitor that lists a record's fields.
type layout struct{ fields []field }

func (l *layout) add(t colType, k record.Key) { l.fields = append(l.fields, field{t, k}) }

func (l *layout) Uint8(*uint8)                     { l.add(tUint8, record.KeyNone) }
func (l *layout) Uint16(_ *uint16, k record.Key)   { l.add(tUint16, k) }
func (l *layout) Uint64(*uint64)                   { l.add(tUint64, record.KeyNone) }
func (l *layout) Time(*time.Time)                  { l.add(tTime, record.KeyNone) }
func (l *layout) String(_ *string, k record.Key)   { l.add(tString, k) }
func (l *layout) Bytes(*[]byte)                    { l.add(tBytes, record.KeyNone) }
func (l *layout) Addr(_ *netip.Addr, k record.Key) { l.add(tAddr, k) }
func (l *layout) Prefix(*netip.Prefix)             { l.add(tPrefix, record.KeyNone) }
func (l *layout) Fields(*[]record.Field)           { l.add(tFields, record.KeyNone) }

// testDict reads the dictionary of a dictionary column of n values with
// read, and returns whether each entry passes test.
func testDict[T any](d *record.RowDecoder, b []byte, n int, read func(*record.RowDecoder) T, test func(T) bool) ([]bool, error) {
	dict, err := dictEntries(d, b, n, func(d *record.RowDecoder) { read(d) })
	if err != nil {
		return nil, err
	}
	entry := make([]bool, len(dict))
	for i, e := range dict {
		entry[i] = test(read(record.NewRowDecoder(e)))
	}
	return entry, nil
}

// hitsRaw is hits on the raw bytes of a column of n values of type t
// encoded with enc, for the encodings of keyed columns: dictionaries
// (tested once an entry), IPv4 and port planes (compared byte by byte) and
// prefixes. It reports false for the others.
func (m matcher) hitsRaw(t colType, enc byte, b []byte, n int) ([]bool, bool, error) {
	switch {
	case t == tAddr && enc == encAddrDict && m.addr != nil,
		t == tString && enc == encStrDict && m.str != nil:
		d := record.NewRowDecoder(b)
		var entry []bool
		var err error
		if t == tAddr {
			entry, err = testDict(d, b, n, (*record.RowDecoder).ReadAddr, m.addr)
		} else {
			entry, err = testDict(d, b, n, func(d *record.RowDecoder) string { return string(d.LenBytes()) }, m.str)
		}
		if err != nil {
			return nil, true, err
		}
		w := indexWidth(len(entry))
		if d.Len() != w*n {
			return nil, true, fmt.Errorf("index planes of %d bytes, want %d", d.Len(), w*n)
		}
		planes := d.Take(w * n)
		h := make([]bool, n)
		for k := range n {
			id := 0
			for p := range w {
				id = id<<8 | int(planes[p*n+k])
			}
			if id >= len(entry) {
				return nil, true, fmt.Errorf("dictionary index %d out of range %d", id, len(entry))
			}
			h[k] = entry[id]
		}
		return h, true, nil
	case t == tAddr && enc == encAddr4 && m.addr16 != nil:
		if len(b) != 4*n {
			return nil, true, errColumnShort
		}
		h := make([]bool, n)
		a := netip.AddrFrom16(*m.addr16)
		if !a.Is4In6() {
			return h, true, nil // an IPv6 address is in no IPv4 column
		}
		w := a.Unmap().As4()
		for k := range n {
			h[k] = b[k] == w[0] && b[n+k] == w[1] && b[2*n+k] == w[2] && b[3*n+k] == w[3]
		}
		return h, true, nil
	case t == tUint16 && enc == encU16 && m.u16 != nil && m.port != 0:
		if len(b) != 2*n {
			return nil, true, errColumnShort
		}
		h := make([]bool, n)
		hi, lo := byte(m.port>>8), byte(m.port)
		for k := range n {
			h[k] = b[k] == hi && b[n+k] == lo
		}
		return h, true, nil
	case t == tPrefix && enc == encPrefix && m.prefix != nil:
		h := make([]bool, n)
		d := record.NewRowDecoder(b)
		for k := range n {
			var p netip.Prefix
			d.Prefix(&p)
			h[k] = d.Err() == nil && m.prefix(p)
		}
		if d.Err() != nil {
			return nil, true, d.Err()
		}
		if d.Len() != 0 {
			return nil, true, fmt.Errorf("%d trailing bytes", d.Len())
		}
		return h, true, nil
	}
	return nil, false, nil
}
