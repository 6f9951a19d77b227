package radius

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"
)

func TestConfigValidate(t *testing.T) {
	ok := testConfig
	tests := []struct {
		name   string
		change func(c *Config)
		err    string // "" for valid
	}{
		{"valid", func(c *Config) {}, ""},
		{"no addr", func(c *Config) { c.Addr = "" }, "addr is required"},
		{"bad addr", func(c *Config) { c.Addr = "1813" }, "parse addr"},
		{"no name", func(c *Config) { c.Clients[1].Name = "" }, "client 1: name is required"},
		{"duplicate name", func(c *Config) { c.Clients[1].Name = "bng1" }, `client "bng1": name used twice`},
		{"no prefix", func(c *Config) { c.Clients[0].Prefix = netip.Prefix{} }, "prefix is required"},
		{"no secret", func(c *Config) { c.Clients[0].Secret = "" }, "secret is required"},
		{"same prefix twice", func(c *Config) { c.Clients[2].Prefix = netip.MustParsePrefix("10.9.9.9/8") },
			`prefix 10.0.0.0/8 is also client "lab"'s`},
		{"mapped prefix same as v4", func(c *Config) { c.Clients[2].Prefix = netip.MustParsePrefix("::ffff:10.0.0.0/104") },
			`prefix 10.0.0.0/8 is also client "lab"'s`},
		{"empty dictionary path", func(c *Config) { c.Dictionaries = []string{""} }, "dictionary 0: path is empty"},
		{"negative window", func(c *Config) { c.DuplicateWindow = -time.Second }, "duplicate_window"},
		{"huge window", func(c *Config) { c.DuplicateWindow = time.Hour }, "duplicate_window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok()
			tt.change(&c)
			err := c.Validate()
			if tt.err == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.err)
			}
		})
	}
	if _, err := New(testConfig(), nil, quietLog); err == nil {
		t.Error("New with a nil sink: no error")
	}
}

func TestSecretRedacted(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	cfg := testConfig()
	log.Info("config", "client", cfg.Clients[0], "secret", cfg.Clients[0].Secret)
	out := buf.String() + fmt.Sprintf("%v %+v %#v %s %q", cfg, cfg, cfg, cfg.Clients[0].Secret, cfg.Clients[0].Secret)
	for _, c := range cfg.Clients {
		if strings.Contains(out, string(c.Secret)) {
			t.Errorf("secret %q printed: %s", c.Secret, out)
		}
	}
	if !strings.Contains(out, "REDACTED") {
		t.Errorf("no REDACTED placeholder in %s", out)
	}
}

func TestClientMatching(t *testing.T) {
	tests := []struct {
		src, secret, want string
	}{
		{"127.0.0.1", testSecret, "bng1"},
		{"10.2.3.4", labSecret, "lab"},
		{"10.1.2.3", coreSecret, "lab-core"}, // the /16 wins over the /8
		{"::ffff:10.2.3.4", labSecret, "lab"},
		{"2001:db8:1:ff::7", labSecret, "v6nas"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			sink := &recordingSink{}
			s := newTestServer(t, Config{}, sink)
			req := acct(t, tt.secret, rfc2866.AcctStatusType_Value_Start, func(p *radius.Packet) {
				must(t, rfc2865.UserName_AddString(p, "carol"))
			})
			if resp := s.handlePacket(t.Context(), req, netip.MustParseAddr(tt.src), testRecv); !isResponseTo(resp, req, tt.secret) {
				t.Fatalf("no valid response from %s", tt.src)
			}
			recs := sink.records()
			if len(recs) != 1 || recs[0].Source != tt.want {
				t.Fatalf("records = %v, want one from %s", recs, tt.want)
			}
			if want := netip.MustParseAddr(tt.src).Unmap(); recs[0].Session.NASAddr != want {
				t.Errorf("NASAddr = %s, want the source %s", recs[0].Session.NASAddr, want)
			}
			if got := s.Stats().Clients[tt.want]; got.Received != 1 || got.Stored != 1 {
				t.Errorf("stats for %s = %+v, want 1 received and stored", tt.want, got)
			}
		})
	}
}

