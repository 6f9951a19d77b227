package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/httpapi"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// TestCrashRecovery runs warden serve as a child process, ingests over
// HTTP from two clients, and kills the server with SIGKILL at random
// moments. After every kill warden verify must pass, and after recovery
// every record the server acknowledged must be there, unchanged.
func TestCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "warden.yaml")
	// Small, young blocks, so kills land during sealing as well as
	// during ingest.
	os.WriteFile(cfg, []byte("store:\n  block_records: 300\n  block_age: 50ms\nprivacy:\n  key_dir: "+t.TempDir()+
		"\nsyslog:\n  udp: ''\n  tcp: ''\nradius:\n  listen: ''\nipfix:\n  listen: ''\n"), 0o600)
	acked := map[record.ID]string{}
	var token string
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	const kills = 24
	for iter := range kills {
		cmd := exec.Command(os.Args[0], "serve", "-config", cfg, "-data", dir, "-listen", "127.0.0.1:0")
		cmd.Env = append(os.Environ(), "WARDEN_TEST_MAIN=1")
		addr := startServe(t, cmd)
		if token == "" {
			token = setupIngestToken(t, "http://"+addr, dir)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 2 {
			wg.Go(func() {
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					got, err := postBatch(addr, token, fmt.Sprintf("i%d-w%d-b%d", iter, w, n), 1+rand.IntN(50))
					if err != nil {
						return // the server is gone
					}
					mu.Lock()
					for id, marker := range got {
						acked[id] = marker
					}
					mu.Unlock()
				}
			})
		}
		time.Sleep(time.Duration(20+rng.IntN(300)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		close(stop)
		wg.Wait()

		if out, err := runCmd(t, "verify", "-data", dir); err != nil {
			t.Fatalf("kill %d: warden verify failed: %v\n%s", iter+1, err, out)
		}
		// Every other kill, check the records here (recovering in this
		// process); otherwise the next server has to recover first.
		if iter%2 == 1 || iter == kills-1 {
			checkAcked(t, dir, acked)
		}
	}
	if len(acked) < 1000 {
		t.Errorf("only %d records acknowledged over %d runs: the test did not exercise the server", len(acked), kills)
	}
	t.Logf("%d kills, %d acknowledged records all present", kills, len(acked))
}

var listenRE = regexp.MustCompile(`msg="http listening" addr=(\S+)`)

// startServe starts cmd and returns the address it listens on.
func startServe(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case a := <-found:
		return a
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("warden serve did not start listening")
		return ""
	}
}

// postBatch posts n session records with markers prefix-0.. and returns
// the acknowledged IDs with their markers.
func postBatch(addr, token, prefix string, n int) (map[record.ID]string, error) {
	var body bytes.Buffer
	markers := make([]string, n)
	for i := range n {
		markers[i] = fmt.Sprintf("%s-%d", prefix, i)
		fmt.Fprintf(&body, `{"kind":"session","time":"2026-11-01T10:00:00Z","source":"bras-1","event":"start","account":"crash-test","addr":"100.64.0.%d","session_id":%q}`+"\n", i%250+1, markers[i])
	}
	client := http.Client{Timeout: 10 * time.Second}
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/records", &body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	var res httpapi.IngestResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return nil, err
	}
	if len(res.IDs) != n {
		return nil, fmt.Errorf("%d ids for %d lines", len(res.IDs), n)
	}
	out := make(map[record.ID]string, n)
	for i, id := range res.IDs {
		out[id] = markers[i]
	}
	return out, nil
}

func checkAcked(t *testing.T, dir string, acked map[record.ID]string) {
	t.Helper()
	st, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer st.Close()
	stored := map[record.ID]string{}
	for r, err := range st.Scan(t.Context(), store.Query{Kind: record.KindSession, Account: "crash-test"}) {
		if err != nil {
			t.Fatalf("scan after kill: %v", err)
		}
		stored[r.ID] = r.Session.SessionID
	}
	missing := 0
	for id, marker := range acked {
		if got, ok := stored[id]; !ok || got != marker {
			if missing < 5 {
				t.Errorf("acknowledged record %v (%s): stored %q, present %v", id, marker, got, ok)
			}
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged records missing or changed", missing, len(acked))
	}
}
