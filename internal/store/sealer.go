package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/seal"
	"github.com/warden-ops/warden/internal/segment"
)

// publishInterval is the shortest time between two checkpoints while
// blocks keep arriving: four a second is well inside the promised one a
// second and keeps the fsyncs of publication a small share of the disk.
const publishInterval = 250 * time.Millisecond

// run is the sealer: it seals full or old-enough blocks whenever Append
// signals or a tick passes, and seals everything when the store closes.
func (s *Store) run() {
	tick := min(s.cfg.BlockAge/4, 100*time.Millisecond)
	t := time.NewTicker(max(tick, 10*time.Millisecond))
	defer t.Stop()
	expire := time.NewTicker(s.cfg.ExpireInterval)
	defer expire.Stop()
	for {
		select {
		case <-s.done:
			if err := s.sealRound(true); err != nil {
				s.log.Error("store: final seal", "err", err)
			}
			return
		case <-expire.C:
			gone, err := s.Expire()
			for _, g := range gone {
				s.log.Info("store: segment expired", "segment", g.Segment, "records", g.Records)
			}
			if err != nil {
				s.log.Error("store: expire", "err", err)
			}
			continue
		case <-s.sealCh:
		case <-t.C:
		}
		if err := s.sealRound(false); err != nil {
			s.log.Error("store: seal", "err", err)
			s.mu.Lock()
			s.failed = err
			s.mu.Unlock()
		}
	}
}

// sealRound seals the blocks that are ready (all pending records if all),
// logs them in one append and publishes a checkpoint.
func (s *Store) sealRound(all bool) error {
	s.sealMu.Lock()
	defer s.sealMu.Unlock()
	type sealed struct {
		ks    *kindState
		recs  []*record.Record
		entry *seal.Entry
		index *blockIndex
	}
	var done []sealed
	now := s.cfg.Now()
	for _, ks := range s.kinds[1:] {
		for taken := 0; ; {
			recs, leaves := s.takeReady(ks, taken, now, all)
			if len(recs) == 0 {
				break
			}
			e, bi, err := s.writeBlock(ks, recs, leaves, now)
			if err != nil {
				return err
			}
			done = append(done, sealed{ks, recs, e, bi})
			taken += len(recs)
			if len(recs) < s.cfg.BlockRecords {
				break
			}
		}
	}
	if len(done) > 0 {
		for _, ks := range s.kinds[1:] {
			if ks.writer != nil {
				if err := ks.writer.Sync(); err != nil {
					return fmt.Errorf("sync segment: %w", err)
				}
			}
		}
		encs := make([][]byte, len(done))
		for i, d := range done {
			b, err := d.entry.AppendBinary(nil)
			if err != nil {
				return err
			}
			encs[i] = b
		}
		first, err := s.mlog.Append(encs...)
		if err != nil {
			return err
		}
		s.mu.Lock()
		for i, d := range done {
			s.indexBlock(d.ks, d.entry, d.index, first+int64(i))
			n := len(d.recs)
			d.ks.pending = d.ks.pending[n:]
			d.ks.leaves = d.ks.leaves[n:]
			s.pending -= n
			if len(d.ks.pending) > 0 {
				d.ks.oldest = now
			}
		}
		s.mu.Unlock()
	}
	if err := s.publish(all); err != nil {
		return err
	}
	return s.trimWAL()
}

// takeReady returns the next block's worth of ks's pending records after
// the first skip, if a block is due: full, old enough, or all is set.
func (s *Store) takeReady(ks *kindState, skip int, now time.Time, all bool) ([]*record.Record, []tlog.Hash) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := len(ks.pending) - skip
	if n <= 0 || !(all || n >= s.cfg.BlockRecords || now.Sub(ks.oldest) >= s.cfg.BlockAge) {
		return nil, nil
	}
	n = min(n, s.cfg.BlockRecords)
	return ks.pending[skip : skip+n : skip+n], ks.leaves[skip : skip+n : skip+n]
}

// writeBlock encodes recs as a block and appends it to the kind's current
// segment. The block is durable once the segment is synced; it is part of
// the store once its entry is in the log.
func (s *Store) writeBlock(ks *kindState, recs []*record.Record, leaves []tlog.Hash, now time.Time) (*seal.Entry, *blockIndex, error) {
	frame, h, err := s.enc.Encode(s.frameBuf[:0], recs[0].ID.Seq, recs, leaves)
	if err != nil {
		return nil, nil, err
	}
	s.frameBuf = frame
	w, err := s.segmentWriter(ks, now)
	if err != nil {
		return nil, nil, err
	}
	off, err := w.Append(frame)
	if err != nil {
		return nil, nil, err
	}
	// The index entry needs no sync: a torn or missing one is rebuilt
	// from the block when the store opens.
	bi, err := s.indexBlockFile(ks.writerName, off, h.FirstSeq, recs)
	if err != nil {
		return nil, nil, err
	}
	return &seal.Entry{
		Type: seal.EntryBlock, Kind: ks.kind, Segment: ks.writerName, Time: now.UnixNano(),
		Offset: off, Length: int64(len(frame)), FirstSeq: h.FirstSeq, Count: h.Count,
		MinTime: h.MinTime, MaxTime: h.MaxTime, MinReceive: h.MinReceive, MaxReceive: h.MaxReceive,
		Root: h.Root, Digest: digest(frame),
	}, bi, nil
}

