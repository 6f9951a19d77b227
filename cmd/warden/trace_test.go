package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/privacy"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// TestTraceConfig traces with -config: a deterministic NAT rule from the
// file gives the mapping (only the RADIUS session is logged), and the
// account's registration is shown masked with the keys of
// privacy.key_dir.
func TestTraceConfig(t *testing.T) {
	dir, keys := t.TempDir(), filepath.Join(t.TempDir(), "keys")
	vault, err := privacy.Open(keys)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := vault.Seal("alice", map[string]string{"name": "张三丰", "phone": "13800138000"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := record.ParseJSON([]byte(`{"kind":"session","time":"2026-11-01T01:00:00Z","received":"2026-11-01T01:00:00Z","source":"bras-1","event":"start","account":"alice","addr":"100.64.0.17","session_id":"s1"}`))
	if err != nil {
		t.Fatal(err)
	}
	reg := &record.Record{Kind: record.KindRegistration, EventTime: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Source: "crm",
		Registration: &record.Registration{Account: "alice", Fields: fields}}
	if _, err := st.Append([]*record.Record{sess, reg}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "warden.yaml")
	yaml := "data_dir: " + dir + "\nprivacy:\n  key_dir: " + keys + `
trace:
  deterministic:
    - name: det-1
      device: cgn-3
      inside: 100.64.0.0/22
      outside: 203.0.113.0/26
      ports_per_subscriber: 4000
      first_port: 1024
      from: 2026-01-01
`
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	evidence := filepath.Join(t.TempDir(), "evidence.json")
	got, err := runCmd(t, "trace", "-config", cfg, "-evidence", evidence, "203.0.113.1:5100", "-at", "2026-11-01T10:00:00+08:00")
	if err != nil {
		t.Fatalf("warden trace -config = %v\n%s", err, got)
	}
	for _, want := range []string{"1. alice", "deterministic NAT rule det-1 (RFC 7422)", "registration registration:1 from crm at 2026-10-01T00:00:00Z (masked): name 张*丰, phone *******8000",
		"deterministic NAT rule (configured policy, not a logged record): det-1 on cgn-3: 100.64.0.0/22 onto 203.0.113.0/26"} {
		if !strings.Contains(got, want) {
			t.Errorf("warden trace output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "13800138000") || strings.Contains(got, "张三丰") {
		t.Errorf("warden trace shows a personal field in clear:\n%s", got)
	}
	got, err = runCmd(t, "verify-proof", evidence)
	if err != nil || !strings.Contains(got, "answer 1: alice") || !strings.Contains(got, "policy, not proven: deterministic NAT rule det-1") ||
		!strings.Contains(got, "2 records verified") {
		t.Errorf("warden verify-proof = %v\n%s\nwant alice, the rule as policy, and the session and registration proven", err, got)
	}

	// Without the keys the answer stands, without the registration.
	if err := os.RemoveAll(keys); err != nil {
		t.Fatal(err)
	}
	got, err = runCmd(t, "trace", "-config", cfg, "203.0.113.1:5100", "-at", "2026-11-01T10:00:00+08:00")
	if err != nil || !strings.Contains(got, "1. alice") || !strings.Contains(got, "registrations not shown") || strings.Contains(got, "registration registration:") {
		t.Errorf("warden trace without keys = %v\n%s\nwant alice and a word that registrations are not shown", err, got)
	}
	if _, err := os.Stat(keys); err == nil {
		t.Error("warden trace created the key directory")
	}
}
