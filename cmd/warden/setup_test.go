package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// setupIngestToken does what an operator does on a new installation:
// creates the first administrator with the bootstrap token the first
// start wrote, signs in, creates an operator for ingestion and returns a
// token for it.
func setupIngestToken(t *testing.T, base, dataDir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "access", "bootstrap-token"))
	if err != nil {
		t.Fatalf("read bootstrap token: %v", err)
	}
	jar, _ := newJar()
	c := &http.Client{Jar: jar}
	call := func(path, body string, want int) []byte {
		t.Helper()
		resp, err := c.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("POST %s = %s %s, want %d", path, resp.Status, out, want)
		}
		return out
	}
	call("/api/v1/bootstrap", `{"token":"`+strings.TrimSpace(string(b))+`","name":"admin","password":"correct horse battery"}`, http.StatusCreated)
	call("/api/v1/login", `{"name":"admin","password":"correct horse battery"}`, http.StatusOK)
	call("/api/v1/users", `{"name":"ingest","roles":["operator"]}`, http.StatusCreated)
	out := call("/api/v1/users/ingest/tokens", `{"name":"crash test"}`, http.StatusCreated)
	var tok struct{ Token string }
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&tok); err != nil || tok.Token == "" {
		t.Fatalf("token answer %s: %v", out, err)
	}
	return tok.Token
}

func newJar() (http.CookieJar, error) { return cookiejar.New(nil) }
