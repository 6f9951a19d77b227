package query

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

var t0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

func at(hms string) time.Time {
	d, err := time.Parse("15:04:05", hms)
	if err != nil {
		panic(err)
	}
	return time.Date(2026, 11, 1, d.Hour(), d.Minute(), d.Second(), 0, time.UTC)
}

func session(src, hms string, ev record.SessionEvent, account, id string, addr string) *record.Record {
	r := &record.Record{}
	r.Init(record.KindSession)
	r.EventTime, r.Source = at(hms), src
	*r.Session = record.Session{Event: ev, Account: account, SessionID: id}
	if p, err := netip.ParsePrefix(addr); err == nil {
		r.Session.DelegatedPrefix = p
	} else {
		r.Session.Addr = netip.MustParseAddr(addr)
	}
	return r
}

func nat(src, hms string, ev record.NATEvent, inside string, outside string, first, last uint16) *record.Record {
	r := &record.Record{}
	r.Init(record.KindNAT)
	r.EventTime, r.Source = at(hms), src
	in, err := netip.ParseAddrPort(inside)
	if err != nil {
		in = netip.AddrPortFrom(netip.MustParseAddr(inside), 0)
	}
	*r.NAT = record.NAT{Event: ev, InsideAddr: in.Addr(), InsidePort: in.Port(), OutsideAddr: netip.MustParseAddr(outside), OutsidePort: first}
	if last != 0 {
		r.NAT.OutsidePortEnd = last
	} else {
		r.NAT.Protocol = record.ProtoTCP
	}
	return r
}

