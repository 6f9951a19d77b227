package radius

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"layeh.com/radius"
	"layeh.com/radius/rfc2866"

	"github.com/warden-ops/warden/internal/record"
)

// Test clients: bng1 is one address, the lab nets are nested prefixes.
const (
	testSecret = "s3cret-bng1"
	labSecret  = "lab-secret"
	coreSecret = "core-secret"
)

var (
	bng1Addr = netip.MustParseAddr("127.0.0.1")
	testRecv = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
)

func testClients() []Client {
	return []Client{
		{Name: "bng1", Prefix: netip.MustParsePrefix("127.0.0.1/32"), Secret: testSecret},
		{Name: "lab", Prefix: netip.MustParsePrefix("10.0.0.0/8"), Secret: labSecret},
		{Name: "lab-core", Prefix: netip.MustParsePrefix("10.1.0.0/16"), Secret: coreSecret},
		{Name: "v6nas", Prefix: netip.MustParsePrefix("2001:db8:1::/48"), Secret: labSecret},
	}
}

func testConfig() Config {
	return Config{Addr: "127.0.0.1:0", Clients: testClients()}
}

// quietLog discards everything; tests that check logging make their own.
var quietLog = slog.New(slog.DiscardHandler)

// newTestServer returns a server with cfg (testConfig if zero) and sink,
// closed when the test ends. It is not running: tests call handlePacket,
// or Run themselves.
func newTestServer(t testing.TB, cfg Config, sink Sink) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg = testConfig()
	}
	s, err := New(cfg, sink, quietLog)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// recordingSink keeps the records it is given. If block is set, each call
// waits for a value on it first; if err is set, calls fail with it.
type recordingSink struct {
	mu    sync.Mutex
	recs  []*record.Record
	calls int
	err   error
	block chan struct{}
	// entered, if set, receives a value as each call starts.
	entered chan struct{}
}

func (s *recordingSink) AddDurable(ctx context.Context, r *record.Record) (record.ID, error) {
	if s.entered != nil {
		s.entered <- struct{}{}
	}
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return record.ID{}, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return record.ID{}, s.err
	}
	s.recs = append(s.recs, r)
	return record.ID{Kind: r.Kind, Seq: uint64(len(s.recs))}, nil
}

func (s *recordingSink) records() []*record.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*record.Record(nil), s.recs...)
}

var errSinkDown = errors.New("sink down")

// acct returns an encoded Accounting-Request with status (unless 0) and
// whatever attributes fn adds, signed with secret.
func acct(t testing.TB, secret string, status rfc2866.AcctStatusType, fn func(p *radius.Packet)) []byte {
	t.Helper()
	p := radius.New(radius.CodeAccountingRequest, []byte(secret))
	if status != 0 {
		if err := rfc2866.AcctStatusType_Add(p, status); err != nil {
			t.Fatal(err)
		}
	}
	if fn != nil {
		fn(p)
	}
	b, err := p.Encode()
	if err != nil {
		t.Fatalf("encode request: %v", err)
	}
	return b
}

// must fails the test on err; it is for the layeh attribute adders.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// cmpAddrs compares netip values by value.
var cmpAddrs = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
}

// isResponseTo reports whether resp is a valid Accounting-Response to req.
func isResponseTo(resp, req []byte, secret string) bool {
	return len(resp) >= 20 && radius.Code(resp[0]) == radius.CodeAccountingResponse && resp[1] == req[1] &&
		radius.IsAuthenticResponse(resp, req, []byte(secret))
}

// needRadclient returns radclient's path, failing the test if it is not
// installed: CI must run these tests, not skip them.
func needRadclient(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("radclient")
	if err != nil {
		t.Fatalf("radclient not found (%v): run scripts/setup, which installs Debian's freeradius-utils", err)
	}
	return path
}

// needDebianDictionary returns the path of FreeRADIUS's dictionary for
// vendor (huawei, h3c, ...), failing the test if Debian's
// freeradius-common is not installed.
func needDebianDictionary(t *testing.T, vendor string) string {
	t.Helper()
	path := "/usr/share/freeradius/dictionary." + vendor
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%v: run scripts/setup, which installs Debian's freeradius-common", err)
	}
	return path
}
