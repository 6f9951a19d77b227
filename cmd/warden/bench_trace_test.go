package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/warden-ops/warden/internal/bench"
)

// TestBenchTrace runs warden bench trace on a tiny store, Warden alone and
// warm, its phases in child processes (the test binary acting as warden),
// then measures the same store again with -reuse.
func TestBenchTrace(t *testing.T) {
	t.Setenv("WARDEN_TEST_MAIN", "1")
	dir := t.TempDir()
	args := []string{"bench", "trace", "-dir", dir, "-n", "40000", "-days", "2", "-q", "20", "-cold", "0",
		"-days-curve", "2", "-curve-q", "5", "-baselines=false"}
	var out, errOut bytes.Buffer
	if err := run(append(args, "-json"), &out, &errOut); err != nil {
		t.Fatalf("bench trace: %v\n%s", err, errOut.String())
	}
	var rep bench.TraceReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("bench trace -json printed %q: %v", out.String(), err)
	}
	if rep.Gen == nil || rep.Gen.Days != 2 || rep.Gen.NATRecords == 0 || len(rep.Gen.Curve) != 1 || rep.Gen.Curve[0].Day != 2 {
		t.Errorf("generation = %+v, want 2 days and a curve point after day 2", rep.Gen)
	}
	if len(rep.Runs) != 1 || rep.Runs[0].System != "warden" || rep.Runs[0].Warm.Questions != rep.Gen.Questions {
		t.Errorf("runs = %+v, want warden's answers to the %d questions", rep.Runs, rep.Gen.Questions)
	}

	if err := run(args, &out, &errOut); err == nil || !strings.Contains(err.Error(), "-reuse") {
		t.Errorf("bench trace on a generated store without -reuse = %v, want an error that points to -reuse", err)
	}
	out.Reset()
	if err := run(append(args, "-reuse"), &out, &errOut); err != nil {
		t.Fatalf("bench trace -reuse: %v\n%s", err, errOut.String())
	}
	if s := out.String(); !strings.Contains(s, "reused") || !strings.Contains(s, "warden ") || !strings.Contains(s, "days kept") {
		t.Errorf("bench trace -reuse printed:\n%s\nwant the reused store's table and curve", s)
	}
}
