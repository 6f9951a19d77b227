package seal

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/warden-ops/warden/internal/wal"
)

// Log is the append-only Merkle log of entries. Its files are "entries"
// (framed entry encodings, the source of truth) and "hashes" (the tlog
// stored hashes, derived from the entries, checked against them on open
// and rewritten where they differ).
type Log struct {
	dir string
	ef  *os.File
	hf  *os.File

	// mu guards n and writes to both files. Reads of hashes use ReadAt and
	// need no lock.
	mu  sync.RWMutex
	n   int64
	buf []byte

	// mem holds the stored hashes of a read-only log, which computes them
	// in memory rather than trust or repair a file another process writes.
	mem []tlog.Hash
}

var _ tlog.HashReader = (*Log)(nil)

// OpenLog opens the log in dir, calling fn with each entry's index and
// encoding in order. A torn final frame is cut off, and missing stored
// hashes are recomputed.
func OpenLog(dir string, log *slog.Logger, fn func(i int64, entry []byte) error) (*Log, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create log dir: %w", err)
	}
	epath := filepath.Join(dir, "entries")
	ef, err := os.OpenFile(epath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log entries: %w", err)
	}
	hf, err := os.OpenFile(filepath.Join(dir, "hashes"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open log hashes: %w", err), ef.Close())
	}
	l := &Log{dir: dir, ef: ef, hf: hf}
	if err := l.load(epath, log, fn); err != nil {
		return nil, errors.Join(err, l.Close())
	}
	return l, nil
}

func (l *Log) load(epath string, log *slog.Logger, fn func(int64, []byte) error) error {
	var entries [][]byte
	end, err := wal.ScanFile(epath, func(p []byte, _ int64) error {
		entries = append(entries, append([]byte(nil), p...))
		return nil
	})
	var ce *wal.CorruptError
	if errors.As(err, &ce) && ce.Torn {
		log.Warn("log: cutting torn tail", "offset", ce.Offset, "reason", ce.Err)
		err = nil
	}
	if err != nil {
		return err
	}
	if err := l.ef.Truncate(end); err != nil {
		return fmt.Errorf("truncate log entries: %w", err)
	}
	if _, err := l.ef.Seek(end, 0); err != nil {
		return fmt.Errorf("seek log entries: %w", err)
	}
	for i, e := range entries {
		if err := fn(int64(i), e); err != nil {
			return err
		}
	}
	// The hashes file is only a cache of what the entries determine:
	// recompute it and rewrite whatever differs, so a damaged cache can
	// neither stop the store nor produce wrong proofs.
	var want []tlog.Hash
	rd := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = want[x]
		}
		return out, nil
	})
	for i, e := range entries {
		hs, err := tlog.StoredHashes(int64(i), e, rd)
		if err != nil {
			return fmt.Errorf("compute stored hashes: %w", err)
		}
		want = append(want, hs...)
	}
	have, err := io.ReadAll(io.NewSectionReader(l.hf, 0, 1<<62))
	if err != nil {
		return fmt.Errorf("read log hashes: %w", err)
	}
	same := 0
	for same < len(want) && (same+1)*tlog.HashSize <= len(have) && tlog.Hash(have[same*tlog.HashSize:]) == want[same] {
		same++
	}
	if same < len(want) && (same+1)*tlog.HashSize <= len(have) {
		log.Warn("log: hashes file differs from the entries; rebuilding it", "from_hash", same)
	}
	if err := l.hf.Truncate(int64(same) * tlog.HashSize); err != nil {
		return fmt.Errorf("truncate log hashes: %w", err)
	}
	l.buf = l.buf[:0]
	for _, h := range want[same:] {
		l.buf = append(l.buf, h[:]...)
	}
	if _, err := l.hf.WriteAt(l.buf, int64(same)*tlog.HashSize); err != nil {
		return fmt.Errorf("write log hashes: %w", err)
	}
	if _, err := l.hf.Seek(int64(len(want))*tlog.HashSize, 0); err != nil {
		return fmt.Errorf("seek log hashes: %w", err)
	}
	l.n = int64(len(entries))
	return errors.Join(l.ef.Sync(), l.hf.Sync())
}

