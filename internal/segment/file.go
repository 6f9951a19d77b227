package segment

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// FileHeaderSize is the size of a segment file's header; the first block
// frame starts right after it.
const FileHeaderSize = 16

var fileMagic = [4]byte{'W', 'S', 'E', 'G'}

const fileVersion = 1

// Writer appends block frames to one segment file. Frames are immutable
// once written; the store's log records where each one is.
type Writer struct {
	f         *os.File
	kind      record.Kind
	partition time.Time
	size      int64
}

// Create makes a new segment file for kind whose blocks were sealed in the
// partition starting at partition. It fails if the file exists.
func Create(path string, kind record.Kind, partition time.Time) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create segment: %w", err)
	}
	hdr := make([]byte, 0, FileHeaderSize)
	hdr = append(hdr, fileMagic[:]...)
	hdr = append(hdr, fileVersion, byte(kind), 0, 0)
	hdr = binary.BigEndian.AppendUint64(hdr, uint64(partition.Unix()))
	if _, err := f.Write(hdr); err != nil {
		return nil, errors.Join(fmt.Errorf("write segment header: %w", err), f.Close())
	}
	return &Writer{f: f, kind: kind, partition: partition, size: FileHeaderSize}, nil
}

// OpenWriter reopens an existing segment file to append after its current
// end. Bytes a crash left after the last logged block stay where they are:
// the log says which bytes are blocks, and nothing is ever cut.
func OpenWriter(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open segment: %w", err)
	}
	kind, partition, err := readFileHeader(f)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", path, err), f.Close())
	}
	if !kind.Valid() {
		return nil, errors.Join(fmt.Errorf("%s: segment of unknown kind %d", path, kind), f.Close())
	}
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("seek segment: %w", err), f.Close())
	}
	return &Writer{f: f, kind: kind, partition: partition, size: end}, nil
}

func readFileHeader(r io.ReaderAt) (record.Kind, time.Time, error) {
	var hdr [FileHeaderSize]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return 0, time.Time{}, fmt.Errorf("read segment header: %w", err)
	}
	if [4]byte(hdr[:4]) != fileMagic || hdr[4] != fileVersion {
		return 0, time.Time{}, errors.New("not a segment file (bad magic or version)")
	}
	return record.Kind(hdr[5]), time.Unix(int64(binary.BigEndian.Uint64(hdr[8:])), 0).UTC(), nil
}

// Append writes a frame at the end of the file and returns its offset. The
// frame is durable after Sync.
func (w *Writer) Append(frame []byte) (int64, error) {
	off := w.size
	if _, err := w.f.WriteAt(frame, off); err != nil {
		return 0, fmt.Errorf("write block: %w", err)
	}
	w.size += int64(len(frame))
	return off, nil
}

// Sync makes the appended frames durable.
func (w *Writer) Sync() error { return w.f.Sync() }

// Size returns the file's size.
func (w *Writer) Size() int64 { return w.size }

// Partition returns the start of the partition the file belongs to.
func (w *Writer) Partition() time.Time { return w.partition }

// Close syncs and closes the file.
func (w *Writer) Close() error { return errors.Join(w.f.Sync(), w.f.Close()) }

// ReadFrame reads the frame at off of length n from the segment at path.
// A file that is missing or too short yields an error that says so.
func ReadFrame(path string, off, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadFrameAt(f, off, n)
}

// ReadFrameAt is ReadFrame on an open file.
func ReadFrameAt(r io.ReaderAt, off, n int64) ([]byte, error) {
	if n <= 0 || n > 1<<31 {
		return nil, fmt.Errorf("frame length %d out of range", n)
	}
	b := make([]byte, n)
	got, err := r.ReadAt(b, off)
	if got == int(n) {
		return b, nil
	}
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: segment ends %d bytes into the %d-byte block at offset %d", ErrTruncated, max(got, 0), n, off)
	}
	return nil, fmt.Errorf("read block: %w", err)
}

// ErrTruncated reports a segment file shorter than its logged blocks.
var ErrTruncated = errors.New("segment truncated")
