package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/bits"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/segment"
)

// The lookup index (docs/format/index.md). Beside each segment file an
// index file holds, for every block of the segment, a blocked Bloom filter
// over the block's lookup keys and, per source, when the source's records
// were and were not arriving. A lookup reads one 64-byte line of a block's
// filter to learn whether the block may hold its key, instead of reading
// the block; the source spans stay in memory and answer "was this device
// silent then?" without reading any block. The index is derived data: it
// is rebuilt from the blocks when missing or torn, and verification
// recomputes it, so it is never evidence and never trusted over the blocks.

const (
	indexMagic      = "WIDX"
	indexVersion    = 3
	indexHeaderSize = 8
	// lineBytes is the size of one filter line: a cache line, and the
	// unit a lookup reads from disk.
	lineBytes = 64
	lineBits  = lineBytes * 8
	// indexBitsPerKey and indexProbes give a false-positive rate near
	// 0.1% for a blocked filter: a lookup decodes about one block in a
	// thousand that does not hold its key. A trace probes three keys a
	// block (endpoint, port chunk, whole address) over every block from
	// a port block's allocation to its release, often a day: at 10 bits
	// a key, false positives were most of the blocks its slowest
	// questions read.
	indexBitsPerKey = 16
	indexProbes     = 7
	// SpanGap is the shortest pause in a source's records that a block's
	// index lists. A pause shorter than this is invisible to [Store.Activity],
	// so gaps shorter than twice it cannot be reported.
	SpanGap = 30 * time.Second
	// maxChunkPorts is the widest port range indexed by its 64-port
	// chunks; a wider range is indexed as holding every port.
	maxChunkPorts = 4096
	chunkShift    = 6
)

// Index key classes beyond record.Key's: they are derived from several
// fields.
const (
	classEndpoint = 32 + iota // outside address and port (16+2 bytes)
	classChunk                // outside address and 64-port chunk of a range (16+2)
	classAnyPort              // outside address of a mapping holding every port (16)
	classPrefix               // an IPv6 prefix cut to an indexed length: length byte + 16
	classWide                 // a record holds a prefix shorter than /32
)

// prefixLengths are the lengths at which prefixes are indexed: a prefix is
// keyed at the longest of them not longer than itself, so a lookup of an
// address probes one key per length.
var prefixLengths = [...]int{32, 36, 40, 44, 48, 52, 56, 60, 64}

// blockIndex is what the index says about one block. The filter lines stay
// on disk (in file, at off) unless the block was indexed in memory by a
// read-only store.
type blockIndex struct {
	file    *indexFile
	off     int64 // of the first line in file
	nlines  int
	lines   []byte // in-memory lines, when file is nil
	sources []SourceSpan
}

// SourceSpan says when one source's records in one block were arriving:
// from First to Last, except during the Gaps (pauses of at least SpanGap).
// Times are event times.
type SourceSpan struct {
	Source      string
	First, Last int64 // Unix ns
	Gaps        [][2]int64
}

// indexFile is an open index file.
type indexFile struct {
	mu   sync.Mutex // serializes appends
	f    *os.File
	size int64
}

func indexPath(segPath string) string { return strings.TrimSuffix(segPath, ".seg") + ".idx" }

