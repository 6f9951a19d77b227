package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/warden-ops/warden/internal/bench"
)

func runBench(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "store" {
		return runBenchStore(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "syslog" {
		return runBenchSyslog(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "trace" {
		return runBenchTrace(args[1:], stdout, stderr)
	}
	return errors.New("bench: want a benchmark name: store, syslog or trace")
}

// runBenchSyslog sends the same CGNAT syslog stream over TCP to rsyslogd
// writing a file and to warden serve storing it, and compares the rates.
func runBenchSyslog(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench syslog", stderr)
	c := bench.SyslogConfig{Timeout: 10 * time.Minute}
	fs.IntVar(&c.Lines, "n", 1_000_000, "syslog lines to send")
	fs.IntVar(&c.Conns, "conns", 2, "TCP connections")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Minute, "give up on a receiver after this long")
	if err := parse(fs, args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	c.Warden = exe
	d, err := os.MkdirTemp("", "warden-bench-syslog-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(d)
	c.Dir = d
	fmt.Fprintf(stdout, "bench syslog: %d Juniper RT_FLOW CGNAT lines over %d TCP connections\n", c.Lines, c.Conns)
	res, err := bench.RunSyslog(context.Background(), c)
	if err != nil {
		return err
	}
	for _, r := range res {
		fmt.Fprintf(stdout, "%-50s %12.0f lines/s (%.2fs)\n", r.Receiver, r.LinesPerSec(), r.Seconds)
	}
	fmt.Fprintf(stdout, "ratio: warden %.2fx rsyslog\n", res[1].LinesPerSec()/res[0].LinesPerSec())
	return nil
}

// runBenchStore measures the store's write path beside its baselines, each
// phase in a child process of its own.
func runBenchStore(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench store", stderr)
	c := bench.StoreConfig{}
	fs.IntVar(&c.Records, "n", 2_000_000, "NAT records to write")
	fs.IntVar(&c.Batch, "batch", 8192, "records per append")
	fs.IntVar(&c.Writers, "writers", 2, "concurrent appenders")
	fs.StringVar(&c.Dir, "dir", "", "scratch directory (default: a new temporary one, removed after)")
	fs.BoolVar(&c.Destinations, "dest", false, "the device logs destination address and port")
	fs.Uint64Var(&c.Seed, "seed", 1, "generator seed")
	textLines := fs.Int("text-lines", 200_000, "syslog lines compressed for the text baselines")
	phase := fs.String("phase", "", "internal: run one phase and print its result as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *phase != "" {
		var res bench.PhaseResult
		var err error
		switch *phase {
		case "warden":
			res, err = bench.RunWarden(c)
		case "plain":
			res, err = bench.RunPlain(c)
		default:
			return fmt.Errorf("unknown phase %q", *phase)
		}
		if err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(res)
	}
	if c.Dir == "" {
		d, err := os.MkdirTemp("", "warden-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		c.Dir = d
	}
	fmt.Fprintf(stdout, "bench store: %d synthetic CGNAT NAT records (destinations logged: %v), batches of %d, %d writers, in %s\n",
		c.Records, c.Destinations, c.Batch, c.Writers, c.Dir)
	results := map[string]bench.PhaseResult{}
	for _, p := range []string{"plain", "warden"} {
		res, err := runPhase(p, args, c.Dir)
		if err != nil {
			return fmt.Errorf("phase %s: %w", p, err)
		}
		results[p] = res
	}
	ts, err := bench.MeasureText(c, min(*textLines, c.Records))
	if err != nil {
		return fmt.Errorf("text baseline: %w", err)
	}
	w, p := results["warden"], results["plain"]
	fmt.Fprintf(stdout, "\n%-34s %14s %14s %12s\n", "", "records/s", "bytes/record", "peak RSS")
	fmt.Fprintf(stdout, "%-34s %14.0f %14.2f %9d MiB\n", "warden: durable and sealed", w.RecordsPerSec(), w.BytesPerRecord(), w.PeakRSS>>20)
	fmt.Fprintf(stdout, "%-34s %14.0f %14.2f %9d MiB\n", "baseline: plain write, same fsyncs", p.RecordsPerSec(), p.BytesPerRecord(), p.PeakRSS>>20)
	perLine := func(n int64) float64 { return float64(n) / float64(ts.Lines) }
	fmt.Fprintf(stdout, "%-34s %14s %14.2f\n", fmt.Sprintf("baseline: syslog text (%d lines)", ts.Lines), "", perLine(ts.Raw))
	fmt.Fprintf(stdout, "%-34s %14s %14.2f\n", "baseline: text, gzip -6", "", perLine(ts.Gzip6))
	fmt.Fprintf(stdout, "%-34s %14s %14.2f\n", "baseline: text, "+ts.ZstdTool, "", perLine(ts.Zstd))
	fmt.Fprintf(stdout, "\nratios: ingest %.2fx the plain write; size %.1fx smaller than gzip -6, %.1fx smaller than zstd -19\n",
		w.RecordsPerSec()/p.RecordsPerSec(), perLine(ts.Gzip6)/w.BytesPerRecord(), perLine(ts.Zstd)/w.BytesPerRecord())
	fmt.Fprintf(stdout, "verify: %.0f records/s on 1 worker, %.0f on 2; backpressure retries: %d\n", w.VerifyRate1, w.VerifyRate2, w.Retries)
	return nil
}

func runPhase(phase string, args []string, dir string) (bench.PhaseResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return bench.PhaseResult{}, err
	}
	cmd := exec.Command(exe, append([]string{"bench", "store", "-phase", phase, "-dir", dir}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return bench.PhaseResult{}, err
	}
	var res bench.PhaseResult
	if err := json.Unmarshal(out, &res); err != nil {
		return res, fmt.Errorf("phase output %q: %w", out, err)
	}
	return res, nil
}
