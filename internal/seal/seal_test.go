package seal_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/seal"
	"github.com/warden-ops/warden/internal/wal"
)

var discard = slog.New(slog.DiscardHandler)

func blockEntry(i int) *seal.Entry {
	return &seal.Entry{
		Type: seal.EntryBlock, Kind: record.KindNAT, Segment: fmt.Sprintf("nat/2026-11-01-%04d.seg", i),
		Time: 1_793_500_000_123_456_789 + int64(i), Offset: 1<<40 + int64(i), Length: 65536 + int64(i),
		FirstSeq: 1 + uint64(i)*1000, Count: 1000,
		MinTime: -5, MaxTime: 1<<63 - 1, MinReceive: 1_793_500_000_000_000_000, MaxReceive: 1_793_500_001_000_000_000,
		Root: tlog.RecordHash([]byte(fmt.Sprint("root", i))), Digest: sha256.Sum256([]byte(fmt.Sprint("frame", i))),
	}
}

func expiryEntry() *seal.Entry {
	return &seal.Entry{
		Type: seal.EntryExpiry, Kind: record.KindRegistration, Segment: "registration/2025-01.seg",
		Time: 1_793_500_000_000_000_000, Digest: sha256.Sum256([]byte("the whole file")),
		Size: 123456789, FirstSeq: 1, LastSeq: 1 << 50, Retention: 3 * 365 * 24 * time.Hour,
		Reason: "retention: registration data older than 3 years",
	}
}

func TestEntryRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		e    *seal.Entry
	}{
		{"block", blockEntry(7)},
		{"block minimal", &seal.Entry{Type: seal.EntryBlock, Kind: record.KindRaw, Count: 1}},
		{"block largest", &seal.Entry{Type: seal.EntryBlock, Kind: record.KindRaw, Count: 1 << 20, FirstSeq: 1<<64 - 1}},
		{"expiry", expiryEntry()},
		{"expiry zero", &seal.Entry{Type: seal.EntryExpiry, Kind: record.KindSession}},
		{"expiry negative time", &seal.Entry{Type: seal.EntryExpiry, Kind: record.KindAudit, Time: -1, Reason: "\x00"}},
		{"expiry longest retention", &seal.Entry{Type: seal.EntryExpiry, Kind: record.KindAudit,
			Retention: time.Duration(math.MaxInt64/int64(time.Second)-1) * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.e.AppendBinary(nil)
			if err != nil {
				t.Fatalf("AppendBinary() = %v", err)
			}
			got, err := seal.DecodeEntry(b)
			if err != nil {
				t.Fatalf("DecodeEntry(%x) = %v", b, err)
			}
			if diff := cmp.Diff(tt.e, got); diff != "" {
				t.Errorf("DecodeEntry(AppendBinary(e)) differs (-want +got):\n%s", diff)
			}
			again, err := got.AppendBinary([]byte("dst"))
			if err != nil || !bytes.Equal(again, append([]byte("dst"), b...)) {
				t.Errorf("AppendBinary(dst) = %x, %v, want dst then %x", again, err, b)
			}
		})
	}
}

func TestEntryEncodingIgnoresOtherType(t *testing.T) {
	// A block entry does not encode the expiry fields and vice versa.
	b := blockEntry(1)
	b.Size, b.LastSeq, b.Retention, b.Reason = 1, 2, time.Hour, "x"
	enc, err := b.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := blockEntry(1).AppendBinary(nil)
	if !bytes.Equal(enc, want) {
		t.Errorf("AppendBinary(block with expiry fields) = %x, want %x", enc, want)
	}
}

func TestEntryEncodeErrors(t *testing.T) {
	for _, typ := range []seal.EntryType{0, 3, 255} {
		if b, err := (&seal.Entry{Type: typ, Kind: record.KindNAT}).AppendBinary(nil); err == nil {
			t.Errorf("AppendBinary(type %d) = %x, want error", typ, b)
		}
	}
	// Retention is kept in whole seconds; anything else would not
	// survive decoding.
	for _, d := range []time.Duration{-time.Second, time.Second + 1, 1500 * time.Millisecond} {
		e := expiryEntry()
		e.Retention = d
		if b, err := e.AppendBinary(nil); err == nil {
			t.Errorf("AppendBinary(retention %v) = %x, want error", d, b)
		}
	}
}

