package source

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/dialect"
	"github.com/warden-ops/warden/internal/ingest"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// natLine is a minimal custom format for these tests: "NAT inside outside".
type natLine struct{}

func (natLine) Parse(m *dialect.Message) ([]*record.Record, error) {
	f := strings.Fields(m.Text)
	if len(f) != 3 || f[0] != "NAT" {
		return nil, fmt.Errorf("%w: not a NAT test line", dialect.ErrNotMine)
	}
	in, err1 := netip.ParseAddrPort(f[1])
	out, err2 := netip.ParseAddrPort(f[2])
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("NAT test line: %w", err)
	}
	r := &record.Record{}
	r.Init(record.KindNAT)
	r.Source, r.ReceiveTime, r.EventTime = m.Source, m.Received, m.Time.Add(m.Offset)
	*r.NAT = record.NAT{Event: record.NATCreate, InsideAddr: in.Addr(), InsidePort: in.Port(), OutsideAddr: out.Addr(), OutsidePort: out.Port()}
	return []*record.Record{r}, nil
}

func setup(t *testing.T, opts Options, queue int) (*Registry, *store.Store, *ingest.Pipeline, context.Context, context.CancelFunc) {
	t.Helper()
	st, err := store.Open(store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := ingest.New(st, ingest.Config{Batch: 16, Queue: queue, FlushInterval: time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	if opts.Custom == nil {
		opts.Custom = map[string]func() (dialect.Parser, error){"nat-test": func() (dialect.Parser, error) { return natLine{}, nil }}
	}
	t.Cleanup(cancel)
	r, err := New(opts, p)
	if err != nil {
		t.Fatal(err)
	}
	return r, st, p, ctx, cancel
}

func message(peer, text string, t time.Time) *Message {
	return &Message{Peer: netip.MustParseAddr(peer), Transport: "tcp", Raw: []byte("<14>" + text),
		Msg: dialect.Message{Received: t, Time: t, Text: text}}
}

func TestHandle(t *testing.T) {
	opts := Options{Sources: []Config{
		{Name: "cgn-pool", Addresses: []string{"192.0.2.0/24"}, Formats: []string{"nat-test"}},
		{Name: "cgn-1", Addresses: []string{"192.0.2.10", "2001:db8::10"}, Formats: []string{"nat-test"}, TimeZone: "Asia/Shanghai", ClockOffset: 2 * time.Second},
	}}
	reg, st, p, runCtx, cancel := setup(t, opts, 1024)
	done := make(chan error)
	go func() { done <- p.Run(runCtx) }()
	t0 := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	ctx := t.Context()
	for _, m := range []*Message{
		message("192.0.2.10", "NAT 100.64.0.1:1234 203.0.113.7:40001", t0),
		message("::ffff:192.0.2.10", "NAT 100.64.0.2:1234 203.0.113.7:40002", t0),
		message("192.0.2.77", "NAT 100.64.0.3:1234 203.0.113.7:40003", t0),
		message("192.0.2.77", "garbage that no parser takes", t0),
		message("198.51.100.1", "NAT 100.64.0.4:1234 203.0.113.7:40004", t0), // unknown: refused
	} {
		if err := reg.Handle(ctx, m, true); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	<-done
	stats, unknown := reg.Stats()
	want := map[string][4]uint64{"cgn-1": {2, 2, 0, 0}, "cgn-pool": {2, 1, 1, 0}}
	for _, s := range stats {
		if got := [4]uint64{s.Received, s.Parsed, s.Rejected, s.Dropped}; got != want[s.Name] || s.LastSeen.IsZero() {
			t.Errorf("stats %s = %v (last seen %v), want %v", s.Name, got, s.LastSeen, want[s.Name])
		}
	}
	if unknown != 1 {
		t.Errorf("unknown senders refused = %d, want 1", unknown)
	}
	r, err := st.Get(record.ID{Kind: record.KindNAT, Seq: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != "cgn-1" || !r.EventTime.Equal(t0.Add(2*time.Second)) {
		t.Errorf("nat:1 source %q time %v, want cgn-1 and the time corrected by the clock offset", r.Source, r.EventTime)
	}
	raw, err := st.Get(record.ID{Kind: record.KindRaw, Seq: 1})
	if err != nil {
		t.Fatal(err)
	}
	if raw.Source != "cgn-pool" || string(raw.Raw.Data) != "<14>garbage that no parser takes" || !strings.Contains(raw.Raw.Reason, "not a NAT test line") {
		t.Errorf("raw:1 = %q from %s, reason %q; want the line verbatim with the parser's reason", raw.Raw.Data, raw.Source, raw.Raw.Reason)
	}
}

func TestUnknownSenders(t *testing.T) {
	reg, _, _, _, _ := setup(t, Options{AcceptUnknown: true, MaxDynamic: 2}, 1024)
	for i, peer := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"} {
		s := reg.Lookup(netip.MustParseAddr(peer))
		want := peer
		if i >= 2 {
			want = "unknown"
		}
		if s == nil || s.Name != want {
			t.Errorf("Lookup(%s) = %v, want a source named %s", peer, s, want)
		}
	}
}

func TestUDPDrops(t *testing.T) {
	opts := Options{Sources: []Config{{Name: "cgn-1", Addresses: []string{"192.0.2.10"}, Formats: []string{"nat-test"}}}}
	reg, _, _, _, _ := setup(t, opts, 2) // the pipeline is not running: the queue fills
	t0 := time.Now()
	var drops int
	for range 5 {
		if err := reg.Handle(t.Context(), message("192.0.2.10", "NAT 100.64.0.1:1 203.0.113.7:2", t0), false); errors.Is(err, ErrDropped) {
			drops++
		}
	}
	stats, _ := reg.Stats()
	if drops != 3 || stats[0].Dropped != 3 {
		t.Errorf("drops = %d, counted %d; want 3 of 5 with a queue of 2", drops, stats[0].Dropped)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no name", Config{Addresses: []string{"192.0.2.1"}}, "name is required"},
		{"no address", Config{Name: "a"}, "at least one address"},
		{"bad address", Config{Name: "a", Addresses: []string{"192.0.2.300"}}, `"192.0.2.300"`},
		{"bad zone", Config{Name: "a", Addresses: []string{"192.0.2.1"}, TimeZone: "Mars/Olympus"}, "Mars/Olympus"},
		{"bad format", Config{Name: "a", Addresses: []string{"192.0.2.1"}, Formats: []string{"vendor-x"}}, `"vendor-x"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Options{Sources: []Config{tt.cfg}}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%+v) = %v, want an error containing %q", tt.cfg, err, tt.want)
			}
		})
	}
}

func TestHandleConcurrently(t *testing.T) {
	// Stateless formats parse on every connection's goroutine at once.
	opts := Options{Sources: []Config{{Name: "cgn-1", Addresses: []string{"192.0.2.10"}, Formats: []string{"nat-test", "juniper-srx"}}}}
	reg, st, p, runCtx, cancel := setup(t, opts, 1024)
	done := make(chan error)
	go func() { done <- p.Run(runCtx) }()
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Go(func() {
			for i := range 100 {
				m := message("192.0.2.10", fmt.Sprintf("NAT 100.64.%d.%d:1234 203.0.113.7:%d", c, i, 1000+c*100+i), time.Now())
				if err := reg.Handle(t.Context(), m, true); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	cancel()
	<-done
	stats, _ := reg.Stats()
	if stats[0].Parsed != 800 || st.Stats().Pending+int(st.Stats().Sealed["nat"]) != 800 {
		t.Errorf("parsed %d, stored %d+%d; want 800", stats[0].Parsed, st.Stats().Pending, st.Stats().Sealed["nat"])
	}
}
