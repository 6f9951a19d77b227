package main

import (
	"encoding/json"
	"errors"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-ops/warden/internal/query"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

func TestEvidenceCommands(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var recs []*record.Record
	for _, line := range []string{
		`{"kind":"session","time":"2026-11-01T01:00:00Z","received":"2026-11-01T01:00:00Z","source":"bras-1","event":"start","account":"alice","addr":"100.64.0.7","session_id":"s1"}`,
		`{"kind":"nat","time":"2026-11-01T01:59:00Z","received":"2026-11-01T01:59:00Z","source":"cgn-1","event":"block-alloc","inside_addr":"100.64.0.7","outside_addr":"203.0.113.7","outside_port":40000,"outside_port_end":40511}`,
	} {
		r, err := record.ParseJSON([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if _, err := st.Append(recs); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	evidence, report := filepath.Join(out, "evidence.json"), filepath.Join(out, "report.html")
	if got, err := runCmd(t, "trace", "-data", dir, "-case", "case-7", "-evidence", evidence, "-report", report,
		"203.0.113.7:40001", "-at", "2026-11-01T10:00:00+08:00"); err != nil || !strings.Contains(got, "1. alice") {
		t.Fatalf("warden trace -evidence = %v\n%s", err, got)
	}
	for _, p := range []string{evidence, report} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("stat %s = %v, %v; want mode 0600", p, fi.Mode(), err)
		}
	}
	key, _ := os.ReadFile(filepath.Join(dir, "keys", "checkpoint.pub"))
	got, err := runCmd(t, "verify-proof", "-key", strings.TrimSpace(string(key)), evidence)
	if err != nil || !strings.Contains(got, "OK: evidence for who used 203.0.113.7 port 40001") ||
		!strings.Contains(got, "answer 1: alice") || !strings.Contains(got, "2 records verified") || strings.Contains(got, "own key") {
		t.Fatalf("warden verify-proof EVIDENCE = %v\n%s", err, got)
	}
	if got, err := runCmd(t, "verify-proof", evidence); err != nil || !strings.Contains(got, "evidence's own key") {
		t.Errorf("verify-proof EVIDENCE without -key = %v\n%s\nwant OK with a note about the key", err, got)
	}

	data, _ := os.ReadFile(evidence)
	bad := strings.Replace(string(data), `"inside_addr": "100.64.0.7"`, `"inside_addr": "100.64.0.8"`, 1)
	if bad == string(data) {
		t.Fatalf("evidence has no inside address to alter:\n%s", data)
	}
	badPath := filepath.Join(out, "bad.json")
	os.WriteFile(badPath, []byte(bad), 0o600)
	got, err = runCmd(t, "verify-proof", badPath)
	var ee exitError
	if !errors.As(err, &ee) || ee != 1 || !strings.Contains(got, "FAILED") || !strings.Contains(got, "proof of nat:1") {
		t.Errorf("verify-proof(altered evidence) = %v, %q; want FAILED naming proof of nat:1", err, got)
	}

	page, _ := os.ReadFile(report)
	text := html.UnescapeString(string(page))
	// The store has moved on (the trace's audit record was sealed since),
	// so the report shows the evidence's checkpoint, not the latest.
	var ev query.Evidence
	if err := json.Unmarshal(data, &ev); err != nil || ev.Checkpoint == "" {
		t.Fatalf("decode evidence: %v", err)
	}
	for _, want := range []string{"who used 203.0.113.7 port 40001 at 2026-11-01T10:00:00+08:00?", "alice", "case-7",
		ev.Checkpoint, "warden verify-proof"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