// appendHashes writes the stored hashes of entry l.n and counts it.
func (l *Log) appendHashes(entry []byte) error {
	hs, err := tlog.StoredHashes(l.n, entry, l)
	if err != nil {
		return fmt.Errorf("compute stored hashes: %w", err)
	}
	l.buf = l.buf[:0]
	for _, h := range hs {
		l.buf = append(l.buf, h[:]...)
	}
	if _, err := l.hf.Write(l.buf); err != nil {
		return fmt.Errorf("write log hashes: %w", err)
	}
	l.n++
	return nil
}

// OpenLogReadOnly opens the log in dir without writing to it, calling fn
// with each entry as OpenLog does. A frame still being written by a live
// store ends the log. Append fails on the result.
func OpenLogReadOnly(dir string, fn func(i int64, entry []byte) error) (*Log, error) {
	l := &Log{dir: dir}
	_, err := wal.ScanFile(filepath.Join(dir, "entries"), func(p []byte, _ int64) error {
		hs, err := tlog.StoredHashes(l.n, p, l)
		if err != nil {
			return err
		}
		l.mem = append(l.mem, hs...)
		if err := fn(l.n, p); err != nil {
			return err
		}
		l.n++
		return nil
	})
	var ce *wal.CorruptError
	if err != nil && !errors.As(err, &ce) {
		return nil, err
	}
	if l.mem == nil {
		l.mem = []tlog.Hash{}
	}
	return l, nil
}

// Append adds entries to the log and makes them durable. It returns the
// index of the first.
func (l *Log) Append(entries ...[]byte) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mem != nil {
		return 0, errors.New("log: opened read-only")
	}
	first := l.n
	var frames []byte
	for _, e := range entries {
		frames = wal.AppendFrame(frames, e)
	}
	if _, err := l.ef.Write(frames); err != nil {
		return 0, fmt.Errorf("write log entries: %w", err)
	}
	if err := l.ef.Sync(); err != nil {
		return 0, fmt.Errorf("sync log entries: %w", err)
	}
	for _, e := range entries {
		if err := l.appendHashes(e); err != nil {
			return 0, err
		}
	}
	if err := l.hf.Sync(); err != nil {
		return 0, fmt.Errorf("sync log hashes: %w", err)
	}
	return first, nil
}

// Size returns the number of entries.
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.n
}

// ReadHashes implements tlog.HashReader over the stored hashes file.
func (l *Log) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	if l.mem != nil {
		for i, x := range indexes {
			if x < 0 || x >= int64(len(l.mem)) {
				return nil, fmt.Errorf("read stored hash %d: beyond the log", x)
			}
			out[i] = l.mem[x]
		}
		return out, nil
	}
	for i, x := range indexes {
		if _, err := l.hf.ReadAt(out[i][:], x*tlog.HashSize); err != nil {
			return nil, fmt.Errorf("read stored hash %d: %w", x, err)
		}
	}
	return out, nil
}

// TreeHash returns the root of the log's first n entries.
func (l *Log) TreeHash(n int64) (tlog.Hash, error) { return tlog.TreeHash(n, l) }

// ProveEntry returns the inclusion proof of entry i in the tree of size n.
func (l *Log) ProveEntry(n, i int64) (tlog.RecordProof, error) { return tlog.ProveRecord(n, i, l) }

// ProveTree returns the consistency proof from size m to size n.
func (l *Log) ProveTree(n, m int64) (tlog.TreeProof, error) { return tlog.ProveTree(n, m, l) }

// Close closes the log's files.
func (l *Log) Close() error {
	if l.mem != nil {
		return nil
	}
	return errors.Join(l.ef.Close(), l.hf.Close())
}
