package store

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/seal"
	"github.com/warden-ops/warden/internal/synth"
	"github.com/warden-ops/warden/internal/wal"
)

// The tamper tests build a store, attack its files the way someone with
// access to the disk could, and check that Verify finds and locates each
// attack.

func logEntries(t *testing.T, dir string) []*seal.Entry {
	t.Helper()
	var out []*seal.Entry
	_, err := wal.ScanFile(filepath.Join(dir, "log", "entries"), func(p []byte, _ int64) error {
		e, err := seal.DecodeEntry(p)
		out = append(out, e)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func contentRecords(n int, seed byte) []*record.Record {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	out := make([]*record.Record, n)
	for i := range out {
		r := &record.Record{}
		r.Init(record.KindContent)
		r.EventTime, r.Source = t0.Add(time.Duration(i)*time.Second), "forum"
		sum := sha256.Sum256([]byte{seed, byte(i), byte(i >> 8)})
		*r.Content = record.Content{Account: "user", Channel: "board", Digest: sum[:]}
		out[i] = r
	}
	return out
}

// buildStore makes a closed store with three NAT blocks and two content
// blocks, and returns its directory.
func buildStore(t *testing.T, seed byte) string {
	t.Helper()
	dir := t.TempDir()
	s := openTest(t, dir, nil)
	cfg := synth.DefaultCGNAT
	cfg.Seed = uint64(seed)
	g := synth.NewCGNAT(cfg)
	for _, b := range [][]*record.Record{natBatch(g, 1000), natBatch(g, 1000), natBatch(g, 1000), contentRecords(1000, seed), contentRecords(500, seed+1)} {
		if _, err := s.Append(b); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(filepath.Join(dst, rel))
		if err != nil {
			return err
		}
		_, err = io.Copy(out, in)
		return errors.Join(err, out.Close())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [1]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b[:], off); err != nil {
		t.Fatal(err)
	}
}

func mustVerify(t *testing.T, dir string, opts VerifyOptions) *Report {
	t.Helper()
	rep, err := Verify(t.Context(), dir, opts)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

// wantProblem fails unless rep has a problem of kind what whose fields
// contain the given substrings (segment, records, detail).
func wantProblem(t *testing.T, rep *Report, what string, where ...string) Problem {
	t.Helper()
	for _, p := range rep.Problems {
		if p.What != what {
			continue
		}
		s := p.String()
		ok := true
		for _, w := range where {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return p
		}
	}
	t.Fatalf("Verify problems = %v, want a %q problem mentioning %q", rep.Problems, what, where)
	return Problem{}
}

func TestVerifyIntact(t *testing.T) {
	dir := buildStore(t, 1)
	rep := mustVerify(t, dir, VerifyOptions{})
	if !rep.OK() || rep.Blocks != 5 || rep.Records != 4500 {
		t.Fatalf("Verify = %d blocks, %d records, problems %v; want 5, 4500, none", rep.Blocks, rep.Records, rep.Problems)
	}
}

func TestTamperChangedRecordByte(t *testing.T) {
	dir := buildStore(t, 1)
	var e *seal.Entry
	for _, x := range logEntries(t, dir) {
		if x.Kind == record.KindContent && e == nil {
			e = x
		}
	}
	// Content digests are incompressible, so the column is stored raw:
	// find record 300's digest in the frame and change one byte of it.
	path := filepath.Join(dir, "segments", e.Segment)
	file, _ := os.ReadFile(path)
	frame := file[e.Offset : e.Offset+e.Length]
	target := contentRecords(1000, 1)[299].Content.Digest
	at := bytes.Index(frame, target)
	if at < 0 {
		t.Fatal("record 300's digest not found in its block")
	}
	flipByte(t, path, e.Offset+int64(at)+5)
	rep := mustVerify(t, dir, VerifyOptions{})
	p := wantProblem(t, rep, "altered", e.Segment, "records content:300:", "content:257..content:512")
	if p.Offset != e.Offset {
		t.Errorf("problem at offset %d, want the block's offset %d", p.Offset, e.Offset)
	}
	if len(rep.Problems) != 1 {
		t.Errorf("Verify found %d problems, want exactly the altered group: %v", len(rep.Problems), rep.Problems)
	}
}

func TestTamperChangedCompressedByte(t *testing.T) {
	dir := buildStore(t, 1)
	es := logEntries(t, dir)
	e := es[1] // the second NAT block
	flipByte(t, filepath.Join(dir, "segments", e.Segment), e.Offset+e.Length-20)
	rep := mustVerify(t, dir, VerifyOptions{})
	wantProblem(t, rep, "altered", e.Segment, "offset "+itoa(e.Offset), "nat:")
}

func TestTamperChangedFilterByte(t *testing.T) {
	dir := buildStore(t, 1)
	e := logEntries(t, dir)[0]
	// Byte 4+2+3+3+32+32+1 is past the fixed header, inside the group
	// roots or filters; either way the records themselves are intact.
	flipByte(t, filepath.Join(dir, "segments", e.Segment), e.Offset+200)
	rep := mustVerify(t, dir, VerifyOptions{})
	if rep.OK() {
		t.Fatal("Verify passed a block with a changed header byte")
	}
	if rep.Problems[0].Segment != e.Segment || rep.Problems[0].Offset != e.Offset {
		t.Errorf("problem %v not located at %s offset %d", rep.Problems[0], e.Segment, e.Offset)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestTamperTruncatedSegment(t *testing.T) {
	dir := buildStore(t, 1)
	es := logEntries(t, dir)
	last := es[2] // third NAT block, the end of the NAT segment
	if err := os.Truncate(filepath.Join(dir, "segments", last.Segment), last.Offset+last.Length/2); err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, dir, VerifyOptions{})
	wantProblem(t, rep, "truncated", last.Segment, "nat:2001..nat:3000")
	if len(rep.Problems) != 1 {
		t.Errorf("problems %v, want only the truncated block", rep.Problems)
	}
}

func TestTamperDeletedSegment(t *testing.T) {
	dir := buildStore(t, 1)
	e := logEntries(t, dir)[3]
	if err := os.Remove(filepath.Join(dir, "segments", e.Segment)); err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, dir, VerifyOptions{})
	wantProblem(t, rep, "deleted", e.Segment, "no expiry")
}

func TestTamperReorderedBlocks(t *testing.T) {
	dir := buildStore(t, 1)
	es := logEntries(t, dir)
	a, b := es[0], es[1]
	path := filepath.Join(dir, "segments", a.Segment)
	file, _ := os.ReadFile(path)
	fa, fb := file[a.Offset:a.Offset+a.Length], file[b.Offset:b.Offset+b.Length]
	swapped := append(append(append(append([]byte(nil), file[:a.Offset]...), fb...), fa...), file[b.Offset+b.Length:]...)
	if err := os.WriteFile(path, swapped, 0o600); err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, dir, VerifyOptions{})
	wantProblem(t, rep, "altered", a.Segment, "offset "+itoa(a.Offset))
	wantProblem(t, rep, "altered", a.Segment, "offset "+itoa(b.Offset))
}

func TestTamperReorderedLogEntries(t *testing.T) {
	dir := buildStore(t, 1)
	path := filepath.Join(dir, "log", "entries")
	var frames [][]byte
	if _, err := wal.ScanFile(path, func(p []byte, _ int64) error {
		frames = append(frames, wal.AppendFrame(nil, p))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	frames[0], frames[1] = frames[1], frames[0]
	if err := os.WriteFile(path, bytes.Join(frames, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, dir, VerifyOptions{})
	wantProblem(t, rep, "sequence", "nat:1001..nat:2000", "reordered")
	wantProblem(t, rep, "fork", "latest checkpoint")
}

func TestTamperReplacedBlock(t *testing.T) {
	dir := buildStore(t, 1)
	other := buildStore(t, 2) // same shape, different records
	e := logEntries(t, dir)[0]
	src, _ := os.ReadFile(filepath.Join(other, "segments", e.Segment))
	if err := os.WriteFile(filepath.Join(dir, "segments", e.Segment), src, 0o600); err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, dir, VerifyOptions{})
	wantProblem(t, rep, "altered", e.Segment, "nat:1..nat:1000")
}

func TestTamperRollback(t *testing.T) {
	dir := buildStore(t, 1)
	backup := copyDir(t, dir)
	s := openTest(t, dir, nil)
	if _, err := s.Append(contentRecords(10, 9)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	kept, _ := os.ReadFile(filepath.Join(dir, "log", "checkpoint")) // an inspector's copy
	verifyOK(t, dir, VerifyOptions{Checkpoint: kept})
	// Roll the store back to the backup: everything in it is consistent,
	// only the kept checkpoint shows what was removed.
	verifyOK(t, backup, VerifyOptions{})
	rep := mustVerify(t, backup, VerifyOptions{Checkpoint: kept})
	wantProblem(t, rep, "rollback", "covers 6 log entries", "only 5")
}

func TestTamperFork(t *testing.T) {
	dir := buildStore(t, 1)
	fork := copyDir(t, dir)
	for i, d := range []string{dir, fork} {
		s := openTest(t, d, nil)
		if _, err := s.Append(contentRecords(10, byte(20+i))); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	kept, _ := os.ReadFile(filepath.Join(dir, "log", "checkpoint"))
	rep := mustVerify(t, fork, VerifyOptions{Checkpoint: kept})
	wantProblem(t, rep, "fork", "given checkpoint", "first 6 log entries")
}

func TestTamperWrongKey(t *testing.T) {
	dir := buildStore(t, 1)
	other := buildStore(t, 1)
	key, _ := os.ReadFile(filepath.Join(other, "keys", "checkpoint.pub"))
	rep := mustVerify(t, dir, VerifyOptions{Key: strings.TrimSpace(string(key))})
	wantProblem(t, rep, "signature", "not the trusted key")
}

func TestCrashCopyRecovers(t *testing.T) {
	// A copy of the files of a live store is what a crash leaves: the WAL
	// fsynced, nothing sealed. Opening it must restore every acknowledged
	// record, even with a torn frame after them.
	dir := t.TempDir()
	s := openTest(t, dir, nil)
	defer s.Close()
	g := synth.NewCGNAT(synth.DefaultCGNAT)
	if _, err := s.Append(natBatch(g, 1000)); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(natBatch(g, 700)); err != nil {
		t.Fatal(err)
	}
	crash := copyDir(t, dir)
	os.Remove(filepath.Join(crash, "LOCK"))
	wals, _ := filepath.Glob(filepath.Join(crash, "wal", "*.wal"))
	f, err := os.OpenFile(wals[len(wals)-1], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0x10, 0, 0, 0, 1, 2, 3}) // a torn frame header and payload
	f.Close()
	c := openTest(t, crash, nil)
	if got := c.Stats().Pending; got != 700 {
		t.Errorf("recovered %d pending records, want 700", got)
	}
	if _, err := c.Get(record.ID{Kind: record.KindNAT, Seq: 1700}); err != nil {
		t.Errorf("Get(nat:1700) after recovery: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	rep := verifyOK(t, crash, VerifyOptions{})
	if rep.Records != 1700 {
		t.Errorf("Verify counted %d records, want 1700", rep.Records)
	}
}
