package ingest

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

func natRecord(port uint16) *record.Record {
	r := &record.Record{}
	r.Init(record.KindNAT)
	r.EventTime, r.Source = time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC), "cgn-1"
	*r.NAT = record.NAT{Event: record.NATCreate, InsideAddr: netip.MustParseAddr("100.64.0.1"), InsidePort: port,
		OutsideAddr: netip.MustParseAddr("203.0.113.7"), OutsidePort: port}
	return r
}

func openStore(t *testing.T, mod func(*store.Config)) *store.Store {
	t.Helper()
	cfg := store.Config{Dir: t.TempDir()}
	if mod != nil {
		mod(&cfg)
	}
	st, err := store.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestPipeline(t *testing.T) {
	st := openStore(t, nil)
	p := New(st, Config{Batch: 100, FlushInterval: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()

	// Many concurrent durable adds: each gets its own ID, all distinct.
	var wg sync.WaitGroup
	ids := make([]record.ID, 500)
	for i := range ids {
		wg.Go(func() {
			id, err := p.AddDurable(t.Context(), natRecord(uint16(i+1)))
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		})
	}
	wg.Wait()
	seen := map[record.ID]bool{}
	for i, id := range ids {
		r, err := st.Get(id)
		if err != nil || r.NAT.InsidePort != uint16(i+1) || seen[id] {
			t.Fatalf("AddDurable #%d returned %v: %v, %v (seen before: %v)", i, id, r, err, seen[id])
		}
		seen[id] = true
	}
	for i := range 10 {
		if err := p.Add(t.Context(), natRecord(uint16(1000+i))); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	<-done
	if got := p.Stats().Appended; got != 510 {
		t.Errorf("appended %d records, want 510 (Run must flush what is queued when it stops)", got)
	}
	if err := p.Add(t.Context(), natRecord(1)); err != ErrClosed {
		t.Errorf("Add after Run returned = %v, want ErrClosed", err)
	}
}

func TestInvalidRecordKeptRaw(t *testing.T) {
	st := openStore(t, nil)
	p := New(st, Config{FlushInterval: time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go p.Run(ctx)
	bad := natRecord(1)
	bad.NAT.OutsideAddr = netip.Addr{} // a parser bug: required field missing
	id, err := p.AddDurable(t.Context(), bad)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if id.Kind != record.KindRaw || !strings.Contains(r.Raw.Reason, "outside_addr") || !strings.Contains(string(r.Raw.Data), `"inside_addr":"100.64.0.1"`) {
		t.Errorf("invalid record kept as %v: reason %q, data %s", id, r.Raw.Reason, r.Raw.Data)
	}
}

func TestBackpressureRetried(t *testing.T) {
	st := openStore(t, func(c *store.Config) { c.MaxPending, c.BlockRecords, c.BlockAge = 10, 10, 20*time.Millisecond })
	p := New(st, Config{Batch: 8, FlushInterval: time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go p.Run(ctx)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if _, err := p.AddDurable(t.Context(), natRecord(uint16(i+1))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if st := p.Stats(); st.Appended != 50 || st.Failed != 0 {
		t.Errorf("stats %+v, want 50 appended, none failed", st)
	}
}

func TestTryAddFull(t *testing.T) {
	p := New(openStore(t, nil), Config{Queue: 3})
	n := 0
	for i := range 5 {
		if p.TryAdd(natRecord(uint16(i + 1))) {
			n++
		}
	}
	if n != 3 {
		t.Errorf("TryAdd accepted %d of 5 with a queue of 3 and nothing running", n)
	}
}