func TestDecodeEntryErrors(t *testing.T) {
	for _, e := range []*seal.Entry{blockEntry(3), expiryEntry()} {
		b, err := e.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(e.Type.String()+"/trailing", func(t *testing.T) {
			for _, extra := range [][]byte{{0}, {1, 2, 3}} {
				in := append(bytes.Clone(b), extra...)
				if got, err := seal.DecodeEntry(in); err == nil || !strings.Contains(err.Error(), "trailing") {
					t.Errorf("DecodeEntry(%x) = %+v, %v, want a trailing bytes error", in, got, err)
				}
			}
		})
		t.Run(e.Type.String()+"/truncated", func(t *testing.T) {
			for n := range len(b) {
				if got, err := seal.DecodeEntry(b[:n]); err == nil {
					t.Errorf("DecodeEntry(first %d of %d bytes) = %+v, want error", n, len(b), got)
				}
			}
		})
		t.Run(e.Type.String()+"/kind", func(t *testing.T) {
			for _, k := range []byte{0, 9, 255} {
				in := bytes.Clone(b)
				in[1] = k
				if got, err := seal.DecodeEntry(in); err == nil || !strings.Contains(err.Error(), "kind") {
					t.Errorf("DecodeEntry(kind %d) = %+v, %v, want an unknown kind error", k, got, err)
				}
			}
		})
		t.Run(e.Type.String()+"/type", func(t *testing.T) {
			for _, typ := range []byte{0, 3, 255} {
				in := bytes.Clone(b)
				in[0] = typ
				if got, err := seal.DecodeEntry(in); err == nil || !strings.Contains(err.Error(), "type") {
					t.Errorf("DecodeEntry(type %d) = %+v, %v, want an unknown type error", typ, got, err)
				}
			}
		})
	}
}

func TestDecodeEntryBounds(t *testing.T) {
	blockWithCount := func(count uint64) []byte {
		e := blockEntry(0)
		e.Offset, e.Length, e.FirstSeq, e.Count = 1, 1, 1, 1
		b, err := e.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		// Type, kind, segment, time, then offset 1, length 1, first seq 1
		// and the count.
		i := 2 + 1 + len(e.Segment) + 8 + 3
		if b[i] != 1 {
			t.Fatalf("count byte at %d = %d, want 1", i, b[i])
		}
		return slices.Concat(b[:i], binary.AppendUvarint(nil, count), b[i+1:])
	}
	expiryWithRetention := func(secs uint64) []byte {
		e := expiryEntry()
		e.Retention, e.Reason = time.Second, ""
		b, err := e.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		// The retention is the second-last byte, before the empty reason.
		return slices.Concat(b[:len(b)-2], binary.AppendUvarint(nil, secs), b[len(b)-1:])
	}
	if _, err := seal.DecodeEntry(blockWithCount(1)); err != nil {
		t.Fatalf("DecodeEntry(count 1) = %v", err)
	}
	if _, err := seal.DecodeEntry(expiryWithRetention(1)); err != nil {
		t.Fatalf("DecodeEntry(retention 1s) = %v", err)
	}
	for name, b := range map[string][]byte{
		"count 0":                  blockWithCount(0),
		"count 2^20+1":             blockWithCount(1<<20 + 1),
		"count 2^63":               blockWithCount(1 << 63),
		"retention 2^63 ns":        expiryWithRetention(1 << 63 / uint64(time.Second)),
		"retention 2^64-1 s":       expiryWithRetention(1<<64 - 1),
		"retention wraps to 1s":    expiryWithRetention(1<<55 + 1),
		"retention wraps negative": expiryWithRetention(1 << 62),
		"retention 2^63 s":         expiryWithRetention(1 << 63),
	} {
		t.Run(name, func(t *testing.T) {
			if got, err := seal.DecodeEntry(b); err == nil {
				t.Errorf("DecodeEntry(%x) = %+v, want error", b, got)
			}
		})
	}
}

