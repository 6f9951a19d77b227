package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/seal"
	"github.com/warden-ops/warden/internal/segment"
	"github.com/warden-ops/warden/internal/wal"
)

// VerifyOptions adjusts Verify.
type VerifyOptions struct {
	// Checkpoint is a signed checkpoint kept outside the store (by a
	// witness, an inspector or a backup). The store must extend it: a
	// smaller log means it was rolled back, a different root that it forked.
	Checkpoint []byte
	// Key is the trusted verifier key. If empty, the store's own
	// keys/checkpoint.pub is used, which proves integrity against the
	// store's checkpoints but not who signed them.
	Key string
	// Workers is the number of blocks checked at once; default GOMAXPROCS.
	Workers int
}

// Problem is one failed check, located as exactly as the evidence allows.
type Problem struct {
	// What names the check: signature, rollback, fork, log, sequence,
	// deleted, truncated, altered, index.
	What     string
	Segment  string `json:",omitempty"`
	Offset   int64  `json:",omitempty"`
	LogIndex int64  `json:",omitempty"`
	// Records names the records affected, like "nat:257..nat:512".
	Records string `json:",omitempty"`
	Detail  string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.What)
	if p.Segment != "" {
		fmt.Fprintf(&b, ": segment %s block at offset %d (log entry %d)", p.Segment, p.Offset, p.LogIndex)
	}
	if p.Records != "" {
		fmt.Fprintf(&b, ": records %s", p.Records)
	}
	return b.String() + ": " + p.Detail
}

// Report is the outcome of Verify.
type Report struct {
	Entries    int64
	Blocks     int
	Records    uint64
	Expired    int
	Bytes      int64
	Checkpoint seal.Checkpoint
	Problems   []Problem
	Notes      []string
	Elapsed    time.Duration
}

// OK reports whether every check passed.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Verify checks the store in dir without opening it for writing, so it can
// run beside a live server. It recomputes every block's Merkle root from
// its records and checks it, the block's digest and the log against the
// signed checkpoints. An error means verification could not run; what it
// found is in the report.
func Verify(ctx context.Context, dir string, opts VerifyOptions) (*Report, error) {
	start := time.Now()
	v := &verifier{dir: dir, rep: &Report{}}
	defer v.closeIndexes()
	if err := v.loadKey(opts.Key); err != nil {
		return nil, err
	}
	if err := v.loadLog(); err != nil {
		return nil, err
	}
	v.checkCheckpoints(opts.Checkpoint)
	v.checkSequences()
	if err := v.checkBlocks(ctx, opts.Workers); err != nil {
		return nil, err
	}
	v.checkFiles()
	v.rep.Elapsed = time.Since(start)
	return v.rep, nil
}

type verifier struct {
	dir     string
	rep     *Report
	key     note.Verifier
	entries []*seal.Entry
	raw     [][]byte
	hashes  []tlog.Hash // stored hashes of the log, recomputed
	expired map[string]*seal.Entry

	mu      sync.Mutex // guards rep.Problems and rep counters during checkBlocks, and indexes
	indexes map[string]*segmentIndex
}

// segmentIndex is a segment's lookup index file as verification reads it.
type segmentIndex struct {
	f       *os.File // nil if missing
	entries map[int64]*indexEntry
	// corrupt tells why an entry could not be read, if one could not.
	corrupt string
}

func (v *verifier) problem(p Problem) {
	v.mu.Lock()
	v.rep.Problems = append(v.rep.Problems, p)
	v.mu.Unlock()
}

func (v *verifier) loadKey(trusted string) error {
	own, err := os.ReadFile(filepath.Join(v.dir, "keys", "checkpoint.pub"))
	if err != nil && trusted == "" {
		return fmt.Errorf("read verifier key: %w", err)
	}
	key := strings.TrimSpace(string(own))
	if trusted != "" {
		if err == nil && key != trusted {
			v.problem(Problem{What: "signature", Detail: "the store's checkpoint.pub is not the trusted key: its checkpoints were not signed by the key you gave"})
		}
		key = trusted
	}
	k, err := seal.ParseVerifierKey(key, nil)
	if err != nil {
		return err
	}
	v.key = k.Verifier
	return nil
}

