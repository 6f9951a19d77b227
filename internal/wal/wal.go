// Package wal is Warden's write-ahead log: records are acknowledged only
// once their batch is in the log and the log is fsynced.
//
// A [WAL] is a directory of numbered files of frames (docs/format/wal.md).
// [WAL.Append] writes a frame and returns its end [Pos]; [WAL.Sync] makes
// everything up to a position durable, and concurrent callers share one
// fsync (group commit). [Open] cuts a torn tail off the last file, so a
// crash at any instant leaves a log that replays only whole frames.
//
// Lock order: syncMu before mu.
package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Format constants. A frame is an 8-byte header (length, CRC-32C of the
// payload, both little-endian uint32) and the payload.
const (
	headerSize = 8
	// MaxPayload bounds one frame; the store's batches stay far below it.
	MaxPayload = 64 << 20
	// DefaultFileSize is when the log starts a new file. Files are removed
	// whole once every record in them is sealed, so smaller files free
	// disk sooner; 64 MiB keeps the file count low at full ingest rate.
	DefaultFileSize = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Pos is a position in the log: a file number and a byte offset in it.
type Pos struct {
	File   uint64
	Offset int64
}

// Less reports whether p is before q.
func (p Pos) Less(q Pos) bool {
	return p.File < q.File || (p.File == q.File && p.Offset < q.Offset)
}

// CorruptError locates a damaged frame.
type CorruptError struct {
	File   string
	Offset int64
	Err    error
	// Torn is set when no whole valid frame follows the bad one, so the
	// damage can be the last write torn by a crash. Otherwise frames after
	// it would be lost by cutting, and nothing may cut them silently.
	Torn bool
}

func (e *CorruptError) Error() string {
	if e.Torn {
		return fmt.Sprintf("%s at offset %d: torn write: %v", e.File, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s at offset %d: %v, with valid data after it: the file is damaged", e.File, e.Offset, e.Err)
}

// Unwrap returns the cause.
func (e *CorruptError) Unwrap() error { return e.Err }

// WAL is an open write-ahead log.
type WAL struct {
	dir      string
	fileSize int64
	log      *slog.Logger

	// syncMu serializes fsyncs and file rotation; it guards synced.
	syncMu sync.Mutex
	synced Pos

	// mu guards f, pos and files.
	mu    sync.Mutex
	f     *os.File
	pos   Pos
	files []uint64 // numbers of the files on disk, ascending
	buf   []byte
}

// Open opens the log in dir, creating it if needed. It cuts a torn tail
// off the last file and reports what it cut to log.
func Open(dir string, fileSize int64, log *slog.Logger) (*WAL, error) {
	if fileSize <= 0 {
		fileSize = DefaultFileSize
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create wal dir: %w", err)
	}
	files, err := listFiles(dir)
	if err != nil {
		return nil, err
	}
	w := &WAL{dir: dir, fileSize: fileSize, log: log, files: files}
	if len(files) == 0 {
		if err := w.create(1); err != nil {
			return nil, err
		}
		return w, nil
	}
	last := files[len(files)-1]
	end, err := ScanFile(w.path(last), nil)
	var ce *CorruptError
	if errors.As(err, &ce) && ce.Torn {
		log.Warn("wal: cutting torn tail", "file", ce.File, "offset", ce.Offset, "reason", ce.Err)
		err = nil
	}
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(w.path(last), os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open wal file: %w", err)
	}
	if err := f.Truncate(end); err != nil {
		return nil, errors.Join(fmt.Errorf("truncate wal tail: %w", err), f.Close())
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		return nil, errors.Join(fmt.Errorf("seek wal: %w", err), f.Close())
	}
	if err := f.Sync(); err != nil {
		return nil, errors.Join(fmt.Errorf("sync wal: %w", err), f.Close())
	}
	w.f = f
	w.pos = Pos{File: last, Offset: end}
	w.synced = w.pos
	return w, nil
}

func listFiles(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list wal dir: %w", err)
	}
	var out []uint64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".wal")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(name, 10, 64)
		if err != nil || len(name) != 16 {
			return nil, fmt.Errorf("unexpected wal file %q", e.Name())
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

func (w *WAL) path(n uint64) string { return filepath.Join(w.dir, fmt.Sprintf("%016d.wal", n)) }

// create starts file n and makes its directory entry durable. Callers hold
// mu (or own w exclusively).
func (w *WAL) create(n uint64) error {
	f, err := os.OpenFile(w.path(n), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create wal file: %w", err)
	}
	if err := syncDir(w.dir); err != nil {
		return errors.Join(err, f.Close())
	}
	w.f = f
	w.pos = Pos{File: n}
	w.files = append(w.files, n)
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir for sync: %w", err)
	}
	return errors.Join(d.Sync(), d.Close())
}

// Replay calls fn with every frame's payload, oldest first, and stops at
// the first error. The payload is only valid during the call. Call it
// before the first Append.
func (w *WAL) Replay(fn func(payload []byte, end Pos) error) error {
	w.mu.Lock()
	files := slices.Clone(w.files)
	w.mu.Unlock()
	for i, n := range files {
		_, err := ScanFile(w.path(n), func(p []byte, off int64) error { return fn(p, Pos{File: n, Offset: off}) })
		var ce *CorruptError
		if errors.As(err, &ce) && ce.Torn && i == len(files)-1 {
			err = nil // Open already cut it; a concurrent writer cannot exist yet
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ScanFile reads the frames of one file, calling fn (if not nil) with each
// payload and the offset after it. It returns the end of the last whole
// frame, and a *CorruptError if bytes follow it.
func ScanFile(path string, fn func([]byte, int64) error) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open wal file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat wal file: %w", err)
	}
	size := st.Size()
	r := bufio.NewReaderSize(f, 1<<20)
	var off int64
	var hdr [headerSize]byte
	var payload []byte
	bad := func(err error) (int64, error) {
		return off, &CorruptError{File: path, Offset: off, Err: err, Torn: !validFrameAfter(f, off+1, size)}
	}
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err == io.EOF {
				return off, nil
			}
			return bad(fmt.Errorf("frame header: %w", err))
		}
		n := binary.LittleEndian.Uint32(hdr[:4])
		sum := binary.LittleEndian.Uint32(hdr[4:])
		if n == 0 || n > MaxPayload {
			return bad(fmt.Errorf("bad frame length %d", n))
		}
		end := off + headerSize + int64(n)
		if end > size {
			return bad(fmt.Errorf("frame of %d bytes runs past the end of the file", n))
		}
		payload = slices.Grow(payload[:0], int(n))[:n]
		if _, err := io.ReadFull(r, payload); err != nil {
			return off, fmt.Errorf("read wal file: %w", err)
		}
		if crc32.Checksum(payload, castagnoli) != sum {
			return bad(errors.New("frame checksum mismatch"))
		}
		off = end
		if fn != nil {
			if err := fn(payload, off); err != nil {
				return off, err
			}
		}
	}
}

// validFrameAfter reports whether a whole frame with a matching checksum
// starts anywhere in f between from and size. Random bytes rarely hold a
// plausible length, so few checksums are computed; past maxSearch bytes of
// them it answers true, the cautious answer.
func validFrameAfter(f *os.File, from, size int64) bool {
	const maxSearch = 256 << 20
	if size-from > maxSearch {
		return true
	}
	b := make([]byte, size-from)
	if n, _ := f.ReadAt(b, from); int64(n) != size-from {
		return true
	}
	var searched int64
	for p := 0; p+headerSize <= len(b); p++ {
		n := int64(binary.LittleEndian.Uint32(b[p:]))
		if n == 0 || n > MaxPayload || int64(p)+headerSize+n > int64(len(b)) {
			continue
		}
		if searched += n; searched > maxSearch {
			return true
		}
		payload := b[p+headerSize : int64(p)+headerSize+n]
		if crc32.Checksum(payload, castagnoli) == binary.LittleEndian.Uint32(b[p+4:]) {
			return true
		}
	}
	return false
}

// Append writes one frame whose payload is the concatenation of parts and
// returns the position after it. The frame is not durable until Sync
// covers that position.
func (w *WAL) Append(parts ...[]byte) (Pos, error) {
	n := 0
	var sum uint32
	for _, p := range parts {
		n += len(p)
		sum = crc32.Update(sum, castagnoli, p)
	}
	if n == 0 || n > MaxPayload {
		return Pos{}, fmt.Errorf("wal append: payload of %d bytes (want 1 to %d)", n, MaxPayload)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = binary.LittleEndian.AppendUint32(w.buf[:0], uint32(n))
	w.buf = binary.LittleEndian.AppendUint32(w.buf, sum)
	for _, p := range parts {
		w.buf = append(w.buf, p...)
	}
	if _, err := w.f.Write(w.buf); err != nil {
		return Pos{}, fmt.Errorf("wal write: %w", err)
	}
	w.pos.Offset += int64(len(w.buf))
	if cap(w.buf) > 4<<20 {
		w.buf = nil // do not keep a large batch's buffer
	}
	return w.pos, nil
}

// Sync makes every frame up to p durable. Callers that arrive while an
// fsync runs are covered by the next one: one fsync serves them all.
func (w *WAL) Sync(p Pos) error {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	if !w.synced.Less(p) {
		return nil
	}
	w.mu.Lock()
	f, target := w.f, w.pos
	w.mu.Unlock()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("wal sync: %w", err)
	}
	w.synced = target
	return nil
}

// Rotate syncs the current file if it has reached the configured size and
// starts the next. It returns the number of the file now being written.
func (w *WAL) Rotate(force bool) (uint64, error) {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	if !force && w.pos.Offset < w.fileSize || w.pos.Offset == 0 {
		return w.pos.File, nil
	}
	if err := w.f.Sync(); err != nil {
		return 0, fmt.Errorf("wal sync: %w", err)
	}
	w.synced = w.pos
	if err := w.f.Close(); err != nil {
		return 0, fmt.Errorf("close wal file: %w", err)
	}
	if err := w.create(w.pos.File + 1); err != nil {
		return 0, err
	}
	w.synced = w.pos
	return w.pos.File, nil
}

// Current returns the position after the last appended frame.
func (w *WAL) Current() Pos {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pos
}

// RemoveBefore deletes the files numbered below n. The file being written
// is never removed.
func (w *WAL) RemoveBefore(n uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	n = min(n, w.pos.File)
	var err error
	keep := w.files[:0]
	for _, f := range w.files {
		if f >= n {
			keep = append(keep, f)
			continue
		}
		if e := os.Remove(w.path(f)); e != nil && !errors.Is(e, os.ErrNotExist) {
			err = errors.Join(err, fmt.Errorf("remove wal file: %w", e))
			keep = append(keep, f)
		}
	}
	w.files = keep
	return err
}

// Close syncs and closes the log.
func (w *WAL) Close() error {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	return errors.Join(w.f.Sync(), w.f.Close())
}

// AppendFrame appends payload framed as in a log file: length, CRC-32C,
// payload. Other append-only files of the store use the same framing.
func AppendFrame(dst, payload []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(payload, castagnoli))
	return append(dst, payload...)
}
