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
		if err := cr.restrict(keep, lay, func(f field) bool { return f.key == c }, func(col *column, k int) bool {
			return col.holds(k, want)
		}); err != nil {
			return nil, false, err
		}
	}
	if a := sel.Holder; a.IsValid() {
		a16 := a.Unmap().As16()
		err := cr.restrict(keep, lay, func(f field) bool { return f.key == record.KeyInsideAddr || f.typ == tPrefix },
			func(col *column, k int) bool {
				if col.typ == tPrefix {
					return col.prefs[k].IsValid() && col.prefs[k].Contains(a.Unmap())
				}
				a := col.addr(k)
				return a.IsValid() && a.As16() == a16
			})
		if err != nil {
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
// pick chooses satisfies hit. A block with no such field keeps nothing.
func (cr *columnReader) restrict(keep []bool, lay []field, pick func(field) bool, hit func(col *column, k int) bool) error {
	var cols []int
	for i, f := range lay {
		if pick(f) {
			cols = append(cols, i)
		}
	}
	for _, i := range cols {
		if c := &cr.cols[i]; c.typ == 0 {
			if err := cr.load(i, lay[i].typ); err != nil {
				return corrupt("column %d: %v", i, err)
			}
		} else if c.typ != lay[i].typ {
			return corrupt("column %d: type %d read as %d", i, c.typ, lay[i].typ)
		}
	}
	// A flow column holds one value a flow row, shared by the records of
	// the flow: test each row once, not each record.
	var plain, flow []int
	for _, i := range cols {
		if cr.flowStart > 0 && i >= cr.flowStart {
			flow = append(flow, i)
		} else {
			plain = append(plain, i)
		}
	}
	var rowHit []bool
	if len(flow) > 0 {
		rowHit = make([]bool, cr.rows)
		for k := range rowHit {
			for _, i := range flow {
				if hit(&cr.cols[i], k) {
					rowHit[k] = true
					break
				}
			}
		}
	}
	for j := range keep {
		if !keep[j] {
			continue
		}
		found := rowHit != nil && rowHit[cr.slot[j]]
		for _, i := range plain {
			if found {
				break
			}
			found = hit(&cr.cols[i], j)
		}
		keep[j] = found
	}
	return nil
}

// holds reports whether row k of a keyed column equals a filter key.
func (c *column) holds(k int, key []byte) bool {
	switch c.typ {
	case tAddr:
		a := c.addr(k)
		return a.IsValid() && len(key) == 16 && a.As16() == [16]byte(key)
	case tUint16:
		return c.u16[k] != 0 && len(key) == 2 && c.u16[k] == binary.BigEndian.Uint16(key)
	case tString:
		return c.str(k) == string(key)
	}
	return false
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
