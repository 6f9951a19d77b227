package query

import (
	"net/netip"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// TestSourceTolerance asks about a moment 5s before a drifting device
// logged the mapping: the default 2s tolerance finds nobody, the device's
// own 10s finds the subscriber, and a question's explicit tolerance wins
// over both.
func TestSourceTolerance(t *testing.T) {
	st, err := store.Open(store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	recs := []*record.Record{
		session("bras-1", "09:00:00", record.SessionStart, "alice", "s1", "100.64.0.1"),
		nat("cgn-drift", "10:00:05", record.NATCreate, "100.64.0.1:5000", "203.0.113.7", 40001, 0),
		nat("cgn-drift", "10:00:30", record.NATDelete, "100.64.0.1:5000", "203.0.113.7", 40001, 0),
	}
	if _, err := st.Append(recs); err != nil {
		t.Fatal(err)
	}
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	q := Question{Addr: netip.MustParseAddr("203.0.113.7"), Port: 40001, At: at("10:00:00")}
	for _, tt := range []struct {
		name string
		cfg  Config
		qtol time.Duration
		want string
	}{
		{"default", Config{}, 0, ""},
		{"the device's tolerance", Config{SourceTolerance: map[string]time.Duration{"cgn-drift": 10 * time.Second}}, 0, "alice"},
		{"another device's", Config{SourceTolerance: map[string]time.Duration{"cgn-other": 10 * time.Second}}, 0, ""},
		{"the question's wins", Config{SourceTolerance: map[string]time.Duration{"cgn-drift": 10 * time.Second}}, time.Second, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q.Tolerance = tt.qtol
			ans, err := New(st, tt.cfg).Trace(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if len(ans.Candidates) > 0 {
				got = ans.Candidates[0].Account
			}
			if got != tt.want {
				t.Errorf("answer %q, want %q (candidates %+v)", got, tt.want, ans.Candidates)
			}
		})
	}
}