// keyHash is the filter hash of an index key: the key is read as
// little-endian 64-bit words (the last one zero-padded), each mixed into
// the state, and the state finished with MurmurHash3's fmix64. It is part
// of the on-disk format (docs/format/index.md).
func keyHash(class uint8, key []byte) uint64 {
	const m = 0x9e3779b97f4a7c15
	h := (uint64(class) + 1) * m
	h ^= uint64(len(key))
	for len(key) >= 8 {
		h = bits.RotateLeft64((h^binary.LittleEndian.Uint64(key))*m, 31)
		key = key[8:]
	}
	if len(key) > 0 {
		var tail [8]byte
		copy(tail[:], key)
		h = bits.RotateLeft64((h^binary.LittleEndian.Uint64(tail[:]))*m, 31)
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// probe returns the line of a key's hash and its bit positions in it.
func probe(h uint64, nlines int) (line int, bits [indexProbes]uint16) {
	line = int((h >> 32) * uint64(nlines) >> 32)
	h1, h2 := uint32(h), uint32(h>>16)|1
	for i := range bits {
		bits[i] = uint16((h1 + uint32(i)*h2) % lineBits)
	}
	return line, bits
}

func lineHolds(line []byte, bits [indexProbes]uint16) bool {
	for _, b := range bits {
		if line[b/8]&(1<<(b%8)) == 0 {
			return false
		}
	}
	return true
}

// indexKeys appends the hash of every lookup key of r to hashes.
func indexKeys(r *record.Record, buf []byte, hashes *[]uint64) []byte {
	add := func(class uint8, key []byte) { *hashes = append(*hashes, keyHash(class, key)) }
	r.Visit(keyCollector{hashes})
	switch r.Kind {
	case record.KindNAT:
		n := r.NAT
		if !n.OutsideAddr.IsValid() {
			break
		}
		a := n.OutsideAddr.Unmap().As16()
		switch {
		case n.OutsidePortEnd != 0 && int(n.OutsidePortEnd)-int(n.OutsidePort) < maxChunkPorts && n.OutsidePortEnd >= n.OutsidePort:
			for c := n.OutsidePort >> chunkShift; c <= n.OutsidePortEnd>>chunkShift; c++ {
				buf = binary.BigEndian.AppendUint16(append(buf[:0], a[:]...), c)
				add(classChunk, buf)
			}
		case n.OutsidePortEnd != 0 || n.OutsidePort == 0:
			add(classAnyPort, a[:])
		default:
			buf = binary.BigEndian.AppendUint16(append(buf[:0], a[:]...), n.OutsidePort)
			add(classEndpoint, buf)
		}
	case record.KindSession:
		for _, p := range []netip.Prefix{r.Session.IPv6Prefix, r.Session.DelegatedPrefix} {
			if !p.IsValid() {
				continue
			}
			if p.Bits() < prefixLengths[0] || !p.Addr().Is6() {
				add(classWide, nil)
				continue
			}
			l := prefixLengths[0]
			for _, pl := range prefixLengths {
				if pl <= p.Bits() {
					l = pl
				}
			}
			buf = prefixKey(buf, p.Addr(), l)
			add(classPrefix, buf)
		}
	}
	return buf
}

func prefixKey(buf []byte, a netip.Addr, bits int) []byte {
	p, _ := a.Prefix(bits)
	b := p.Addr().As16()
	return append(append(buf[:0], byte(bits)), b[:]...)
}

// keyCollector feeds a record's keyed fields to the index, but not bare
// ports: every NAT block holds most ports, so they only cost bits.
type keyCollector struct{ hashes *[]uint64 }

func (k keyCollector) Uint8(*uint8)               {}
func (k keyCollector) Uint16(*uint16, record.Key) {}
func (k keyCollector) Uint64(*uint64)             {}
func (k keyCollector) Time(*time.Time)            {}
func (k keyCollector) Bytes(*[]byte)              {}
func (k keyCollector) Prefix(*netip.Prefix)       {}
func (k keyCollector) Fields(*[]record.Field)     {}
func (k keyCollector) String(p *string, c record.Key) {
	if c != record.KeyNone && *p != "" {
		*k.hashes = append(*k.hashes, keyHash(uint8(c), []byte(*p)))
	}
}
func (k keyCollector) Addr(p *netip.Addr, c record.Key) {
	if c != record.KeyNone && p.IsValid() {
		b := p.Unmap().As16()
		*k.hashes = append(*k.hashes, keyHash(uint8(c), b[:]))
	}
}

// buildIndex computes a block's filter lines and source spans.
func buildIndex(recs []*record.Record) (lines []byte, spans []SourceSpan) {
	hashes := make([]uint64, 0, 2*len(recs))
	var buf []byte
	for _, r := range recs {
		buf = indexKeys(r, buf, &hashes)
	}
	hashes = radixSort(hashes)
	hashes = slices.Compact(hashes)
	nlines := max(1, (len(hashes)*indexBitsPerKey+lineBits-1)/lineBits)
	lines = make([]byte, nlines*lineBytes)
	for _, h := range hashes {
		line, bits := probe(h, nlines)
		l := lines[line*lineBytes:]
		for _, b := range bits {
			l[b/8] |= 1 << (b % 8)
		}
	}
	return lines, sourceSpans(recs)
}

// sourceSpans returns, per source, when its records were arriving.
func sourceSpans(recs []*record.Record) []SourceSpan {
	bySource := map[string][]int64{}
	for _, r := range recs {
		bySource[r.Source] = append(bySource[r.Source], r.EventTime.UnixNano())
	}
	var spans []SourceSpan
	for src, ts := range bySource {
		slices.Sort(ts)
		sp := SourceSpan{Source: src, First: ts[0], Last: ts[len(ts)-1]}
		for i := 1; i < len(ts); i++ {
			if ts[i]-ts[i-1] >= int64(SpanGap) {
				sp.Gaps = append(sp.Gaps, [2]int64{ts[i-1], ts[i]})
			}
		}
		spans = append(spans, sp)
	}
	slices.SortFunc(spans, func(a, b SourceSpan) int { return strings.Compare(a.Source, b.Source) })
	return spans
}

// radixSort sorts hashes, eight bits at a time: a block's keys sort in a
// fraction of what a comparison sort takes. It may return a different
// slice of the same length.
func radixSort(a []uint64) []uint64 {
	b := make([]uint64, len(a))
	for shift := uint(0); shift < 64; shift += 8 {
		var count [257]int
		for _, v := range a {
			count[(v>>shift)&0xff+1]++
		}
		for i := 1; i < 257; i++ {
			count[i] += count[i-1]
		}
		for _, v := range a {
			d := (v >> shift) & 0xff
			b[count[d]] = v
			count[d]++
		}
		a, b = b, a
	}
	return a
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// appendIndexEntry appends the entry of the block at off in its segment.
func appendIndexEntry(dst []byte, off int64, firstSeq uint64, lines []byte, spans []SourceSpan) []byte {
	var meta []byte
	meta = binary.AppendUvarint(meta, uint64(off))
	meta = binary.AppendUvarint(meta, firstSeq)
	meta = binary.AppendUvarint(meta, uint64(len(spans)))
	for _, sp := range spans {
		meta = binary.AppendUvarint(meta, uint64(len(sp.Source)))
		meta = append(meta, sp.Source...)
		meta = binary.AppendVarint(meta, sp.First)
		meta = binary.AppendUvarint(meta, uint64(sp.Last-sp.First))
		meta = binary.AppendUvarint(meta, uint64(len(sp.Gaps)))
		prev := sp.First
		for _, g := range sp.Gaps {
			meta = binary.AppendUvarint(meta, uint64(g[0]-prev))
			meta = binary.AppendUvarint(meta, uint64(g[1]-g[0]))
			prev = g[1]
		}
	}
	crc := crc32.Update(crc32.Checksum(meta, crcTable), crcTable, lines)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(meta)))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(lines)/lineBytes))
	dst = binary.LittleEndian.AppendUint32(dst, crc)
	dst = append(dst, meta...)
	return append(dst, lines...)
}

