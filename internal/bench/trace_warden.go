package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/warden-ops/warden/internal/query"
	"github.com/warden-ops/warden/internal/store"
)

// TraceRun is one system's answers to the questions.
type TraceRun struct {
	System string `json:"system"`
	// Warm times every question once its data has been read before; Cold
	// a sample, each asked after the page cache was dropped.
	Warm Latency  `json:"warm"`
	Cold *Latency `json:"cold,omitempty"`
	// Bytes is what the system keeps on disk for the data.
	Bytes int64 `json:"bytes"`
	// OpenSeconds is how long the system took to open its data (load
	// time, for PostgreSQL).
	OpenSeconds float64  `json:"open_seconds"`
	Notes       []string `json:"notes,omitempty"`
}

// Latency summarizes the answers to a set of questions.
type Latency struct {
	Questions int     `json:"questions"`
	P50       float64 `json:"p50_ms"`
	P99       float64 `json:"p99_ms"`
	Max       float64 `json:"max_ms"`
	// Correct counts answers whose first candidate is the true account,
	// Wrong those naming another, NoAnswer those naming nobody.
	Correct  int `json:"correct"`
	Wrong    int `json:"wrong"`
	NoAnswer int `json:"no_answer"`
}

// tally collects the latencies and outcomes of answers.
type tally struct {
	durs                  []time.Duration
	correct, wrong, empty int
}

func (t *tally) add(d time.Duration, got, want string) {
	t.durs = append(t.durs, d)
	switch got {
	case want:
		t.correct++
	case "":
		t.empty++
	default:
		t.wrong++
	}
}

func (t *tally) latency() Latency {
	s := slices.Clone(t.durs)
	slices.Sort(s)
	return Latency{Questions: len(s), P50: ms(percentile(s, 0.50)), P99: ms(percentile(s, 0.99)), Max: ms(percentile(s, 1)),
		Correct: t.correct, Wrong: t.wrong, NoAnswer: t.empty}
}

// percentile returns the nearest-rank percentile p of sorted s.
func percentile(s []time.Duration, p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// sample returns n of qs, evenly spaced, so that a sample spans every day.
func sample[T any](qs []T, n int) []T {
	if n >= len(qs) {
		return qs
	}
	out := make([]T, n)
	for i := range out {
		out[i] = qs[i*len(qs)/n]
	}
	return out
}

// ErrNotRoot is returned when a cold measurement cannot drop the page
// cache: run as root, or measure warm only.
var ErrNotRoot = errors.New("dropping the page cache needs root: run as root, or ask for no cold sample")

// dropCaches writes dirty pages out and drops the page cache, dentries
// and inodes (sync; echo 3 > /proc/sys/vm/drop_caches).
func dropCaches() error {
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	syscall.Sync()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0); err != nil {
		return fmt.Errorf("drop page cache: %w", err)
	}
	return nil
}

// RunTraceWarden answers the questions in questionsFile with the trace
// engine over the store in c.Dir, opened read-only: every question twice,
// timing the second pass (warm), then c.ColdSample of them, each right
// after the page cache was dropped while the store stays open, as in a
// running server whose cache was evicted.
func RunTraceWarden(ctx context.Context, c TraceConfig, questionsFile string) (TraceRun, error) {
	run := TraceRun{System: "warden"}
	qs, err := ReadTraceQuestions(questionsFile)
	if err != nil {
		return run, err
	}
	if c.ColdSample > 0 && os.Geteuid() != 0 {
		return run, ErrNotRoot
	}
	t := time.Now()
	st, err := store.Open(store.Config{Dir: c.StoreDir(), ReadOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return run, err
	}
	defer st.Close()
	run.OpenSeconds = time.Since(t).Seconds()
	run.Bytes, _ = storeBytes(c.StoreDir())
	e := query.New(st, query.Config{})
	var warm tally
	for pass := range 2 {
		for _, q := range qs {
			d, got, err := traceOne(ctx, e, q)
			if err != nil {
				return run, err
			}
			if pass == 1 {
				warm.add(d, got, q.Want)
			}
		}
	}
	run.Warm = warm.latency()
	if c.ColdSample == 0 {
		return run, nil
	}
	var cold tally
	for _, q := range sample(qs, c.ColdSample) {
		if err := dropCaches(); err != nil {
			return run, err
		}
		d, got, err := traceOne(ctx, e, q)
		if err != nil {
			return run, err
		}
		cold.add(d, got, q.Want)
	}
	l := cold.latency()
	run.Cold = &l
	return run, nil
}

// traceOne times one trace and returns the first candidate's account.
func traceOne(ctx context.Context, e *query.Engine, q TraceQuestion) (time.Duration, string, error) {
	t := time.Now()
	ans, err := e.Trace(ctx, query.Question{Addr: q.Addr, Port: q.Port, At: q.At})
	d := time.Since(t)
	if err != nil {
		return d, "", fmt.Errorf("trace %s:%d at %s: %w", q.Addr, q.Port, q.At.Format(time.RFC3339), err)
	}
	if len(ans.Candidates) == 0 {
		return d, "", nil
	}
	return d, ans.Candidates[0].Account, nil
}
