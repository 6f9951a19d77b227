package segment

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/warden-ops/warden/internal/record"
)

// Format limits. A decoder refuses frames beyond them before allocating, so
// corrupt input cannot make it allocate without bound.
const (
	// MaxBlockRecords bounds the records in one block (the sealer uses far
	// fewer, 65,536 by default).
	MaxBlockRecords = 1 << 20
	// maxColumnBytes bounds one column's uncompressed size.
	maxColumnBytes = 256 << 20
	// DefaultGroupShift groups 256 records under each stored subtree root:
	// 32 bytes per 256 records (1/8 byte a record) lets verification name
	// the altered records within 256 of each other.
	DefaultGroupShift = 8
)

var blockMagic = [4]byte{'W', 'B', 'L', 'K'}

const blockVersion = 1

// Header is what a block frame says about its records before the body:
// enough to decide whether a lookup must read the block, and to verify it.
type Header struct {
	Kind     record.Kind
	FirstSeq uint64
	Count    int
	// MinTime and MaxTime bound the records' event times; MinReceive and
	// MaxReceive their receive times (Unix nanoseconds).
	MinTime, MaxTime       int64
	MinReceive, MaxReceive int64
	// Root is the RFC 6962 Merkle root over the records' canonical
	// encodings, in order.
	Root tlog.Hash
	// GroupShift and Groups hold the roots of the aligned subtrees of
	// 1<<GroupShift records.
	GroupShift uint8
	Groups     []tlog.Hash
	// FlowStart is record.FlowStart of the kind when the block stores
	// each flow's fields once, zero otherwise.
	FlowStart uint8
	// Tags holds the first byte of each record's leaf hash. They are not
	// evidence (the Merkle root is); they let verification name which
	// records of an altered group changed, at one byte a record.
	Tags []byte
	// Filters has one entry per key class present in the block.
	Filters []*Filter
	// BodyOffset is where the column data starts in the frame.
	BodyOffset int
}

// Filter returns the block's filter for class c, or nil.
func (h *Header) Filter(c record.Key) *Filter {
	for _, f := range h.Filters {
		if f.Class == c {
			return f
		}
	}
	return nil
}

// Encoder turns records into block frames. It reuses its buffers between
// calls and is not safe for concurrent use.
type Encoder struct {
	zenc    *zstd.Encoder
	w       columnWriter
	filters [keyClasses]filterBuilder
	leaves  []tlog.Hash
	stack   []tlog.Hash
	canon   []byte
	raw     []byte
	flows   flowIndex
	// chunkBytes is the raw size of a column's chunks; columns under
	// twice that are compressed whole.
	chunkBytes int
	refs       []uint64
	app        record.Appender
}

// flowIndex finds the latest earlier record of a block with the same flow
// key. Keys live in one arena and the map holds their hashes, so indexing a
// record allocates nothing.
type flowIndex struct {
	byHash map[uint64]int32 // key hash -> latest row
	keys   []byte
	offs   []int // row i's key is keys[offs[i]:offs[i+1]]
}

func (f *flowIndex) reset() {
	if f.byHash == nil {
		f.byHash = make(map[uint64]int32, 1<<16)
	}
	clear(f.byHash)
	f.keys, f.offs = f.keys[:0], append(f.offs[:0], 0)
}

// add records row i's key (appended to f.keys by the caller, from
// f.offs[i]) and returns the distance back to the latest earlier row with
// the same key, or 0.
func (f *flowIndex) add(i int) int {
	key := f.keys[f.offs[i]:]
	h := KeyHash(0, key)
	ref := 0
	if j, ok := f.byHash[h]; ok && string(f.keys[f.offs[j]:f.offs[j+1]]) == string(key) {
		ref = i - int(j)
	}
	f.byHash[h] = int32(i)
	f.offs = append(f.offs, len(f.keys))
	return ref
}

// NewEncoder returns an encoder compressing columns with zstd at level.
func NewEncoder(level zstd.EncoderLevel) (*Encoder, error) {
	z, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(false), zstd.WithZeroFrames(true))
	if err != nil {
		return nil, fmt.Errorf("new zstd encoder: %w", err)
	}
	e := &Encoder{zenc: z, chunkBytes: DefaultChunkBytes}
	e.w.filters = &e.filters
	return e, nil
}