func TestEntryTypeString(t *testing.T) {
	for typ, want := range map[seal.EntryType]string{seal.EntryBlock: "block", seal.EntryExpiry: "expiry", 9: "entry-type(9)"} {
		if got := typ.String(); got != want {
			t.Errorf("EntryType(%d).String() = %q, want %q", typ, got, want)
		}
	}
}

func FuzzDecodeEntry(f *testing.F) {
	for _, e := range []*seal.Entry{blockEntry(0), blockEntry(99), expiryEntry(), {Type: seal.EntryExpiry, Kind: record.KindRaw}} {
		b, err := e.AppendBinary(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := seal.DecodeEntry(b)
		if err != nil {
			if e != nil {
				t.Fatalf("DecodeEntry(%x) = %+v, %v: an entry with an error", b, e, err)
			}
			return
		}
		enc, err := e.AppendBinary(nil)
		if err != nil {
			t.Fatalf("AppendBinary(DecodeEntry(%x)) = %v", b, err)
		}
		got, err := seal.DecodeEntry(enc)
		if err != nil {
			t.Fatalf("DecodeEntry(AppendBinary(DecodeEntry(%x))) = %v", b, err)
		}
		if diff := cmp.Diff(e, got); diff != "" {
			t.Fatalf("entry of %x does not survive re-encoding (-first +second):\n%s", b, diff)
		}
		if len(enc) > len(b) {
			t.Fatalf("AppendBinary(DecodeEntry(%x)) = %x, longer than its input", b, enc)
		}
	})
}

// memTree computes the log's hashes independently, in memory.
type memTree struct{ hashes []tlog.Hash }

func (m *memTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("memTree: no hash %d", x)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

func (m *memTree) add(t *testing.T, n int64, entry []byte) {
	t.Helper()
	hs, err := tlog.StoredHashes(n, entry, m)
	if err != nil {
		t.Fatal(err)
	}
	m.hashes = append(m.hashes, hs...)
}

func entries(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		e := blockEntry(i)
		if i%5 == 4 {
			e = expiryEntry()
			e.Segment = fmt.Sprint("seg-", i)
		}
		b, err := e.AppendBinary(nil)
		if err != nil {
			panic(err)
		}
		out[i] = b
	}
	return out
}

// openLog opens the log in dir and returns it with the entries OpenLog
// reported.
func openLog(t *testing.T, dir string) (*seal.Log, [][]byte) {
	t.Helper()
	var got [][]byte
	l, err := seal.OpenLog(dir, discard, func(i int64, e []byte) error {
		if i != int64(len(got)) {
			t.Errorf("OpenLog called fn with index %d, want %d", i, len(got))
		}
		got = append(got, bytes.Clone(e))
		return nil
	})
	if err != nil {
		t.Fatalf("OpenLog(%s) = %v", dir, err)
	}
	return l, got
}