// indexEntry is one parsed entry of an index file.
type indexEntry struct {
	offset   int64 // of the block in its segment
	firstSeq uint64
	spans    []SourceSpan
	linesOff int64 // of the lines in the index file
	nlines   int
	end      int64 // of the entry in the index file
}

const entryHeaderSize = 12

// errTorn reports an entry cut short or failing its checksum.
var errTorn = errors.New("torn index entry")

// readIndexEntry reads the entry at off of r, whose size is size. With
// check, it reads the lines too and checks the entry's checksum.
func readIndexEntry(r io.ReaderAt, off, size int64, check bool) (*indexEntry, error) {
	var hdr [entryHeaderSize]byte
	if off+entryHeaderSize > size {
		return nil, errTorn
	}
	if _, err := r.ReadAt(hdr[:], off); err != nil {
		return nil, err
	}
	metaLen := int64(binary.LittleEndian.Uint32(hdr[0:]))
	nlines := int64(binary.LittleEndian.Uint32(hdr[4:]))
	crc := binary.LittleEndian.Uint32(hdr[8:])
	e := &indexEntry{linesOff: off + entryHeaderSize + metaLen, nlines: int(nlines)}
	e.end = e.linesOff + nlines*lineBytes
	if metaLen > 1<<24 || nlines > 1<<24 || e.end > size {
		return nil, errTorn
	}
	n := metaLen
	if check {
		n += nlines * lineBytes
	}
	body := make([]byte, n)
	if _, err := r.ReadAt(body, off+entryHeaderSize); err != nil {
		return nil, err
	}
	if check && crc32.Checksum(body, crcTable) != crc {
		return nil, errTorn
	}
	if err := e.parseMeta(body[:metaLen]); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *indexEntry) parseMeta(b []byte) error {
	d := metaReader{b: b}
	e.offset, e.firstSeq = int64(d.uvarint()), d.uvarint()
	n := d.uvarint()
	if n > uint64(len(b)) {
		return errTorn
	}
	for range n {
		var sp SourceSpan
		sp.Source = string(d.bytes(int(min(d.uvarint(), uint64(len(b))))))
		sp.First = d.varint()
		sp.Last = sp.First + int64(d.uvarint())
		ng := d.uvarint()
		if ng > uint64(len(b)) {
			return errTorn
		}
		prev := sp.First
		for range ng {
			from := prev + int64(d.uvarint())
			to := from + int64(d.uvarint())
			sp.Gaps = append(sp.Gaps, [2]int64{from, to})
			prev = to
		}
		e.spans = append(e.spans, sp)
	}
	if d.bad || len(d.b) != 0 {
		return errTorn
	}
	return nil
}