// Encode appends the frame of a block holding recs to dst. The records
// must all be of one kind and valid; the first has sequence number
// firstSeq. leaves, if not nil, are the records' leaf hashes, which the
// caller computed from their canonical encodings; Encode computes them
// otherwise. It returns the frame and its header.
func (e *Encoder) Encode(dst []byte, firstSeq uint64, recs []*record.Record, leaves []tlog.Hash) ([]byte, *Header, error) {
	if len(recs) == 0 || len(recs) > MaxBlockRecords {
		return nil, nil, fmt.Errorf("encode block: %d records (want 1 to %d)", len(recs), MaxBlockRecords)
	}
	h := &Header{Kind: recs[0].Kind, FirstSeq: firstSeq, Count: len(recs), GroupShift: DefaultGroupShift,
		MinTime: math.MaxInt64, MinReceive: math.MaxInt64, MaxTime: math.MinInt64, MaxReceive: math.MinInt64}
	if leaves != nil && len(leaves) != len(recs) {
		return nil, nil, fmt.Errorf("encode block: %d leaf hashes for %d records", len(leaves), len(recs))
	}
	for i := range e.w.cols {
		e.w.cols[i].reset()
	}
	e.w.cols = e.w.cols[:0]
	for i := range e.filters {
		e.filters[i].reset()
	}
	e.leaves = e.leaves[:0]
	fs := record.FlowStart(h.Kind)
	h.FlowStart, e.w.flowStart = uint8(fs), fs
	e.refs = e.refs[:0]
	e.flows.reset()
	for i, r := range recs {
		if r.Kind != h.Kind {
			return nil, nil, fmt.Errorf("encode block: %s record in a %s block", r.Kind, h.Kind)
		}
		et, rt := r.EventTime.UnixNano(), r.ReceiveTime.UnixNano()
		h.MinTime, h.MaxTime = min(h.MinTime, et), max(h.MaxTime, et)
		h.MinReceive, h.MaxReceive = min(h.MinReceive, rt), max(h.MaxReceive, rt)
		if leaves == nil {
			e.canon = e.app.Canonical(append(e.canon[:0], 0), r)
			e.leaves = append(e.leaves, leafHash(e.canon))
		} else {
			e.leaves = append(e.leaves, leaves[i])
		}
		ref := 0
		if fs > 0 {
			e.flows.keys = e.app.FlowKey(e.flows.keys, r)
			ref = e.flows.add(i)
			e.refs = append(e.refs, uint64(ref))
		}
		e.w.startRecord(ref != 0)
		r.Visit(&e.w)
		e.w.endRecord()
	}
	h.Tags = make([]byte, len(e.leaves))
	for i, l := range e.leaves {
		h.Tags[i] = l[0]
	}
	h.Groups = groupRoots(nil, e.leaves, h.GroupShift, e.stack)
	h.Root = treeHash(h.Groups, e.stack)
	for c := range e.filters {
		if len(e.filters[c].hashes) > 0 {
			h.Filters = append(h.Filters, e.filters[c].build(record.Key(c)))
		}
	}
	start := len(dst)
	dst = appendHeader(dst, h)
	h.BodyOffset = len(dst) - start
	ncols := len(e.w.cols)
	if fs > 0 {
		ncols++
	}
	dst = binary.AppendUvarint(dst, uint64(ncols))
	if fs > 0 {
		e.raw = e.raw[:0]
		for _, ref := range e.refs {
			e.raw = binary.AppendUvarint(e.raw, ref)
		}
		dst = e.appendCompressed(dst, encUvarint, e.raw)
	}
	for i := range e.w.cols {
		var enc byte
		e.raw, enc = appendColumn(e.raw[:0], &e.w.cols[i])
		if chunkable(enc) && len(e.raw) >= 2*e.chunkBytes {
			var ok bool
			if dst, ok = e.appendChunked(dst, enc, e.raw); ok {
				continue
			}
		}
		dst = e.appendCompressed(dst, enc, e.raw)
	}
	return dst, h, nil
}