// checkTree checks that l holds exactly want, hash for hash.
func checkTree(t *testing.T, l *seal.Log, want [][]byte) {
	t.Helper()
	m := &memTree{}
	for i, e := range want {
		m.add(t, int64(i), e)
	}
	if got := l.Size(); got != int64(len(want)) {
		t.Fatalf("Size() = %d, want %d", got, len(want))
	}
	for n := int64(0); n <= int64(len(want)); n++ {
		want, err := tlog.TreeHash(n, m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.TreeHash(n)
		if err != nil {
			t.Fatalf("TreeHash(%d) = %v", n, err)
		}
		if got != want {
			t.Errorf("TreeHash(%d) = %v, want %v", n, got, want)
		}
	}
	idx := make([]int64, len(m.hashes))
	for i := range idx {
		idx[i] = int64(i)
	}
	got, err := l.ReadHashes(idx)
	if err != nil {
		t.Fatalf("ReadHashes(all %d) = %v", len(idx), err)
	}
	if diff := cmp.Diff(m.hashes, got); diff != "" {
		t.Errorf("stored hashes differ (-want +got):\n%s", diff)
	}
}

func TestLogAppend(t *testing.T) {
	dir := t.TempDir()
	l, got := openLog(t, dir)
	if len(got) != 0 {
		t.Errorf("OpenLog(new dir) reported %d entries", len(got))
	}
	all := entries(40)
	var done [][]byte
	for _, n := range []int{1, 3, 7, 1, 12, 16} {
		first, err := l.Append(all[len(done) : len(done)+n]...)
		if err != nil {
			t.Fatalf("Append(%d entries) = %v", n, err)
		}
		if first != int64(len(done)) {
			t.Errorf("Append(%d entries) = %d, want %d", n, first, len(done))
		}
		done = all[:len(done)+n]
		checkTree(t, l, done)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l, got = openLog(t, dir)
	defer l.Close()
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("OpenLog reported entries that differ (-want +got):\n%s", diff)
	}
	checkTree(t, l, all)
}

func TestLogAppendNothing(t *testing.T) {
	l, _ := openLog(t, t.TempDir())
	defer l.Close()
	if first, err := l.Append(); err != nil || first != 0 || l.Size() != 0 {
		t.Errorf("Append() = %d, %v with size %d, want 0, nil, 0", first, err, l.Size())
	}
}

func TestLogOpenFnError(t *testing.T) {
	dir := t.TempDir()
	l, _ := openLog(t, dir)
	if _, err := l.Append(entries(3)...); err != nil {
		t.Fatal(err)
	}
	l.Close()
	stop := errors.New("bad entry")
	if l, err := seal.OpenLog(dir, discard, func(int64, []byte) error { return stop }); !errors.Is(err, stop) {
		if l != nil {
			l.Close()
		}
		t.Errorf("OpenLog(fn fails) = %v, want %v", err, stop)
	}
}

// buildLog writes n entries in a few appends and returns the log's
// directory and the entries.
func buildLog(t *testing.T, n int) (string, [][]byte) {
	t.Helper()
	dir := t.TempDir()
	l, _ := openLog(t, dir)
	all := entries(n)
	for i := 0; i < n; i += 4 {
		if _, err := l.Append(all[i:min(i+4, n)]...); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, all
}

func TestLogRebuildsHashes(t *testing.T) {
	src, all := buildLog(t, 21)
	hashes, err := os.ReadFile(filepath.Join(src, "hashes"))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(hashes)) != tlog.StoredHashCount(21)*tlog.HashSize {
		t.Fatalf("hashes file is %d bytes, want %d", len(hashes), tlog.StoredHashCount(21)*tlog.HashSize)
	}
	tests := []struct {
		name   string
		damage func(path string) error
	}{
		{"deleted", os.Remove},
		{"empty", func(p string) error { return os.Truncate(p, 0) }},
		{"cut mid-hash", func(p string) error { return os.Truncate(p, int64(len(hashes))-17) }},
		{"cut to one entry", func(p string) error { return os.Truncate(p, tlog.HashSize) }},
		{"missing last entry", func(p string) error { return os.Truncate(p, tlog.StoredHashCount(20)*tlog.HashSize) }},
		{"flipped byte", func(p string) error { return flipByte(p, int64(len(hashes))/2) }},
		{"flipped first byte", func(p string) error { return flipByte(p, 0) }},
		{"extra bytes", func(p string) error {
			return os.WriteFile(p, append(bytes.Clone(hashes), make([]byte, 100)...), 0o600)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, src)
			path := filepath.Join(dir, "hashes")
			if err := tt.damage(path); err != nil {
				t.Fatal(err)
			}
			l, got := openLog(t, dir)
			defer l.Close()
			if diff := cmp.Diff(all, got); diff != "" {
				t.Errorf("OpenLog reported entries that differ (-want +got):\n%s", diff)
			}
			checkTree(t, l, all)
			rebuilt, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(rebuilt, hashes) {
				t.Errorf("rebuilt hashes file differs from the original (%d bytes, want %d)", len(rebuilt), len(hashes))
			}
		})
	}
}

func flipByte(path string, off int64) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	b[off] ^= 0x40
	return os.WriteFile(path, b, 0o600)
}

