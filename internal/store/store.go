package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/seal"
	"github.com/warden-ops/warden/internal/segment"
	"github.com/warden-ops/warden/internal/wal"
)

// ErrBackpressure is returned by Append when more records are waiting to be
// sealed than the store is configured to hold. Nothing of the batch was
// stored. HTTP callers answer 503 with Retry-After; collectors slow down on
// TCP and count a drop on UDP.
var ErrBackpressure = errors.New("store: too many records waiting to be sealed")

// ErrBatchTooLarge is returned by Append for a batch larger than
// Config.MaxPending, which could never be accepted: split it.
var ErrBatchTooLarge = errors.New("store: batch larger than max_pending")

// ErrClosed is returned by operations on a closed store.
var ErrClosed = errors.New("store: closed")

// ErrReadOnly is returned by writes to a store opened with ReadOnly.
var ErrReadOnly = errors.New("store: opened read-only")

// ErrNotFound is returned for a record ID the store does not hold.
var ErrNotFound = errors.New("store: no such record")

// Store is an open store. Its methods are safe for concurrent use.
type Store struct {
	cfg    Config
	log    *slog.Logger
	dir    string
	lock   *os.File
	keys   *seal.Keys
	origin string
	wal    *wal.WAL
	mlog   *seal.Log
	dec    *segment.Decoder

	// sealMu serializes sealing, expiry and checkpoint publication. It
	// guards enc, the segment writers and lastHistory.
	sealMu      sync.Mutex
	enc         *segment.Encoder
	frameBuf    []byte
	lastHistory time.Time
	lastPublish time.Time

	// mu guards the fields below.
	mu         sync.RWMutex
	kinds      [record.KindRaw + 1]*kindState
	walMax     map[uint64]*[record.KindRaw + 1]uint64 // highest seq per kind in each WAL file
	pending    int
	notify     chan struct{} // closed and replaced whenever records arrive
	failed     error         // set when durability can no longer be promised
	closed     bool
	checkpoint []byte // latest signed checkpoint note
	cp         seal.Checkpoint

	// idxMu guards idxFiles, the open lookup index files by segment, and
	// segFiles, the segments open for lookups to read blocks from.
	idxMu    sync.Mutex
	idxFiles map[string]*indexFile
	segFiles map[string]*os.File
	// probed, read and cached count blocks for Stats.
	probed, read, cached atomic.Int64
	cache                *blockCache // nil when disabled

	sealCh chan struct{}
	done   chan struct{}
	wg     sync.WaitGroup
}

// kindState is the state of one record kind. Guarded by Store.mu, except
// writer and writerName, which only the sealer touches (under sealMu).
type kindState struct {
	kind     record.Kind
	nextSeq  uint64 // the next sequence number to assign
	sealed   uint64 // the highest sealed sequence number
	pending  []*record.Record
	leaves   []tlog.Hash // the pending records' leaf hashes
	oldest   time.Time   // when the oldest pending record arrived
	blocks   []blockRef
	segments map[string]*segInfo

	writer     *segment.Writer
	writerName string
}

// blockRef is a sealed block in the in-memory index.
type blockRef struct {
	entry    *seal.Entry
	logIndex int64
	index    *blockIndex // nil only while the store opens
}

// segInfo is what the log says about one segment file.
type segInfo struct {
	name     string
	firstSeq uint64
	lastSeq  uint64
	lastSeal int64 // seal time of its newest block (Unix ns)
	end      int64 // end of its last logged block
	expired  bool
}

// Open opens or creates the store in cfg.Dir, recovers what the last run
// left (replaying the write-ahead log), and starts the sealer.
func Open(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Store{cfg: cfg, log: cfg.Logger, dir: cfg.Dir, notify: make(chan struct{}),
		walMax: map[uint64]*[record.KindRaw + 1]uint64{}, sealCh: make(chan struct{}, 1), done: make(chan struct{})}
	for _, k := range record.Kinds {
		s.kinds[k] = &kindState{kind: k, nextSeq: 1, segments: map[string]*segInfo{}}
	}
	if cfg.CacheBytes > 0 {
		s.cache = newBlockCache(cfg.CacheBytes)
	}
	if cfg.ReadOnly {
		if err := s.openReadOnly(); err != nil {
			return nil, errors.Join(err, s.closeFiles())
		}
		return s, nil
	}
	if err := s.open(); err != nil {
		return nil, errors.Join(err, s.closeFiles())
	}
	s.wg.Go(s.run)
	return s, nil
}

