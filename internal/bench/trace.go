package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
	"github.com/warden-ops/warden/internal/synth"
)

// The trace benchmark generates a store day by day, one simulated CGNAT
// deployment a day (a synth.Deployment holds every event in memory, so one
// cannot hold a billion records), samples trace-back questions with their
// ground truth from the middle of each day, and then answers them with
// Warden's trace engine, PostgreSQL and zgrep over the same data.

// TraceConfig sets up the trace-back benchmark.
type TraceConfig struct {
	// Dir holds everything the benchmark generates: the store, the
	// questions, the baselines' text and the PostgreSQL cluster. It is
	// kept, so a large store is generated once and measured many times.
	Dir string
	// Records is about how many NAT records to generate; the RADIUS
	// session records the deployment emits come on top.
	Records int
	// Days is how many days the records span: each day is one deployment
	// sized to log Records/Days NAT records.
	Days int
	// Questions is how many questions to sample, spread over the days.
	Questions int
	// CurveDays are the days (from 1) after whose generation the newest
	// day's questions are measured, so that latency can be read against
	// the number of days kept. Days past Days are ignored.
	CurveDays []int
	// CurveQuestions is how many questions each curve day samples.
	CurveQuestions int
	// ColdSample is how many questions are also asked with the page
	// cache dropped before each (which needs root); 0 measures warm only.
	ColdSample int
	// ZgrepSample is how many questions zgrep answers.
	ZgrepSample int
	// Baselines writes, beside the store, the day's syslog and RADIUS
	// text (gzip'd, for zgrep) and the PostgreSQL COPY data.
	Baselines bool
	// Seed makes the data and the questions reproducible.
	Seed uint64
	// Start is the first day's midnight. Default 2026-09-01 UTC.
	Start time.Time
	// PGBin is where the PostgreSQL 15 server programs are; default
	// DefaultPGBin. PGSharedBuffers is its shared_buffers; default 2GB.
	PGBin, PGSharedBuffers string
	// BlockRecords overrides the store's block size; 0 keeps its default.
	// Tests set it to get several blocks out of a small store.
	BlockRecords int
	// Measure measures the newest day after each of CurveDays, given the
	// file holding that day's questions. The command runs it in a child
	// process; by default it runs RunTraceWarden in this one.
	Measure func(day int, questionsFile string) (TraceRun, error)
	// Logger receives progress; default discards.
	Logger *slog.Logger
}

// Validate reports the first setting that is out of range.
func (c *TraceConfig) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("trace bench: dir is required")
	case c.Records < 1000:
		return fmt.Errorf("trace bench: %d records, want at least 1000", c.Records)
	case c.Days < 1 || c.Days > 3660:
		return fmt.Errorf("trace bench: %d days out of range (1 to 3660)", c.Days)
	case c.Records/c.Days > maxNATPerDay:
		return fmt.Errorf("trace bench: %d NAT records a day, at most %d: use more days", c.Records/c.Days, maxNATPerDay)
	case c.Questions < 1:
		return errors.New("trace bench: at least one question is required")
	case c.ColdSample < 0 || c.ZgrepSample < 0 || c.CurveQuestions < 0:
		return errors.New("trace bench: negative sample size")
	}
	for _, d := range c.CurveDays {
		if d < 1 {
			return fmt.Errorf("trace bench: curve day %d, days count from 1", d)
		}
	}
	return nil
}

func (c TraceConfig) withDefaults() TraceConfig {
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Measure == nil {
		c.Measure = func(_ int, file string) (TraceRun, error) {
			return RunTraceWarden(context.Background(), c, file)
		}
	}
	return c
}