// metaReader reads an entry's varints, remembering a short read.
type metaReader struct {
	b   []byte
	bad bool
}

func (d *metaReader) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *metaReader) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *metaReader) bytes(n int) []byte {
	if n > len(d.b) {
		d.bad, d.b = true, nil
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// mayHold reports whether a block's filter may hold a key of every one of
// the alternatives' sets.
func (s *Store) mayHold(bi *blockIndex, want [][]uint64) (bool, error) {
	var line [lineBytes]byte
	for _, alts := range want {
		found := false
		for _, h := range alts {
			l, bits := probe(h, bi.nlines)
			if bi.file == nil {
				copy(line[:], bi.lines[l*lineBytes:])
			} else if _, err := bi.file.f.ReadAt(line[:], bi.off+int64(l)*lineBytes); err != nil {
				return false, fmt.Errorf("read index: %w", err)
			}
			if lineHolds(line[:], bits) {
				found = true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}

// openIndexFile opens (creating it if writable) the index file of a
// segment and checks its header.
func (s *Store) openIndexFile(segName string) (*indexFile, error) {
	path := indexPath(filepath.Join(s.segmentsDir(), segName))
	flag := os.O_RDWR | os.O_CREATE
	if s.cfg.ReadOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0o600)
	if s.cfg.ReadOnly && errors.Is(err, os.ErrNotExist) {
		return &indexFile{}, nil // indexed in memory
	}
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("stat index: %w", err), f.Close())
	}
	x := &indexFile{f: f, size: st.Size()}
	var hdr [indexHeaderSize]byte
	if x.size >= indexHeaderSize {
		if _, err := f.ReadAt(hdr[:], 0); err != nil {
			return nil, errors.Join(fmt.Errorf("read index: %w", err), f.Close())
		}
	}
	if x.size < indexHeaderSize || string(hdr[:4]) != indexMagic || hdr[4] != indexVersion {
		if s.cfg.ReadOnly {
			x.size = 0 // indexed in memory
			return x, nil
		}
		if err := x.reset(); err != nil {
			return nil, errors.Join(err, f.Close())
		}
	}
	return x, nil
}

// reset empties the file down to its header.
func (x *indexFile) reset() error {
	hdr := [indexHeaderSize]byte{'W', 'I', 'D', 'X', indexVersion}
	if err := x.f.Truncate(0); err != nil {
		return fmt.Errorf("reset index: %w", err)
	}
	if _, err := x.f.WriteAt(hdr[:], 0); err != nil {
		return fmt.Errorf("reset index: %w", err)
	}
	x.size = indexHeaderSize
	return nil
}

// append writes an entry at the end of the file and returns where its
// lines start.
func (x *indexFile) append(entry []byte, nlines int) (int64, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	off := x.size
	if _, err := x.f.WriteAt(entry, off); err != nil {
		return 0, fmt.Errorf("append index: %w", err)
	}
	x.size += int64(len(entry))
	return x.size - int64(nlines)*lineBytes, nil
}

// indexBlockFile indexes a block just written at off in the segment named
// segName, appending its entry to the segment's index file.
func (s *Store) indexBlockFile(segName string, off int64, firstSeq uint64, recs []*record.Record) (*blockIndex, error) {
	lines, spans := buildIndex(recs)
	x, err := s.indexFileOf(segName)
	if err != nil {
		return nil, err
	}
	linesOff, err := x.append(appendIndexEntry(nil, off, firstSeq, lines, spans), len(lines)/lineBytes)
	if err != nil {
		return nil, err
	}
	return &blockIndex{file: x, off: linesOff, nlines: len(lines) / lineBytes, sources: spans}, nil
}

// indexFileOf returns the open index file of a segment, opening it.
func (s *Store) indexFileOf(segName string) (*indexFile, error) {
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	if x := s.idxFiles[segName]; x != nil {
		return x, nil
	}
	x, err := s.openIndexFile(segName)
	if err != nil {
		return nil, err
	}
	if s.idxFiles == nil {
		s.idxFiles = map[string]*indexFile{}
	}
	s.idxFiles[segName] = x
	return x, nil
}

// closeIndex closes the index file of a segment, and removes it if remove,
// and closes the segment if a lookup opened it.
func (s *Store) closeIndex(segName string, remove bool) error {
	s.idxMu.Lock()
	x, seg := s.idxFiles[segName], s.segFiles[segName]
	delete(s.idxFiles, segName)
	delete(s.segFiles, segName)
	s.idxMu.Unlock()
	var err error
	if x != nil && x.f != nil {
		err = x.f.Close()
	}
	if seg != nil {
		err = errors.Join(err, seg.Close())
	}
	if remove {
		if rerr := os.Remove(indexPath(filepath.Join(s.segmentsDir(), segName))); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, fmt.Errorf("remove index: %w", rerr))
		}
	}
	return err
}

