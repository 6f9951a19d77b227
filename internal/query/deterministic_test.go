package query

import (
	"bytes"
	"encoding/json"
	"html"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// det1 is RFC 7422's arithmetic at carrier scale: 1024 subscribers on 64
// public addresses, 16 per address, 4000 ports each from 1024.
var det1 = DeterministicRule{Name: "det-1", Device: "cgn-3", InsidePrefix: netip.MustParsePrefix("100.64.0.0/22"),
	OutsidePrefix: netip.MustParsePrefix("203.0.113.0/26"), PortsPerSubscriber: 4000, FirstPort: 1024,
	From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}

func TestDeterministicRuleMapping(t *testing.T) {
	nat64 := DeterministicRule{Name: "nat64", Device: "cgn-6", InsidePrefix: netip.MustParsePrefix("2001:db8:64::/120"),
		OutsidePrefix: netip.MustParsePrefix("198.51.100.8/30"), PortsPerSubscriber: 990, FirstPort: 2000, From: det1.From}
	for _, tt := range []struct {
		rule              DeterministicRule
		inside, outside   string
		first, last, port uint16 // port: any port of the range, for Inside
	}{
		{det1, "100.64.0.0", "203.0.113.0", 1024, 5023, 1024},
		{det1, "100.64.0.1", "203.0.113.0", 5024, 9023, 9023},
		{det1, "100.64.0.15", "203.0.113.0", 61024, 65023, 65023},
		{det1, "100.64.0.16", "203.0.113.1", 1024, 5023, 3000},
		{det1, "100.64.0.17", "203.0.113.1", 5024, 9023, 5100},
		{det1, "100.64.3.255", "203.0.113.63", 61024, 65023, 61024},
		{nat64, "2001:db8:64::", "198.51.100.8", 2000, 2989, 2000},
		{nat64, "2001:db8:64::41", "198.51.100.9", 2990, 3979, 3979},
		{nat64, "2001:db8:64::ff", "198.51.100.11", 64370, 65359, 65359},
	} {
		t.Run(tt.rule.Name+" "+tt.inside, func(t *testing.T) {
			out, first, last, ok := tt.rule.Outside(netip.MustParseAddr(tt.inside))
			if !ok || out.String() != tt.outside || first != tt.first || last != tt.last {
				t.Errorf("Outside(%s) = %s %d-%d %v, want %s %d-%d", tt.inside, out, first, last, ok, tt.outside, tt.first, tt.last)
			}
			in, first, last, ok := tt.rule.Inside(netip.MustParseAddr(tt.outside), tt.port)
			if !ok || in.String() != tt.inside || first != tt.first || last != tt.last {
				t.Errorf("Inside(%s, %d) = %s %d-%d %v, want %s %d-%d", tt.outside, tt.port, in, first, last, ok, tt.inside, tt.first, tt.last)
			}
		})
	}
	for _, tt := range []struct {
		name string
		addr string
		port uint16
	}{
		{"below the first port", "203.0.113.5", 1023},
		{"above the last range", "203.0.113.5", 65024},
		{"last port", "203.0.113.5", 65535},
		{"outside the prefix", "203.0.113.64", 2000},
		{"IPv6", "2001:db8::1", 2000},
	} {
		if in, _, _, ok := det1.Inside(netip.MustParseAddr(tt.addr), tt.port); ok {
			t.Errorf("%s: Inside(%s, %d) = %s, want none", tt.name, tt.addr, tt.port, in)
		}
	}
	if out, _, _, ok := det1.Outside(netip.MustParseAddr("100.64.4.0")); ok {
		t.Errorf("Outside(100.64.4.0) = %s, want none: not in the inside prefix", out)
	}
	bad := det1
	bad.PortsPerSubscriber = 5000
	if _, _, _, ok := bad.Outside(netip.MustParseAddr("100.64.0.0")); ok {
		t.Error("Outside on an invalid rule succeeded")
	}
}

func TestDeterministicRuleValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		mod  func(r *DeterministicRule)
		want string // in the error; "" for none
	}{
		{"valid", func(*DeterministicRule) {}, ""},
		{"exactly fills the ports", func(r *DeterministicRule) { r.PortsPerSubscriber, r.FirstPort = 4032, 1024 }, ""},
		{"one subscriber per address", func(r *DeterministicRule) {
			r.InsidePrefix, r.PortsPerSubscriber = netip.MustParsePrefix("100.64.0.0/26"), 64512
		}, ""},
		{"with an end", func(r *DeterministicRule) { r.Until = r.From.Add(24 * time.Hour) }, ""},
		{"no name", func(r *DeterministicRule) { r.Name = "" }, "needs a name"},
		{"no device", func(r *DeterministicRule) { r.Device = "" }, "device"},
		{"no inside", func(r *DeterministicRule) { r.InsidePrefix = netip.Prefix{} }, "inside invalid Prefix"},
		{"host bits set", func(r *DeterministicRule) { r.InsidePrefix = netip.MustParsePrefix("100.64.0.1/22") }, "no host bits"},
		{"4in6 inside", func(r *DeterministicRule) { r.InsidePrefix = netip.MustParsePrefix("::ffff:100.64.0.0/118") }, "inside"},
		{"IPv6 outside", func(r *DeterministicRule) { r.OutsidePrefix = netip.MustParsePrefix("2001:db8::/122") }, "IPv4 prefix"},
		{"fewer inside than outside", func(r *DeterministicRule) { r.InsidePrefix = netip.MustParsePrefix("100.64.0.0/27") }, "fewer addresses"},
		{"too many per address", func(r *DeterministicRule) { r.InsidePrefix = netip.MustParsePrefix("100.0.0.0/9") }, "more than its ports"},
		{"no ports", func(r *DeterministicRule) { r.PortsPerSubscriber = 0 }, "ports_per_subscriber"},
		{"no first port", func(r *DeterministicRule) { r.FirstPort = 0 }, "first_port"},
		{"ports overflow", func(r *DeterministicRule) { r.PortsPerSubscriber = 4033 }, "16 subscribers per outside address (1024 inside over 64 outside) × 4033 ports = 64528 ports, but ports 1024-65535 are only 64512"},
		{"first port too high", func(r *DeterministicRule) { r.FirstPort = 2000 }, "ports 2000-65535"},
		{"no start", func(r *DeterministicRule) { r.From = time.Time{} }, "from"},
		{"ends before it starts", func(r *DeterministicRule) { r.Until = r.From }, "not after"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := det1
			tt.mod(&r)
			err := r.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// checkInverse checks that Outside and Inside invert each other for inside
// and for one port of its range.
func checkInverse(t *testing.T, r DeterministicRule, inside netip.Addr, pick uint16) {
	t.Helper()
	out, first, last, ok := r.Outside(inside)
	if !ok {
		t.Fatalf("%s: Outside(%s) found nothing", r, inside)
	}
	if !r.OutsidePrefix.Contains(out) || first < r.FirstPort || last-first+1 != r.PortsPerSubscriber {
		t.Fatalf("%s: Outside(%s) = %s %d-%d, not a range of the rule", r, inside, out, first, last)
	}
	port := first + pick%r.PortsPerSubscriber
	in, f2, l2, ok := r.Inside(out, port)
	if !ok || in != inside || f2 != first || l2 != last {
		t.Fatalf("%s: Inside(Outside(%s) = %s, %d) = %s %d-%d %v, want %s %d-%d", r, inside, out, port, in, f2, l2, ok, inside, first, last)
	}
}

// randomRule returns a valid rule with a random geometry.
func randomRule(rng *rand.Rand) DeterministicRule {
	outBits := 24 + rng.IntN(9) // /24 to /32
	ratio := rng.IntN(11)       // up to 1024 subscribers per address
	inside := netip.PrefixFrom(netip.MustParseAddr("10.0.0.0"), max(outBits-ratio, 8)).Masked()
	if rng.IntN(3) == 0 {
		inside = netip.PrefixFrom(netip.MustParseAddr("2001:db8:64::"), 128-(32-outBits)-ratio).Masked()
	}
	ratio = hostBits(inside) - (32 - outBits)
	first := uint16(1 + rng.IntN(4096))
	ports := uint16((65536 - int(first)) >> ratio)
	ports = uint16(1 + rng.IntN(int(ports)))
	return DeterministicRule{Name: "r", Device: "d", InsidePrefix: inside, OutsidePrefix: netip.PrefixFrom(netip.MustParseAddr("198.51.100.0"), outBits).Masked(),
		PortsPerSubscriber: ports, FirstPort: first, From: det1.From}
}

// TestDeterministicRuleInverse checks on random rules that every inside
// address maps to a range whose every port maps back to it, and that
// every port Inside accepts lies in the range of the address it names.
func TestDeterministicRuleInverse(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 22))
	for range 200 {
		r := randomRule(rng)
		if err := r.Validate(); err != nil {
			t.Fatalf("randomRule gave an invalid rule: %v", err)
		}
		size := uint64(1) << hostBits(r.InsidePrefix)
		for range 50 {
			checkInverse(t, r, addrAt(r.InsidePrefix, rng.Uint64N(size)), uint16(rng.Uint32()))
		}
		checkInverse(t, r, addrAt(r.InsidePrefix, 0), 0)
		checkInverse(t, r, addrAt(r.InsidePrefix, size-1), r.PortsPerSubscriber-1)
		for range 50 {
			out := addrAt(r.OutsidePrefix, rng.Uint64N(uint64(1)<<hostBits(r.OutsidePrefix)))
			port := uint16(rng.Uint32())
			in, first, last, ok := r.Inside(out, port)
			if !ok {
				c, _ := r.perAddress()
				if port >= r.FirstPort && uint64(port-r.FirstPort) < c*uint64(r.PortsPerSubscriber) {
					t.Fatalf("%s: Inside(%s, %d) found nothing, but the port is in a subscriber's range", r, out, port)
				}
				continue
			}
			o2, f2, l2, ok := r.Outside(in)
			if !ok || o2 != out || f2 != first || l2 != last || port < first || port > last {
				t.Fatalf("%s: Outside(Inside(%s, %d) = %s) = %s %d-%d, want %s %d-%d holding the port", r, out, port, in, o2, f2, l2, out, first, last)
			}
		}
	}
}