func (s *Store) openReadOnly() error {
	name, err := os.ReadFile(filepath.Join(s.dir, "NAME"))
	if err != nil {
		return fmt.Errorf("open store read-only: %w", err)
	}
	s.origin = strings.TrimSpace(string(name))
	vk, err := os.ReadFile(filepath.Join(s.dir, "keys", "checkpoint.pub"))
	if err != nil {
		return fmt.Errorf("read verifier key: %w", err)
	}
	if s.keys, err = seal.ParseVerifierKey(strings.TrimSpace(string(vk)), nil); err != nil {
		return err
	}
	if s.dec, err = segment.NewDecoder(); err != nil {
		return err
	}
	if s.mlog, err = seal.OpenLogReadOnly(filepath.Join(s.dir, "log"), s.applyEntry); err != nil {
		return err
	}
	// The live store may have logged entries after the checkpoint we read:
	// loadCheckpoint only needs the checkpoint to be a prefix.
	if err := s.loadCheckpoint(); err != nil {
		return err
	}
	return s.loadIndex()
}

func (s *Store) open() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("create store dir: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(s.dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open lock file: %w", err)
	}
	s.lock = lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fmt.Errorf("lock %s: another warden is using it: %w", s.dir, err)
	}
	if s.origin, err = s.loadName(); err != nil {
		return err
	}
	if s.keys, err = seal.LoadOrCreateKeys(filepath.Join(s.dir, "keys"), s.origin); err != nil {
		return err
	}
	if s.dec, err = segment.NewDecoder(); err != nil {
		return err
	}
	if s.enc, err = segment.NewEncoder(zstd.SpeedDefault); err != nil {
		return err
	}
	s.mlog, err = seal.OpenLog(filepath.Join(s.dir, "log"), s.log, s.applyEntry)
	if err != nil {
		return err
	}
	if err := s.loadCheckpoint(); err != nil {
		return err
	}
	s.removeExpiredFiles()
	if err := s.loadIndex(); err != nil {
		return err
	}
	if s.wal, err = wal.Open(filepath.Join(s.dir, "wal"), s.cfg.WALFileSize, s.log); err != nil {
		return err
	}
	if err := s.wal.Replay(s.replay); err != nil {
		return fmt.Errorf("replay wal: %w", err)
	}
	for _, ks := range s.kinds[1:] {
		if len(ks.pending) > 0 {
			ks.oldest = s.cfg.Now()
		}
	}
	return s.publish(true)
}

// loadName reads the log's origin, or creates it.
func (s *Store) loadName() (string, error) {
	path := filepath.Join(s.dir, "NAME")
	b, err := os.ReadFile(path)
	if err == nil {
		name := strings.TrimSpace(string(b))
		return name, seal.ValidName(name)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read store name: %w", err)
	}
	name := s.cfg.Name
	if name == "" {
		var r [6]byte
		if _, err := rand.Read(r[:]); err != nil {
			return "", fmt.Errorf("make store name: %w", err)
		}
		name = "warden/" + hex.EncodeToString(r[:])
	}
	if err := seal.ValidName(name); err != nil {
		return "", err
	}
	return name, seal.WriteFileAtomic(path, []byte(name+"\n"), 0o644)
}

// applyEntry adds one log entry to the in-memory index while the log loads.
func (s *Store) applyEntry(i int64, b []byte) error {
	e, err := seal.DecodeEntry(b)
	if err != nil {
		return fmt.Errorf("log entry %d: %w (run warden verify)", i, err)
	}
	ks := s.kinds[e.Kind]
	switch e.Type {
	case seal.EntryBlock:
		if e.FirstSeq != ks.sealed+1 {
			return fmt.Errorf("log entry %d: %s block starts at %d, want %d (run warden verify)", i, e.Kind, e.FirstSeq, ks.sealed+1)
		}
		ks.sealed = e.FirstSeq + uint64(e.Count) - 1
		ks.nextSeq = ks.sealed + 1
		ks.blocks = append(ks.blocks, blockRef{entry: e, logIndex: i})
		si := ks.segments[e.Segment]
		if si == nil {
			si = &segInfo{name: e.Segment, firstSeq: e.FirstSeq}
			ks.segments[e.Segment] = si
		}
		si.lastSeq, si.lastSeal, si.end = ks.sealed, e.Time, e.Offset+e.Length
	case seal.EntryExpiry:
		si := ks.segments[e.Segment]
		if si == nil {
			return fmt.Errorf("log entry %d: expiry of unknown segment %s", i, e.Segment)
		}
		si.expired = true
		ks.dropSegment(e.Segment)
	}
	return nil
}