// loadIndex attaches every sealed block to its index entry, rebuilding the
// entries a crash or an older version left missing (in memory only when
// read-only).
func (s *Store) loadIndex() error {
	for _, ks := range s.kinds[1:] {
		bySeg := map[string][]int{}
		var order []string
		for i, b := range ks.blocks {
			if _, ok := bySeg[b.entry.Segment]; !ok {
				order = append(order, b.entry.Segment)
			}
			bySeg[b.entry.Segment] = append(bySeg[b.entry.Segment], i)
		}
		for _, seg := range order {
			if err := s.loadSegmentIndex(ks, seg, bySeg[seg]); err != nil {
				return fmt.Errorf("index of %s: %w", seg, err)
			}
		}
	}
	return nil
}

func (s *Store) loadSegmentIndex(ks *kindState, seg string, blocks []int) error {
	x, err := s.indexFileOf(seg)
	if err != nil {
		return err
	}
	byOff := map[int64]*indexEntry{}
	off := int64(indexHeaderSize)
	for off < x.size {
		e, err := readIndexEntry(x.f, off, x.size, false)
		if err == nil && e.end == x.size {
			// Only the last entry can be torn by a crash: check it whole.
			e, err = readIndexEntry(x.f, off, x.size, true)
		}
		if err != nil {
			if !errors.Is(err, errTorn) {
				return err
			}
			if !s.cfg.ReadOnly {
				s.log.Warn("store: cutting a torn index entry", "segment", seg, "offset", off)
				if err := x.f.Truncate(off); err != nil {
					return fmt.Errorf("truncate index: %w", err)
				}
				x.size = off
			}
			break
		}
		byOff[e.offset] = e
		off = e.end
	}
	rebuilt := 0
	for _, i := range blocks {
		b := &ks.blocks[i]
		if e := byOff[b.entry.Offset]; e != nil && e.firstSeq == b.entry.FirstSeq {
			b.index = &blockIndex{file: x, off: e.linesOff, nlines: e.nlines, sources: e.spans}
			continue
		}
		frame, err := s.readFrame(b.entry)
		if err != nil {
			return err
		}
		_, recs, err := s.dec.Decode(frame)
		if err != nil {
			return fmt.Errorf("block at %d: %w", b.entry.Offset, err)
		}
		if s.cfg.ReadOnly || x.f == nil {
			lines, spans := buildIndex(recs)
			b.index = &blockIndex{lines: lines, nlines: len(lines) / lineBytes, sources: spans}
		} else if b.index, err = s.indexBlockFile(seg, b.entry.Offset, b.entry.FirstSeq, recs); err != nil {
			return err
		}
		rebuilt++
	}
	if rebuilt > 0 {
		s.log.Info("store: rebuilt index entries", "segment", seg, "blocks", rebuilt)
	}
	return nil
}