// Deployment sizing. A subscriber of the deployment below logs about 550
// NAT records a day: measured over 24-hour deployments of 1,764, 10,000,
// 30,000 and 40,000 subscribers (566, 570, 547 and 567 a subscriber; the
// seed moves it by a few percent). Nearly all of them come from the fifth
// of subscribers logged per flow (one create and one delete a flow, a
// flow a minute while online); the port-block subscribers log about 13 a
// day. Each subscriber also sends about 105 RADIUS records a day, mostly
// 15-minute interims.
const (
	natPerSubscriberDay = 550
	// subscribersPerAddr is the CGNAT's subscriber-to-address ratio, a
	// common sizing; with 512-port blocks it leaves the block pool about
	// half used.
	subscribersPerAddr = 64
	// maxNATPerDay is what synth's limit of 2^20 subscribers allows.
	maxNATPerDay = natPerSubscriberDay << 20
)

// DayConfig returns the deployment generated for day (from 0).
func (c *TraceConfig) DayConfig(day int) synth.DeploymentConfig {
	start := c.Start
	if start.IsZero() {
		start = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	}
	subs := max((c.Records/c.Days+natPerSubscriberDay-1)/natPerSubscriberDay, 20)
	return synth.DeploymentConfig{
		Subscribers: subs, PublicAddrs: max(subs/subscribersPerAddr, 8), Devices: 2,
		Start: start.AddDate(0, 0, day), Duration: 24 * time.Hour, Seed: c.Seed*1_000_003 + uint64(day),
		BlockShare: 0.8, NoNATShare: 0.02, IPv6Share: 0.3, ClockSkew: time.Second, LostStopRate: 0.02,
		FlowsPerMinute: 1,
	}
}

// DefaultNATPerDay is the daily NAT volume a benchmark day holds unless
// told otherwise: the billion records over 60 days.
const DefaultNATPerDay = 17_000_000

// TraceDays returns how many days n NAT records span at DefaultNATPerDay.
func TraceDays(n int) int { return max(1, (n+DefaultNATPerDay/2)/DefaultNATPerDay) }

// TraceQuestion is a sampled question with the account that truly used
// the address and port.
type TraceQuestion struct {
	Day    int        `json:"day"` // from 0
	Kind   string     `json:"kind"`
	Addr   netip.Addr `json:"addr"`
	Port   uint16     `json:"port"`
	At     time.Time  `json:"at"`
	Want   string     `json:"want"`
	Source string     `json:"source"`
}

// questionMargin keeps questions this far from either end of their day:
// each day is its own deployment, so near midnight the records of the
// next or previous day would hold mappings the day's ground truth does
// not know of.
const questionMargin = 2 * time.Hour

// dayQuestions samples n questions about NAT'd addresses from the middle
// of deployment d's day.
func dayQuestions(d *synth.Deployment, cfg synth.DeploymentConfig, day, n int, seed uint64) []TraceQuestion {
	if n <= 0 {
		return nil
	}
	lo, hi := cfg.Start.Add(questionMargin), cfg.Start.Add(cfg.Duration-questionMargin)
	var keep []TraceQuestion
	// Three of ten kinds ask about addresses without NAT or gaps, and a
	// sixth of each day is margin: ask for enough.
	for _, q := range d.Questions(3*n+20, seed) {
		if q.Source == "" || q.Want == "" || q.At.Before(lo) || q.At.After(hi) {
			continue
		}
		keep = append(keep, TraceQuestion{Day: day, Kind: string(q.Kind), Addr: q.Addr, Port: q.Port, At: q.At, Want: q.Want, Source: q.Source})
	}
	// The sampler lists questions kind by kind: shuffle before cutting.
	rng := rand.New(rand.NewPCG(seed, 77))
	rng.Shuffle(len(keep), func(i, j int) { keep[i], keep[j] = keep[j], keep[i] })
	return keep[:min(n, len(keep))]
}

