package bench

import (
	"fmt"
	"io"
	"strings"
)

// Goals the trace benchmark checks, from the issue that asked for it.
const (
	goalWarmP99 = 10.0  // ms
	goalColdP99 = 100.0 // ms
)

// TraceReport is the trace benchmark's outcome: the generation and each
// system's answers, Warden's first.
type TraceReport struct {
	Dir    string     `json:"dir"`
	Reused bool       `json:"reused"`
	Gen    *TraceGen  `json:"generate"`
	Runs   []TraceRun `json:"runs"`
}

// run returns the named system's run, or nil.
func (r *TraceReport) run(system string) *TraceRun {
	for i := range r.Runs {
		if r.Runs[i].System == system {
			return &r.Runs[i]
		}
	}
	return nil
}

// WriteText writes the report as tables for a person.
func (r *TraceReport) WriteText(w io.Writer) {
	g := r.Gen
	reused := ""
	if r.Reused {
		reused = ", reused"
	}
	fmt.Fprintf(w, "bench trace: %s NAT + %s session records over %d day(s) (%d subscribers, %d public addresses a day) in %s%s\n",
		count(g.NATRecords), count(g.SessionRecords), g.Days, g.Subscribers, g.PublicAddrs, r.Dir, reused)
	what := "store"
	if g.Baselines {
		what = "store, syslog/RADIUS text and COPY data"
	}
	fmt.Fprintf(w, "generation (%s): %.1fs, %s records/s; planning the days took %.1fs, overlapping the loading of the day before, which waited %.1fs for plans\n",
		what, g.Seconds, count(int(g.RecordsPerSec())), g.PlanSeconds, g.WaitSeconds)
	fmt.Fprintf(w, "warden store: %s, %.2f bytes/record (and %s of write-ahead log not yet trimmed)", size(g.StoreBytes), g.BytesPerRecord(), size(g.WALBytes))
	if g.Baselines {
		fmt.Fprintf(w, "; gzip'd text %s; COPY data (gzip -1) %s", size(g.TextBytes), size(g.CopyBytes))
	}
	fmt.Fprintf(w, "\n\n%-14s %10s | %-29s | %-29s | %s\n", "", "", "warm (ms)", "cold (ms)", "first candidate")
	fmt.Fprintf(w, "%-14s %10s | %9s %9s %9s | %9s %9s %9s | %9s %6s %6s\n",
		"system", "on disk", "p50", "p99", "max", "p50", "p99", "max", "correct", "wrong", "none")
	for _, run := range r.Runs {
		fmt.Fprintf(w, "%-14s %10s | %s | %s | %9s %6d %6d\n", run.System, size(run.Bytes), lat(&run.Warm), lat(run.Cold),
			fmt.Sprintf("%d/%d", run.Warm.Correct, run.Warm.Questions), run.Warm.Wrong, run.Warm.NoAnswer)
		if run.Cold != nil && run.Cold.Correct != run.Cold.Questions {
			fmt.Fprintf(w, "%-14s %10s   cold answers: %d correct, %d wrong, %d none of %d\n", "", "",
				run.Cold.Correct, run.Cold.Wrong, run.Cold.NoAnswer, run.Cold.Questions)
		}
	}
	r.writeGoals(w)
	if len(g.Curve) > 0 {
		fmt.Fprintf(w, "\nwarden against days kept (the newest day's questions, measured right after it was loaded):\n")
		fmt.Fprintf(w, "%9s %14s %10s %9s %9s %9s %9s\n", "days kept", "records", "questions", "warm p50", "warm p99", "cold p50", "cold p99")
		for _, pt := range g.Curve {
			cold := fmt.Sprintf("%9s %9s", "-", "-")
			if c := pt.Run.Cold; c != nil {
				cold = fmt.Sprintf("%9.2f %9.2f", c.P50, c.P99)
			}
			fmt.Fprintf(w, "%9d %14s %10d %9.2f %9.2f %s\n", pt.Day, count(pt.Records), pt.Run.Warm.Questions, pt.Run.Warm.P50, pt.Run.Warm.P99, cold)
		}
	}
	for _, run := range r.Runs {
		for _, n := range run.Notes {
			fmt.Fprintf(w, "note (%s): %s\n", run.System, n)
		}
	}
}

func (r *TraceReport) writeGoals(w io.Writer) {
	wd := r.run("warden")
	if wd == nil {
		return
	}
	fmt.Fprintln(w)
	if pg := r.run("postgresql 15"); pg != nil {
		fmt.Fprintf(w, "postgresql / warden: on disk %.1fx, warm p50 %.2fx, warm p99 %.2fx", ratio(pg.Bytes, wd.Bytes), pg.Warm.P50/wd.Warm.P50, pg.Warm.P99/wd.Warm.P99)
		if pg.Cold != nil && wd.Cold != nil {
			fmt.Fprintf(w, ", cold p50 %.2fx, cold p99 %.2fx", pg.Cold.P50/wd.Cold.P50, pg.Cold.P99/wd.Cold.P99)
		}
		fmt.Fprintln(w, " (above 1: warden smaller or faster)")
	}
	var goals []string
	goals = append(goals, fmt.Sprintf("warm p99 < %.0f ms: %s (%.2f)", goalWarmP99, yes(wd.Warm.P99 < goalWarmP99), wd.Warm.P99))
	if wd.Cold != nil {
		goals = append(goals, fmt.Sprintf("cold p99 < %.0f ms: %s (%.2f)", goalColdP99, yes(wd.Cold.P99 < goalColdP99), wd.Cold.P99))
	}
	if pg := r.run("postgresql 15"); pg != nil {
		ahead := wd.Warm.P99 < pg.Warm.P99 && (wd.Cold == nil || pg.Cold == nil || wd.Cold.P99 < pg.Cold.P99)
		goals = append(goals, fmt.Sprintf("p99 ahead of postgresql: %s", yes(ahead)))
	}
	if c := r.Gen.Curve; len(c) >= 2 {
		first, last := c[0], c[len(c)-1]
		goals = append(goals, fmt.Sprintf("newest day's warm p99 with %d days kept / with %d: %.2fx", last.Day, first.Day, last.Run.Warm.P99/first.Run.Warm.P99))
	}
	fmt.Fprintf(w, "goals: %s\n", strings.Join(goals, "; "))
}

func lat(l *Latency) string {
	if l == nil {
		return fmt.Sprintf("%9s %9s %9s", "-", "-", "-")
	}
	return fmt.Sprintf("%9.2f %9.2f %9.2f", l.P50, l.P99, l.Max)
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// size formats a byte count in binary units.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
}

// count formats n with thousands separators.
func count(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[0] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
