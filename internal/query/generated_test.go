package query

import (
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
	"github.com/warden-ops/warden/internal/synth"
)

// TestGenerated traces thousands of questions about a generated CGNAT
// deployment and checks each answer against the generator's ground truth.
func TestGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a deployment")
	}
	start := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	cfg := synth.DeploymentConfig{Subscribers: 3000, PublicAddrs: 48, Devices: 3, Start: start, Duration: 2 * time.Hour, Seed: 11,
		BlockShare: 0.8, NoNATShare: 0.08, IPv6Share: 0.3, ClockSkew: time.Second, LostStopRate: 0.08, FlowsPerMinute: 0.2,
		Gaps: []synth.Gap{
			{Source: "cgn-2", From: start.Add(40 * time.Minute), To: start.Add(47*time.Minute + 30*time.Second)},
			{Source: "cgn-3", From: start.Add(90 * time.Minute), To: start.Add(96 * time.Minute)},
		}}
	d, err := synth.NewDeployment(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Config{Dir: t.TempDir(), BlockRecords: 4096})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	load(t, st, d)
	e := New(st, Config{})

	qs := d.Questions(*generatedQuestions, 5)
	msgs := make([]string, len(qs))
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := w; i < len(qs); i += 2 {
				msgs[i] = check(t, e, cfg.Gaps, qs[i])
			}
		})
	}
	wg.Wait()
	byKind := map[synth.QuestionKind]int{}
	failures := map[synth.QuestionKind][]string{}
	for i, q := range qs {
		byKind[q.Kind]++
		if msgs[i] != "" {
			failures[q.Kind] = append(failures[q.Kind], q.String()+": "+msgs[i])
		}
	}
	t.Logf("%d records, %d sessions, %d mappings; questions by kind: %v", d.Records(), d.Sessions(), d.Mappings(), byKind)
	for _, k := range synth.QuestionKinds {
		// The sampler asks an equal share of each kind; it must find them.
		if want := *generatedQuestions / len(synth.QuestionKinds) * 5 / 8; byKind[k] < want {
			t.Errorf("%d %s questions, want at least %d", byKind[k], k, want)
		}
	}
	kinds := make([]string, 0, len(failures))
	for k := range failures {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		f := failures[synth.QuestionKind(k)]
		t.Errorf("%s: %d of %d wrong, for example:\n\t%s", k, len(f), byKind[synth.QuestionKind(k)], strings.Join(f[:min(len(f), 5)], "\n\t"))
	}
}

// load appends the deployment's records to st in batches and seals them.
func load(t *testing.T, st *store.Store, d *synth.Deployment) {
	t.Helper()
	var batch []*record.Record
	flush := func() error {
		for {
			_, err := st.Append(batch)
			if !errors.Is(err, store.ErrBackpressure) {
				batch = batch[:0:0]
				return err
			}
			if err := st.Flush(); err != nil {
				return err
			}
		}
	}
	err := d.Emit(func(r *record.Record) error {
		batch = append(batch, r)
		if len(batch) == 4096 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		err = st.Flush()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// check traces q and returns what is wrong with the answer, or "".
func check(t *testing.T, e *Engine, gaps []synth.Gap, q synth.Question) string {
	ans, err := e.Trace(t.Context(), Question{Addr: q.Addr, Port: q.Port, At: q.At})
	if err != nil {
		return err.Error()
	}
	got := ""
	if len(ans.Candidates) > 0 {
		got = ans.Candidates[0].Account
	}
	if got != q.Want {
		var cs []string
		for _, c := range ans.Candidates {
			cs = append(cs, c.Account+" ("+c.Reason+")")
		}
		return fmt.Sprintf("got %q; candidates %v; notes %v", got, cs, ans.Notes)
	}
	if q.Gap != nil {
		for _, g := range ans.Gaps {
			if g.Source == q.Gap.Source && within(g.From, q.Gap.From) && within(g.To, q.Gap.To) {
				return ""
			}
		}
		return fmt.Sprintf("gaps %v, want %s from %s to %s", ans.Gaps, q.Gap.Source, q.Gap.From.Format(time.RFC3339), q.Gap.To.Format(time.RFC3339))
	}
	// Any other gap reported must be a configured one, seen from a moment
	// inside it: its ends are the device's last record before and first
	// after, or the edges of the engine's window.
	const slack = 5 * time.Minute
	for _, g := range ans.Gaps {
		ok := false
		for _, c := range gaps {
			ok = ok || g.Source == c.Source && g.From.Before(c.To) && g.To.After(c.From) &&
				!g.From.Before(c.From.Add(-slack)) && !g.To.After(c.To.Add(slack))
		}
		if !ok {
			return fmt.Sprintf("reported %v, which no configured gap holds", g)
		}
	}
	return ""
}

func within(a, b time.Time) bool { return a.Sub(b).Abs() <= time.Second }

// generatedQuestions sets how many questions TestGenerated asks: by
// default 2,000 under the race detector (CI) and 5,000 without; the flag
// asks more.
var generatedQuestions = flag.Int("generated.questions", defaultQuestions, "questions TestGenerated asks")