func TestLogRefusesDamagedEntries(t *testing.T) {
	// Damage with whole frames after it is not a torn write: cutting it
	// would drop logged entries, so OpenLog refuses.
	src, all := buildLog(t, 9)
	third := int64(len(wal.AppendFrame(nil, all[0])) + len(wal.AppendFrame(nil, all[1])))
	for _, off := range []int64{third, third + 4, third + 8, third + 20} {
		t.Run(fmt.Sprint("flip ", off), func(t *testing.T) {
			dir := copyDir(t, src)
			epath := filepath.Join(dir, "entries")
			before, err := os.ReadFile(epath)
			if err != nil {
				t.Fatal(err)
			}
			if err := flipByte(epath, off); err != nil {
				t.Fatal(err)
			}
			l, err := seal.OpenLog(dir, discard, func(int64, []byte) error { return nil })
			if err == nil {
				l.Close()
				t.Fatalf("OpenLog(entry 2 damaged) = nil error, want error")
			}
			if ce, ok := errors.AsType[*wal.CorruptError](err); !ok || ce.Torn || ce.Offset != third {
				t.Errorf("OpenLog(entry 2 damaged) = %v, want a *wal.CorruptError at %d, not torn", err, third)
			}
			after, err := os.ReadFile(epath)
			if err != nil {
				t.Fatal(err)
			}
			if len(after) != len(before) {
				t.Errorf("OpenLog cut the damaged entries file from %d to %d bytes", len(before), len(after))
			}
		})
	}
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "log")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestLogTornEntries(t *testing.T) {
	src, all := buildLog(t, 9)
	epath := filepath.Join(src, "entries")
	st, err := os.Stat(epath)
	if err != nil {
		t.Fatal(err)
	}
	lastLen := int64(len(wal.AppendFrame(nil, all[8])))
	lastStart := st.Size() - lastLen
	for _, cut := range []int64{lastStart + 1, lastStart + 7, lastStart + 8, lastStart + lastLen/2, st.Size() - 1} {
		t.Run(fmt.Sprint("cut at ", cut), func(t *testing.T) {
			dir := copyDir(t, src)
			if err := os.Truncate(filepath.Join(dir, "entries"), cut); err != nil {
				t.Fatal(err)
			}
			l, got := openLog(t, dir)
			if diff := cmp.Diff(all[:8], got); diff != "" {
				t.Errorf("OpenLog reported entries that differ (-want +got):\n%s", diff)
			}
			checkTree(t, l, all[:8])
			if st, err := os.Stat(filepath.Join(dir, "entries")); err != nil || st.Size() != lastStart {
				t.Errorf("entries file after OpenLog: %v, %v, want %d bytes", st.Size(), err, lastStart)
			}
			// The cut log takes new entries, and they stay after a reopen.
			next := entries(12)[10]
			if first, err := l.Append(next); err != nil || first != 8 {
				t.Fatalf("Append after the cut = %d, %v, want 8, nil", first, err)
			}
			want := append(all[:8:8], next)
			checkTree(t, l, want)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l, got = openLog(t, dir)
			defer l.Close()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("OpenLog after the append reported entries that differ (-want +got):\n%s", diff)
			}
			checkTree(t, l, want)
		})
	}
}

func TestLogProofs(t *testing.T) {
	dir, all := buildLog(t, 23)
	l, _ := openLog(t, dir)
	defer l.Close()
	th := func(n int64) tlog.Hash {
		h, err := l.TreeHash(n)
		if err != nil {
			t.Fatalf("TreeHash(%d) = %v", n, err)
		}
		return h
	}
	for n := int64(1); n <= 23; n++ {
		for i := range n {
			p, err := l.ProveEntry(n, i)
			if err != nil {
				t.Fatalf("ProveEntry(%d, %d) = %v", n, i, err)
			}
			leaf := tlog.RecordHash(all[i])
			if err := tlog.CheckRecord(p, n, th(n), i, leaf); err != nil {
				t.Errorf("CheckRecord(ProveEntry(%d, %d)) = %v", n, i, err)
			}
			other := tlog.RecordHash(all[(i+1)%23])
			if err := tlog.CheckRecord(p, n, th(n), i, other); err == nil {
				t.Errorf("CheckRecord(ProveEntry(%d, %d)) of another entry = nil, want error", n, i)
			}
		}
		for m := int64(1); m <= n; m++ {
			p, err := l.ProveTree(n, m)
			if err != nil {
				t.Fatalf("ProveTree(%d, %d) = %v", n, m, err)
			}
			if err := tlog.CheckTree(p, n, th(n), m, th(m)); err != nil {
				t.Errorf("CheckTree(ProveTree(%d, %d)) = %v", n, m, err)
			}
			if m < n {
				if err := tlog.CheckTree(p, n, th(n), m, th(m-1)); err == nil {
					t.Errorf("CheckTree(ProveTree(%d, %d)) against the root of %d = nil, want error", n, m, m-1)
				}
			}
		}
	}
	if _, err := l.ProveEntry(23, 23); err == nil {
		t.Errorf("ProveEntry(23, 23) = nil error, want error")
	}
}