// appendCompressed appends one column: its encoding, whether it is
// compressed, its raw length and its stored bytes.
func (e *Encoder) appendCompressed(dst []byte, enc byte, raw []byte) []byte {
	dst = append(dst, enc)
	comp := e.zenc.EncodeAll(raw, nil)
	if len(comp) >= len(raw) {
		dst = append(dst, 0)
		dst = binary.AppendUvarint(dst, uint64(len(raw)))
		dst = binary.AppendUvarint(dst, uint64(len(raw)))
		return append(dst, raw...)
	}
	dst = append(dst, 1)
	dst = binary.AppendUvarint(dst, uint64(len(raw)))
	dst = binary.AppendUvarint(dst, uint64(len(comp)))
	return append(dst, comp...)
}

func appendHeader(dst []byte, h *Header) []byte {
	dst = append(dst, blockMagic[:]...)
	dst = append(dst, blockVersion, byte(h.Kind), record.SchemaVersion)
	dst = binary.AppendUvarint(dst, uint64(h.Count))
	dst = binary.AppendUvarint(dst, h.FirstSeq)
	for _, t := range []int64{h.MinTime, h.MaxTime, h.MinReceive, h.MaxReceive} {
		dst = binary.BigEndian.AppendUint64(dst, uint64(t))
	}
	dst = append(dst, h.Root[:]...)
	dst = append(dst, h.GroupShift)
	for _, g := range h.Groups {
		dst = append(dst, g[:]...)
	}
	dst = append(dst, h.FlowStart)
	dst = append(dst, h.Tags...)
	dst = append(dst, byte(len(h.Filters)))
	for _, f := range h.Filters {
		dst = append(dst, byte(f.Class))
		dst = binary.AppendUvarint(dst, uint64(len(f.Min)))
		dst = append(dst, f.Min...)
		dst = binary.AppendUvarint(dst, uint64(len(f.Max)))
		dst = append(dst, f.Max...)
		dst = binary.AppendUvarint(dst, uint64(len(f.bits)))
		for _, w := range f.bits {
			dst = binary.LittleEndian.AppendUint64(dst, w)
		}
	}
	return dst
}

// ErrCorrupt is wrapped by every error about a malformed frame.
var ErrCorrupt = errors.New("corrupt block")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// DecodeHeader parses the header of a block frame. It reads no column data.
func DecodeHeader(frame []byte) (*Header, error) {
	if len(frame) < 7 || [4]byte(frame[:4]) != blockMagic {
		return nil, corrupt("bad magic")
	}
	if frame[4] != blockVersion {
		return nil, corrupt("unknown block version %d", frame[4])
	}
	h := &Header{Kind: record.Kind(frame[5])}
	if !h.Kind.Valid() {
		return nil, corrupt("unknown kind %d", frame[5])
	}
	// The records' visit order, and so the columns, depend on the schema;
	// a block of another schema needs the decoder of that schema.
	if frame[6] != record.SchemaVersion {
		return nil, corrupt("records of schema version %d; this Warden reads version %d", frame[6], record.SchemaVersion)
	}
	d := record.NewRowDecoder(frame[7:])
	n := d.Uvarint()
	if n == 0 || n > MaxBlockRecords {
		return nil, corrupt("record count %d out of range", n)
	}
	h.Count = int(n)
	h.FirstSeq = d.Uvarint()
	h.MinTime, h.MaxTime = int64(d.Fixed64()), int64(d.Fixed64())
	h.MinReceive, h.MaxReceive = int64(d.Fixed64()), int64(d.Fixed64())
	copy(h.Root[:], readN(d, tlog.HashSize))
	h.GroupShift = d.Byte()
	if h.GroupShift > 20 {
		return nil, corrupt("group shift %d out of range", h.GroupShift)
	}
	groups := (h.Count + 1<<h.GroupShift - 1) >> h.GroupShift
	if groups*tlog.HashSize > d.Len() {
		return nil, corrupt("frame too short for %d group roots", groups)
	}
	h.Groups = make([]tlog.Hash, groups)
	for i := range h.Groups {
		copy(h.Groups[i][:], readN(d, tlog.HashSize))
	}
	h.FlowStart = d.Byte()
	if want := record.FlowStart(h.Kind); h.FlowStart != 0 && int(h.FlowStart) != want {
		return nil, corrupt("flow start %d, the %s kind's is %d", h.FlowStart, h.Kind, want)
	}
	h.Tags = d.Take(h.Count)
	if h.Tags == nil {
		return nil, corrupt("frame too short for %d record tags", h.Count)
	}
	nf := int(d.Byte())
	for range nf {
		f := &Filter{Class: record.Key(d.Byte())}
		f.Min = d.LenBytes()
		f.Max = d.LenBytes()
		words := d.Uvarint()
		if words > uint64(d.Len()/8) || words == 0 {
			return nil, corrupt("filter of %d words", words)
		}
		f.bits = make([]uint64, words)
		for i := range f.bits {
			f.bits[i] = binary.LittleEndian.Uint64(readN(d, 8))
		}
		h.Filters = append(h.Filters, f)
	}
	if d.Err() != nil {
		return nil, corrupt("header: %v", d.Err())
	}
	h.BodyOffset = len(frame) - d.Len()
	return h, nil
}

