package wal_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/warden-ops/warden/internal/wal"
)

var discard = slog.New(slog.DiscardHandler)

func openWAL(t *testing.T, dir string, fileSize int64) *wal.WAL {
	t.Helper()
	w, err := wal.Open(dir, fileSize, discard)
	if err != nil {
		t.Fatalf("Open(%s) = %v", dir, err)
	}
	return w
}

// frame is one replayed payload and the position after it.
type frame struct {
	Payload string
	End     wal.Pos
}

func replayAll(t *testing.T, w *wal.WAL) []frame {
	t.Helper()
	var out []frame
	if err := w.Replay(func(p []byte, end wal.Pos) error {
		out = append(out, frame{string(p), end})
		return nil
	}); err != nil {
		t.Fatalf("Replay() = %v", err)
	}
	return out
}

// walFiles returns the log's files, oldest first.
func walFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

func payload(i int) []byte {
	// Sizes vary from 1 byte to a few hundred, some above the test file
	// size, and some payloads hold NULs and frame-like bytes.
	n := 1 + (i*37)%300
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(i + j*7)
	}
	return b
}

// appendAll appends the payloads, rotating when the file is full as the
// store does, and returns the frames with their returned positions.
func appendAll(t *testing.T, w *wal.WAL, payloads [][]byte) []frame {
	t.Helper()
	var out []frame
	for _, p := range payloads {
		pos, err := w.Append(p)
		if err != nil {
			t.Fatalf("Append(%d bytes) = %v", len(p), err)
		}
		if err := w.Sync(pos); err != nil {
			t.Fatalf("Sync(%v) = %v", pos, err)
		}
		if _, err := w.Rotate(false); err != nil {
			t.Fatalf("Rotate(false) = %v", err)
		}
		out = append(out, frame{string(p), pos})
	}
	return out
}

func TestRoundTripAcrossRotation(t *testing.T) {
	dir := t.TempDir()
	w := openWAL(t, dir, 512)
	var payloads [][]byte
	for i := range 60 {
		payloads = append(payloads, payload(i))
	}
	want := appendAll(t, w, payloads)
	for i := 1; i < len(want); i++ {
		if !want[i-1].End.Less(want[i].End) {
			t.Errorf("Append #%d returned %v, not after #%d's %v", i, want[i].End, i-1, want[i-1].End)
		}
	}
	cur := w.Current()
	if err := w.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if n := len(walFiles(t, dir)); n < 10 {
		t.Fatalf("%d files after %d appends with 512-byte files, want rotation", n, len(payloads))
	}

	w = openWAL(t, dir, 512)
	defer w.Close()
	if got := w.Current(); got != cur {
		t.Errorf("Current() after reopen = %v, want %v", got, cur)
	}
	got := replayAll(t, w)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Replay() differs from what was appended (-want +got):\n%s", diff)
	}
	// The log keeps going after a reopen.
	more := appendAll(t, w, [][]byte{[]byte("after reopen")})
	if !want[len(want)-1].End.Less(more[0].End) {
		t.Errorf("Append after reopen = %v, not after %v", more[0].End, want[len(want)-1].End)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = openWAL(t, dir, 512)
	if diff := cmp.Diff(slices.Concat(want, more), replayAll(t, w)); diff != "" {
		t.Errorf("Replay() after second reopen differs (-want +got):\n%s", diff)
	}
}

