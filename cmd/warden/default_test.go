package main

import (
	"log/slog"
	"testing"

	"github.com/warden-ops/warden/internal/config"
	"github.com/warden-ops/warden/internal/store"
)

// TestDefaultConfigServes builds every collector from the built-in
// defaults (on free ports), as `go run ./cmd/warden serve` does on a fresh
// machine: a listener that refuses its defaults would stop the server.
func TestDefaultConfigServes(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Syslog.UDP, cfg.Syslog.TCP = "127.0.0.1:0", "127.0.0.1:0"
	cfg.RADIUS.Listen, cfg.IPFIX.Listen = "127.0.0.1:0", "127.0.0.1:0"
	scfg, err := cfg.StoreConfig()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(scfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	col, err := newCollectors(cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("collectors from the default configuration: %v", err)
	}
	if col.syslog == nil || col.radius == nil || col.ipfix == nil {
		t.Errorf("default collectors: syslog %v, radius %v, ipfix %v; want all on", col.syslog != nil, col.radius != nil, col.ipfix != nil)
	}
	for _, c := range []interface{ Close() error }{col.radius, col.ipfix} {
		c.Close()
	}
}