// readN reads n bytes, or returns zeros once the decoder has failed.
func readN(d *record.RowDecoder, n int) []byte {
	if b := d.Take(n); b != nil {
		return b
	}
	return make([]byte, n)
}

// Decoder reads block frames. It is safe for concurrent use.
type Decoder struct {
	zdec *zstd.Decoder
}

// NewDecoder returns a block decoder.
func NewDecoder() (*Decoder, error) {
	z, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxColumnBytes))
	if err != nil {
		return nil, fmt.Errorf("new zstd decoder: %w", err)
	}
	return &Decoder{zdec: z}, nil
}

// Close releases the decoder's resources.
func (d *Decoder) Close() { d.zdec.Close() }

// Decode parses a whole frame into its header and records. Record IDs are
// set from the header's first sequence number. Returned records share
// decoded strings and byte slices with each other; they must not be
// modified.
func (d *Decoder) Decode(frame []byte) (*Header, []*record.Record, error) {
	h, err := DecodeHeader(frame)
	if err != nil {
		return nil, nil, err
	}
	recs, err := d.decodeBody(h, frame[h.BodyOffset:])
	if err != nil {
		return h, nil, err
	}
	return h, recs, nil
}

// columnSpan locates one stored column within the body.
type columnSpan struct {
	enc, comp byte
	rawLen    int
	data      []byte
	chunks    []chunk // of a chunked column
}

func (d *Decoder) decodeBody(h *Header, body []byte) ([]*record.Record, error) {
	cr, err := d.openBody(h, body)
	if err != nil {
		return nil, err
	}
	recs := newRecords(h.Kind, h.Count)
	for j, r := range recs {
		if err := cr.read(r, j); err != nil {
			return nil, err
		}
		r.ID = record.ID{Kind: h.Kind, Seq: h.FirstSeq + uint64(j)}
	}
	return recs, nil
}

// openBody locates the body's columns and returns a reader that decodes
// each the first time it is read.
func (d *Decoder) openBody(h *Header, body []byte) (*columnReader, error) {
	rd := record.NewRowDecoder(body)
	nc := rd.Uvarint()
	if nc > 65 {
		return nil, corrupt("%d columns", nc)
	}
	spans := make([]columnSpan, nc)
	for i := range spans {
		s := &spans[i]
		s.enc, s.comp = rd.Byte(), rd.Byte()
		raw, dl := rd.Uvarint(), rd.Uvarint()
		if raw > maxColumnBytes || dl > uint64(rd.Len()) {
			return nil, corrupt("column %d: sizes %d/%d out of range", i, raw, dl)
		}
		s.rawLen, s.data = int(raw), rd.Take(int(dl))
	}
	if rd.Err() != nil || rd.Len() != 0 {
		return nil, corrupt("body: %v, %d trailing bytes", rd.Err(), rd.Len())
	}
	rows := h.Count // values in the flow columns
	var slot []int
	if h.FlowStart > 0 {
		if len(spans) == 0 {
			return nil, corrupt("no flow reference column")
		}
		var err error
		if slot, rows, err = d.flowSlots(&spans[0], h.Count); err != nil {
			return nil, err
		}
		spans = spans[1:]
	}
	cr := &columnReader{cols: make([]column, len(spans)), flowStart: int(h.FlowStart), slot: slot,
		raws: make([][]byte, len(spans)), count: h.Count, rows: rows, dec: d, spans: spans, encs: make([]byte, len(spans))}
	for i := range spans {
		s := &spans[i]
		cr.encs[i] = s.enc
		if s.comp != compChunks {
			continue
		}
		var err error
		if s.chunks, err = parseChunks(s.enc, s.data, s.rawLen); err != nil {
			return nil, corrupt("column %d: %v", i, err)
		}
		if last := s.chunks[len(s.chunks)-1]; last.first+last.values != cr.values(i) {
			return nil, corrupt("column %d: chunks hold %d values, column %d", i, last.first+last.values, cr.values(i))
		}
	}
	return cr, nil
}