// dropSegment removes the blocks of an expired segment from the index.
func (ks *kindState) dropSegment(name string) {
	keep := make([]blockRef, 0, len(ks.blocks))
	for _, b := range ks.blocks {
		if b.entry.Segment != name {
			keep = append(keep, b)
		}
	}
	ks.blocks = keep
}

func (s *Store) loadCheckpoint() error {
	b, err := os.ReadFile(filepath.Join(s.dir, "log", "checkpoint"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read checkpoint: %w", err)
	}
	cp, err := seal.OpenSigned(b, s.keys.Verifier)
	if err != nil {
		return fmt.Errorf("latest checkpoint: %w (run warden verify)", err)
	}
	if n := s.mlog.Size(); cp.Size > n {
		return fmt.Errorf("the log has %d entries but its last checkpoint covers %d: the store was rolled back or damaged (run warden verify)", n, cp.Size)
	}
	h, err := s.mlog.TreeHash(cp.Size)
	if err != nil {
		return err
	}
	if h != cp.Hash {
		return fmt.Errorf("the log's first %d entries do not match the last checkpoint: the log was altered (run warden verify)", cp.Size)
	}
	s.checkpoint, s.cp = b, cp
	return nil
}

// replay restores the records of one WAL batch that were not sealed.
func (s *Store) replay(payload []byte, end wal.Pos) error {
	return decodeBatch(payload, func(seq uint64, r *record.Record, canonical []byte) error {
		ks := s.kinds[r.Kind]
		s.noteWAL(end.File, r.Kind, seq)
		if seq <= ks.sealed {
			return nil
		}
		if seq != ks.nextSeq {
			return fmt.Errorf("wal: %s record %d follows %d", r.Kind, seq, ks.nextSeq-1)
		}
		r.ID = record.ID{Kind: r.Kind, Seq: seq}
		ks.pending = append(ks.pending, r)
		ks.leaves = append(ks.leaves, segment.LeafHash(canonical))
		ks.nextSeq++
		s.pending++
		return nil
	})
}

func (s *Store) noteWAL(file uint64, k record.Kind, seq uint64) {
	m := s.walMax[file]
	if m == nil {
		m = new([record.KindRaw + 1]uint64)
		s.walMax[file] = m
	}
	m[k] = max(m[k], seq)
}

// Append stores a batch of valid records and returns their IDs once the
// batch is durable. The store keeps the records: callers must not modify
// them afterwards. Records with a zero receive time get the current time.
func (s *Store) Append(recs []*record.Record) ([]record.ID, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	now := s.cfg.Now().UTC()
	for i, r := range recs {
		if r.ReceiveTime.IsZero() {
			r.ReceiveTime = now
		}
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
	}
	if len(recs) > s.cfg.MaxPending {
		return nil, fmt.Errorf("%w: %d records, at most %d", ErrBatchTooLarge, len(recs), s.cfg.MaxPending)
	}
	eb := encodeBody(recs) // the costly part, done outside the lock
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if s.pending+len(recs) > s.cfg.MaxPending {
		s.mu.Unlock()
		return nil, ErrBackpressure
	}
	var first, next [record.KindRaw + 1]uint64
	for _, ks := range s.kinds[1:] {
		first[ks.kind] = ks.nextSeq
	}
	next = first
	ids := make([]record.ID, len(recs))
	for i, r := range recs {
		ids[i] = record.ID{Kind: r.Kind, Seq: next[r.Kind]}
		next[r.Kind]++
	}
	pos, err := s.wal.Append(encodeHeader(recs, &first), eb.body)
	if err != nil {
		s.failed = err
		s.mu.Unlock()
		return nil, err
	}
	now = s.cfg.Now()
	for i, r := range recs {
		r.ID = ids[i]
		ks := s.kinds[r.Kind]
		if len(ks.pending) == 0 {
			ks.oldest = now
		}
		ks.pending = append(ks.pending, r)
		ks.leaves = append(ks.leaves, eb.leaves[i])
		ks.nextSeq = ids[i].Seq + 1
		s.noteWAL(pos.File, r.Kind, ids[i].Seq)
	}
	s.pending += len(recs)
	close(s.notify)
	s.notify = make(chan struct{})
	full := false
	for _, ks := range s.kinds[1:] {
		full = full || len(ks.pending) >= s.cfg.BlockRecords
	}
	s.mu.Unlock()
	if full {
		select {
		case s.sealCh <- struct{}{}:
		default:
		}
	}
	if err := s.wal.Sync(pos); err != nil {
		s.mu.Lock()
		s.failed = err
		s.mu.Unlock()
		return nil, err
	}
	return ids, nil
}

// usable reports why the store cannot take writes. Callers hold mu.
func (s *Store) usable() error {
	if s.closed {
		return ErrClosed
	}
	if s.cfg.ReadOnly {
		return ErrReadOnly
	}
	if s.failed != nil {
		return fmt.Errorf("store: stopped after a write failure: %w", s.failed)
	}
	return nil
}

// Close seals every pending record, publishes a final checkpoint and
// closes the store's files.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.mu.Unlock()
	if s.cfg.ReadOnly {
		return s.closeFiles()
	}
	close(s.done)
	s.wg.Wait()
	return s.closeFiles()
}

