package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"math"
	"net/netip"
	"slices"
	"sort"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/seal"
	"github.com/warden-ops/warden/internal/segment"
)

// Query selects records of one kind. Zero fields do not constrain.
type Query struct {
	Kind record.Kind
	// From and To bound the event time: From <= t < To.
	From, To time.Time
	// Keys constrain the fields of each key class: a record matches if
	// one of its fields of that class equals the value. Blocks whose
	// index excludes a value are not read.
	OutsideAddr netip.Addr
	InsideAddr  netip.Addr
	Port        uint16
	Account     string
	// Endpoint selects NAT records that held its outside address and
	// port: a mapping of that port, a port range holding it, or a
	// mapping of the whole address.
	Endpoint netip.AddrPort
	// Holder selects session records whose address is Holder or one of
	// whose IPv6 prefixes contains it.
	Holder netip.Addr
	// Match, if set, must also hold. It must not retain the record.
	Match func(*record.Record) bool
	// SourceEnds, for a question about which sources logged a key, yields
	// of each block only the first and the last matching record of each
	// source.
	SourceEnds bool

	// Around, if set, makes Scan walk outward from a moment: first the
	// blocks whose records begin at or before it, by descending newest
	// record, then the later ones, by ascending oldest record. Records
	// not yet sealed come first. Without it, blocks are read in sequence
	// order and unsealed records last.
	Around time.Time
	// Done, with Around, ends one direction of the walk: it is asked
	// before each block with the block's event-time range and whether
	// the walk is going back in time, and returns true once no block
	// further that way can matter. It may consult what the scan has
	// yielded so far.
	Done func(back bool, oldest, newest time.Time) bool
}

// keys returns the query's key constraints as filter keys, by class.
func (q *Query) keys() map[record.Key][]byte {
	k := map[record.Key][]byte{}
	if q.OutsideAddr.IsValid() {
		k[record.KeyOutsideAddr] = segment.AddrKey(q.OutsideAddr.Unmap())
	}
	if q.Endpoint.IsValid() {
		k[record.KeyOutsideAddr] = segment.AddrKey(q.Endpoint.Addr().Unmap())
	}
	if q.InsideAddr.IsValid() {
		k[record.KeyInsideAddr] = segment.AddrKey(q.InsideAddr.Unmap())
	}
	if q.Port != 0 {
		k[record.KeyPort] = segment.PortKey(q.Port)
	}
	if q.Account != "" {
		k[record.KeyAccount] = []byte(q.Account)
	}
	return k
}

// probes returns the index keys a block must hold for the query, as sets
// of alternatives: the block may hold a match only if its filter holds a
// key of every set.
func (q *Query) probes() [][]uint64 {
	var want [][]uint64
	one := func(class uint8, key []byte) { want = append(want, []uint64{keyHash(class, key)}) }
	if a := q.OutsideAddr; a.IsValid() {
		b := a.Unmap().As16()
		one(uint8(record.KeyOutsideAddr), b[:])
	}
	if ep := q.Endpoint; ep.IsValid() {
		b := ep.Addr().Unmap().As16()
		if ep.Port() == 0 {
			one(uint8(record.KeyOutsideAddr), b[:])
		} else {
			want = append(want, []uint64{
				keyHash(classEndpoint, binary.BigEndian.AppendUint16(b[:], ep.Port())),
				keyHash(classChunk, binary.BigEndian.AppendUint16(b[:], ep.Port()>>chunkShift)),
				keyHash(classAnyPort, b[:]),
			})
			// Every record holding the endpoint holds the address too:
			// a second, independent probe turns a 1% false positive
			// into about 0.01%.
			one(uint8(record.KeyOutsideAddr), b[:])
		}
	}
	if a := q.InsideAddr; a.IsValid() {
		b := a.Unmap().As16()
		one(uint8(record.KeyInsideAddr), b[:])
	}
	if q.Account != "" {
		one(uint8(record.KeyAccount), []byte(q.Account))
	}
	if h := q.Holder.Unmap(); h.IsValid() {
		b := h.As16()
		alts := []uint64{keyHash(uint8(record.KeyInsideAddr), b[:])}
		if h.Is6() {
			var buf []byte
			for _, l := range prefixLengths {
				buf = prefixKey(buf, h, l)
				alts = append(alts, keyHash(classPrefix, buf))
			}
			alts = append(alts, keyHash(classWide, nil))
		}
		want = append(want, alts)
	}
	return want
}