// scenario is a small deployment whose answers are known.
func scenario(t *testing.T) *Engine {
	t.Helper()
	st, err := store.Open(store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	recs := []*record.Record{
		session("bras-1", "09:00:00", record.SessionStart, "alice", "a1", "100.64.0.10"),
		session("bras-1", "11:00:00", record.SessionStop, "alice", "a1", "100.64.0.10"),
		session("bras-1", "09:30:00", record.SessionStart, "bob", "b1", "100.64.0.20"), // its stop was lost
		session("bras-1", "09:45:00", record.SessionInterim, "bob", "b1", "100.64.0.20"),
		session("bras-1", "10:00:00", record.SessionStart, "carol", "c1", "100.64.0.30"),  // starts at the queried second
		session("bras-1", "09:00:00", record.SessionStart, "dave", "d1", "198.51.100.50"), // public, no NAT
		session("bras-1", "09:00:00", record.SessionStart, "erin", "e1", "2001:db8:100::/56"),
		session("bras-1", "09:00:00", record.SessionStart, "frank", "f1", "100.64.0.40"),
		session("bras-1", "08:00:00", record.SessionStart, "mallory", "m1", "100.64.0.10"), // the address before alice
		session("bras-1", "08:59:00", record.SessionStop, "mallory", "m1", "100.64.0.10"),

		nat("cgn-1", "09:59:50", record.NATCreate, "100.64.0.10:5000", "203.0.113.7", 40001, 0),
		nat("cgn-1", "10:00:30", record.NATDelete, "100.64.0.10:5000", "203.0.113.7", 40001, 0),
		nat("cgn-1", "09:31:00", record.NATBlockAlloc, "100.64.0.20", "203.0.113.7", 1024, 1535),
		nat("cgn-1", "10:00:00", record.NATBlockAlloc, "100.64.0.30", "203.0.113.7", 1536, 2047),
		nat("cgn-1", "10:00:01", record.NATCreate, "100.64.0.40:6000", "203.0.113.7", 50000, 0), // device clock 1s ahead
		nat("cgn-1", "10:05:00", record.NATDelete, "100.64.0.40:6000", "203.0.113.7", 50000, 0),
		// cgn-2 logs steadily, but was silent from 09:58 to 10:07.
		nat("cgn-2", "09:50:00", record.NATCreate, "100.64.0.10:7000", "203.0.113.9", 30000, 0),
		nat("cgn-2", "09:58:00", record.NATDelete, "100.64.0.10:7000", "203.0.113.9", 30000, 0),
		nat("cgn-2", "10:07:00", record.NATCreate, "100.64.0.20:7000", "203.0.113.9", 30001, 0),
	}
	if _, err := st.Append(recs); err != nil {
		t.Fatal(err)
	}
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	return New(st, Config{Silence: 5 * time.Minute})
}

func TestTrace(t *testing.T) {
	e := scenario(t)
	for _, tt := range []struct {
		name    string
		q       Question
		want    string // the first candidate's account, "" for none
		exact   bool
		reason  string // in the first candidate's reason
		gap     string // in a gap, if one is expected
		mapping int    // mappings found
	}{
		{"per-session mapping", Question{Addr: netip.MustParseAddr("203.0.113.7"), Port: 40001, At: t0}, "alice", true, "release logged", "", 1},
		{"not the previous holder of the address", Question{Addr: netip.MustParseAddr("203.0.113.7"), Port: 40001, Proto: record.ProtoTCP, At: t0.Add(10 * time.Second)}, "alice", true, "stop logged", "", 1},
		{"port block, missing stop", Question{Addr: netip.MustParseAddr("203.0.113.7"), Port: 1200, At: t0}, "bob", false, "no stop logged", "", 1},
		{"port block edge, last port", Question{Addr: netip.MustParseAddr("203.0.113.7"), Port: 1535, At: t0}, "bob", false, "port block", "", 1},
		{"port block edge, first port of the next", Question{Addr: netip.MustParseAddr("203.0.113.7"), Port: 1536, At: t0}, "carol", false, "1536-2047", "", 1},
		{"session starting at the queried second", Question{Addr: netip.MustParseAddr("203.0.113.7"), Port: 2047, At: t0}, "carol", false, "session of carol", "", 1},
		{"skewed clock within tolerance", Question{Addr: netip.MustParseAddr("203.0.113.7"), Port: 50000, At: t0}, "frank", false, "", "", 1},
		{"skew beyond tolerance", Question{Addr: netip.MustParseAddr("203.0.113.7"), Port: 50000, At: t0, Tolerance: 500 * time.Millisecond}, "", false, "", "", 0},
		{"public address without NAT", Question{Addr: netip.MustParseAddr("198.51.100.50"), At: t0}, "dave", false, "no NAT mapping", "", 0},
		{"address in a delegated IPv6 prefix", Question{Addr: netip.MustParseAddr("2001:db8:100:42::1"), At: t0}, "erin", false, "no NAT mapping", "", 0},
		{"a silent source is reported", Question{Addr: netip.MustParseAddr("203.0.113.9"), Port: 30000, At: t0}, "", false, "", "cgn-2 sent nothing from 2026-11-01T09:58:00Z to 2026-11-01T10:07:00Z", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ans, err := e.Trace(t.Context(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(ans.Mappings) != tt.mapping {
				t.Errorf("%d mappings, want %d: %+v", len(ans.Mappings), tt.mapping, ans.Mappings)
			}
			if tt.want == "" {
				if len(ans.Candidates) != 0 {
					t.Errorf("candidates %+v, want none", ans.Candidates)
				}
			} else {
				if len(ans.Candidates) == 0 {
					t.Fatalf("no candidate; notes %v", ans.Notes)
				}
				c := ans.Candidates[0]
				if c.Account != tt.want || c.Exact != tt.exact || !strings.Contains(c.Reason, tt.reason) {
					t.Errorf("first candidate %s (exact %v): %s; want %s (exact %v) with %q", c.Account, c.Exact, c.Reason, tt.want, tt.exact, tt.reason)
				}
				for _, o := range ans.Candidates[1:] {
					if o.Account == "mallory" {
						t.Errorf("candidate mallory held the address only before the moment")
					}
				}
			}
			var gaps []string
			for _, g := range ans.Gaps {
				gaps = append(gaps, g.String())
			}
			if got := strings.Join(gaps, "; "); tt.gap != "" && !strings.Contains(got, tt.gap) || tt.gap == "" && got != "" {
				t.Errorf("gaps %q, want %q", got, tt.gap)
			}
			if tt.want != "" && len(ans.Records()) == 0 {
				t.Error("the answer names no records to prove")
			}
		})
	}
	if _, err := e.Trace(t.Context(), Question{At: t0}); err == nil {
		t.Error("Trace without an address succeeded")
	}
}