// TraceGen is what generation produced and measured.
type TraceGen struct {
	// TargetNAT, Days and Seed are the configuration's.
	TargetNAT      int     `json:"target_nat_records"`
	Days           int     `json:"days"`
	Seed           uint64  `json:"seed"`
	Subscribers    int     `json:"subscribers_per_day"`
	PublicAddrs    int     `json:"public_addrs"`
	NATRecords     int     `json:"nat_records"`
	SessionRecords int     `json:"session_records"`
	Questions      int     `json:"questions"`
	Seconds        float64 `json:"seconds"`
	// PlanSeconds is the time spent planning deployments, which overlaps
	// the loading of the day before; WaitSeconds is how long loading
	// waited for a plan.
	PlanSeconds float64 `json:"plan_seconds"`
	WaitSeconds float64 `json:"wait_seconds"`
	// StoreBytes is the store's size after it was closed, less WALBytes,
	// the write-ahead log it had not yet trimmed (at most about one 64 MiB
	// file of records already sealed).
	StoreBytes int64 `json:"store_bytes"`
	WALBytes   int64 `json:"wal_bytes"`
	// TextBytes is the gzip'd syslog and RADIUS text, CopyBytes the
	// gzip'd COPY data, when Baselines was set.
	TextBytes int64        `json:"text_bytes"`
	CopyBytes int64        `json:"copy_bytes"`
	Baselines bool         `json:"baselines"`
	PeakRSS   int64        `json:"peak_rss"`
	Curve     []CurvePoint `json:"curve,omitempty"`
}

// Records returns the NAT and session records generated.
func (g *TraceGen) Records() int { return g.NATRecords + g.SessionRecords }

// RecordsPerSec returns the generation rate, records into the store a
// second of wall time, the text baselines included when written.
func (g *TraceGen) RecordsPerSec() float64 { return float64(g.Records()) / g.Seconds }

// BytesPerRecord returns the store's size per record.
func (g *TraceGen) BytesPerRecord() float64 { return float64(g.StoreBytes) / float64(g.Records()) }

// CurvePoint is the newest day's latency once Day days are kept.
type CurvePoint struct {
	Day     int      `json:"day"` // days kept, from 1
	Records int      `json:"records"`
	Run     TraceRun `json:"run"`
}

// Files in TraceConfig.Dir.
const (
	genFile       = "generate.json"
	questionsFile = "questions.json"
)

// StoreDir returns the directory of the benchmark's store.
func (c *TraceConfig) StoreDir() string { return filepath.Join(c.Dir, "store") }

// QuestionsFile returns the file holding the sampled questions.
func (c *TraceConfig) QuestionsFile() string { return filepath.Join(c.Dir, questionsFile) }

// LoadTraceGen reads what an earlier generation in dir recorded; the
// error wraps fs.ErrNotExist when dir holds none.
func LoadTraceGen(dir string) (*TraceGen, error) {
	b, err := os.ReadFile(filepath.Join(dir, genFile))
	if err != nil {
		return nil, err
	}
	var g TraceGen
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("read %s: %w", genFile, err)
	}
	return &g, nil
}

// plannedDay is one day's deployment, planned ahead of its loading.
type plannedDay struct {
	day       int
	d         *synth.Deployment
	questions []TraceQuestion
	curve     []TraceQuestion
	plan      time.Duration
	err       error
}

// GenerateTrace generates the store, the questions and (with Baselines)
// the text and COPY data in c.Dir, which must not hold a store yet. The
// next day is planned while the current one loads; loading pauses for
// each curve measurement so that it runs on a quiet machine.
func GenerateTrace(ctx context.Context, c TraceConfig) (*TraceGen, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	if _, err := os.Stat(c.StoreDir()); err == nil {
		return nil, fmt.Errorf("generate trace store: %s already holds a store", c.Dir)
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create bench dir: %w", err)
	}
	st, err := store.Open(store.Config{Dir: c.StoreDir(), BlockRecords: c.BlockRecords, Logger: c.Logger})
	if err != nil {
		return nil, err
	}
	g := &generator{c: c, st: st}
	if c.Baselines {
		if g.text, err = newTextWriter(c); err != nil {
			return nil, errors.Join(err, st.Close())
		}
		g.textCh = make(chan textBatch, 2)
		g.textDone.Go(g.textLoop)
	}
	res, err := g.run(ctx)
	err = errors.Join(err, g.close())
	if err != nil {
		return nil, err
	}
	res.StoreBytes, res.WALBytes = storeBytes(c.StoreDir())
	if g.text != nil {
		res.TextBytes, res.CopyBytes = g.text.sizes()
	}
	res.PeakRSS = peakRSS()
	if err := writeJSON(filepath.Join(c.Dir, genFile), res); err != nil {
		return nil, err
	}
	return res, nil
}