func TestCheckpointText(t *testing.T) {
	tests := []seal.Checkpoint{
		{Origin: "warden/abc123", Size: 0},
		{Origin: "warden/abc123", Size: 42, Hash: tlog.RecordHash([]byte("x"))},
		{Origin: "example.com/log", Size: 1<<63 - 1, Hash: tlog.Hash(bytes.Repeat([]byte{0xff}, 32))},
	}
	for _, c := range tests {
		t.Run(fmt.Sprint(c.Size), func(t *testing.T) {
			text := c.Text()
			if !strings.HasSuffix(text, "\n") || strings.Count(text, "\n") != 3 {
				t.Errorf("Text() = %q, want three lines", text)
			}
			got, err := seal.ParseCheckpoint(text)
			if err != nil || got != c {
				t.Errorf("ParseCheckpoint(%q) = %+v, %v, want %+v", text, got, err, c)
			}
			// Extension lines are ignored.
			got, err = seal.ParseCheckpoint(text + "ext line\nanother\n")
			if err != nil || got != c {
				t.Errorf("ParseCheckpoint(with extensions) = %+v, %v, want %+v", got, err, c)
			}
		})
	}
}

func TestParseCheckpointErrors(t *testing.T) {
	h := tlog.RecordHash([]byte("x"))
	good := seal.Checkpoint{Origin: "o", Size: 5, Hash: h}.Text()
	hash := strings.Split(good, "\n")[2]
	for name, text := range map[string]string{
		"empty":            "",
		"origin only":      "o\n",
		"no hash":          "o\n5\n",
		"no final newline": strings.TrimSuffix(good, "\n"),
		"empty origin":     "\n5\n" + hash + "\n",
		"negative size":    "o\n-5\n" + hash + "\n",
		"leading zero":     "o\n05\n" + hash + "\n",
		"plus sign":        "o\n+5\n" + hash + "\n",
		"empty size":       "o\n\n" + hash + "\n",
		"size overflow":    "o\n9223372036854775808\n" + hash + "\n",
		"size with space":  "o\n5 \n" + hash + "\n",
		"bad base64":       "o\n5\n!!!\n",
		"short hash":       "o\n5\n" + hash[:40] + "\n",
		"long hash":        "o\n5\nAAAA" + hash + "\n",
		"crlf":             strings.ReplaceAll(good, "\n", "\r\n"),
	} {
		t.Run(name, func(t *testing.T) {
			if got, err := seal.ParseCheckpoint(text); err == nil {
				t.Errorf("ParseCheckpoint(%q) = %+v, want error", text, got)
			}
		})
	}
}

