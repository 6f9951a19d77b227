package store

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/seal"
	"github.com/warden-ops/warden/internal/synth"
)

// clock is a settable time source for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openTest(t *testing.T, dir string, mod func(*Config)) *Store {
	t.Helper()
	cfg := Config{Dir: dir, BlockRecords: 1000, BlockAge: time.Hour, MaxPending: 100000}
	if mod != nil {
		mod(&cfg)
	}
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() }) // for tests that stop early; a second Close is harmless
	return s
}

func natBatch(g *synth.CGNAT, n int) []*record.Record {
	out := make([]*record.Record, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

func sessionRecord(account string, addr string, t time.Time) *record.Record {
	r := &record.Record{}
	r.Init(record.KindSession)
	r.EventTime, r.Source = t, "bras-1"
	*r.Session = record.Session{Event: record.SessionStart, Account: account, Addr: netip.MustParseAddr(addr)}
	return r
}

func collect(t *testing.T, s *Store, q Query) []*record.Record {
	t.Helper()
	var out []*record.Record
	for r, err := range s.Scan(t.Context(), q) {
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		out = append(out, r)
	}
	return out
}

func verifyOK(t *testing.T, dir string, opts VerifyOptions) *Report {
	t.Helper()
	rep, err := Verify(t.Context(), dir, opts)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !rep.OK() {
		t.Fatalf("Verify found problems: %v", rep.Problems)
	}
	return rep
}

func TestAppendScanReopen(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, nil)
	g := synth.NewCGNAT(synth.DefaultCGNAT)
	var all []*record.Record
	for range 5 {
		b := natBatch(g, 900)
		ids, err := s.Append(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != len(b) || ids[0].Seq != uint64(len(all)+1) {
			t.Fatalf("Append returned ids from %v, want nat:%d", ids[0], len(all)+1)
		}
		all = append(all, b...)
	}
	sess := sessionRecord("alice", "100.64.0.9", all[0].EventTime)
	if _, err := s.Append([]*record.Record{sess}); err != nil {
		t.Fatal(err)
	}
	want := all[1234]
	q := Query{Kind: record.KindNAT, OutsideAddr: want.NAT.OutsideAddr, Port: want.NAT.OutsidePort}
	got := collect(t, s, q)
	if !slices.ContainsFunc(got, func(r *record.Record) bool { return r.ID == want.ID && r.NAT.InsidePort == want.NAT.InsidePort }) {
		t.Fatalf("Scan(%+v) = %d records without %v", q, len(got), want.ID)
	}
	// Close without sealing everything: crash-free restart replays the WAL.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir, nil)
	defer s.Close()
	for _, id := range []record.ID{{Kind: record.KindNAT, Seq: 1}, {Kind: record.KindNAT, Seq: 4500}, {Kind: record.KindSession, Seq: 1}} {
		r, err := s.Get(id)
		if err != nil {
			t.Fatalf("Get(%v): %v", id, err)
		}
		if r.ID != id {
			t.Errorf("Get(%v).ID = %v", id, r.ID)
		}
	}
	if _, err := s.Get(record.ID{Kind: record.KindNAT, Seq: 4501}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(nat:4501) = %v, want ErrNotFound", err)
	}
	got = collect(t, s, q)
	found := false
	for _, r := range got {
		found = found || (r.ID.Seq == 1235 && r.NAT.InsidePort == want.NAT.InsidePort)
	}
	if !found {
		t.Errorf("after reopen, Scan misses nat:1235")
	}
	acct := collect(t, s, Query{Kind: record.KindSession, Account: "alice"})
	if len(acct) != 1 || acct[0].Session.Addr != sess.Session.Addr {
		t.Errorf("Scan(session, alice) = %v", acct)
	}
	if n := len(collect(t, s, Query{Kind: record.KindSession, Account: "bob"})); n != 0 {
		t.Errorf("Scan(session, bob) = %d records, want 0", n)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	verifyOK(t, dir, VerifyOptions{})
}

func TestTimeRangeScan(t *testing.T) {
	s := openTest(t, t.TempDir(), func(c *Config) { c.BlockRecords = 100 })
	defer s.Close()
	g := synth.NewCGNAT(synth.CGNATConfig{Subscribers: 100, PublicAddrs: 4, Rate: 10, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Seed: 3})
	recs := natBatch(g, 1000) // 100 seconds
	if _, err := s.Append(recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	from, to := recs[300].EventTime, recs[400].EventTime
	got := collect(t, s, Query{Kind: record.KindNAT, From: from, To: to})
	if len(got) != 100 || got[0].ID.Seq != 301 {
		t.Errorf("Scan [%v, %v) = %d records from %v, want 100 from nat:301", from, to, len(got), got[0].ID)
	}
}

func TestProofBundle(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, nil)
	defer s.Close()
	g := synth.NewCGNAT(synth.DefaultCGNAT)
	if _, err := s.Append(natBatch(g, 2500)); err != nil {
		t.Fatal(err)
	}
	id := record.ID{Kind: record.KindNAT, Seq: 2100}
	if _, err := s.Proof(id); !errors.Is(err, ErrNotSealed) {
		t.Fatalf("Proof(pending) = %v, want ErrNotSealed", err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, seq := range []uint64{1, 999, 1000, 1001, 2500} {
		b, err := s.Proof(record.ID{Kind: record.KindNAT, Seq: seq})
		if err != nil {
			t.Fatal(err)
		}
		trusted, err := seal.ParseVerifierKey(s.VerifierKey(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := seal.VerifyBundle(b, trusted.Verifier); err != nil {
			t.Errorf("VerifyBundle(nat:%d): %v", seq, err)
		}
		b.Record.NAT.InsidePort++
		var be *seal.BundleError
		if _, err := seal.VerifyBundle(b, nil); !errors.As(err, &be) || be.Step != "record" {
			t.Errorf("VerifyBundle(edited record) = %v, want a record error", err)
		}
	}
}

func TestFollow(t *testing.T) {
	s := openTest(t, t.TempDir(), nil)
	defer s.Close()
	g := synth.NewCGNAT(synth.DefaultCGNAT)
	if _, err := s.Append(natBatch(g, 1500)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := make(chan uint64, 10)
	go func() {
		for r, err := range s.Follow(ctx, record.KindNAT, 1498) {
			if err != nil {
				close(got)
				return
			}
			got <- r.ID.Seq
		}
	}()
	for _, want := range []uint64{1499, 1500} {
		if seq := <-got; seq != want {
			t.Fatalf("Follow yielded nat:%d, want nat:%d", seq, want)
		}
	}
	if _, err := s.Append(natBatch(g, 1)); err != nil {
		t.Fatal(err)
	}
	if seq := <-got; seq != 1501 {
		t.Fatalf("Follow yielded nat:%d, want nat:1501", seq)
	}
}

func TestBackpressure(t *testing.T) {
	s := openTest(t, t.TempDir(), func(c *Config) { c.MaxPending = 100 })
	defer s.Close()
	g := synth.NewCGNAT(synth.DefaultCGNAT)
	if _, err := s.Append(natBatch(g, 100)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(natBatch(g, 1)); !errors.Is(err, ErrBackpressure) {
		t.Fatalf("Append past MaxPending = %v, want ErrBackpressure", err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(natBatch(g, 1)); err != nil {
		t.Fatalf("Append after flush: %v", err)
	}
}

func TestAppendRejectsInvalid(t *testing.T) {
	s := openTest(t, t.TempDir(), nil)
	defer s.Close()
	r := sessionRecord("", "100.64.0.1", time.Now())
	_, err := s.Append([]*record.Record{r})
	if !errors.Is(err, record.ErrInvalid) || !strings.Contains(err.Error(), "account") {
		t.Fatalf("Append(no account) = %v, want an invalid-record error naming account", err)
	}
}

func TestLockedDir(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, nil)
	defer s.Close()
	if _, err := Open(Config{Dir: dir}); err == nil || !strings.Contains(err.Error(), "another warden") {
		t.Fatalf("second Open = %v, want a lock error", err)
	}
}

func TestRetention(t *testing.T) {
	if _, err := Open(Config{Dir: t.TempDir(), Retention: map[record.Kind]time.Duration{record.KindNAT: 30 * 24 * time.Hour}}); err == nil ||
		!strings.Contains(err.Error(), "at least 60 days") {
		t.Fatalf("Open with 30-day retention = %v, want a refusal naming the 60-day floor", err)
	}
	dir := t.TempDir()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := openTest(t, dir, func(c *Config) {
		c.Now = clk.Now
		c.Retention = map[record.Kind]time.Duration{record.KindNAT: 60 * 24 * time.Hour}
	})
	g := synth.NewCGNAT(synth.DefaultCGNAT)
	for day := range 3 {
		if _, err := s.Append(natBatch(g, 1500)); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		if day < 2 {
			clk.Add(24 * time.Hour)
		}
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "segments", "nat", "*.seg"))
	if len(segs) != 3 {
		t.Fatalf("%d nat segments, want one per day: %v", len(segs), segs)
	}
	clk.Add(59 * 24 * time.Hour) // day 61 after the first: only the first day is due
	gone, err := s.Expire()
	if err != nil {
		t.Fatal(err)
	}
	if len(gone) != 1 || gone[0].Records != 1500 || !strings.HasPrefix(gone[0].Segment, "nat/20260101") {
		t.Fatalf("Expire() = %+v, want the 2026-01-01 segment with 1500 records", gone)
	}
	if _, err := os.Stat(filepath.Join(dir, "segments", gone[0].Segment)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("expired segment still on disk: %v", err)
	}
	if _, err := s.Get(record.ID{Kind: record.KindNAT, Seq: 1}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(expired record) = %v, want ErrNotFound", err)
	}
	if _, err := s.Get(record.ID{Kind: record.KindNAT, Seq: 1501}); err != nil {
		t.Errorf("Get(kept record) = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rep := verifyOK(t, dir, VerifyOptions{})
	if rep.Expired != 1 || rep.Records != 3000 {
		t.Errorf("Verify after expiry: %d expired, %d records; want 1 and 3000", rep.Expired, rep.Records)
	}
	// Reopening keeps the expiry.
	s = openTest(t, dir, func(c *Config) { c.Now = clk.Now })
	defer s.Close()
	if _, err := s.Get(record.ID{Kind: record.KindNAT, Seq: 1}); !errors.Is(err, ErrNotFound) {
		t.Errorf("after reopen, Get(expired record) = %v, want ErrNotFound", err)
	}
}

func TestReplayKeepsRegistrationFields(t *testing.T) {
	// Replayed records must not share the WAL reader's buffer: each
	// registration keeps its own personal-field bytes.
	dir := t.TempDir()
	s := openTest(t, dir, nil)
	for _, v := range []string{"Robert Tables", "Annabel Lee!!"} {
		r := &record.Record{}
		r.Init(record.KindRegistration)
		r.EventTime, r.Source = time.Now(), "portal"
		*r.Registration = record.Registration{Account: "a", Fields: []record.Field{{Name: "name", Value: []byte(v)}}}
		if _, err := s.Append([]*record.Record{r}); err != nil {
			t.Fatal(err)
		}
	}
	crash := copyDir(t, dir)
	os.Remove(filepath.Join(crash, "LOCK"))
	c := openTest(t, crash, nil)
	r, err := c.Get(record.ID{Kind: record.KindRegistration, Seq: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(r.Registration.Fields[0].Value); got != "Robert Tables" {
		t.Errorf("replayed registration:1 name = %q, want %q", got, "Robert Tables")
	}
}

func TestExpiredNameNotReused(t *testing.T) {
	// With a partition longer than the retention, a segment can expire
	// while its partition is still current. The next block must go to a
	// new file: a file under the expired name would be removed at the
	// next start as a leftover of the expiry.
	dir := t.TempDir()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	mod := func(c *Config) {
		c.Now, c.Partition = clk.Now, 365*24*time.Hour
		c.Retention = map[record.Kind]time.Duration{record.KindNAT: 60 * 24 * time.Hour}
	}
	s := openTest(t, dir, mod)
	g := synth.NewCGNAT(synth.DefaultCGNAT)
	if _, err := s.Append(natBatch(g, 10)); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	clk.Add(61 * 24 * time.Hour)
	if gone, err := s.Expire(); err != nil || len(gone) != 1 {
		t.Fatalf("Expire() = %v, %v; want one segment", gone, err)
	}
	if _, err := s.Append(natBatch(g, 10)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir, mod)
	if _, err := s.Get(record.ID{Kind: record.KindNAT, Seq: 15}); err != nil {
		t.Fatalf("after reopen, Get(nat:15) = %v", err)
	}
	s.Close()
	verifyOK(t, dir, VerifyOptions{})
}