// holdsEndpoint reports whether a NAT record held the outside address
// and port.
func holdsEndpoint(n *record.NAT, ep netip.AddrPort) bool {
	if n.OutsideAddr.Unmap() != ep.Addr().Unmap() {
		return false
	}
	p := ep.Port()
	switch {
	case p == 0 || n.OutsidePort == 0 && n.OutsidePortEnd == 0:
		return true
	case n.OutsidePortEnd != 0:
		return n.OutsidePort <= p && p <= n.OutsidePortEnd
	}
	return n.OutsidePort == p
}

// holds reports whether a session record held the address.
func holds(s *record.Session, a netip.Addr) bool {
	return s.Addr.Unmap() == a || s.IPv6Prefix.Contains(a) || s.DelegatedPrefix.Contains(a)
}

// Scan iterates over the records that match q. It stops at the first
// error, which it yields.
func (s *Store) Scan(ctx context.Context, q Query) iter.Seq2[*record.Record, error] {
	return func(yield func(*record.Record, error) bool) {
		if !q.Kind.Valid() {
			yield(nil, fmt.Errorf("scan: unknown kind %d", q.Kind))
			return
		}
		if q.Endpoint.IsValid() && q.Kind != record.KindNAT || q.Holder.IsValid() && q.Kind != record.KindSession {
			yield(nil, fmt.Errorf("scan: endpoints select NAT records and holders session records, not %s", q.Kind))
			return
		}
		keys := q.keys()
		want := q.probes()
		holder := q.Holder.Unmap()
		sel := segment.Select{Keys: keys, Holder: holder, HeldPort: q.Endpoint.Port(), SourceEnds: q.SourceEnds}
		m := matcher{keys: keys}
		match := func(r *record.Record) bool {
			if !q.From.IsZero() && r.EventTime.Before(q.From) || !q.To.IsZero() && !r.EventTime.Before(q.To) {
				return false
			}
			if q.Endpoint.IsValid() && !holdsEndpoint(r.NAT, q.Endpoint) || holder.IsValid() && !holds(r.Session, holder) {
				return false
			}
			return m.match(r) && (q.Match == nil || q.Match(r))
		}
		blocks, pending := s.snapshot(q.Kind)
		if !q.Around.IsZero() {
			for _, r := range pending {
				if match(r) && !yield(r, nil) {
					return
				}
			}
		}
		for b := range walk(blocks, q) {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			recs, err := s.readBlock(b, want, sel)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, r := range recs {
				if match(r) && !yield(r, nil) {
					return
				}
			}
		}
		if q.Around.IsZero() {
			for _, r := range pending {
				if match(r) && !yield(r, nil) {
					return
				}
			}
		}
	}
}

// walk yields the blocks of q's time range in the order q asks, asking
// q.Done before each block of a walk around a moment.
func walk(blocks []blockRef, q Query) iter.Seq[blockRef] {
	return func(yield func(blockRef) bool) {
		var lo, hi int64 = math.MinInt64, math.MaxInt64
		if !q.From.IsZero() {
			lo = q.From.UnixNano()
		}
		if !q.To.IsZero() {
			hi = q.To.UnixNano()
		}
		in := func(e *seal.Entry) bool { return e.MaxTime >= lo && e.MinTime < hi }
		if q.Around.IsZero() {
			for _, b := range blocks {
				if in(b.entry) && !yield(b) {
					return
				}
			}
			return
		}
		at := q.Around.UnixNano()
		var back, fwd []blockRef
		for _, b := range blocks {
			switch {
			case !in(b.entry):
			case b.entry.MinTime <= at:
				back = append(back, b)
			default:
				fwd = append(fwd, b)
			}
		}
		slices.SortStableFunc(back, func(x, y blockRef) int { return cmp.Compare(y.entry.MaxTime, x.entry.MaxTime) })
		slices.SortStableFunc(fwd, func(x, y blockRef) int { return cmp.Compare(x.entry.MinTime, y.entry.MinTime) })
		for _, dir := range []struct {
			bs   []blockRef
			back bool
		}{{back, true}, {fwd, false}} {
			for _, b := range dir.bs {
				if q.Done != nil && q.Done(dir.back, segment.Time(b.entry.MinTime), segment.Time(b.entry.MaxTime)) {
					break
				}
				if !yield(b) {
					return
				}
			}
		}
	}
}