// generator loads planned days into the store. Batches go to one
// appender goroutine (so that building records overlaps the write-ahead
// log's fsync) and to the text writer.
type generator struct {
	c        TraceConfig
	st       *store.Store
	text     *textWriter
	inflight sync.WaitGroup // batches not yet appended and written as text
	mu       sync.Mutex
	err      error // guarded by mu: the first append or text error
	appendCh chan []*record.Record
	textCh   chan textBatch
	textDone sync.WaitGroup
}

// traceBatch is the records per Append: large enough to amortize the
// write-ahead log's fsync, well under the store's MaxPending.
const traceBatch = 8192

func (g *generator) fail(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil {
		g.err = err
	}
}

func (g *generator) failed() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

func (g *generator) run(ctx context.Context) (*TraceGen, error) {
	c := &g.c
	dc := c.DayConfig(0)
	res := &TraceGen{TargetNAT: c.Records, Days: c.Days, Seed: c.Seed, Subscribers: dc.Subscribers, PublicAddrs: dc.PublicAddrs, Baselines: c.Baselines}
	want, ready := make(chan int, 1), make(chan plannedDay, 1)
	defer close(want)
	go g.plan(want, ready)
	g.appendCh = make(chan []*record.Record, 2)
	var appender sync.WaitGroup
	appender.Go(g.appendLoop)
	defer func() { close(g.appendCh); appender.Wait() }()

	var questions []TraceQuestion
	start := time.Now()
	want <- 0
	for day := range c.Days {
		t := time.Now()
		p := <-ready
		res.WaitSeconds += time.Since(t).Seconds()
		res.PlanSeconds += p.plan.Seconds()
		if p.err != nil {
			return nil, fmt.Errorf("plan day %d: %w", day+1, p.err)
		}
		curve := len(p.curve) > 0
		if day+1 < c.Days && !curve {
			want <- day + 1
		}
		t = time.Now()
		nat, sess, err := g.load(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("load day %d: %w", day+1, err)
		}
		res.NATRecords += nat
		res.SessionRecords += sess
		questions = append(questions, p.questions...)
		c.Logger.Info("trace bench: day generated", "day", day+1, "of", c.Days, "nat", nat, "sessions", sess,
			"plan", p.plan.Round(time.Millisecond), "load", time.Since(t).Round(time.Millisecond))
		if curve {
			pt, err := g.measure(p, res.Records())
			if err != nil {
				return nil, err
			}
			res.Curve = append(res.Curve, pt)
			if day+1 < c.Days {
				want <- day + 1
			}
		}
	}
	g.inflight.Wait()
	if err := g.failed(); err != nil {
		return nil, err
	}
	if err := g.st.Flush(); err != nil {
		return nil, err
	}
	res.Seconds = time.Since(start).Seconds()
	res.Questions = len(questions)
	return res, writeJSON(c.QuestionsFile(), questions)
}

