package bench

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// smallTrace is a store of two tiny days: seconds to generate, even with
// the race detector.
func smallTrace(t *testing.T, baselines bool) TraceConfig {
	t.Helper()
	return TraceConfig{Dir: t.TempDir(), Records: 40_000, Days: 2, Questions: 40, CurveDays: []int{1, 5},
		CurveQuestions: 10, ZgrepSample: 4, Baselines: baselines, Seed: 3, BlockRecords: 2048}
}

// TestBenchTrace runs the generation and the Warden and zgrep phases on a
// tiny store, so that the harness cannot rot unnoticed.
func TestBenchTrace(t *testing.T) {
	c := smallTrace(t, true)
	gen, err := GenerateTrace(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if gen.NATRecords < c.Records*7/10 || gen.NATRecords > c.Records*13/10 {
		t.Errorf("generated %d NAT records, want about %d", gen.NATRecords, c.Records)
	}
	if gen.SessionRecords == 0 || gen.StoreBytes == 0 || gen.TextBytes == 0 || gen.CopyBytes == 0 {
		t.Errorf("generation = %+v, want sessions, a store, text and COPY data", gen)
	}
	if gen.Questions != c.Questions {
		t.Errorf("sampled %d questions, want %d", gen.Questions, c.Questions)
	}
	// Day 5 is past the two days generated.
	if len(gen.Curve) != 1 || gen.Curve[0].Day != 1 || gen.Curve[0].Run.Warm.Questions != c.CurveQuestions {
		t.Errorf("curve = %+v, want day 1 with %d questions", gen.Curve, c.CurveQuestions)
	}
	if again, err := LoadTraceGen(c.Dir); err != nil || again.NATRecords != gen.NATRecords {
		t.Errorf("LoadTraceGen = %+v, %v; want what generation returned", again, err)
	}
	if _, err := GenerateTrace(t.Context(), c); err == nil {
		t.Error("a second generation into the same directory succeeded")
	}

	run, err := RunTraceWarden(t.Context(), c, c.QuestionsFile())
	if err != nil {
		t.Fatal(err)
	}
	checkRun(t, run, gen.Questions)

	if _, err := exec.LookPath("zgrep"); err != nil {
		t.Skip("zgrep not installed")
	}
	zg, err := RunTraceZgrep(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	checkRun(t, zg, c.ZgrepSample)
}

// checkRun checks that a run answered n questions and named the true
// account for nearly all; the engine's correctness is tested in package
// query, so a few misses are the engine's, not the harness's.
func checkRun(t *testing.T, run TraceRun, n int) {
	t.Helper()
	w := run.Warm
	if w.Questions != n || w.Correct+w.Wrong+w.NoAnswer != n || w.Correct < n*8/10 {
		t.Errorf("%s: warm %+v, want %d questions, nearly all correct", run.System, w, n)
	}
	if w.P50 <= 0 || w.P99 < w.P50 || w.Max < w.P99 {
		t.Errorf("%s: latencies %+v out of order", run.System, w)
	}
	if run.Bytes <= 0 {
		t.Errorf("%s: %d bytes on disk", run.System, run.Bytes)
	}
}

// TestBenchTracePG runs the PostgreSQL phase on a tiny store. It needs
// PostgreSQL 15 (scripts/bench-setup) and, for the cold sample, root;
// set WARDEN_BENCH_PG=1 to run it.
func TestBenchTracePG(t *testing.T) {
	if os.Getenv("WARDEN_BENCH_PG") != "1" {
		t.Skip("set WARDEN_BENCH_PG=1 to run the PostgreSQL phase")
	}
	c := smallTrace(t, true)
	c.CurveDays = nil
	if os.Geteuid() == 0 {
		c.ColdSample = 2
	}
	// The postgres user must reach the cluster: t.TempDir makes a
	// directory of its own for the test, and one for each call inside it.
	for _, d := range []string{filepath.Dir(c.Dir), c.Dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	gen, err := GenerateTrace(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	run, err := RunTracePG(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	checkRun(t, run, gen.Questions)
	if c.ColdSample > 0 && (run.Cold == nil || run.Cold.Questions != c.ColdSample) {
		t.Errorf("cold = %+v, want %d questions", run.Cold, c.ColdSample)
	}
}

func TestTextAnswers(t *testing.T) {
	at := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	in, out := netip.MustParseAddr("100.64.0.9"), netip.MustParseAddr("203.0.113.7")
	flow := func(ev record.NATEvent, t time.Time, inside netip.Addr, port uint16) string {
		r := record.New(record.KindNAT)
		r.EventTime, r.Source = t, "cgn-1"
		*r.NAT = record.NAT{Event: ev, Protocol: record.ProtoTCP, InsideAddr: inside, InsidePort: 5000, OutsideAddr: out, OutsidePort: port, Device: "cgn-1", Pool: "napt"}
		return string(appendTextLine(nil, r))
	}
	block := func(ev record.NATEvent, t time.Time, inside netip.Addr, first uint16) string {
		r := record.New(record.KindNAT)
		r.EventTime, r.Source = t, "cgn-1"
		*r.NAT = record.NAT{Event: ev, InsideAddr: inside, OutsideAddr: out, OutsidePort: first, OutsidePortEnd: first + 511, Device: "cgn-1", Pool: "pba"}
		return string(appendTextLine(nil, r))
	}
	other := netip.MustParseAddr("100.64.0.10")
	for _, tc := range []struct {
		name  string
		lines []string
		port  int
		want  string
	}{
		{"flow open", []string{flow(record.NATCreate, at.Add(-time.Minute), in, 40000)}, 40000, "100.64.0.9"},
		{"flow closed before", []string{flow(record.NATCreate, at.Add(-time.Minute), in, 40000), flow(record.NATDelete, at.Add(-5*time.Second), in, 40000)}, 40000, ""},
		{"flow closed within the tolerance", []string{flow(record.NATCreate, at.Add(-time.Minute), in, 40000), flow(record.NATDelete, at.Add(-time.Second), in, 40000)}, 40000, "100.64.0.9"},
		{"flow created within the tolerance", []string{flow(record.NATCreate, at.Add(1500*time.Millisecond), in, 40000)}, 40000, "100.64.0.9"},
		{"later holder", []string{flow(record.NATCreate, at.Add(-time.Hour), other, 40000), flow(record.NATDelete, at.Add(-50*time.Minute), other, 40000),
			flow(record.NATCreate, at.Add(-time.Minute), in, 40000)}, 40000, "100.64.0.9"},
		{"block holds the port", []string{block(record.NATBlockAlloc, at.Add(-time.Hour), in, 1024)}, 1300, "100.64.0.9"},
		{"block released", []string{block(record.NATBlockAlloc, at.Add(-time.Hour), in, 1024), block(record.NATBlockRelease, at.Add(-time.Minute), in, 1024)}, 1300, ""},
		{"other block", []string{block(record.NATBlockAlloc, at.Add(-time.Hour), in, 1024)}, 1536, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := textMapping(tc.lines, tc.port, at); got != tc.want {
				t.Errorf("textMapping(%q) = %q, want %q", tc.lines, got, tc.want)
			}
		})
	}

	sess := func(ev record.SessionEvent, t time.Time, account, id string) string {
		r := record.New(record.KindSession)
		r.EventTime, r.Source = t, "bras-1"
		*r.Session = record.Session{Event: ev, Account: account, Addr: in, SessionID: id, NASAddr: netip.MustParseAddr("10.0.0.1")}
		return string(appendTextLine(nil, r))
	}
	for _, tc := range []struct {
		name  string
		lines []string
		want  string
	}{
		{"interim", []string{sess(record.SessionStart, at.Add(-time.Hour), "a", "1"), sess(record.SessionInterim, at.Add(-10*time.Minute), "a", "1")}, "a"},
		{"stopped", []string{sess(record.SessionStart, at.Add(-time.Hour), "a", "1"), sess(record.SessionStop, at.Add(-10*time.Minute), "a", "1")}, ""},
		{"next holder", []string{sess(record.SessionStart, at.Add(-time.Hour), "a", "1"), sess(record.SessionStop, at.Add(-10*time.Minute), "a", "1"),
			sess(record.SessionStart, at.Add(-5*time.Minute), "b", "2")}, "b"},
		{"lost stop", []string{sess(record.SessionStart, at.Add(-time.Hour), "a", "1")}, "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := textSession(tc.lines, at); got != tc.want {
				t.Errorf("textSession(%q) = %q, want %q", tc.lines, got, tc.want)
			}
		})
	}
}

func TestCopyRow(t *testing.T) {
	r := record.New(record.KindNAT)
	r.EventTime, r.Source = time.Date(2026, 9, 1, 12, 0, 0, 123456789, time.UTC), "cgn-1"
	*r.NAT = record.NAT{Event: record.NATBlockAlloc, InsideAddr: netip.MustParseAddr("100.64.0.9"),
		OutsideAddr: netip.MustParseAddr("203.0.113.7"), OutsidePort: 1024, OutsidePortEnd: 1535}
	want := "203.0.113.7\t1024\t1535\t100.64.0.9\t0\t0\t3\t2026-09-01T12:00:00.123456Z\tcgn-1\n"
	if got := string(appendCopyRow(nil, r)); got != want {
		t.Errorf("appendCopyRow(block) = %q, want %q", got, want)
	}
	s := record.New(record.KindSession)
	s.EventTime, s.Source = r.EventTime, "bras\t1"
	*s.Session = record.Session{Event: record.SessionStart, Account: `a\b`, Addr: netip.MustParseAddr("100.64.0.9"), SessionID: "7"}
	want = "a\\\\b\t100.64.0.9\t\\N\t2026-09-01T12:00:00.123456Z\t1\t7\t\\N\t\\N\t\\N\tbras\\t1\n"
	if got := string(appendCopyRow(nil, s)); got != want {
		t.Errorf("appendCopyRow(session) = %q, want %q", got, want)
	}
}

func TestPercentile(t *testing.T) {
	ds := func(ms ...int) []time.Duration {
		var out []time.Duration
		for _, m := range ms {
			out = append(out, time.Duration(m)*time.Millisecond)
		}
		return out
	}
	for _, tc := range []struct {
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 0.5, 0},
		{ds(7), 0.99, 7 * time.Millisecond},
		{ds(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{ds(1, 2, 3, 4), 0.99, 4 * time.Millisecond},
		{ds(1, 2, 3, 4), 1, 4 * time.Millisecond},
	} {
		if got := percentile(tc.in, tc.p); got != tc.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", tc.in, tc.p, got, tc.want)
		}
	}
}

func TestTraceReportText(t *testing.T) {
	warden := TraceRun{System: "warden", Bytes: 10 << 20, Warm: Latency{Questions: 4, P50: 1, P99: 2, Max: 3, Correct: 4},
		Cold: &Latency{Questions: 2, P50: 10, P99: 20, Max: 20, Correct: 1, NoAnswer: 1}}
	pg := TraceRun{System: "postgresql 15", Bytes: 80 << 20, Warm: Latency{Questions: 4, P50: 2, P99: 4, Max: 5, Correct: 4},
		Cold: &Latency{Questions: 2, P50: 30, P99: 40, Max: 40, Correct: 2}, Notes: []string{"loaded"}}
	rep := &TraceReport{Dir: "/d", Gen: &TraceGen{Days: 7, NATRecords: 1_234_567, SessionRecords: 1000, Seconds: 10, StoreBytes: 10 << 20,
		Curve: []CurvePoint{{Day: 1, Run: TraceRun{Warm: Latency{P99: 2}}}, {Day: 7, Run: TraceRun{Warm: Latency{P99: 3}}}}},
		Runs: []TraceRun{warden, pg}}
	var b strings.Builder
	rep.WriteText(&b)
	for _, want := range []string{
		"1,234,567 NAT",
		"postgresql / warden: on disk 8.0x, warm p50 2.00x, warm p99 2.00x, cold p50 3.00x, cold p99 2.00x",
		"warm p99 < 10 ms: yes (2.00); cold p99 < 100 ms: yes (20.00); p99 ahead of postgresql: yes",
		"with 7 days kept / with 1: 1.50x",
		"cold answers: 1 correct, 0 wrong, 1 none of 2",
		"note (postgresql 15): loaded",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}