func (s *Store) closeFiles() error {
	var errs []error
	for _, ks := range s.kinds[1:] {
		if ks != nil && ks.writer != nil {
			errs = append(errs, ks.writer.Close())
			ks.writer = nil
		}
	}
	errs = append(errs, s.closeIndexFiles())
	if s.wal != nil {
		errs = append(errs, s.wal.Close())
	}
	if s.mlog != nil {
		errs = append(errs, s.mlog.Close())
	}
	if s.dec != nil {
		s.dec.Close()
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	return errors.Join(errs...)
}

// Checkpoint returns the latest signed checkpoint note.
func (s *Store) Checkpoint() []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.checkpoint
}

// VerifierKey returns the public key that checks the store's checkpoints.
func (s *Store) VerifierKey() string { return s.keys.VerifierKey }

// Stats is a snapshot of the store's counters.
type Stats struct {
	Pending    int
	LogEntries int64
	Sealed     map[string]uint64
	// BlocksProbed counts the blocks whose lookup index lookups asked,
	// BlocksRead those read and decoded, BlocksCached those answered
	// from the cache of decoded blocks.
	BlocksProbed, BlocksRead, BlocksCached int64
	// Err is why the store stopped taking writes, if it did.
	Err error
}

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := Stats{Pending: s.pending, LogEntries: s.mlog.Size(), Sealed: map[string]uint64{}, Err: s.usable(),
		BlocksProbed: s.probed.Load(), BlocksRead: s.read.Load(), BlocksCached: s.cached.Load()}
	for _, ks := range s.kinds[1:] {
		st.Sealed[ks.kind.String()] = ks.sealed
	}
	return st
}

func digest(b []byte) [32]byte { return sha256.Sum256(b) }

// removeExpiredFiles finishes removals that a crash interrupted: the log
// says the segment expired, but the file is still there.
func (s *Store) removeExpiredFiles() {
	for _, ks := range s.kinds[1:] {
		for name, si := range ks.segments {
			if !si.expired {
				continue
			}
			err := os.Remove(filepath.Join(s.segmentsDir(), name))
			if ierr := os.Remove(indexPath(filepath.Join(s.segmentsDir(), name))); ierr != nil && !errors.Is(ierr, os.ErrNotExist) {
				s.log.Warn("store: remove expired index", "segment", name, "err", ierr)
			}
			if err == nil {
				s.log.Info("store: removed expired segment left by an interrupted expiry", "segment", name)
			} else if !errors.Is(err, os.ErrNotExist) {
				s.log.Warn("store: remove expired segment", "segment", name, "err", err)
			}
		}
	}
}

// Flush seals every pending record now and publishes a checkpoint.
func (s *Store) Flush() error {
	s.mu.RLock()
	err := s.usable()
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	return s.sealRound(true)
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }
