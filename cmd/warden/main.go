// Command warden keeps the records that China's Internet security
// protection measures (MPS Order 82) require, in a tamper-evident store.
//
//	warden serve          run the collectors and the HTTP API
//	warden verify         check a store against its signed checkpoints
//	warden trace ADDR     who used an address and port at a time
//	warden proof ID       write the offline proof of one record
//	warden verify-proof   check a proof bundle or evidence file offline
//	warden bench store    measure the write path against baselines
//	warden bench trace    measure trace-back latency against PostgreSQL and zgrep
//
// Subcommands only read flags and configuration, build the components,
// wire them and handle signals; the work is in the internal packages.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/warden-ops/warden/internal/config"
)

// exitError carries a process exit status for a failure already reported.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

type command struct {
	name, usage string
	run         func(args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"serve", "run Warden: HTTP API and store", runServe},
	{"verify", "check a store against its signed checkpoints", runVerify},
	{"trace", "who used an address and port at a time", runTrace},
	{"proof", "write the offline proof bundle of one record", runProof},
	{"verify-proof", "check a proof bundle or evidence file offline", runVerifyProof},
	{"bench", "benchmarks: bench store, bench syslog, bench trace", runBench},
}

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	var ee exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		os.Exit(int(ee))
	default:
		fmt.Fprintln(os.Stderr, "warden:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitError(2)
		}
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: warden <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun warden <command> -h for a command's flags.")
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("warden "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parse parses args, turning -h into a clean exit. Flags may come before
// or after the positional arguments ("proof nat:7 -o f" works); the
// positional ones are left in fs.Args().
func parse(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitError(0)
			}
			return exitError(2)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

// loadConfig reads the configuration file, or the defaults if path is "".
func loadConfig(path string) (*config.File, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.Level)) // validated by config.Parse
	opts := &slog.HandlerOptions{Level: lvl}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