// FuzzDeterministicRule checks, on any rule Validate accepts, that Inside
// and Outside invert each other, and that neither panics on any rule.
func FuzzDeterministicRule(f *testing.F) {
	f.Add([]byte{100, 64, 0, 0}, uint8(22), []byte{203, 0, 113, 0}, uint8(26), uint16(4000), uint16(1024), []byte{100, 64, 0, 17}, uint16(5100))
	f.Add([]byte{10, 0, 0, 0}, uint8(24), []byte{198, 51, 100, 7}, uint8(32), uint16(252), uint16(1024), []byte{10, 0, 0, 255}, uint16(65535))
	f.Add(netip.MustParseAddr("2001:db8:64::").AsSlice(), uint8(120), []byte{198, 51, 100, 8}, uint8(30), uint16(1000), uint16(2000),
		netip.MustParseAddr("2001:db8:64::41").AsSlice(), uint16(0))
	f.Add([]byte{0, 0, 0, 0}, uint8(0), []byte{0, 0, 0, 0}, uint8(0), uint16(1), uint16(1), []byte{1, 2, 3, 4}, uint16(1))
	f.Fuzz(func(t *testing.T, in []byte, inBits uint8, out []byte, outBits uint8, ports, first uint16, probe []byte, port uint16) {
		ia, ok1 := netip.AddrFromSlice(in)
		oa, ok2 := netip.AddrFromSlice(out)
		pa, ok3 := netip.AddrFromSlice(probe)
		if !ok1 || !ok2 || !ok3 {
			return
		}
		r := DeterministicRule{Name: "f", Device: "d", InsidePrefix: netip.PrefixFrom(ia, int(inBits)), OutsidePrefix: netip.PrefixFrom(oa, int(outBits)),
			PortsPerSubscriber: ports, FirstPort: first, From: det1.From}
		if r.Validate() != nil {
			r.Outside(pa)
			r.Inside(pa, port)
			return
		}
		if r.InsidePrefix.Contains(pa) {
			checkInverse(t, r, pa, port)
		}
		if in, first, last, ok := r.Inside(pa, port); ok {
			o2, f2, l2, ok := r.Outside(in)
			if !ok || o2 != pa || f2 != first || l2 != last || port < first || port > last {
				t.Fatalf("%s: Outside(Inside(%s, %d) = %s) = %s %d-%d, want %s %d-%d", r, pa, port, in, o2, f2, l2, pa, first, last)
			}
		}
	})
}

