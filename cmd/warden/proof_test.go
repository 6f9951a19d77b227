package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
	"github.com/warden-ops/warden/internal/synth"
)

func makeStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(store.Config{Dir: dir, BlockRecords: 500})
	if err != nil {
		t.Fatal(err)
	}
	g := synth.NewCGNAT(synth.DefaultCGNAT)
	recs := make([]*record.Record, 1200)
	for i := range recs {
		recs[i] = g.Next()
	}
	if _, err := st.Append(recs); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestProofCommands(t *testing.T) {
	dir := makeStore(t)
	bundle := filepath.Join(t.TempDir(), "nat-777.json")
	if out, err := runCmd(t, "proof", "-data", dir, "-o", bundle, "nat:777"); err != nil {
		t.Fatalf("warden proof: %v\n%s", err, out)
	}
	st, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for r, err := range st.Scan(t.Context(), store.Query{Kind: record.KindAudit}) {
		if err != nil {
			t.Fatal(err)
		}
		audited = audited || (r.Audit.Action == "warden proof" && r.Audit.Query == "id=nat:777" && strings.HasPrefix(r.Audit.Actor, "cli:"))
	}
	st.Close()
	if !audited {
		t.Error("warden proof left no audit record")
	}
	key, _ := os.ReadFile(filepath.Join(dir, "keys", "checkpoint.pub"))
	out, err := runCmd(t, "verify-proof", "-key", strings.TrimSpace(string(key)), bundle)
	if err != nil || !strings.Contains(out, "OK: nat:777") {
		t.Fatalf("warden verify-proof = %v, %q; want OK", err, out)
	}
	out, err = runCmd(t, "verify-proof", bundle)
	if err != nil || !strings.Contains(out, "bundle's own key") {
		t.Errorf("verify-proof without -key = %v, %q; want OK with a note about the key", err, out)
	}
	// One altered byte anywhere that matters fails with a message that
	// names the broken link.
	data, _ := os.ReadFile(bundle)
	for _, c := range []struct{ from, to, want string }{
		{`"index": 276`, `"index": 275`, "record id"},
		{`"inside_port": `, `"inside_port": 1`, "record"},
		{`"log_index": 1`, `"log_index": 0`, "entry in log"},
	} {
		bad := strings.Replace(string(data), c.from, c.to, 1)
		if bad == string(data) {
			t.Fatalf("bundle has no %q to alter:\n%s", c.from, data)
		}
		path := filepath.Join(t.TempDir(), "bad.json")
		os.WriteFile(path, []byte(bad), 0o600)
		out, err := runCmd(t, "verify-proof", path)
		var ee exitError
		if !errors.As(err, &ee) || ee != 1 || !strings.Contains(out, "FAILED") || !strings.Contains(out, c.want) {
			t.Errorf("verify-proof(%s -> %s) = %v, %q; want FAILED naming %q", c.from, c.to, err, out, c.want)
		}
	}
}

func TestVerifyCommand(t *testing.T) {
	dir := makeStore(t)
	out, err := runCmd(t, "verify", "-data", dir)
	if err != nil || !strings.Contains(out, "OK: verified") || !strings.Contains(out, "1200 records") {
		t.Fatalf("warden verify = %v, %q", err, out)
	}
	cp := filepath.Join(t.TempDir(), "cp")
	b, _ := os.ReadFile(filepath.Join(dir, "log", "checkpoint"))
	os.WriteFile(cp, b, 0o600)
	if out, err := runCmd(t, "verify", "-data", dir, "-checkpoint", cp); err != nil {
		t.Fatalf("warden verify -checkpoint = %v, %q", err, out)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "segments", "nat", "*.seg"))
	os.Remove(segs[0])
	out, err = runCmd(t, "verify", "-data", dir)
	var ee exitError
	if !errors.As(err, &ee) || ee != 1 || !strings.Contains(out, "FAIL deleted") {
		t.Errorf("warden verify after deleting a segment = %v, %q; want exit 1 and FAIL deleted", err, out)
	}
}

func TestTraceCommand(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	rs := []string{
		`{"kind":"session","time":"2026-11-01T01:00:00Z","received":"2026-11-01T01:00:00Z","source":"bras-1","event":"start","account":"alice","addr":"100.64.0.7","session_id":"s1"}`,
		`{"kind":"nat","time":"2026-11-01T01:59:00Z","received":"2026-11-01T01:59:00Z","source":"cgn-1","event":"block-alloc","inside_addr":"100.64.0.7","outside_addr":"203.0.113.7","outside_port":40000,"outside_port_end":40511}`,
	}
	var recs []*record.Record
	for _, line := range rs {
		r, err := record.ParseJSON([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if _, err := st.Append(recs); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, err := runCmd(t, "trace", "-data", dir, "203.0.113.7:40001", "-at", "2026-11-01T10:00:00+08:00")
	if err != nil || !strings.Contains(out, "1. alice") || !strings.Contains(out, "session:1") || !strings.Contains(out, "nat:1") {
		t.Errorf("warden trace = %v\n%s\nwant alice with the records it rests on", err, out)
	}
}
