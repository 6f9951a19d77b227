package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/warden-ops/warden/internal/bench"
)

// runBenchTrace generates a store (once: -reuse measures it again) and
// times trace-back questions against it with Warden, PostgreSQL and
// zgrep, each phase in a child process of its own.
func runBenchTrace(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench trace", stderr)
	c := bench.TraceConfig{}
	fs.StringVar(&c.Dir, "dir", "", "directory of the store, questions and baselines, kept for -reuse (default: a new temporary one, removed after)")
	fs.IntVar(&c.Records, "n", 50_000_000, "NAT records to generate (RADIUS sessions come on top)")
	fs.IntVar(&c.Days, "days", 0, fmt.Sprintf("days the records span (default: n / %d)", bench.DefaultNATPerDay))
	fs.IntVar(&c.Questions, "q", 1000, "questions, with ground truth, spread over the days")
	fs.IntVar(&c.BlockRecords, "block-records", 0, "records per store block (default: the store's, 65,536)")
	reuse := fs.Bool("reuse", false, "measure the store already generated in -dir")
	baselines := autoBool{}
	fs.Var(&baselines, "baselines", "write the text and COPY data and measure PostgreSQL and zgrep (default: on up to 100,000,000 records)")
	fs.IntVar(&c.ColdSample, "cold", 50, "questions asked with the page cache dropped (needs root; 0: warm only)")
	fs.IntVar(&c.ZgrepSample, "zgrep", 10, "questions zgrep answers")
	curve := fs.String("days-curve", "1,7,30,60", "days after which to measure the newest day while generating (empty: none)")
	fs.IntVar(&c.CurveQuestions, "curve-q", 200, "questions asked at each -days-curve day")
	fs.Uint64Var(&c.Seed, "seed", 1, "generator seed")
	fs.StringVar(&c.PGSharedBuffers, "pg-shared-buffers", "2GB", "PostgreSQL shared_buffers")
	fs.StringVar(&c.PGBin, "pg-bin", bench.DefaultPGBin, "PostgreSQL 15 server programs")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	phase := fs.String("phase", "", "internal: run one phase and print its result as JSON")
	curveFile := fs.String("curve-file", "", "internal: the questions of a curve measurement")
	if err := parse(fs, args); err != nil {
		return err
	}
	days, err := parseDays(*curve)
	if err != nil {
		return err
	}
	c.CurveDays = days
	if c.Days == 0 {
		c.Days = bench.TraceDays(c.Records)
	}
	c.Baselines = baselines.get(c.Records <= 100_000_000)
	c.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	if *phase != "" {
		return runTracePhase(*phase, *curveFile, c, args, stdout)
	}
	if c.ColdSample > 0 && os.Geteuid() != 0 {
		return fmt.Errorf("bench trace: -cold %d: %w", c.ColdSample, bench.ErrNotRoot)
	}
	if c.Dir == "" {
		d, err := os.MkdirTemp("", "warden-bench-trace-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		// The postgres user must reach the cluster inside.
		if err := os.Chmod(d, 0o755); err != nil {
			return err
		}
		c.Dir = d
	}
	rep, err := traceReport(c, *reuse, baselines, args)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", " ")
		return enc.Encode(rep)
	}
	rep.WriteText(stdout)
	return nil
}

// traceReport generates the store unless it is reused, then runs each
// system's phase.
func traceReport(c bench.TraceConfig, reuse bool, baselines autoBool, args []string) (*bench.TraceReport, error) {
	rep := &bench.TraceReport{Dir: c.Dir}
	gen, err := bench.LoadTraceGen(c.Dir)
	switch {
	case err == nil && !reuse:
		return nil, fmt.Errorf("bench trace: %s already holds a generated store: pass -reuse to measure it again, or remove it", c.Dir)
	case err == nil:
		rep.Reused = true
		c.Logger.Info("bench trace: reusing the generated store", "dir", c.Dir, "nat", gen.NATRecords, "days", gen.Days)
	case errors.Is(err, fs.ErrNotExist):
		if _, err := os.Stat(c.StoreDir()); err == nil {
			return nil, fmt.Errorf("bench trace: %s holds an unfinished generation: remove it", c.Dir)
		}
		gen = &bench.TraceGen{}
		if err := runTraceChild("generate", args, c.Dir, nil, gen); err != nil {
			return nil, fmt.Errorf("phase generate: %w", err)
		}
	default:
		return nil, err
	}
	rep.Gen = gen
	phases := []string{"warden"}
	switch {
	case gen.Baselines && baselines.set != nil && !*baselines.set:
	case gen.Baselines:
		phases = append(phases, "pg", "zgrep")
	case baselines.set != nil && *baselines.set:
		return nil, fmt.Errorf("bench trace: the store in %s was generated without the baselines' data: generate it again with -baselines", c.Dir)
	}
	for _, p := range phases {
		var run bench.TraceRun
		if err := runTraceChild(p, args, c.Dir, nil, &run); err != nil {
			return nil, fmt.Errorf("phase %s: %w", p, err)
		}
		rep.Runs = append(rep.Runs, run)
	}
	return rep, nil
}

// runTracePhase runs one phase in this process and prints its result.
func runTracePhase(phase, curveFile string, c bench.TraceConfig, args []string, stdout io.Writer) error {
	ctx := context.Background()
	var res any
	var err error
	if phase != "generate" {
		// Measure what was generated, whatever the flags say now.
		gen, err := bench.LoadTraceGen(c.Dir)
		if err != nil && phase != "curve" {
			return err
		}
		if gen != nil {
			c.Days = gen.Days
		}
	}
	switch phase {
	case "generate":
		c.Measure = func(day int, file string) (bench.TraceRun, error) {
			var run bench.TraceRun
			err := runTraceChild("curve", args, c.Dir, []string{"-curve-file", file}, &run)
			return run, err
		}
		res, err = bench.GenerateTrace(ctx, c)
	case "curve":
		c.ColdSample = min(c.ColdSample, c.CurveQuestions)
		res, err = bench.RunTraceWarden(ctx, c, curveFile)
	case "warden":
		res, err = bench.RunTraceWarden(ctx, c, c.QuestionsFile())
	case "pg":
		res, err = bench.RunTracePG(ctx, c)
	case "zgrep":
		res, err = bench.RunTraceZgrep(ctx, c)
	default:
		return fmt.Errorf("unknown phase %q", phase)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

// runTraceChild runs a phase in a child process and decodes its result
// into out.
func runTraceChild(phase string, args []string, dir string, extra []string, out any) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	argv := append([]string{"bench", "trace"}, args...)
	argv = append(argv, append([]string{"-phase", phase, "-dir", dir}, extra...)...)
	cmd := exec.Command(exe, argv...)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("phase output %q: %w", b, err)
	}
	return nil
}

func parseDays(s string) ([]int, error) {
	var days []int
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 1 {
			return nil, fmt.Errorf("bench trace: -days-curve %q: want days from 1, separated by commas", s)
		}
		days = append(days, d)
	}
	return days, nil
}

// autoBool is a boolean flag whose default is decided after parsing.
type autoBool struct{ set *bool }

func (b *autoBool) String() string {
	if b == nil || b.set == nil {
		return "auto"
	}
	return strconv.FormatBool(*b.set)
}

func (b *autoBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.set = &v
	return nil
}

// IsBoolFlag lets the flag be given without a value.
func (b *autoBool) IsBoolFlag() bool { return true }

func (b autoBool) get(def bool) bool {
	if b.set == nil {
		return def
	}
	return *b.set
}