func newKey(t *testing.T, name string) (note.Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func TestSignOpen(t *testing.T) {
	s, v := newKey(t, "warden/test")
	c := seal.Checkpoint{Origin: "warden/test", Size: 12, Hash: tlog.RecordHash([]byte("root"))}
	msg, err := seal.Sign(c, s)
	if err != nil {
		t.Fatalf("Sign() = %v", err)
	}
	got, err := seal.OpenSigned(msg, v)
	if err != nil || got != c {
		t.Fatalf("OpenSigned(Sign(c)) = %+v, %v, want %+v", got, err, c)
	}

	_, otherV := newKey(t, "warden/test") // same name, another key
	if got, err := seal.OpenSigned(msg, otherV); err == nil {
		t.Errorf("OpenSigned(msg, another key) = %+v, want error", got)
	}
	altered := bytes.Replace(msg, []byte("\n12\n"), []byte("\n13\n"), 1)
	if bytes.Equal(altered, msg) {
		t.Fatalf("size line not found in %q", msg)
	}
	if got, err := seal.OpenSigned(altered, v); err == nil {
		t.Errorf("OpenSigned(altered size) = %+v, want error", got)
	}
	if got, err := seal.OpenSigned(msg[:len(msg)-10], v); err == nil {
		t.Errorf("OpenSigned(truncated) = %+v, want error", got)
	}

	// A checkpoint for another log, signed by a key named for this one,
	// is refused.
	wrong := c
	wrong.Origin = "warden/other"
	msg, err = seal.Sign(wrong, s)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := seal.OpenSigned(msg, v); err == nil {
		t.Errorf("OpenSigned(origin %q with key %q) = %+v, want error", wrong.Origin, v.Name(), got)
	}
}

func TestLoadOrCreateKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	k, err := seal.LoadOrCreateKeys(dir, "warden/test")
	if err != nil {
		t.Fatalf("LoadOrCreateKeys(new) = %v", err)
	}
	st, err := os.Stat(filepath.Join(dir, "checkpoint.key"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("checkpoint.key mode = %v, want 0600", perm)
	}
	if k.Verifier.Name() != "warden/test" || k.Signer.Name() != "warden/test" {
		t.Errorf("key names = %q, %q, want warden/test", k.Signer.Name(), k.Verifier.Name())
	}
	if k.Signer.KeyHash() != k.Verifier.KeyHash() {
		t.Errorf("signer and verifier key hashes differ")
	}

	again, err := seal.LoadOrCreateKeys(dir, "warden/test")
	if err != nil {
		t.Fatalf("LoadOrCreateKeys(existing) = %v", err)
	}
	if again.VerifierKey != k.VerifierKey {
		t.Errorf("reloaded VerifierKey = %q, want %q", again.VerifierKey, k.VerifierKey)
	}
	// The reloaded signer signs what the first verifier accepts.
	c := seal.Checkpoint{Origin: "warden/test", Size: 1}
	msg, err := seal.Sign(c, again.Signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seal.OpenSigned(msg, k.Verifier); err != nil {
		t.Errorf("OpenSigned(signed by the reloaded key) = %v", err)
	}

	// Logging the keys shows only the public key.
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("keys", "keys", k)
	sk, err := os.ReadFile(filepath.Join(dir, "checkpoint.key"))
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(string(sk))
	if i := strings.LastIndex(secret, "+"); strings.Contains(logged.String(), secret[i+1:]) {
		t.Errorf("logging Keys printed the private key: %s", logged.String())
	}
	if !strings.Contains(logged.String(), k.VerifierKey) {
		t.Errorf("logging Keys = %s, want the public key %s", logged.String(), k.VerifierKey)
	}
}

func TestLoadOrCreateKeysMismatch(t *testing.T) {
	dir := t.TempDir()
	if _, err := seal.LoadOrCreateKeys(dir, "warden/test"); err != nil {
		t.Fatal(err)
	}
	_, vkey, err := note.GenerateKey(rand.Reader, "warden/test")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "checkpoint.pub"), []byte(vkey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if k, err := seal.LoadOrCreateKeys(dir, "warden/test"); err == nil {
		t.Errorf("LoadOrCreateKeys(mismatched pub) = %v, want error", k.VerifierKey)
	}
	if err := os.WriteFile(filepath.Join(dir, "checkpoint.pub"), []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if k, err := seal.LoadOrCreateKeys(dir, "warden/test"); err == nil {
		t.Errorf("LoadOrCreateKeys(garbled pub) = %v, want error", k.VerifierKey)
	}
}

func TestLoadOrCreateKeysOtherLog(t *testing.T) {
	dir := t.TempDir()
	if _, err := seal.LoadOrCreateKeys(dir, "warden/a"); err != nil {
		t.Fatal(err)
	}
	if k, err := seal.LoadOrCreateKeys(dir, "warden/b"); err == nil {
		t.Errorf("LoadOrCreateKeys(key of warden/a, name warden/b) = %v, want error", k.VerifierKey)
	}
}

func TestLoadOrCreateKeysDerivesPub(t *testing.T) {
	// A crash between writing the private and the public key leaves only
	// the private one; the public key is derived from it.
	dir := t.TempDir()
	k, err := seal.LoadOrCreateKeys(dir, "warden/test")
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(dir, "checkpoint.pub")
	if err := os.Remove(pub); err != nil {
		t.Fatal(err)
	}
	again, err := seal.LoadOrCreateKeys(dir, "warden/test")
	if err != nil {
		t.Fatalf("LoadOrCreateKeys(no pub) = %v", err)
	}
	if again.VerifierKey != k.VerifierKey {
		t.Errorf("derived VerifierKey = %q, want %q", again.VerifierKey, k.VerifierKey)
	}
	b, err := os.ReadFile(pub)
	if err != nil || strings.TrimSpace(string(b)) != k.VerifierKey {
		t.Errorf("checkpoint.pub = %q, %v, want %q", b, err, k.VerifierKey)
	}
}

func TestLoadOrCreateKeysErrors(t *testing.T) {
	t.Run("private key missing", func(t *testing.T) {
		// A new private key would not verify the old checkpoints.
		dir := t.TempDir()
		if _, err := seal.LoadOrCreateKeys(dir, "warden/test"); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(dir, "checkpoint.key")); err != nil {
			t.Fatal(err)
		}
		if k, err := seal.LoadOrCreateKeys(dir, "warden/test"); err == nil {
			t.Errorf("LoadOrCreateKeys(pub without key) = %v, want error", k.VerifierKey)
		}
		if _, err := os.Stat(filepath.Join(dir, "checkpoint.key")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("LoadOrCreateKeys(pub without key) wrote a new key (%v)", err)
		}
	})
	t.Run("garbled private key", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "checkpoint.key"), []byte("garbage\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if k, err := seal.LoadOrCreateKeys(dir, "warden/test"); err == nil {
			t.Errorf("LoadOrCreateKeys(garbled key) = %v, want error", k.VerifierKey)
		}
	})
	for _, name := range []string{"", "warden test", "warden+test", "warden\ttest", "warden/test\n", "warden\u00a0test"} {
		t.Run(fmt.Sprintf("name %q", name), func(t *testing.T) {
			if err := seal.ValidName(name); err == nil {
				t.Errorf("ValidName(%q) = nil, want error", name)
			}
			dir := t.TempDir()
			if k, err := seal.LoadOrCreateKeys(dir, name); err == nil {
				t.Errorf("LoadOrCreateKeys(name %q) = %v, want error", name, k.VerifierKey)
			}
		})
	}
	for _, name := range []string{"warden/abc123", "example.com/log", "x"} {
		if err := seal.ValidName(name); err != nil {
			t.Errorf("ValidName(%q) = %v, want nil", name, err)
		}
	}
}