// closeIndexFiles closes every open index file and segment.
func (s *Store) closeIndexFiles() error {
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	var errs []error
	for name, x := range s.idxFiles {
		if x.f != nil {
			errs = append(errs, x.f.Close())
		}
		delete(s.idxFiles, name)
	}
	for name, f := range s.segFiles {
		errs = append(errs, f.Close())
		delete(s.segFiles, name)
	}
	return errors.Join(errs...)
}

// segmentFile returns a segment open for reading blocks, opening it the
// first time: a lookup reads a few blocks, and opening the file each time
// cost as much as reading them.
func (s *Store) segmentFile(segName string) (*os.File, error) {
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	if f := s.segFiles[segName]; f != nil {
		return f, nil
	}
	f, err := os.Open(filepath.Join(s.segmentsDir(), segName))
	if err != nil {
		return nil, err
	}
	if s.segFiles == nil {
		s.segFiles = map[string]*os.File{}
	}
	s.segFiles[segName] = f
	return f, nil
}

// Activity says when each source sent records of kind k with event times
// in [from, to]: per source, the intervals during which no pause of
// SpanGap or more occurred. It reads no block.
func (s *Store) Activity(k record.Kind, from, to time.Time) map[string][]Interval {
	blocks, pending := s.snapshot(k)
	lo, hi := from.UnixNano(), to.UnixNano()
	out := map[string][]Interval{}
	addSpan := func(sp SourceSpan) {
		start := sp.First
		for _, g := range append(sp.Gaps, [2]int64{sp.Last, math.MaxInt64}) {
			if g[0] >= lo && start <= hi {
				out[sp.Source] = append(out[sp.Source], Interval{From: segment.Time(start), To: segment.Time(g[0])})
			}
			start = g[1]
		}
	}
	for _, b := range blocks {
		if b.entry.MaxTime < lo || b.entry.MinTime > hi || b.index == nil {
			continue
		}
		for _, sp := range b.index.sources {
			addSpan(sp)
		}
	}
	if len(pending) > 0 {
		for _, sp := range sourceSpans(pending) {
			addSpan(sp)
		}
	}
	for src, ivs := range out {
		out[src] = mergeIntervals(ivs)
	}
	return out
}

// Interval is a span of time, both ends included.
type Interval struct{ From, To time.Time }

// mergeIntervals sorts intervals and joins those that overlap or lie less
// than SpanGap apart.
func mergeIntervals(ivs []Interval) []Interval {
	slices.SortFunc(ivs, func(a, b Interval) int { return a.From.Compare(b.From) })
	out := ivs[:0]
	for _, iv := range ivs {
		if n := len(out); n > 0 && iv.From.Sub(out[n-1].To) < SpanGap {
			if iv.To.After(out[n-1].To) {
				out[n-1].To = iv.To
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}
