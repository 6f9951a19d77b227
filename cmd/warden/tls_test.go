package main

import (
	"crypto/tls"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestServeDevTLS starts warden serve with a generated development
// certificate and checks that the API answers over HTTPS, with HSTS, and
// still asks for credentials.
func TestServeDevTLS(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	cfg := filepath.Join(tmp, "w.yaml")
	os.WriteFile(cfg, []byte("http:\n  listen: 127.0.0.1:0\n  dev_tls: true\nprivacy:\n  key_dir: "+tmp+"/keys\n"+
		"syslog:\n  udp: ''\n  tcp: ''\nradius:\n  listen: ''\nipfix:\n  listen: ''\n"), 0o600)
	cmd := exec.Command(os.Args[0], "serve", "-config", cfg, "-data", dir)
	cmd.Env = append(os.Environ(), "WARDEN_TEST_MAIN=1")
	addr := startServe(t, cmd)
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	if _, err := os.Stat(filepath.Join(dir, "tls", "dev.key")); err != nil {
		t.Fatalf("no development key written: %v", err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // a self-signed test certificate
	resp, err := c.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Strict-Transport-Security") == "" || resp.TLS == nil {
		t.Errorf("GET https /healthz: %d, HSTS %q; want 401 over TLS with HSTS", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
}
