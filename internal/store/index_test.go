package store

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/synth"
)

var t0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

func natRecord(src string, t time.Time, ev record.NATEvent, inside, outside string, port, end uint16) *record.Record {
	r := &record.Record{}
	r.Init(record.KindNAT)
	r.EventTime, r.ReceiveTime, r.Source = t, t, src
	*r.NAT = record.NAT{Event: ev, Protocol: record.ProtoTCP, InsideAddr: netip.MustParseAddr(inside), InsidePort: 1000,
		OutsideAddr: netip.MustParseAddr(outside), OutsidePort: port, OutsidePortEnd: end}
	return r
}

// indexFixture is a store whose blocks hold per-session mappings, port
// blocks, whole-address mappings and IPv6 sessions among CGNAT noise.
func indexFixture(t *testing.T, dir string) []*record.Record {
	t.Helper()
	s := openTest(t, dir, nil)
	g := synth.NewCGNAT(synth.DefaultCGNAT)
	var all []*record.Record
	add := func(rs ...*record.Record) {
		t.Helper()
		if _, err := s.Append(rs); err != nil {
			t.Fatal(err)
		}
		all = append(all, rs...)
	}
	for i := range 5 {
		add(natBatch(g, 1500)...)
		at := t0.Add(time.Duration(i) * time.Minute)
		add(natRecord("cgn-1", at, record.NATCreate, "100.64.0.1", "203.0.113.7", uint16(40000+i), 0),
			natRecord("cgn-1", at, record.NATBlockAlloc, "100.64.0.2", "198.51.100.8", 2048, 2559),
			natRecord("cgn-2", at, record.NATCreate, "100.64.0.3", "198.51.100.9", 0, 0),
			natRecord("cgn-2", at, record.NATBlockAlloc, "100.64.0.4", "198.51.100.10", 1024, 65535))
		v6 := sessionRecord("carol", "100.64.0.5", at)
		v6.Session.DelegatedPrefix = netip.MustParsePrefix("2001:db8:aa00::/40")
		v6.Session.IPv6Prefix = netip.MustParsePrefix("2001:db8:1:2::/64")
		wide := sessionRecord("dave", "100.64.0.6", at)
		wide.Session.DelegatedPrefix = netip.MustParsePrefix("2001:f00::/24")
		add(v6, wide, sessionRecord(fmt.Sprintf("user%d", i), fmt.Sprintf("100.64.1.%d", i), at))
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return all
}

// heldBy selects the NAT records that held an outside address and port,
// spelled out field by field.
func heldBy(addr string, port uint16) func(*record.Record) bool {
	a := netip.MustParseAddr(addr)
	return func(r *record.Record) bool {
		n := r.NAT
		switch {
		case n == nil || n.OutsideAddr != a:
			return false
		case n.OutsidePortEnd != 0:
			return n.OutsidePort <= port && port <= n.OutsidePortEnd
		}
		return n.OutsidePort == port || n.OutsidePort == 0
	}
}

func TestIndexLookups(t *testing.T) {
	dir := t.TempDir()
	all := indexFixture(t, dir)
	someNAT := all[777].NAT
	tests := []struct {
		name string
		q    Query
		want func(*record.Record) bool
	}{
		{"endpoint", Query{Kind: record.KindNAT, Endpoint: netip.MustParseAddrPort("203.0.113.7:40003")}, func(r *record.Record) bool {
			return r.NAT != nil && r.NAT.OutsideAddr == netip.MustParseAddr("203.0.113.7") && r.NAT.OutsidePort == 40003
		}},
		{"generated endpoint", Query{Kind: record.KindNAT, Endpoint: netip.AddrPortFrom(someNAT.OutsideAddr, someNAT.OutsidePort)},
			heldBy(someNAT.OutsideAddr.String(), someNAT.OutsidePort)},
		{"port in a block", Query{Kind: record.KindNAT, Endpoint: netip.MustParseAddrPort("198.51.100.8:2559")}, heldBy("198.51.100.8", 2559)},
		{"port past a block", Query{Kind: record.KindNAT, Endpoint: netip.MustParseAddrPort("198.51.100.8:2560")}, heldBy("198.51.100.8", 2560)},
		{"whole address", Query{Kind: record.KindNAT, Endpoint: netip.MustParseAddrPort("198.51.100.9:5")}, heldBy("198.51.100.9", 5)},
		{"wide range", Query{Kind: record.KindNAT, Endpoint: netip.MustParseAddrPort("198.51.100.10:60000")}, heldBy("198.51.100.10", 60000)},
		{"inside address", Query{Kind: record.KindNAT, InsideAddr: someNAT.InsideAddr}, func(r *record.Record) bool {
			return r.NAT != nil && r.NAT.InsideAddr == someNAT.InsideAddr
		}},
		{"holder by address", Query{Kind: record.KindSession, Holder: netip.MustParseAddr("100.64.1.3")}, func(r *record.Record) bool {
			return r.Session != nil && r.Session.Account == "user3"
		}},
		{"holder in delegated prefix", Query{Kind: record.KindSession, Holder: netip.MustParseAddr("2001:db8:aa12::1")}, func(r *record.Record) bool {
			return r.Session != nil && r.Session.Account == "carol"
		}},
		{"holder in /64", Query{Kind: record.KindSession, Holder: netip.MustParseAddr("2001:db8:1:2::77")}, func(r *record.Record) bool {
			return r.Session != nil && r.Session.Account == "carol"
		}},
		{"holder in a wide prefix", Query{Kind: record.KindSession, Holder: netip.MustParseAddr("2001:f12::1")}, func(r *record.Record) bool {
			return r.Session != nil && r.Session.Account == "dave"
		}},
		{"account", Query{Kind: record.KindSession, Account: "user4"}, func(r *record.Record) bool {
			return r.Session != nil && r.Session.Account == "user4"
		}},
	}
	for _, mode := range []string{"indexed", "rebuilt", "read-only without index"} {
		switch mode {
		case "rebuilt":
			removeIndexes(t, dir)
		case "read-only without index":
			removeIndexes(t, dir)
		}
		s := openTest(t, dir, func(c *Config) { c.ReadOnly = mode == "read-only without index" })
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				var want []record.ID
				for _, r := range all {
					if r.Kind == tt.q.Kind && tt.want(r) {
						want = append(want, r.ID)
					}
				}
				if len(want) == 0 && tt.name != "port past a block" || len(want) > 0 && tt.name == "port past a block" {
					t.Fatal("the test selects nothing")
				}
				var got []record.ID
				before := s.Stats().BlocksRead
				for _, r := range collect(t, s, tt.q) {
					got = append(got, r.ID)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Scan (-want +got):\n%s", diff)
				}
				// Each of these keys lies in at most five of the fifteen
				// blocks; false positives may add one or two.
				if read := s.Stats().BlocksRead - before; tt.name != "generated endpoint" && read > 7 {
					t.Errorf("read %d blocks", read)
				}
			})
		}
		s.Close()
		if mode == "rebuilt" && len(indexFiles(t, dir)) == 0 {
			t.Error("reopening a writable store did not rebuild the index files")
		}
	}
}

func indexFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "segments", "*", "*.idx"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func removeIndexes(t *testing.T, dir string) {
	t.Helper()
	for _, f := range indexFiles(t, dir) {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
}

// TestIndexTornTail cuts the last index entry short, as a crash between
// the segment write and the index write would, and garbles another file's
// header: the store repairs both from the blocks.
func TestIndexTornTail(t *testing.T) {
	dir := t.TempDir()
	all := indexFixture(t, dir)
	files := indexFiles(t, dir)
	if len(files) < 2 {
		t.Fatalf("%d index files, want one per kind at least", len(files))
	}
	st, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(files[0], st.Size()-10); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files[1], []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openTest(t, dir, nil)
	for _, k := range []record.Kind{record.KindNAT, record.KindSession} {
		var want []record.ID
		for _, r := range all {
			if r.Kind == k && (k != record.KindNAT || r.NAT.OutsideAddr == netip.MustParseAddr("203.0.113.7")) {
				want = append(want, r.ID)
			}
		}
		q := Query{Kind: k}
		if k == record.KindNAT {
			q.OutsideAddr = netip.MustParseAddr("203.0.113.7")
		}
		var got []record.ID
		for _, r := range collect(t, s, q) {
			got = append(got, r.ID)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s after repair (-want +got):\n%s", k, diff)
		}
	}
	s.Close()
	st2, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if st2.Size() != st.Size() {
		t.Errorf("repaired index is %d bytes, the original %d", st2.Size(), st.Size())
	}
}

// TestAroundWalk checks that a walk around a moment visits blocks outward
// and stops each direction when told.
func TestAroundWalk(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, func(c *Config) { c.BlockRecords = 10 })
	var recs []*record.Record
	for i := range 100 {
		recs = append(recs, natRecord("cgn-1", t0.Add(time.Duration(i)*time.Minute), record.NATCreate, "100.64.0.1", "203.0.113.7", 40000, 0))
	}
	if _, err := s.Append(recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(50 * time.Minute)
	var seen []int
	q := Query{Kind: record.KindNAT, Endpoint: netip.MustParseAddrPort("203.0.113.7:40000"), Around: at,
		Done: func(back bool, oldest, newest time.Time) bool {
			if back {
				return newest.Before(at.Add(-15 * time.Minute))
			}
			return oldest.After(at.Add(25 * time.Minute))
		}}
	for _, r := range collect(t, s, q) {
		seen = append(seen, int(r.EventTime.Sub(t0)/time.Minute))
	}
	var want []int
	for _, b := range []int{50, 40, 30} { // back: blocks starting at or before 50, newest first
		for i := range 10 {
			want = append(want, b+i)
		}
	}
	for _, b := range []int{60, 70} {
		for i := range 10 {
			want = append(want, b+i)
		}
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("walk (-want +got):\n%s", diff)
	}
}

func TestActivity(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, func(c *Config) { c.BlockRecords = 7 })
	var recs []*record.Record
	// cgn-1 logs every 10s, except from 10:05 to 10:12 and at 10:20:05
	// (a 20s pause, too short to list); cgn-2 logs at 10:00 only.
	for sec := 0; sec < 30*60; sec += 10 {
		at := t0.Add(time.Duration(sec) * time.Second)
		if at.After(t0.Add(5*time.Minute)) && at.Before(t0.Add(12*time.Minute)) || at.Equal(t0.Add(20*time.Minute+10*time.Second)) {
			continue
		}
		recs = append(recs, natRecord("cgn-1", at, record.NATCreate, "100.64.0.1", "203.0.113.7", uint16(1000+sec), 0))
	}
	slices.Reverse(recs[10:20]) // out of order within blocks
	recs = append(recs, natRecord("cgn-2", t0, record.NATCreate, "100.64.0.1", "203.0.113.7", 9, 0))
	if _, err := s.Append(recs[:100]); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(recs[100:]); err != nil { // these stay pending
		t.Fatal(err)
	}
	got := s.Activity(record.KindNAT, t0, t0.Add(time.Hour))
	want := map[string][]Interval{
		"cgn-1": {{t0, t0.Add(5 * time.Minute)}, {t0.Add(12 * time.Minute), t0.Add(30*time.Minute - 10*time.Second)}},
		"cgn-2": {{t0, t0}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Activity (-want +got):\n%s", diff)
	}
}

// TestVerifyIndex changes one bit of a lookup index, once leaving the
// checksum wrong and once fixing it as a careful forger would: either way
// verification names the block whose lookups could miss records.
func TestVerifyIndex(t *testing.T) {
	dir := t.TempDir()
	indexFixture(t, dir)
	rep := verifyOK(t, dir, VerifyOptions{})
	if len(rep.Notes) != 0 {
		t.Errorf("notes on an intact store: %v", rep.Notes)
	}
	path := indexFiles(t, dir)[0]
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Find the last entry.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var last *indexEntry
	var lastOff int64
	for off := int64(indexHeaderSize); off < int64(len(orig)); {
		e, err := readIndexEntry(f, off, int64(len(orig)), true)
		if err != nil {
			t.Fatal(err)
		}
		last, lastOff, off = e, off, e.end
	}
	for _, tt := range []struct {
		name, want string
		forge      bool
	}{
		{"checksum", "fails its checksum", false},
		{"forged", "traces could miss them", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := slices.Clone(orig)
			b[len(b)-3] ^= 0x10 // a bit of the last filter line
			if tt.forge {
				lines := b[last.linesOff:last.end]
				b = appendIndexEntry(b[:lastOff], last.offset, last.firstSeq, lines, last.spans)
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			rep, err := Verify(t.Context(), dir, VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Problems) != 1 || rep.Problems[0].What != "index" || !strings.Contains(rep.Problems[0].String(), tt.want) {
				t.Fatalf("problems %v, want one index problem saying %q", rep.Problems, tt.want)
			}
			t.Log(rep.Problems[0])
		})
	}
}

// TestBlockCache asks the same lookups twice: the second time the blocks
// come from the cache of decoded blocks, with the same records.
func TestBlockCache(t *testing.T) {
	dir := t.TempDir()
	indexFixture(t, dir)
	for _, limit := range []int64{0, -1} {
		s := openTest(t, dir, func(c *Config) { c.CacheBytes = limit })
		qs := []Query{
			{Kind: record.KindNAT, Endpoint: netip.MustParseAddrPort("203.0.113.7:40003")},
			{Kind: record.KindNAT, Endpoint: netip.MustParseAddrPort("203.0.113.7:40002"), Around: t0},
			{Kind: record.KindSession, Holder: netip.MustParseAddr("2001:db8:aa12::1")},
		}
		var first [][]*record.Record
		for _, q := range qs {
			first = append(first, collect(t, s, q))
		}
		before := s.Stats()
		for i, q := range qs {
			if diff := cmp.Diff(first[i], collect(t, s, q), cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{}), cmpopts.EquateApproxTime(0)); diff != "" {
				t.Errorf("cache %d: %v again (-first +second):\n%s", limit, q, diff)
			}
		}
		after := s.Stats()
		switch cached, read := after.BlocksCached-before.BlocksCached, after.BlocksRead-before.BlocksRead; {
		case limit == 0 && (cached == 0 || read != 0):
			t.Errorf("default cache: second pass read %d blocks, %d from the cache", read, cached)
		case limit < 0 && cached != 0:
			t.Errorf("disabled cache answered %d blocks", cached)
		}
		s.Close()
	}
}

// TestIndexOldVersion gives a store index files of another version: they
// are rebuilt, not trusted.
func TestIndexOldVersion(t *testing.T) {
	dir := t.TempDir()
	indexFixture(t, dir)
	for _, f := range indexFiles(t, dir) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b[4] = indexVersion - 1
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := openTest(t, dir, nil)
	if got := collect(t, s, Query{Kind: record.KindNAT, Endpoint: netip.MustParseAddrPort("203.0.113.7:40003")}); len(got) != 1 {
		t.Errorf("%d records after the rebuild, want 1", len(got))
	}
	s.Close()
	for _, f := range indexFiles(t, dir) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if b[4] != indexVersion {
			t.Errorf("%s still has version %d", f, b[4])
		}
	}
}