// readBlock returns the records of a block that sel keeps, or none if the
// block's index or filters show it holds no match.
func (s *Store) readBlock(b blockRef, want [][]uint64, sel segment.Select) ([]*record.Record, error) {
	e := b.entry
	if b.index != nil && len(want) > 0 {
		s.probed.Add(1)
		ok, err := s.mayHold(b.index, want)
		if err != nil || !ok {
			return nil, err
		}
	}
	if d := s.cache.get(b.logIndex); d != nil {
		s.cached.Add(1)
		recs, err := d.Select(sel)
		s.cache.resize(b.logIndex, d)
		return recs, err
	}
	s.read.Add(1)
	frame, err := s.readFrame(e)
	if err != nil {
		return nil, err
	}
	_, recs, d, err := s.dec.DecodeSelectKeep(frame, sel)
	if err != nil {
		return nil, fmt.Errorf("%s block at %d: %w", e.Segment, e.Offset, err)
	}
	if d != nil {
		s.cache.put(b.logIndex, d)
	}
	return recs, nil
}

// snapshot returns the sealed blocks and pending records of kind k as they
// are now. Both slices are only ever appended to beyond their length, so
// the caller may read them without the lock.
func (s *Store) snapshot(k record.Kind) ([]blockRef, []*record.Record) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ks := s.kinds[k]
	return ks.blocks[:len(ks.blocks):len(ks.blocks)], ks.pending[:len(ks.pending):len(ks.pending)]
}

func (s *Store) readFrame(e *seal.Entry) ([]byte, error) {
	f, err := s.segmentFile(e.Segment)
	if err != nil {
		return nil, fmt.Errorf("read %s block at %d: %w", e.Segment, e.Offset, err)
	}
	b, err := segment.ReadFrameAt(f, e.Offset, e.Length)
	if err != nil {
		return nil, fmt.Errorf("read %s block at %d: %w", e.Segment, e.Offset, err)
	}
	return b, nil
}

// matcher checks a record's keyed fields against a query's keys.
type matcher struct {
	keys map[record.Key][]byte
	hit  [8]bool
}

func (m *matcher) match(r *record.Record) bool {
	if len(m.keys) == 0 {
		return true
	}
	m.hit = [8]bool{}
	r.Visit(keyVisitor{m})
	for c := range m.keys {
		if !m.hit[c] {
			return false
		}
	}
	return true
}

// keyVisitor marks the key classes whose value a record holds.
type keyVisitor struct{ m *matcher }

func (v keyVisitor) check(c record.Key, b []byte) {
	if want, ok := v.m.keys[c]; ok && string(want) == string(b) {
		v.m.hit[c] = true
	}
}

func (v keyVisitor) Uint8(*uint8)   {}
func (v keyVisitor) Uint64(*uint64) {}
func (v keyVisitor) Time(*time.Time) {
}
func (v keyVisitor) Bytes(*[]byte)          {}
func (v keyVisitor) Prefix(*netip.Prefix)   {}
func (v keyVisitor) Fields(*[]record.Field) {}
func (v keyVisitor) String(p *string, c record.Key) {
	if c != record.KeyNone {
		v.check(c, []byte(*p))
	}
}
func (v keyVisitor) Uint16(p *uint16, c record.Key) {
	if c != record.KeyNone && *p != 0 {
		v.check(c, segment.PortKey(*p))
	}
}
func (v keyVisitor) Addr(p *netip.Addr, c record.Key) {
	if c != record.KeyNone && p.IsValid() {
		v.check(c, segment.AddrKey(*p))
	}
}

// Get returns the record with the given ID.
func (s *Store) Get(id record.ID) (*record.Record, error) {
	r, _, err := s.get(id)
	return r, err
}