// TestDropped checks the packets that get no answer and no record, and
// what each counts.
func TestDropped(t *testing.T) {
	good := func(t *testing.T) []byte {
		return acct(t, testSecret, rfc2866.AcctStatusType_Value_Start, func(p *radius.Packet) {
			must(t, rfc2865.UserName_AddString(p, "dave"))
		})
	}
	access := func(t *testing.T) []byte {
		p := radius.New(radius.CodeAccessRequest, []byte(testSecret))
		must(t, rfc2865.UserName_AddString(p, "dave"))
		b, err := p.Encode()
		must(t, err)
		return b
	}
	tests := []struct {
		name string
		src  string
		pkt  func(t *testing.T) []byte
		want Counters
	}{
		{"unknown client", "192.0.2.99", good, Counters{UnknownClient: 1}},
		{"wrong secret", "127.0.0.1", func(t *testing.T) []byte {
			return acct(t, "not-the-secret", rfc2866.AcctStatusType_Value_Start, nil)
		}, Counters{BadAuthenticator: 1}},
		{"flipped byte", "127.0.0.1", func(t *testing.T) []byte {
			b := good(t)
			b[len(b)-1] ^= 1
			return b
		}, Counters{BadAuthenticator: 1}},
		{"access-request", "127.0.0.1", access, Counters{NotAccounting: 1}},
		{"short", "127.0.0.1", func(t *testing.T) []byte { return good(t)[:19] }, Counters{Malformed: 1}},
		{"length past datagram", "127.0.0.1", func(t *testing.T) []byte { return good(t)[:25] }, Counters{Malformed: 1}},
		{"length below header", "127.0.0.1", func(t *testing.T) []byte {
			b := good(t)
			b[2], b[3] = 0, 19
			return b
		}, Counters{Malformed: 1}},
		{"attribute overruns packet", "127.0.0.1", func(t *testing.T) []byte {
			// An authentic packet whose last attribute claims more bytes.
			p := &radius.Packet{Code: radius.CodeAccountingRequest, Identifier: 7, Secret: []byte(testSecret)}
			b, err := p.Encode()
			must(t, err)
			b = append(b, 1, 9, 'x')
			b[3] = byte(len(b))
			return resign(b, testSecret)
		}, Counters{Malformed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &recordingSink{}
			s := newTestServer(t, Config{}, sink)
			if resp := s.handlePacket(t.Context(), tt.pkt(t), netip.MustParseAddr(tt.src), testRecv); resp != nil {
				t.Errorf("response %x, want none", resp)
			}
			if n := len(sink.records()); n != 0 {
				t.Errorf("%d records stored, want none", n)
			}
			want := tt.want
			want.Received = 1
			if diff := cmp.Diff(want, s.Stats().Counters); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

// resign sets b's Request Authenticator for secret (RFC 2866 §3).
func resign(b []byte, secret string) []byte {
	copy(b[4:20], make([]byte, 16))
	sum := md5.Sum(append(append([]byte(nil), b...), secret...))
	copy(b[4:20], sum[:])
	return b
}

func TestTrailingPaddingIgnored(t *testing.T) {
	sink := &recordingSink{}
	s := newTestServer(t, Config{}, sink)
	req := acct(t, testSecret, rfc2866.AcctStatusType_Value_Start, func(p *radius.Packet) {
		must(t, rfc2865.UserName_AddString(p, "erin"))
	})
	padded := append(append([]byte(nil), req...), 0, 0, 0, 0)
	if resp := s.handlePacket(t.Context(), padded, bng1Addr, testRecv); !isResponseTo(resp, req, testSecret) {
		t.Fatal("padded request not answered")
	}
	if recs := sink.records(); len(recs) != 1 || recs[0].Session.Account != "erin" {
		t.Errorf("records = %v", recs)
	}
}

func TestRetransmissions(t *testing.T) {
	req := func(t *testing.T) []byte {
		return acct(t, testSecret, rfc2866.AcctStatusType_Value_InterimUpdate, func(p *radius.Packet) {
			must(t, rfc2865.UserName_AddString(p, "frank"))
		})
	}
	t.Run("after durable: answered again, stored once", func(t *testing.T) {
		sink := &recordingSink{}
		s := newTestServer(t, Config{}, sink)
		b := req(t)
		for i := range 3 {
			if resp := s.handlePacket(t.Context(), b, bng1Addr, testRecv.Add(time.Duration(i)*time.Second)); !isResponseTo(resp, b, testSecret) {
				t.Fatalf("copy %d: no valid response", i)
			}
		}
		if sink.calls != 1 {
			t.Errorf("sink called %d times, want 1", sink.calls)
		}
		if st := s.Stats(); st.Stored != 1 || st.Duplicates != 2 || st.Received != 3 {
			t.Errorf("stats = %+v, want 3 received, 1 stored, 2 duplicates", st.Counters)
		}
	})
	t.Run("in progress: dropped, first answer serves", func(t *testing.T) {
		sink := &recordingSink{block: make(chan struct{}), entered: make(chan struct{}, 1)}
		s := newTestServer(t, Config{}, sink)
		b := req(t)
		first := make(chan []byte)
		go func() { first <- s.handlePacket(t.Context(), b, bng1Addr, testRecv) }()
		<-sink.entered
		if resp := s.handlePacket(t.Context(), b, bng1Addr, testRecv); resp != nil {
			t.Errorf("retransmission while in progress answered: %x", resp)
		}
		close(sink.block)
		if resp := <-first; !isResponseTo(resp, b, testSecret) {
			t.Error("first copy not answered")
		}
		if sink.calls != 1 {
			t.Errorf("sink called %d times, want 1", sink.calls)
		}
		if st := s.Stats(); st.Duplicates != 1 || st.Stored != 1 {
			t.Errorf("stats = %+v, want 1 stored, 1 duplicate", st.Counters)
		}
	})
	t.Run("sink failure: no answer, retransmission stored", func(t *testing.T) {
		sink := &recordingSink{err: errSinkDown}
		s := newTestServer(t, Config{}, sink)
		b := req(t)
		if resp := s.handlePacket(t.Context(), b, bng1Addr, testRecv); resp != nil {
			t.Errorf("answered although the sink failed: %x", resp)
		}
		sink.mu.Lock()
		sink.err = nil
		sink.mu.Unlock()
		if resp := s.handlePacket(t.Context(), b, bng1Addr, testRecv); !isResponseTo(resp, b, testSecret) {
			t.Error("retransmission not answered")
		}
		if n := len(sink.records()); n != 1 {
			t.Errorf("%d records, want 1", n)
		}
		if st := s.Stats(); st.SinkErrors != 1 || st.Stored != 1 || st.Duplicates != 0 {
			t.Errorf("stats = %+v, want 1 sink error, 1 stored, no duplicates", st.Counters)
		}
	})
	t.Run("other NAS, same packet: not a duplicate", func(t *testing.T) {
		sink := &recordingSink{}
		s := newTestServer(t, Config{}, sink)
		b := acct(t, labSecret, rfc2866.AcctStatusType_Value_Start, func(p *radius.Packet) {
			must(t, rfc2865.UserName_AddString(p, "gina"))
		})
		for _, src := range []string{"10.2.0.1", "10.2.0.2"} {
			s.handlePacket(t.Context(), b, netip.MustParseAddr(src), testRecv)
		}
		if n := len(sink.records()); n != 2 {
			t.Errorf("%d records, want 2", n)
		}
	})
	t.Run("after the window: stored again", func(t *testing.T) {
		sink := &recordingSink{}
		cfg := testConfig()
		cfg.DuplicateWindow = time.Second
		s := newTestServer(t, cfg, sink)
		b := req(t)
		for _, at := range []time.Duration{0, 1500 * time.Millisecond, 5 * time.Second} {
			s.handlePacket(t.Context(), b, bng1Addr, testRecv.Add(at))
		}
		if n := len(sink.records()); n != 2 {
			t.Errorf("%d records, want 2 (the second copy is within the window, the third is not)", n)
		}
	})
}

func TestDupCache(t *testing.T) {
	k := func(i byte) dupKey { return newDupKey(bng1Addr, i, []byte{i}) }
	t0 := testRecv
	c := newDupCache(10*time.Second, 4) // two entries per generation
	if st := c.begin(k(1), t0); st != dupNew {
		t.Fatalf("begin new = %d", st)
	}
	if st := c.begin(k(1), t0); st != dupInProgress {
		t.Errorf("begin again = %d, want in progress", st)
	}
	c.done(k(1))
	if st := c.begin(k(1), t0.Add(9*time.Second)); st != dupDone {
		t.Errorf("begin after done = %d, want done", st)
	}
	// A second generation keeps k(1) one more window.
	c.begin(k(2), t0.Add(11*time.Second))
	if st := c.begin(k(1), t0.Add(15*time.Second)); st != dupDone {
		t.Errorf("begin in the next window = %d, want done", st)
	}
	if st := c.begin(k(1), t0.Add(31*time.Second)); st != dupNew {
		t.Errorf("begin two windows later = %d, want new", st)
	}
	// Size bound: filling a generation starts a new one early.
	c = newDupCache(time.Hour, 4)
	for i := range byte(5) {
		c.begin(k(i), t0)
	}
	if len(c.cur)+len(c.prev) > 4 {
		t.Errorf("cache holds %d entries, limit 4", len(c.cur)+len(c.prev))
	}
	if st := c.begin(k(0), t0); st != dupNew {
		t.Errorf("oldest entry kept past the limit")
	}
	c.forget(k(4))
	if st := c.begin(k(4), t0); st != dupNew {
		t.Errorf("begin after forget = %d, want new", st)
	}
}

// TestLogsRateLimited sends a flood of bad packets and checks the log
// stays short and never holds a secret.
func TestLogsRateLimited(t *testing.T) {
	var buf syncBuffer
	s, err := New(testConfig(), &recordingSink{}, slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bad := acct(t, "wrong", rfc2866.AcctStatusType_Value_Start, nil)
	for i := range 1000 {
		s.handlePacket(t.Context(), bad, bng1Addr, testRecv.Add(time.Duration(i)*time.Millisecond))
	}
	s.handlePacket(t.Context(), bad, bng1Addr, testRecv.Add(2*logInterval))
	out := buf.String()
	if n := strings.Count(out, "bad request authenticator"); n != logBurst+1 {
		t.Errorf("%d log lines, want %d:\n%s", n, logBurst+1, out)
	}
	if !strings.Contains(out, "suppressed_since_last=990") {
		t.Errorf("no suppressed count in the log:\n%s", out)
	}
	if strings.Contains(out, testSecret) {
		t.Error("the log holds the secret")
	}
	if got := s.Stats().BadAuthenticator; got != 1001 {
		t.Errorf("BadAuthenticator = %d, want 1001", got)
	}
}

// TestRunUDP runs the server on loopback and talks to it with layeh's
// client.
func TestRunUDP(t *testing.T) {
	sink := &recordingSink{}
	s := newTestServer(t, Config{}, sink)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	p := radius.New(radius.CodeAccountingRequest, []byte(testSecret))
	must(t, rfc2866.AcctStatusType_Add(p, rfc2866.AcctStatusType_Value_Start))
	must(t, rfc2865.UserName_AddString(p, "henry"))
	exCtx, exCancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer exCancel()
	resp, err := radius.Exchange(exCtx, p, s.Addr().String())
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if resp.Code != radius.CodeAccountingResponse {
		t.Errorf("response code %s", resp.Code)
	}
	// From an address that no client holds: dropped and counted.
	conn, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP("127.0.0.2")}, s.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b, err := p.Encode()
	must(t, err)
	if _, err := conn.Write(b); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().UnknownClient == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // the socket is real: there is no fake clock for it
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	st := s.Stats()
	if st.Received != 2 || st.Stored != 1 || st.UnknownClient != 1 {
		t.Errorf("stats = %+v", st.Counters)
	}
	if err := s.Run(t.Context()); err == nil {
		t.Error("second Run: no error")
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRunDrains checks that a request in progress when Run's context ends
// is still stored and answered.
func TestRunDrains(t *testing.T) {
	sink := &recordingSink{block: make(chan struct{}), entered: make(chan struct{}, 1)}
	s := newTestServer(t, Config{}, sink)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	conn, err := net.DialUDP("udp", nil, s.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := acct(t, testSecret, rfc2866.AcctStatusType_Value_Stop, func(p *radius.Packet) {
		must(t, rfc2865.UserName_AddString(p, "kate"))
	})
	if _, err := conn.Write(req); err != nil {
		t.Fatal(err)
	}
	<-sink.entered
	cancel()
	close(sink.block)
	must(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil || !isResponseTo(buf[:n], req, testSecret) {
		t.Errorf("no answer to the request in progress at shutdown: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if n := len(sink.records()); n != 1 {
		t.Errorf("%d records, want 1", n)
	}
}