// radiusOnly is a store holding only RADIUS sessions, behind a CGN that
// maps by rule det1 and logs nothing.
func radiusOnly(t *testing.T, rules ...DeterministicRule) *Engine {
	t.Helper()
	st, err := store.Open(store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	recs := []*record.Record{
		session("bras-1", "09:00:00", record.SessionStart, "gina", "g1", "100.64.0.17"),
		session("bras-1", "11:00:00", record.SessionStop, "gina", "g1", "100.64.0.17"),
		session("bras-1", "09:00:00", record.SessionStart, "hank", "h1", "100.64.0.16"),
		session("bras-1", "09:30:00", record.SessionStart, "ivan", "i1", "100.64.1.0"), // no stop: bounded
	}
	if _, err := st.Append(recs); err != nil {
		t.Fatal(err)
	}
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	return New(st, Config{Deterministic: rules})
}

func TestTraceDeterministic(t *testing.T) {
	later := det1
	later.Name, later.From, later.Until = "det-2026-11", time.Date(2026, 11, 1, 10, 0, 1, 0, time.UTC), time.Time{}
	ended := det1
	ended.Name, ended.Until = "det-old", later.From
	e := radiusOnly(t, ended, later)
	addr := netip.MustParseAddr("203.0.113.1")
	for _, tt := range []struct {
		name    string
		q       Question
		want    []string // accounts, best first
		rules   []string
		reason  string // in the first candidate's reason
		note    string // in the notes
		inside  string // of the first mapping
		mapping int
	}{
		{"rule gives the mapping", Question{Addr: addr, Port: 5100, At: t0.Add(-time.Hour)}, []string{"gina"}, []string{"det-old"},
			"100.64.0.17 held port block 203.0.113.1:5024-9023 by deterministic NAT rule det-old (RFC 7422), in force from 2026-01-01T00:00:00Z until 2026-11-01T10:00:01Z: configured policy, not a logged record; session of gina", "", "100.64.0.17:0", 1},
		{"first port of the address", Question{Addr: addr, Port: 1024, Proto: record.ProtoUDP, At: t0.Add(-time.Hour)}, []string{"hank"}, []string{"det-old"}, "100.64.0.16 held", "", "100.64.0.16:0", 1},
		{"open session", Question{Addr: netip.MustParseAddr("203.0.113.16"), Port: 1024, At: t0.Add(-time.Minute)}, []string{"ivan"}, []string{"det-old"}, "no stop logged", "", "100.64.1.0:0", 1},
		{"both rules within the tolerance", Question{Addr: addr, Port: 5100, At: t0}, []string{"gina", "gina"}, []string{"det-old", "det-2026-11"}, "deterministic", "", "100.64.0.17:0", 2},
		{"no subscriber session", Question{Addr: addr, Port: 9100, At: t0.Add(-time.Hour)}, nil, []string{"det-old"}, "", "mapping to inside 100.64.0.18 found, but no session held that address", "100.64.0.18:0", 1},
		{"without a port", Question{Addr: addr, At: t0.Add(-time.Hour)}, nil, nil, "", "shared by 16 subscribers under deterministic NAT rule det-old", "", 0},
		{"port in no range", Question{Addr: addr, Port: 80, At: t0.Add(-time.Hour)}, nil, nil, "", "port 80 of 203.0.113.1 is in no subscriber's range", "", 0},
		{"before any rule", Question{Addr: addr, Port: 5100, At: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}, nil, nil, "", "no NAT mapping and no session", "", 0},
		{"outside every rule", Question{Addr: netip.MustParseAddr("203.0.113.64"), Port: 5100, At: t0}, nil, nil, "", "no NAT mapping and no session", "", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ans, err := e.Trace(t.Context(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var accounts, rules []string
			for _, c := range ans.Candidates {
				accounts = append(accounts, c.Account)
				if c.Exact {
					t.Errorf("candidate %s is exact, but its mapping is policy, not a logged record", c.Account)
				}
			}
			for _, r := range ans.Rules {
				rules = append(rules, r.Name)
			}
			if diff := cmp.Diff(tt.want, accounts); diff != "" {
				t.Errorf("candidates (-want +got):\n%s\nnotes %q", diff, ans.Notes)
			}
			if diff := cmp.Diff(tt.rules, rules); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
			if len(ans.Mappings) != tt.mapping {
				t.Fatalf("%d mappings, want %d: %+v", len(ans.Mappings), tt.mapping, ans.Mappings)
			}
			if tt.mapping > 0 {
				m := ans.Mappings[0]
				if m.Inside.String() != tt.inside || m.Source != "cgn-3" || len(m.Records) != 0 || !m.Block || m.Rule == "" {
					t.Errorf("mapping %+v, want inside %s by a rule of cgn-3 with no records", m, tt.inside)
				}
			}
			if len(ans.Candidates) > 0 && !strings.Contains(ans.Candidates[0].Reason, tt.reason) {
				t.Errorf("reason %q, want it to contain %q", ans.Candidates[0].Reason, tt.reason)
			}
			if notes := strings.Join(ans.Notes, "; "); !strings.Contains(notes, tt.note) {
				t.Errorf("notes %q, want %q", notes, tt.note)
			}
			if len(ans.Gaps) != 0 {
				t.Errorf("gaps %v: a deterministic CGN is silent by design", ans.Gaps)
			}
		})
	}
}

// TestTraceDeterministicAndLogged checks that a logged mapping ranks above
// a rule's for the same port, and that both are given.
func TestTraceDeterministicAndLogged(t *testing.T) {
	st, err := store.Open(store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	recs := []*record.Record{
		session("bras-1", "09:00:00", record.SessionStart, "gina", "g1", "100.64.0.17"),
		session("bras-1", "11:00:00", record.SessionStop, "gina", "g1", "100.64.0.17"),
		session("bras-1", "09:00:00", record.SessionStart, "judy", "j1", "100.64.9.9"),
		session("bras-1", "11:00:00", record.SessionStop, "judy", "j1", "100.64.9.9"),
		nat("cgn-1", "09:59:00", record.NATCreate, "100.64.9.9:4000", "203.0.113.1", 5100, 0),
		nat("cgn-1", "10:01:00", record.NATDelete, "100.64.9.9:4000", "203.0.113.1", 5100, 0),
	}
	if _, err := st.Append(recs); err != nil {
		t.Fatal(err)
	}
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	ans, err := New(st, Config{Deterministic: []DeterministicRule{det1}}).Trace(t.Context(), Question{Addr: netip.MustParseAddr("203.0.113.1"), Port: 5100, At: t0})
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Candidates) != 2 || ans.Candidates[0].Account != "judy" || !ans.Candidates[0].Exact || ans.Candidates[1].Account != "gina" || ans.Candidates[1].Exact {
		t.Errorf("candidates %+v, want judy (logged, exact) before gina (rule)", ans.Candidates)
	}
}

// TestEvidenceDeterministic builds evidence of a rule's answer: it
// verifies, lists the rule, shows the rule's text in the report, and
// refuses a mapping the rule does not give.
func TestEvidenceDeterministic(t *testing.T) {
	e := radiusOnly(t, det1)
	ans, err := e.Trace(t.Context(), Question{Addr: netip.MustParseAddr("203.0.113.1"), Port: 5100, At: t0})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Build(t.Context(), e.st, ans, "case-7422")
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyEvidence(decodeEvidence(t, data), nil); err != nil {
		t.Fatalf("VerifyEvidence = %v", err)
	}
	if len(ev.Proofs) != 2 {
		t.Errorf("%d proofs, want the session's 2: the rule is not a record", len(ev.Proofs))
	}
	var page bytes.Buffer
	if err := ev.HTML(&page); err != nil {
		t.Fatal(err)
	}
	text := html.UnescapeString(page.String())
	for _, want := range []string{"Deterministic NAT rules", det1.String(), "not a logged record", "gina"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, tt := range []struct {
		name  string
		alter func(ev *Evidence)
		want  string
	}{
		{"another inside address", func(ev *Evidence) {
			ev.Answer.Mappings[0].Inside = netip.MustParseAddrPort("100.64.0.18:0")
		}, "mapping 1: says 100.64.0.18:0"},
		{"rule left out", func(ev *Evidence) { ev.Answer.Rules = nil }, "does not list"},
		{"rule changed", func(ev *Evidence) { ev.Answer.Rules[0].FirstPort = 1025 }, "mapping 1"},
		{"invalid rule", func(ev *Evidence) { ev.Answer.Rules[0].PortsPerSubscriber = 0 }, "rule det-1"},
		{"closed", func(ev *Evidence) { ev.Answer.Mappings[0].Interval.Open = false }, "interval"},
		{"claimed exact", func(ev *Evidence) { ev.Answer.Candidates[0].Exact = true }, "claimed exact"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := decodeEvidence(t, data)
			tt.alter(bad)
			if err := VerifyEvidence(bad, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("VerifyEvidence = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}