// plan plans each day asked for on want and sends it on ready.
func (g *generator) plan(want <-chan int, ready chan<- plannedDay) {
	c := &g.c
	for day := range want {
		t := time.Now()
		cfg := c.DayConfig(day)
		d, err := synth.NewDeployment(cfg)
		p := plannedDay{day: day, d: d, err: err}
		if err == nil {
			lo, hi := day*c.Questions/c.Days, (day+1)*c.Questions/c.Days
			p.questions = dayQuestions(d, cfg, day, hi-lo, cfg.Seed^0x51)
			if slices.Contains(c.CurveDays, day+1) {
				p.curve = dayQuestions(d, cfg, day, max(c.CurveQuestions, 1), cfg.Seed^0xc0)
			}
		}
		p.plan = time.Since(t)
		ready <- p
	}
}

// load emits the day's records into the store (and the text writer) in
// batches, and returns how many NAT and session records it emitted.
func (g *generator) load(ctx context.Context, p plannedDay) (nat, sess int, err error) {
	batch := make([]*record.Record, 0, traceBatch)
	send := func() error {
		if err := g.failed(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		if g.text != nil {
			g.inflight.Add(1)
			g.textCh <- textBatch{day: p.day, recs: batch}
		}
		g.inflight.Add(1)
		g.appendCh <- batch
		batch = make([]*record.Record, 0, traceBatch)
		return nil
	}
	err = p.d.Emit(func(r *record.Record) error {
		if r.Kind == record.KindNAT {
			nat++
		} else {
			sess++
		}
		batch = append(batch, r)
		if len(batch) == traceBatch {
			return send()
		}
		return nil
	})
	if err == nil {
		err = send()
	}
	return nat, sess, err
}

func (g *generator) appendLoop() {
	for b := range g.appendCh {
		if g.failed() == nil {
			if err := appendRetry(g.st, b); err != nil {
				g.fail(fmt.Errorf("append: %w", err))
			}
		}
		g.inflight.Done()
	}
}

// appendRetry appends b, waiting while the store pushes back.
func appendRetry(st *store.Store, b []*record.Record) error {
	for {
		_, err := st.Append(b)
		if !errors.Is(err, store.ErrBackpressure) {
			return err
		}
		time.Sleep(time.Millisecond)
	}
}

// measure seals what is pending and measures the newest day's questions.
func (g *generator) measure(p plannedDay, records int) (CurvePoint, error) {
	g.inflight.Wait()
	if err := g.failed(); err != nil {
		return CurvePoint{}, err
	}
	if err := g.st.Flush(); err != nil {
		return CurvePoint{}, err
	}
	file := filepath.Join(g.c.Dir, fmt.Sprintf("curve-day-%03d.json", p.day+1))
	if err := writeJSON(file, p.curve); err != nil {
		return CurvePoint{}, err
	}
	run, err := g.c.Measure(p.day+1, file)
	if err != nil {
		return CurvePoint{}, fmt.Errorf("measure after day %d: %w", p.day+1, err)
	}
	g.c.Logger.Info("trace bench: newest day measured", "days_kept", p.day+1, "warm_p99_ms", run.Warm.P99)
	return CurvePoint{Day: p.day + 1, Records: records, Run: run}, nil
}

// textLoop writes the batches as text. The store keeps the records, but
// only sets their IDs, which the text does not read.
func (g *generator) textLoop() {
	for b := range g.textCh {
		if g.failed() == nil {
			if err := g.text.write(b); err != nil {
				g.fail(fmt.Errorf("write text: %w", err))
			}
		}
		g.inflight.Done()
	}
}

func (g *generator) close() error {
	var err error
	if g.text != nil {
		close(g.textCh)
		g.textDone.Wait()
		err = g.text.close()
	}
	return errors.Join(err, g.st.Close())
}

// storeBytes returns the size of the store in dir, less its write-ahead
// log, and that log's size.
func storeBytes(dir string) (kept, wal int64) {
	wal = dirSize(filepath.Join(dir, "wal"))
	return dirSize(dir) - wal, wal
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// ReadTraceQuestions reads a questions file that generation wrote.
func ReadTraceQuestions(path string) ([]TraceQuestion, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var qs []TraceQuestion
	if err := json.Unmarshal(b, &qs); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	return qs, nil
}