func TestRotate(t *testing.T) {
	dir := t.TempDir()
	w := openWAL(t, dir, 100)
	defer w.Close()
	// An empty file is never rotated, even when forced.
	for _, force := range []bool{false, true} {
		if n, err := w.Rotate(force); err != nil || n != 1 {
			t.Errorf("Rotate(%v) on an empty file = %d, %v, want 1, nil", force, n, err)
		}
	}
	if _, err := w.Append([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Rotate(false); err != nil || n != 1 {
		t.Errorf("Rotate(false) below the file size = %d, %v, want 1, nil", n, err)
	}
	if n, err := w.Rotate(true); err != nil || n != 2 {
		t.Errorf("Rotate(true) = %d, %v, want 2, nil", n, err)
	}
	if got, want := w.Current(), (wal.Pos{File: 2}); got != want {
		t.Errorf("Current() after rotation = %v, want %v", got, want)
	}
	if _, err := w.Append(make([]byte, 200)); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Rotate(false); err != nil || n != 3 {
		t.Errorf("Rotate(false) above the file size = %d, %v, want 3, nil", n, err)
	}
	if n := len(walFiles(t, dir)); n != 3 {
		t.Errorf("%d files, want 3", n)
	}
}

func TestAppendErrors(t *testing.T) {
	w := openWAL(t, t.TempDir(), 0)
	defer w.Close()
	for _, n := range []int{0, wal.MaxPayload + 1} {
		if pos, err := w.Append(make([]byte, n)); err == nil {
			t.Errorf("Append(%d bytes) = %v, nil, want error", n, pos)
		}
	}
	if got := w.Current(); got != (wal.Pos{File: 1}) {
		t.Errorf("Current() after refused appends = %v, want file 1 offset 0", got)
	}
}

func TestAppendParts(t *testing.T) {
	dir := t.TempDir()
	w := openWAL(t, dir, 0)
	// A frame's payload is its parts concatenated; empty parts add nothing.
	p1, err := w.Append([]byte("head|"), nil, []byte("body\x00"), []byte{})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := w.Append([]byte("single"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append(nil, []byte{}); err == nil {
		t.Errorf("Append(only empty parts) = nil error, want error")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = openWAL(t, dir, 0)
	defer w.Close()
	want := []frame{{"head|body\x00", p1}, {"single", p2}}
	if diff := cmp.Diff(want, replayAll(t, w)); diff != "" {
		t.Errorf("Replay() differs (-want +got):\n%s", diff)
	}
	// The frame is exactly AppendFrame of the joined payload.
	data, err := os.ReadFile(walFiles(t, dir)[0])
	if err != nil {
		t.Fatal(err)
	}
	if frame := wal.AppendFrame(nil, []byte("head|body\x00")); !bytes.HasPrefix(data, frame) {
		t.Errorf("file starts %x, want %x", data[:min(len(data), len(frame))], frame)
	}
}

func TestSync(t *testing.T) {
	w := openWAL(t, t.TempDir(), 0)
	defer w.Close()
	p1, err := w.Append([]byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := w.Append([]byte("two"))
	if err != nil {
		t.Fatal(err)
	}
	// Syncing a later position covers an earlier one, and positions
	// already synced are not an error.
	for _, p := range []wal.Pos{p2, p1, p2, {}} {
		if err := w.Sync(p); err != nil {
			t.Errorf("Sync(%v) = %v", p, err)
		}
	}
}

func TestOpenRefusesStrangeFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "junk.wal"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if w, err := wal.Open(dir, 0, discard); err == nil {
		w.Close()
		t.Errorf("Open(dir with junk.wal) = nil error, want error")
	}
	// Files without the .wal suffix are not the log's business.
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("hi"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := openWAL(t, dir, 0)
	if got := replayAll(t, w); len(got) != 0 {
		t.Errorf("Replay() of a new log = %v, want nothing", got)
	}
	w.Close()
}

func TestConcurrentAppend(t *testing.T) {
	const goroutines, perGoroutine = 16, 200
	dir := t.TempDir()
	w := openWAL(t, dir, 16<<10)
	var (
		mu  sync.Mutex
		got = map[string]wal.Pos{}
		wg  sync.WaitGroup
	)
	errc := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				p := fmt.Sprintf("g%02d-%04d-%s", g, i, strings.Repeat("x", i%50))
				pos, err := w.Append([]byte(p))
				if err == nil {
					err = w.Sync(pos)
				}
				if err == nil && i%10 == 0 {
					_, err = w.Rotate(false)
				}
				if err != nil {
					errc <- err
					return
				}
				mu.Lock()
				if old, dup := got[p]; dup {
					errc <- fmt.Errorf("payload %q appended twice, at %v and %v", p, old, pos)
				}
				got[p] = pos
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(walFiles(t, dir)); n < 2 {
		t.Errorf("%d files, want rotation during the test", n)
	}

	w = openWAL(t, dir, 16<<10)
	defer w.Close()
	seen := map[string]bool{}
	var prev wal.Pos
	var last = map[int]int{} // per goroutine, the last index replayed
	for i, f := range replayAll(t, w) {
		if i > 0 && !prev.Less(f.End) {
			t.Errorf("replayed %q at %v, not after %v", f.Payload, f.End, prev)
		}
		prev = f.End
		pos, ok := got[f.Payload]
		switch {
		case !ok:
			t.Errorf("replayed %q, which was never appended", f.Payload)
		case seen[f.Payload]:
			t.Errorf("replayed %q twice", f.Payload)
		case pos != f.End:
			t.Errorf("replayed %q at %v, Append returned %v", f.Payload, f.End, pos)
		}
		seen[f.Payload] = true
		// Each goroutine's appends replay in the order it made them.
		var g, n int
		if _, err := fmt.Sscanf(f.Payload, "g%02d-%04d-", &g, &n); err != nil {
			t.Fatalf("bad payload %q: %v", f.Payload, err)
		}
		if l, ok := last[g]; ok && n != l+1 {
			t.Errorf("goroutine %d: replayed append %d after %d", g, n, l)
		} else if !ok && n != 0 {
			t.Errorf("goroutine %d: first replayed append is %d, want 0", g, n)
		}
		last[g] = n
	}
	if len(seen) != goroutines*perGoroutine {
		t.Errorf("replayed %d payloads, want %d", len(seen), goroutines*perGoroutine)
	}
}

// buildLog writes a log of two files and returns its directory, the
// frames appended and the offset where the last frame of the last file
// starts.
func buildLog(t *testing.T) (dir string, frames []frame, lastStart int64) {
	t.Helper()
	dir = t.TempDir()
	w := openWAL(t, dir, 0)
	frames = appendAll(t, w, [][]byte{[]byte("first file, one"), []byte("first file, two")})
	if _, err := w.Rotate(true); err != nil {
		t.Fatal(err)
	}
	frames = append(frames, appendAll(t, w, [][]byte{
		[]byte("second file, one"), []byte("second \x00 two"), []byte("the last frame, which gets torn"),
	})...)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, frames, frames[len(frames)-2].End.Offset
}

// copyLog copies a log directory so each case starts from the same bytes.
func copyLog(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "wal")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// checkRecovered opens a damaged log and checks that Open cut the tail at
// cut, that Replay yields exactly want, and that a new append is kept.
func checkRecovered(t *testing.T, dir string, want []frame, cut int64) {
	t.Helper()
	files := walFiles(t, dir)
	last := files[len(files)-1]
	before, err := os.Stat(last)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	w, err := wal.Open(dir, 0, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatalf("Open(damaged log) = %v", err)
	}
	// Open reports a cut, and only a cut.
	if cutSome, said := before.Size() > cut, strings.Contains(logged.String(), "torn tail"); cutSome != said {
		t.Errorf("Open cut %d bytes and logged %q", before.Size()-cut, logged.String())
	}
	if st, err := os.Stat(last); err != nil {
		t.Error(err)
	} else if st.Size() != cut {
		t.Errorf("after Open, the last file is %d bytes, want %d", st.Size(), cut)
	}
	if got := w.Current(); got.Offset != cut {
		t.Errorf("Current() = %v, want offset %d", got, cut)
	}
	if diff := cmp.Diff(want, replayAll(t, w)); diff != "" {
		t.Errorf("Replay() of the damaged log differs (-want +got):\n%s", diff)
	}
	more := appendAll(t, w, [][]byte{[]byte("appended after recovery")})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = openWAL(t, dir, 0)
	defer w.Close()
	if diff := cmp.Diff(slices.Concat(want, more), replayAll(t, w)); diff != "" {
		t.Errorf("Replay() after an append to the recovered log differs (-want +got):\n%s", diff)
	}
}

func TestTornTail(t *testing.T) {
	src, frames, start := buildLog(t)
	whole := frames[:len(frames)-1]
	last := walFiles(t, src)[1]
	data, err := os.ReadFile(last)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != frames[len(frames)-1].End.Offset {
		t.Fatalf("last file is %d bytes, want %d", len(data), frames[len(frames)-1].End.Offset)
	}
	for off := start; off < int64(len(data)); off++ {
		t.Run(fmt.Sprintf("truncate at %d", off), func(t *testing.T) {
			dir := copyLog(t, src)
			if err := os.Truncate(walFiles(t, dir)[1], off); err != nil {
				t.Fatal(err)
			}
			checkRecovered(t, dir, whole, start)
		})
	}
	for off := start; off < int64(len(data)); off++ {
		t.Run(fmt.Sprintf("flip byte %d", off), func(t *testing.T) {
			dir := copyLog(t, src)
			b := bytes.Clone(data)
			b[off] ^= 0x55
			if err := os.WriteFile(walFiles(t, dir)[1], b, 0o600); err != nil {
				t.Fatal(err)
			}
			checkRecovered(t, dir, whole, start)
		})
	}
	t.Run("garbage after the last frame", func(t *testing.T) {
		dir := copyLog(t, src)
		f, err := os.OpenFile(walFiles(t, dir)[1], os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte{0, 0, 0}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		checkRecovered(t, dir, frames, int64(len(data)))
	})
	t.Run("zeroed tail", func(t *testing.T) {
		// A file system may extend a file with zeros before a crash.
		dir := copyLog(t, src)
		if err := os.Truncate(walFiles(t, dir)[1], int64(len(data))+4096); err != nil {
			t.Fatal(err)
		}
		checkRecovered(t, dir, frames, int64(len(data)))
	})
}

func TestOpenRefusesDamagedLastFile(t *testing.T) {
	// Damage followed by whole frames is not a torn write: cutting it
	// would lose acknowledged frames, so Open refuses and leaves the file.
	src, frames, _ := buildLog(t)
	secondStart := frames[2].End.Offset // file 2: frames 2, 3 and 4
	for _, off := range []int64{secondStart, secondStart + 3, secondStart + 4, secondStart + 9} {
		t.Run(fmt.Sprint("flip ", off), func(t *testing.T) {
			dir := copyLog(t, src)
			path := walFiles(t, dir)[1]
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b := bytes.Clone(data)
			b[off] ^= 0x55
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			w, err := wal.Open(dir, 0, discard)
			if err == nil {
				w.Close()
				t.Fatalf("Open(damaged before whole frames) = nil error, want error")
			}
			ce, ok := errors.AsType[*wal.CorruptError](err)
			if !ok || ce.Torn || ce.File != path || ce.Offset != secondStart {
				t.Errorf("Open() = %v, want a *CorruptError at %s offset %d, not torn", err, path, secondStart)
			}
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, b) {
				t.Errorf("Open changed the damaged file (%v)", err)
			}
		})
	}
}

func TestCorruptNonLastFile(t *testing.T) {
	src, frames, _ := buildLog(t)
	first := walFiles(t, src)[0]
	data, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	secondStart := frames[0].End.Offset
	tests := []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"flipped payload byte", func(b []byte) []byte { b[secondStart+10] ^= 1; return b }},
		{"flipped checksum byte", func(b []byte) []byte { b[secondStart+5] ^= 1; return b }},
		{"length too long", func(b []byte) []byte { b[secondStart] += 1; return b }},
		{"zero length", func(b []byte) []byte { clear(b[secondStart : secondStart+4]); return b }},
		{"truncated frame", func(b []byte) []byte { return b[:len(b)-3] }},
		{"truncated header", func(b []byte) []byte { return b[:secondStart+3] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyLog(t, src)
			path := walFiles(t, dir)[0]
			if err := os.WriteFile(path, tt.damage(bytes.Clone(data)), 0o600); err != nil {
				t.Fatal(err)
			}
			// Open only checks the last file, so it succeeds; Replay
			// must not skip the damage.
			w := openWAL(t, dir, 0)
			defer w.Close()
			var got []frame
			err := w.Replay(func(p []byte, end wal.Pos) error {
				got = append(got, frame{string(p), end})
				return nil
			})
			ce, ok := errors.AsType[*wal.CorruptError](err)
			if !ok {
				t.Fatalf("Replay() = %v, want a *CorruptError", err)
			}
			if ce.File != path || ce.Offset != secondStart {
				t.Errorf("Replay() = %v, at %s offset %d, want %s offset %d", err, ce.File, ce.Offset, path, secondStart)
			}
			if ce.Err == nil || errors.Unwrap(err) == nil {
				t.Errorf("CorruptError %v has no cause", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("Replay() error %q does not name %s", err, path)
			}
			if diff := cmp.Diff(frames[:1], got); diff != "" {
				t.Errorf("Replay() before the damage differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReplayStopsOnError(t *testing.T) {
	src, _, _ := buildLog(t)
	w := openWAL(t, src, 0)
	defer w.Close()
	stop := errors.New("stop")
	n := 0
	err := w.Replay(func([]byte, wal.Pos) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("Replay() = %v after %d calls, want %v after 3", err, n, stop)
	}
}

func TestRemoveBefore(t *testing.T) {
	dir := t.TempDir()
	w := openWAL(t, dir, 0)
	for i := range 4 {
		appendAll(t, w, [][]byte{payload(i)})
		if _, err := w.Rotate(true); err != nil {
			t.Fatal(err)
		}
	}
	// Now files 1 to 4 hold one frame each, and file 5 is current and empty.
	names := func() []string {
		var out []string
		for _, f := range walFiles(t, dir) {
			out = append(out, filepath.Base(f))
		}
		return out
	}
	steps := []struct {
		n    uint64
		want []string
	}{
		{0, []string{"0000000000000001.wal", "0000000000000002.wal", "0000000000000003.wal", "0000000000000004.wal", "0000000000000005.wal"}},
		{1, []string{"0000000000000001.wal", "0000000000000002.wal", "0000000000000003.wal", "0000000000000004.wal", "0000000000000005.wal"}},
		{3, []string{"0000000000000003.wal", "0000000000000004.wal", "0000000000000005.wal"}},
		{2, []string{"0000000000000003.wal", "0000000000000004.wal", "0000000000000005.wal"}},
		{1 << 63, []string{"0000000000000005.wal"}},
	}
	for _, s := range steps {
		if err := w.RemoveBefore(s.n); err != nil {
			t.Fatalf("RemoveBefore(%d) = %v", s.n, err)
		}
		if diff := cmp.Diff(s.want, names()); diff != "" {
			t.Errorf("files after RemoveBefore(%d) differ (-want +got):\n%s", s.n, diff)
		}
	}
	// The current file still takes appends, which replay after a reopen.
	more := appendAll(t, w, [][]byte{[]byte("still writing")})
	if err := w.RemoveBefore(1 << 63); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"0000000000000005.wal"}, names()); diff != "" {
		t.Errorf("files after RemoveBefore(max) with data in the current file differ (-want +got):\n%s", diff)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = openWAL(t, dir, 0)
	defer w.Close()
	if diff := cmp.Diff(more, replayAll(t, w)); diff != "" {
		t.Errorf("Replay() after RemoveBefore differs (-want +got):\n%s", diff)
	}
	if err := w.RemoveBefore(1 << 63); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"0000000000000005.wal"}, names()); diff != "" {
		t.Errorf("RemoveBefore(max) after reopen removed the current file: %v", names())
	}
}

func TestScanFile(t *testing.T) {
	var data []byte
	var want []frame
	for i := range 5 {
		data = wal.AppendFrame(data, payload(i))
		want = append(want, frame{string(payload(i)), wal.Pos{Offset: int64(len(data))}})
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var got []frame
	end, err := wal.ScanFile(path, func(p []byte, off int64) error {
		got = append(got, frame{string(p), wal.Pos{Offset: off}})
		return nil
	})
	if err != nil || end != int64(len(data)) {
		t.Errorf("ScanFile() = %d, %v, want %d, nil", end, err, len(data))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ScanFile() frames differ (-want +got):\n%s", diff)
	}
	if end, err := wal.ScanFile(path, nil); err != nil || end != int64(len(data)) {
		t.Errorf("ScanFile(nil fn) = %d, %v, want %d, nil", end, err, len(data))
	}
	if _, err := wal.ScanFile(filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Errorf("ScanFile(missing file) = nil error, want error")
	}
}

func TestAppendFrame(t *testing.T) {
	// The frame layout is fixed by docs/format/wal.md: little-endian
	// length, CRC-32C of the payload, payload.
	got := wal.AppendFrame([]byte("dst"), []byte("123456789"))
	want := []byte("dst\x09\x00\x00\x00\x83\x92\x06\xe3123456789") // CRC-32C("123456789") = 0xe3069283
	if !bytes.Equal(got, want) {
		t.Errorf("AppendFrame(dst, 123456789) = %x, want %x", got, want)
	}
}

func FuzzScanFile(f *testing.F) {
	var valid []byte
	for i := range 4 {
		valid = wal.AppendFrame(valid, payload(i))
	}
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add(valid[:11])
	f.Add(append(bytes.Clone(valid), 1, 0, 0, 0))
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1})
	f.Add(wal.AppendFrame(nil, []byte{0}))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "f.wal")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var next int64 // where the next frame starts
		end, err := wal.ScanFile(path, func(p []byte, off int64) error {
			start := off - int64(len(p)) - 8
			if start != next {
				t.Fatalf("frame ending at %d with %d bytes starts at %d, want %d", off, len(p), start, next)
			}
			if off > int64(len(data)) {
				t.Fatalf("frame ends at %d, after the file's %d bytes", off, len(data))
			}
			if got := wal.AppendFrame(nil, p); !bytes.Equal(got, data[start:off]) {
				t.Fatalf("AppendFrame(payload) = %x, want the file's bytes %x at %d", got, data[start:off], start)
			}
			next = off
			return nil
		})
		if end > int64(len(data)) || end != next {
			t.Fatalf("ScanFile() = %d, want the end of the last frame %d (file of %d bytes)", end, next, len(data))
		}
		switch ce, ok := errors.AsType[*wal.CorruptError](err); {
		case err == nil && end != int64(len(data)):
			t.Fatalf("ScanFile() = %d, nil error, with %d bytes after it", end, int64(len(data))-end)
		case err != nil && !ok:
			t.Fatalf("ScanFile() error = %v, want a *CorruptError", err)
		case err != nil && (ce.Offset != end || ce.File != path):
			t.Fatalf("ScanFile() = %d, %v, want a CorruptError at %s offset %d", end, err, path, end)
		case err != nil && end == int64(len(data)):
			t.Fatalf("ScanFile() = %d, %v, but nothing follows the last frame", end, err)
		}
	})
}
