package segment

import (
	"encoding/binary"
	"errors"
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
}

func (s *Select) empty() bool { return len(s.Keys) == 0 && !s.Holder.IsValid() }

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

// Decoded is a block whose columns are all decompressed, and those a
// selection tested decoded. It is immutable and safe for concurrent use.
type Decoded struct {
	h   *Header
	cr  *columnReader
	lay []field
}

// Header returns the block's header.
func (b *Decoded) Header() *Header { return b.h }

// Select returns the records sel keeps, like DecodeSelect, without
// decompressing anything again.
func (b *Decoded) Select(sel Select) ([]*record.Record, error) {
	// The cursor fields are per use. The decompressed columns are all
	// loaded, so shared; a column this selection decodes is decoded into
	// a copy of the column list.
	cr := *b.cr
	cr.cols = slices.Clone(b.cr.cols)
	recs, _, err := cr.selectRows(b.h, b.lay, sel)
	return recs, err
}

// Size estimates the memory the decoded columns hold, in bytes.
func (b *Decoded) Size() int64 {
	n := int64(len(b.cr.slot)) * 8
	for _, r := range b.cr.raws {
		n += int64(len(r))
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
		}
		if err := cr.restrict(keep, lay, func(f field) bool { return f.key == record.KeyInsideAddr || f.typ == tPrefix }, m); err != nil {
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
	return cr.each(func(i int) bool { return cr.raws[i] == nil }, func(i int) error {
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
		c := &cr.cols[i]
		if c.typ == 0 {
			if err := cr.load(i, f.typ); err != nil {
				return corrupt("column %d: %v", i, err)
			}
		} else if c.typ != f.typ {
			return corrupt("column %d: type %d read as %d", i, c.typ, f.typ)
		}
		// A flow column holds one value a flow row, shared by the
		// records of the flow.
		if cr.flowStart > 0 && i >= cr.flowStart {
			flow = append(flow, m.hits(c, cr.rows))
		} else {
			plain = append(plain, m.hits(c, cr.count))
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

// matcher tests the values of keyed columns, one function a column type;
// a nil function matches nothing.
type matcher struct {
	addr   func(netip.Addr) bool
	prefix func(netip.Prefix) bool
	u16    func(uint16) bool
	str    func(string) bool
}

// keyMatcher matches the values whose key is want (AddrKey, PortKey or a
// string's bytes).
func keyMatcher(want []byte) matcher {
	m := matcher{str: func(s string) bool { return s == string(want) }}
	if len(want) == 16 {
		w := [16]byte(want)
		m.addr = func(a netip.Addr) bool { return a.IsValid() && a.As16() == w }
	}
	if len(want) == 2 {
		w := binary.BigEndian.Uint16(want)
		m.u16 = func(v uint16) bool { return v != 0 && v == w }
	}
	return m
}

// hits returns whether each of the n values of column c matches. A
// dictionary column is tested once an entry, not once a value.
func (m matcher) hits(c *column, n int) []bool {
	h := make([]bool, n)
	switch {
	case c.typ == tAddr && m.addr != nil && c.ids != nil:
		entry := make([]bool, len(c.addrs))
		for i, a := range c.addrs {
			entry[i] = m.addr(a)
		}
		for k, id := range c.ids {
			h[k] = entry[id]
		}
	case c.typ == tAddr && m.addr != nil:
		for k, a := range c.addrs {
			h[k] = m.addr(a)
		}
	case c.typ == tString && m.str != nil && c.ids != nil:
		entry := make([]bool, len(c.strs))
		for i, s := range c.strs {
			entry[i] = m.str(s)
		}
		for k, id := range c.ids {
			h[k] = entry[id]
		}
	case c.typ == tString && m.str != nil:
		for k, s := range c.strs {
			h[k] = m.str(s)
		}
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