func (v *verifier) loadLog() error {
	end, err := wal.ScanFile(filepath.Join(v.dir, "log", "entries"), func(p []byte, _ int64) error {
		v.raw = append(v.raw, slices.Clone(p))
		return nil
	})
	var ce *wal.CorruptError
	if errors.As(err, &ce) && ce.Torn {
		v.rep.Notes = append(v.rep.Notes, fmt.Sprintf("log entries: torn write after offset %d (%v): the next start cuts it", end, ce.Err))
	} else if errors.As(err, &ce) {
		v.problem(Problem{What: "log", LogIndex: int64(len(v.raw)), Detail: fmt.Sprintf("log entries damaged at offset %d: %v, with valid entries after it", end, ce.Err)})
	} else if err != nil {
		return err
	}
	rd := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = v.hashes[x]
		}
		return out, nil
	})
	v.expired = map[string]*seal.Entry{}
	for i, b := range v.raw {
		hs, err := tlog.StoredHashes(int64(i), b, rd)
		if err != nil {
			return err
		}
		v.hashes = append(v.hashes, hs...)
		e, err := seal.DecodeEntry(b)
		if err != nil {
			v.problem(Problem{What: "log", LogIndex: int64(i), Detail: fmt.Sprintf("log entry %d does not decode: %v", i, err)})
			e = &seal.Entry{}
		}
		v.entries = append(v.entries, e)
		if e.Type == seal.EntryExpiry {
			v.expired[e.Segment] = e
			v.rep.Expired++
		}
	}
	v.rep.Entries = int64(len(v.raw))
	return nil
}

func (v *verifier) treeHash(n int64) (tlog.Hash, error) {
	return tlog.TreeHash(n, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = v.hashes[x]
		}
		return out, nil
	}))
}

// checkCheckpoint checks one signed checkpoint against the recomputed log.
func (v *verifier) checkCheckpoint(what string, msg []byte) (seal.Checkpoint, bool) {
	cp, err := seal.OpenSigned(msg, v.key)
	if err != nil {
		v.problem(Problem{What: "signature", Detail: what + ": " + err.Error()})
		return cp, false
	}
	n := v.rep.Entries
	if cp.Size > n {
		v.problem(Problem{What: "rollback", Detail: fmt.Sprintf("%s covers %d log entries but the store has only %d: entries were removed (store rolled back or log truncated)", what, cp.Size, n)})
		return cp, false
	}
	h, err := v.treeHash(cp.Size)
	if err != nil || h != cp.Hash {
		v.problem(Problem{What: "fork", Detail: fmt.Sprintf("%s: the store's first %d log entries hash to %v, the checkpoint says %v: the log was altered or replaced", what, cp.Size, h, cp.Hash)})
		return cp, false
	}
	return cp, true
}

func (v *verifier) checkCheckpoints(external []byte) {
	latest, err := os.ReadFile(filepath.Join(v.dir, "log", "checkpoint"))
	switch {
	case errors.Is(err, os.ErrNotExist) && v.rep.Entries == 0:
	case err != nil:
		v.problem(Problem{What: "signature", Detail: "latest checkpoint: " + err.Error()})
	default:
		if cp, ok := v.checkCheckpoint("latest checkpoint", latest); ok {
			v.rep.Checkpoint = cp
			if cp.Size < v.rep.Entries {
				v.rep.Notes = append(v.rep.Notes, fmt.Sprintf("%d log entries are newer than the latest checkpoint (sealed just before a stop; the next start signs them)", v.rep.Entries-cp.Size))
			}
		}
	}
	hist, err := os.ReadFile(filepath.Join(v.dir, "log", "checkpoints"))
	if err == nil {
		for i, n := range seal.SplitNotes(hist) {
			v.checkCheckpoint(fmt.Sprintf("checkpoint %d of the history", i+1), n)
		}
	}
	if external != nil {
		v.checkCheckpoint("the given checkpoint", external)
	}
}

// checkSequences checks that each kind's blocks follow one another without
// gaps or overlaps, which catches reordered, replaced and removed entries.
func (v *verifier) checkSequences() {
	var next [record.KindRaw + 1]uint64
	for k := range next {
		next[k] = 1
	}
	segs := map[string]bool{}
	for i, e := range v.entries {
		switch e.Type {
		case seal.EntryBlock:
			if e.FirstSeq != next[e.Kind] {
				v.problem(Problem{What: "sequence", LogIndex: int64(i), Segment: e.Segment, Offset: e.Offset,
					Records: span(e.Kind, e.FirstSeq, uint64(e.Count)),
					Detail:  fmt.Sprintf("block starts at %s:%d, want %s:%d: blocks were reordered, replaced or removed", e.Kind, e.FirstSeq, e.Kind, next[e.Kind])})
			}
			next[e.Kind] = e.FirstSeq + uint64(e.Count)
			segs[e.Segment] = true
		case seal.EntryExpiry:
			if !segs[e.Segment] {
				v.problem(Problem{What: "sequence", LogIndex: int64(i), Detail: "expiry of segment " + e.Segment + ", which holds no logged block"})
			}
		}
	}
}