// indexBlock adds a logged block to the index. Callers hold mu.
func (s *Store) indexBlock(ks *kindState, e *seal.Entry, bi *blockIndex, logIndex int64) {
	ks.blocks = append(ks.blocks, blockRef{entry: e, logIndex: logIndex, index: bi})
	ks.sealed = e.FirstSeq + uint64(e.Count) - 1
	si := ks.segments[e.Segment]
	if si == nil {
		si = &segInfo{name: e.Segment, firstSeq: e.FirstSeq}
		ks.segments[e.Segment] = si
	}
	si.lastSeq, si.lastSeal, si.end = ks.sealed, e.Time, e.Offset+e.Length
}

func (s *Store) segmentsDir() string { return filepath.Join(s.dir, "segments") }

// segmentWriter returns the writer for ks's segment of the partition that
// holds now, starting a new file when the partition changed or the file
// is full.
func (s *Store) segmentWriter(ks *kindState, now time.Time) (*segment.Writer, error) {
	part := now.UTC().Truncate(s.cfg.Partition)
	if w := ks.writer; w != nil && w.Partition().Equal(part) && w.Size() < s.cfg.SegmentBytes {
		return w, nil
	}
	if ks.writer != nil {
		if err := ks.writer.Close(); err != nil {
			return nil, fmt.Errorf("close segment: %w", err)
		}
		ks.writer, ks.writerName = nil, ""
	}
	dir := filepath.Join(s.segmentsDir(), ks.kind.String())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create segment dir: %w", err)
	}
	// Reopen this partition's newest segment if it has room; otherwise
	// take the next free number. Names sort by partition, then number.
	stamp := part.Format("20060102T150405Z")
	for n := 1; ; n++ {
		name := fmt.Sprintf("%s/%s-%04d.seg", ks.kind, stamp, n)
		path := filepath.Join(s.segmentsDir(), name)
		s.mu.RLock()
		known := ks.segments[name]
		s.mu.RUnlock()
		if known != nil && known.expired {
			continue // the name of an expired segment is never used again
		}
		st, err := os.Stat(path)
		if errors.Is(err, os.ErrNotExist) {
			w, err := segment.Create(path, ks.kind, part)
			if err != nil {
				return nil, err
			}
			if err := syncDir(dir); err != nil {
				return nil, errors.Join(err, w.Close())
			}
			ks.writer, ks.writerName = w, name
			return w, nil
		}
		if err != nil {
			return nil, fmt.Errorf("stat segment: %w", err)
		}
		if known == nil || st.Size() >= s.cfg.SegmentBytes {
			continue // not ours to append to: left by a crash, expired, or full
		}
		next, err := os.Stat(filepath.Join(s.segmentsDir(), fmt.Sprintf("%s/%s-%04d.seg", ks.kind, stamp, n+1)))
		if err == nil && next != nil {
			continue // a later file exists; only the newest is reopened
		}
		w, err := segment.OpenWriter(path)
		if err != nil {
			return nil, err
		}
		ks.writer, ks.writerName = w, name
		return w, nil
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir for sync: %w", err)
	}
	return errors.Join(d.Sync(), d.Close())
}

// publish signs and writes a checkpoint if the log grew since the last
// one, at most every publishInterval unless force. It also appends to the
// checkpoint history every HistoryInterval. Callers hold sealMu (or own the
// store during Open).
func (s *Store) publish(force bool) error {
	n := s.mlog.Size()
	s.mu.RLock()
	have := s.cp.Size
	hasCP := s.checkpoint != nil
	s.mu.RUnlock()
	now := s.cfg.Now()
	if hasCP && n == have {
		return nil
	}
	if !force && now.Sub(s.lastPublish) < publishInterval {
		return nil
	}
	h, err := s.mlog.TreeHash(n)
	if err != nil {
		return err
	}
	cp := seal.Checkpoint{Origin: s.origin, Size: n, Hash: h}
	note, err := seal.Sign(cp, s.keys.Signer)
	if err != nil {
		return err
	}
	if err := seal.WriteFileAtomic(filepath.Join(s.dir, "log", "checkpoint"), note, 0o644); err != nil {
		return err
	}
	if force || now.Sub(s.lastHistory) >= s.cfg.HistoryInterval {
		if err := appendHistory(filepath.Join(s.dir, "log", "checkpoints"), note); err != nil {
			return err
		}
		s.lastHistory = now
	}
	s.lastPublish = now
	s.mu.Lock()
	s.checkpoint, s.cp = note, cp
	s.mu.Unlock()
	return nil
}

func appendHistory(path string, note []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open checkpoint history: %w", err)
	}
	_, err = f.Write(append(append([]byte(nil), note...), "---\n"...))
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// trimWAL starts a new WAL file when the current one is full and removes
// the files all of whose records are sealed.
func (s *Store) trimWAL() error {
	cur, err := s.wal.Rotate(false)
	if err != nil {
		return err
	}
	s.mu.Lock()
	removable := cur
	for f, m := range s.walMax {
		if f >= cur {
			continue
		}
		for _, ks := range s.kinds[1:] {
			if m[ks.kind] > ks.sealed {
				removable = min(removable, f)
			}
		}
	}
	for f := range s.walMax {
		if f < removable {
			delete(s.walMax, f)
		}
	}
	s.mu.Unlock()
	return s.wal.RemoveBefore(removable)
}