// raw returns column i decompressed, checking it, once.
func (cr *columnReader) raw(i int) ([]byte, error) {
	if i >= len(cr.raws) || cr.dec == nil {
		return nil, fmt.Errorf("column %d is not in this reader", i)
	}
	if cr.raws[i] != nil {
		return cr.raws[i], nil
	}
	s := &cr.spans[i]
	raw := s.data
	switch s.comp {
	case 0:
	case 1:
		b, err := cr.dec.zdec.DecodeAll(s.data, make([]byte, 0, s.rawLen))
		if err != nil {
			return nil, fmt.Errorf("%w: decompress: %v", ErrCorrupt, err)
		}
		raw = b
	case compChunks:
		raw = make([]byte, 0, s.rawLen)
		var sum int64
		for k := range s.chunks {
			c := &s.chunks[k]
			b, err := cr.chunk(i, k)
			if err != nil {
				return nil, err
			}
			if sum, err = checkChunk(s.enc, c, b, sum); err != nil {
				return nil, corrupt("%v", err)
			}
			raw = append(raw, b...)
		}
	default:
		return nil, corrupt("unknown compression %d", s.comp)
	}
	if len(raw) != s.rawLen {
		return nil, corrupt("raw length %d, header says %d", len(raw), s.rawLen)
	}
	if raw == nil {
		raw = []byte{}
	}
	cr.raws[i] = raw
	return raw, nil
}

// chunk returns chunk k of chunked column i decompressed.
func (cr *columnReader) chunk(i, k int) ([]byte, error) {
	c := &cr.spans[i].chunks[k]
	if len(c.data) == c.rawLen {
		return c.data, nil // stored as is
	}
	b, err := cr.dec.zdec.DecodeAll(c.data, make([]byte, 0, c.rawLen))
	if err != nil {
		return nil, corrupt("chunk of values %d..: decompress: %v", c.first, err)
	}
	if len(b) != c.rawLen {
		return nil, corrupt("chunk of values %d..: raw length %d, directory says %d", c.first, len(b), c.rawLen)
	}
	return b, nil
}

// load decodes column i as type t.
func (cr *columnReader) load(i int, t colType) error {
	raw, err := cr.raw(i)
	if err != nil {
		return err
	}
	if err := decodeColumn(&cr.cols[i], t, cr.encs[i], raw, cr.values(i)); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return nil
}

// values returns the number of values column i holds: one a record, or
// one a flow row for the flow columns.
func (cr *columnReader) values(i int) int {
	if cr.flowStart > 0 && i >= cr.flowStart {
		return cr.rows
	}
	return cr.count
}

// read sets r, allocated for the block's kind, from row j.
func (cr *columnReader) read(r *record.Record, j int) error {
	cr.i, cr.j = 0, j
	r.Visit(cr)
	if cr.err != nil {
		return &RecordError{Index: j, Err: cr.err}
	}
	if cr.i != len(cr.cols) {
		return corrupt("block has %d columns, records have %d fields", len(cr.cols), cr.i)
	}
	return nil
}

// flowSlots decodes the flow reference column: for each record the
// distance back to the record whose flow it shares, or 0. It returns, per
// record, the row of its flow in the flow columns, and the number of rows.
func (d *Decoder) flowSlots(s *columnSpan, n int) ([]int, int, error) {
	raw := s.data
	switch s.comp {
	case 0:
	case 1:
		b, err := d.zdec.DecodeAll(s.data, make([]byte, 0, s.rawLen))
		if err != nil {
			return nil, 0, corrupt("flow references: %v", err)
		}
		raw = b
	default:
		return nil, 0, corrupt("flow references: unknown compression %d", s.comp)
	}
	if s.enc != encUvarint || len(raw) != s.rawLen {
		return nil, 0, corrupt("flow references: encoding %d, %d bytes of %d", s.enc, len(raw), s.rawLen)
	}
	slot := make([]int, n)
	rows, p := 0, 0
	for j := range slot {
		var ref uint64
		if p < len(raw) && raw[p] < 0x80 { // most references fit a byte
			ref = uint64(raw[p])
			p++
		} else {
			v, m := binary.Uvarint(raw[p:])
			if m <= 0 || (m > 1 && raw[p+m-1] == 0) {
				return nil, 0, corrupt("flow references: malformed uvarint at record %d", j)
			}
			ref, p = v, p+m
		}
		switch {
		case ref == 0:
			slot[j] = rows
			rows++
		case ref <= uint64(j):
			slot[j] = slot[j-int(ref)]
		default:
			return nil, 0, corrupt("record %d refers %d records back", j, ref)
		}
	}
	if p != len(raw) {
		return nil, 0, corrupt("flow references: %d trailing bytes", len(raw)-p)
	}
	return slot, rows, nil
}

// RecordError locates a decoding failure at a record of a block.
type RecordError struct {
	Index int
	Err   error
}

func (e *RecordError) Error() string { return fmt.Sprintf("record %d: %v", e.Index, e.Err) }

// Unwrap returns the cause.
func (e *RecordError) Unwrap() error { return e.Err }

// newRecords allocates n records of kind k with their bodies in one slab.
func newRecords(k record.Kind, n int) []*record.Record {
	rs := make([]record.Record, n)
	ps := make([]*record.Record, n)
	for i := range rs {
		ps[i] = &rs[i]
	}
	switch k {
	case record.KindSession:
		b := make([]record.Session, n)
		for i := range rs {
			rs[i].Kind, rs[i].Session = k, &b[i]
		}
	case record.KindNAT:
		b := make([]record.NAT, n)
		for i := range rs {
			rs[i].Kind, rs[i].NAT = k, &b[i]
		}
	default:
		for i := range rs {
			rs[i].Init(k)
		}
	}
	return ps
}

// LeafHashes returns the RFC 6962 leaf hashes of recs' canonical encodings.
func LeafHashes(recs []*record.Record) []tlog.Hash {
	out := make([]tlog.Hash, len(recs))
	var buf []byte
	var app record.Appender
	for i, r := range recs {
		buf = app.Canonical(append(buf[:0], 0), r)
		out[i] = leafHash(buf)
	}
	return out
}

// LeafHashPrefixed is LeafHash of b[1:], overwriting b[0] to avoid a
// copy; it does not allocate.
func LeafHashPrefixed(b []byte) tlog.Hash { return leafHash(b) }

// LeafHash returns the RFC 6962 leaf hash of a canonical encoding,
// SHA-256(0x00 || canonical).
func LeafHash(canonical []byte) tlog.Hash {
	var zero [1]byte
	h := sha256.New()
	h.Write(zero[:])
	h.Write(canonical)
	return tlog.Hash(h.Sum(nil))
}

// Roots recomputes the group roots and the block root from leaf hashes.
func Roots(leaves []tlog.Hash, shift uint8) (groups []tlog.Hash, root tlog.Hash) {
	groups = groupRoots(nil, leaves, shift, nil)
	return groups, treeHash(groups, nil)
}

// Time converts Unix nanoseconds from a header to a time.
func Time(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// TreeHash returns the RFC 6962 tree hash over hashes taken as one level of
// a tree, such as a block's group roots.
func TreeHash(hashes []tlog.Hash) tlog.Hash { return treeHash(hashes, nil) }