func span(k record.Kind, first, n uint64) string {
	return fmt.Sprintf("%s:%d..%s:%d", k, first, k, first+n-1)
}

// checkBlocks reads every block that is not expired and checks its digest
// and Merkle root, workers blocks at a time.
func (v *verifier) checkBlocks(ctx context.Context, workers int) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	dec, err := segment.NewDecoder()
	if err != nil {
		return err
	}
	defer dec.Close()
	work := make(chan int)
	var wg sync.WaitGroup
	missing := map[string]bool{}
	for range workers {
		wg.Go(func() {
			for i := range work {
				v.checkBlock(dec, i, missing)
			}
		})
	}
	for i, e := range v.entries {
		if e.Type != seal.EntryBlock || v.expired[e.Segment] != nil {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	return ctx.Err()
}

func (v *verifier) checkBlock(dec *segment.Decoder, i int, missing map[string]bool) {
	e := v.entries[i]
	at := Problem{Segment: e.Segment, Offset: e.Offset, LogIndex: int64(i)}
	fail := func(what, records, detail string) {
		p := at
		p.What, p.Records, p.Detail = what, records, detail
		v.problem(p)
	}
	frame, err := segment.ReadFrame(filepath.Join(v.dir, "segments", e.Segment), e.Offset, e.Length)
	if errors.Is(err, os.ErrNotExist) {
		v.mu.Lock()
		seen := missing[e.Segment]
		missing[e.Segment] = true
		v.mu.Unlock()
		if !seen {
			fail("deleted", "", "the segment file is gone and the log records no expiry for it")
		}
		return
	}
	if errors.Is(err, segment.ErrTruncated) {
		fail("truncated", span(e.Kind, e.FirstSeq, uint64(e.Count)), err.Error())
		return
	}
	if err != nil {
		fail("altered", "", err.Error())
		return
	}
	v.mu.Lock()
	v.rep.Blocks++
	v.rep.Records += uint64(e.Count)
	v.rep.Bytes += e.Length
	v.mu.Unlock()
	digestOK := digest(frame) == e.Digest
	h, recs, err := dec.Decode(frame)
	if err != nil {
		records := span(e.Kind, e.FirstSeq, uint64(e.Count))
		var re *segment.RecordError
		if errors.As(err, &re) {
			records = fmt.Sprintf("%s:%d", e.Kind, e.FirstSeq+uint64(re.Index))
		}
		fail("altered", records, "the block no longer decodes: "+err.Error())
		return
	}
	if h.Kind != e.Kind || h.FirstSeq != e.FirstSeq || h.Count != e.Count {
		fail("altered", span(e.Kind, e.FirstSeq, uint64(e.Count)),
			fmt.Sprintf("the block holds %s from %d (%d records), the log says %s from %d (%d): a block was moved or replaced", h.Kind, h.FirstSeq, h.Count, e.Kind, e.FirstSeq, e.Count))
		return
	}
	leaves := segment.LeafHashes(recs)
	groups, root := segment.Roots(leaves, h.GroupShift)
	if root == e.Root {
		if !digestOK {
			fail("altered", "", "the records are intact but other bytes of the block (header or filters) were changed")
		}
		v.checkIndex(e, recs, fail)
		return
	}
	// Name the altered records by the group roots the block stored, if
	// those still add up to the logged root.
	storedRoot := segment.TreeHash(h.Groups)
	if storedRoot != e.Root || len(groups) != len(h.Groups) {
		fail("altered", span(e.Kind, e.FirstSeq, uint64(e.Count)), "the records' Merkle root does not match the log, and the block's group roots were changed too")
		return
	}
	g := uint64(1) << h.GroupShift
	for j := range groups {
		if groups[j] == h.Groups[j] {
			continue
		}
		first := uint64(j) * g
		n := min(g, uint64(e.Count)-first)
		// The tags (one byte of each record's original hash) point at the
		// records that changed; a changed record keeps its tag by chance
		// once in 256, and then the group is all that can be named.
		var named []string
		for k := first; k < first+n; k++ {
			if leaves[k][0] != h.Tags[k] {
				named = append(named, fmt.Sprintf("%s:%d", e.Kind, e.FirstSeq+k))
			}
		}
		if len(named) > 0 && len(named) <= 16 {
			fail("altered", strings.Join(named, ", "), fmt.Sprintf("the record no longer hashes to its Merkle leaf: the subtree of records %s no longer matches the log", span(e.Kind, e.FirstSeq+first, n)))
			continue
		}
		fail("altered", span(e.Kind, e.FirstSeq+first, n), fmt.Sprintf("one or more of these %d records were changed: their Merkle subtree no longer matches the log", n))
	}
}

// checkIndex compares a block's lookup index entry with the one its
// records give. An index that disagrees could hide records from lookups,
// so it is a problem even though the index is not evidence; a missing
// entry is only a note, as the store rebuilds it when it opens.
func (v *verifier) checkIndex(e *seal.Entry, recs []*record.Record, fail func(what, records, detail string)) {
	x, err := v.segmentIndex(e.Segment)
	if err != nil {
		fail("index", "", err.Error())
		return
	}
	ie := x.entries[e.Offset]
	if (ie == nil || ie.firstSeq != e.FirstSeq) && x.corrupt != "" {
		fail("index", span(e.Kind, e.FirstSeq, uint64(e.Count)), x.corrupt+": lookups may miss this block's records until warden restarts and rebuilds it")
		return
	}
	if ie == nil || ie.firstSeq != e.FirstSeq {
		v.mu.Lock()
		v.rep.Notes = append(v.rep.Notes, fmt.Sprintf("segment %s block at %d has no lookup index entry (warden rebuilds it when it starts)", e.Segment, e.Offset))
		v.mu.Unlock()
		return
	}
	lines, spans := buildIndex(recs)
	stored := make([]byte, ie.nlines*lineBytes)
	if _, err := x.f.ReadAt(stored, ie.linesOff); err != nil {
		fail("index", "", "read lookup index: "+err.Error())
		return
	}
	if !bytes.Equal(stored, lines) || !slices.EqualFunc(spans, ie.spans, func(a, b SourceSpan) bool {
		return a.Source == b.Source && a.First == b.First && a.Last == b.Last && slices.Equal(a.Gaps, b.Gaps)
	}) {
		fail("index", span(e.Kind, e.FirstSeq, uint64(e.Count)), "the lookup index entry of this block disagrees with its records, so traces could miss them: "+
			"remove "+strings.TrimSuffix(e.Segment, ".seg")+".idx and restart warden to rebuild it, and find out who changed it")
	}
}

// segmentIndex reads the entries of a segment's index file once.
func (v *verifier) segmentIndex(seg string) (*segmentIndex, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if x := v.indexes[seg]; x != nil {
		return x, nil
	}
	if v.indexes == nil {
		v.indexes = map[string]*segmentIndex{}
	}
	x := &segmentIndex{entries: map[int64]*indexEntry{}}
	v.indexes[seg] = x
	f, err := os.Open(indexPath(filepath.Join(v.dir, "segments", seg)))
	if errors.Is(err, os.ErrNotExist) {
		return x, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open lookup index: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("stat lookup index: %w", err), f.Close())
	}
	x.f = f
	for off := int64(indexHeaderSize); off < st.Size(); {
		ie, err := readIndexEntry(f, off, st.Size(), true)
		if err != nil {
			x.corrupt = fmt.Sprintf("the lookup index entry at %d is cut short or fails its checksum (torn by a power loss, or changed)", off)
			break
		}
		x.entries[ie.offset] = ie
		off = ie.end
	}
	return x, nil
}

func (v *verifier) closeIndexes() {
	for _, x := range v.indexes {
		if x.f != nil {
			x.f.Close()
		}
	}
}

// checkFiles looks for segment files the log does not account for.
func (v *verifier) checkFiles() {
	known := map[string]bool{}
	for _, e := range v.entries {
		if e.Type == seal.EntryBlock {
			known[e.Segment] = true
		}
	}
	root := filepath.Join(v.dir, "segments")
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil //nolint:nilerr // an unreadable directory shows up as deleted segments
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if strings.HasSuffix(rel, ".idx") {
			return nil
		}
		switch {
		case v.expired[rel] != nil:
			v.rep.Notes = append(v.rep.Notes, "segment "+rel+" is expired but still on disk (removal was interrupted; the next start removes it)")
		case !known[rel]:
			v.rep.Notes = append(v.rep.Notes, "segment "+rel+" holds no logged block (left by a crash before its first block was logged)")
		}
		return nil
	})
	slices.Sort(v.rep.Notes)
}