func TestParseVerifierKey(t *testing.T) {
	s, _ := newKey(t, "warden/a")
	_, vkey, err := note.GenerateKey(rand.Reader, "warden/a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seal.ParseVerifierKey(vkey, nil); err != nil {
		t.Errorf("ParseVerifierKey(%q, nil) = %v", vkey, err)
	}
	if _, err := seal.ParseVerifierKey(vkey, s); err == nil {
		t.Errorf("ParseVerifierKey(another key's pub, signer) = nil error, want error")
	}
	if _, err := seal.ParseVerifierKey("not a key", nil); err == nil {
		t.Errorf("ParseVerifierKey(garbage) = nil error, want error")
	}
}

func TestSplitNotes(t *testing.T) {
	s, _ := newKey(t, "warden/test")
	var notes [][]byte
	var history []byte
	for i := range 3 {
		n, err := seal.Sign(seal.Checkpoint{Origin: "warden/test", Size: int64(i)}, s)
		if err != nil {
			t.Fatal(err)
		}
		notes = append(notes, n)
		// The store's history file: each note followed by "---".
		history = append(append(history, n...), "---\n"...)
	}
	if diff := cmp.Diff(notes, seal.SplitNotes(history)); diff != "" {
		t.Errorf("SplitNotes() differs (-want +got):\n%s", diff)
	}
	if got := seal.SplitNotes(nil); len(got) != 0 {
		t.Errorf("SplitNotes(nil) = %q, want none", got)
	}
}