// get returns the record and, if it is sealed, its block and the block's
// records.
func (s *Store) get(id record.ID) (*record.Record, *located, error) {
	if !id.Kind.Valid() || id.Seq == 0 {
		return nil, nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	blocks, pending := s.snapshot(id.Kind)
	if len(pending) > 0 && id.Seq >= pending[0].ID.Seq {
		i := int(id.Seq - pending[0].ID.Seq)
		if i < len(pending) {
			return pending[i], nil, nil
		}
		return nil, nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	i := sort.Search(len(blocks), func(i int) bool {
		e := blocks[i].entry
		return e.FirstSeq+uint64(e.Count) > id.Seq
	})
	if i == len(blocks) || blocks[i].entry.FirstSeq > id.Seq {
		return nil, nil, fmt.Errorf("%w: %s (expired or never stored)", ErrNotFound, id)
	}
	b := blocks[i]
	frame, err := s.readFrame(b.entry)
	if err != nil {
		return nil, nil, err
	}
	_, recs, err := s.dec.Decode(frame)
	if err != nil {
		return nil, nil, fmt.Errorf("%s block at %d: %w", b.entry.Segment, b.entry.Offset, err)
	}
	idx := int(id.Seq - b.entry.FirstSeq)
	return recs[idx], &located{block: b, recs: recs, index: idx}, nil
}

type located struct {
	block blockRef
	recs  []*record.Record
	index int
}

// Follow iterates over the records of kind k with sequence numbers above
// after, first those stored, then new ones as they arrive, until ctx ends.
func (s *Store) Follow(ctx context.Context, k record.Kind, after uint64) iter.Seq2[*record.Record, error] {
	return func(yield func(*record.Record, error) bool) {
		next := after + 1
		for {
			s.mu.RLock()
			wait := s.notify
			ks := s.kinds[k]
			top := ks.nextSeq
			s.mu.RUnlock()
			for ; next < top; next++ {
				r, err := s.Get(record.ID{Kind: k, Seq: next})
				if errors.Is(err, ErrNotFound) {
					continue // expired under us
				}
				if !yield(r, err) || err != nil {
					return
				}
			}
			select {
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			case <-wait:
			case <-s.done:
				return
			}
		}
	}
}

// ErrNotSealed is returned by Proof for a record still waiting to be
// sealed; it will be within about a second (Config.BlockAge).
var ErrNotSealed = errors.New("store: record not sealed yet")

// Proof returns the bundle that proves record id offline: the record, its
// inclusion in its block, the block's inclusion in the log, and a signed
// checkpoint of the log.
func (s *Store) Proof(id record.ID) (*seal.Bundle, error) {
	r, loc, err := s.get(id)
	if err != nil {
		return nil, err
	}
	if loc == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotSealed, id)
	}
	s.mu.RLock()
	cpSize := s.cp.Size
	s.mu.RUnlock()
	if loc.block.logIndex >= cpSize {
		if s.cfg.ReadOnly {
			return nil, fmt.Errorf("%w: %s is sealed but not yet in a signed checkpoint; try again in a second", ErrNotSealed, id)
		}
		s.sealMu.Lock()
		err := s.publish(true)
		s.sealMu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	s.mu.RLock()
	note, cp := s.checkpoint, s.cp
	s.mu.RUnlock()
	leaves := segment.LeafHashes(loc.recs)
	bp, err := segment.ProveLeaf(leaves, loc.index)
	if err != nil {
		return nil, fmt.Errorf("prove record in block: %w", err)
	}
	lp, err := s.mlog.ProveEntry(cp.Size, loc.block.logIndex)
	if err != nil {
		return nil, fmt.Errorf("prove block in log: %w", err)
	}
	entry, err := loc.block.entry.AppendBinary(nil)
	if err != nil {
		return nil, err
	}
	return &seal.Bundle{
		Format: seal.BundleFormat, ID: id, Record: r, Canonical: record.AppendCanonical(nil, r),
		Entry: entry, Index: int64(loc.index), BlockProof: bp,
		LogIndex: loc.block.logIndex, LogProof: lp,
		Checkpoint: string(note), VerifierKey: s.keys.VerifierKey,
	}, nil
}
