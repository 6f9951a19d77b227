package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/dialect"
)

// got is one message a collector received.
type got struct {
	Peer      string
	Transport string
	Raw       string
	Msg       dialect.Message
	HeaderErr error
	Truncated bool
}

// collector is a Handler that keeps copies of what it receives. refuse,
// if set, says whether to refuse a message; block, if set, is waited on
// before each message is taken.
type collector struct {
	mu     sync.Mutex
	msgs   []got
	refuse func(r *Received) bool
	block  chan struct{}
	cond   chan struct{} // signalled after each message
}

func newCollector() *collector { return &collector{cond: make(chan struct{}, 1)} }

func (c *collector) Handle(ctx context.Context, r *Received, wait bool) error {
	if c.block != nil {
		select {
		case <-c.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if c.refuse != nil && c.refuse(r) {
		return ErrDropped
	}
	msg := r.Msg
	msg.Params = maps.Clone(r.Msg.Params) // valid only during Handle
	c.mu.Lock()
	c.msgs = append(c.msgs, got{r.Peer.String(), r.Transport, string(r.Raw), msg, r.HeaderErr, r.Truncated})
	c.mu.Unlock()
	select {
	case c.cond <- struct{}{}:
	default:
	}
	return nil
}

func (c *collector) messages() []got {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]got(nil), c.msgs...)
}

// waitFor waits until cond holds for the messages so far, or fails the
// test after timeout.
func (c *collector) waitFor(t *testing.T, timeout time.Duration, what string, cond func([]got) bool) []got {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		msgs := c.messages()
		if cond(msgs) {
			return msgs
		}
		select {
		case <-c.cond:
		case <-time.After(50 * time.Millisecond):
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s; have %d messages", timeout, what, len(msgs))
		}
	}
}

// waitCount waits for at least n messages.
func (c *collector) waitCount(t *testing.T, n int) []got {
	t.Helper()
	return c.waitFor(t, 20*time.Second, fmt.Sprintf("%d messages", n), func(m []got) bool { return len(m) >= n })
}

// startServer runs a server until the test ends.
func startServer(t *testing.T, cfg Config, h Handler) *Server {
	t.Helper()
	s, err := New(cfg, h, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	return s
}

// waitStats polls the server's stats until cond holds.
func waitStats(t *testing.T, s *Server, what string, cond func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := s.Stats()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; stats %+v", what, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{},
		{TLS: ":0"},
		{UDP: ":0", TLSCert: "c.pem", TLSKey: "k.pem"},
		{UDP: ":0", MaxMessageBytes: -1},
		{UDP: ":0", MaxMessageBytes: 1 << 30},
		{UDP: ":0", UDPReadBuffer: -1},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", c)
		}
	}
	if err := (&Config{UDP: ":0"}).Validate(); err != nil {
		t.Errorf("Validate of a UDP-only config: %v", err)
	}
}

func TestUDPCountsHandlerDrops(t *testing.T) {
	c := newCollector()
	c.refuse = func(r *Received) bool { return strings.HasSuffix(r.Msg.Text, "odd") }
	s := startServer(t, Config{UDP: "127.0.0.1:0"}, c)
	udpAddr, _, _ := s.Addrs()
	conn, err := net.Dial("udp", udpAddr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const n = 100
	for i := range n {
		kind := "even"
		if i%2 == 1 {
			kind = "odd"
		}
		fmt.Fprintf(conn, "<13>Oct 11 22:14:15 host app: %d %s\n", i, kind)
	}
	st := waitStats(t, s, "all datagrams", func(st Stats) bool { return st.UDP.Messages == n })
	if st.UDP.Dropped != n/2 {
		t.Errorf("Dropped = %d, want %d", st.UDP.Dropped, n/2)
	}
	msgs := c.messages()
	if len(msgs) != n/2 {
		t.Fatalf("handler took %d messages, want %d", len(msgs), n/2)
	}
	m := msgs[0]
	if m.Transport != "udp" || m.Msg.App != "app" || m.Msg.Text != "0 even" || m.Raw != "<13>Oct 11 22:14:15 host app: 0 even\n" ||
		!strings.HasPrefix(m.Peer, "127.0.0.1:") {
		t.Errorf("first message = %+v", m)
	}
}

// TestUDPKernelDrops overflows a tiny receive buffer while the handler is
// stuck, and checks that every datagram is either received or counted as
// a kernel drop.
func TestUDPKernelDrops(t *testing.T) {
	c := newCollector()
	c.block = make(chan struct{})
	s := startServer(t, Config{UDP: "127.0.0.1:0", UDPReadBuffer: 4096}, c)
	udpAddr, _, _ := s.Addrs()
	conn, err := net.Dial("udp", udpAddr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const n = 500
	for i := range n {
		fmt.Fprintf(conn, "<13>Oct 11 22:14:15 host app: %d", i)
	}
	close(c.block)
	// The kernel reports its drop count with the next datagram it queues,
	// so send more until one gets through the drained queue.
	tails := 0
	for !hasText(c.messages(), "tail") {
		fmt.Fprintf(conn, "<13>Oct 11 22:14:15 host app: tail")
		tails++
		time.Sleep(20 * time.Millisecond)
	}
	st := waitStats(t, s, "every datagram received or dropped", func(st Stats) bool {
		return st.UDP.Messages+st.UDP.KernelDrops == uint64(n+tails)
	})
	if st.UDP.KernelDrops == 0 {
		t.Errorf("KernelDrops = 0 with a %d-byte buffer and %d datagrams", 4096, n)
	}
	t.Logf("received %d, kernel dropped %d", st.UDP.Messages, st.UDP.KernelDrops)
}

// TestUDPSendersKeepOrder sends from several sockets at once: with one
// UDP socket per CPU, each sender's messages must still arrive in order.
func TestUDPSendersKeepOrder(t *testing.T) {
	c := newCollector()
	s := startServer(t, Config{UDP: "127.0.0.1:0"}, c)
	udpAddr, _, _ := s.Addrs()
	const senders, n = 8, 200
	var wg sync.WaitGroup
	for k := range senders {
		wg.Go(func() {
			conn, err := net.Dial("udp", udpAddr.String())
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			for i := range n {
				fmt.Fprintf(conn, "<13>Oct 11 22:14:15 host app: %d %d", k, i)
				if i%50 == 49 {
					time.Sleep(time.Millisecond) // stay within the socket buffers
				}
			}
		})
	}
	wg.Wait()
	msgs := c.waitCount(t, senders*n)
	next := make(map[string]int)
	for _, m := range msgs {
		var k, i int
		if _, err := fmt.Sscanf(m.Msg.Text, "%d %d", &k, &i); err != nil {
			t.Fatalf("Text %q: %v", m.Msg.Text, err)
		}
		if i != next[m.Peer] {
			t.Fatalf("from %s: message %d after %d", m.Peer, i, next[m.Peer]-1)
		}
		next[m.Peer]++
	}
	if st := s.Stats().UDP; st.Messages != senders*n || st.KernelDrops != 0 {
		t.Errorf("UDP stats %+v, want %d messages and no drops", st, senders*n)
	}
}

func hasText(msgs []got, text string) bool {
	for _, m := range msgs {
		if m.Msg.Text == text {
			return true
		}
	}
	return false
}

func TestUDPTruncates(t *testing.T) {
	c := newCollector()
	s := startServer(t, Config{UDP: "127.0.0.1:0", MaxMessageBytes: 100}, c)
	udpAddr, _, _ := s.Addrs()
	conn, err := net.Dial("udp", udpAddr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "<13>Oct 11 22:14:15 host app: %s", strings.Repeat("x", 500))
	m := c.waitCount(t, 1)[0]
	if !m.Truncated || len(m.Raw) != 100 || m.Msg.App != "app" {
		t.Errorf("got Truncated %v, %d raw bytes, App %q; want true, 100, app", m.Truncated, len(m.Raw), m.Msg.App)
	}
	if st := s.Stats(); st.UDP.Truncated != 1 {
		t.Errorf("Stats().UDP.Truncated = %d, want 1", st.UDP.Truncated)
	}
}

func TestTCPFramingAndStats(t *testing.T) {
	c := newCollector()
	s := startServer(t, Config{TCP: "127.0.0.1:0", MaxMessageBytes: 64}, c)
	_, tcpAddr, _ := s.Addrs()
	streams := []string{
		"<13>Oct 11 22:14:15 h a: line1\n<13>Oct 11 22:14:15 h a: line2\r\nno header\x00",
		"28 <13>Oct 11 22:14:15 h a: one" + "100 " + strings.Repeat("y", 100) + "x5 bad\n",
	}
	for _, in := range streams {
		conn, err := net.Dial("tcp", tcpAddr.String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte(in)); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
	msgs := c.waitCount(t, 6)
	var texts []string
	for _, m := range msgs {
		texts = append(texts, m.Msg.Text)
	}
	st := waitStats(t, s, "connections closed", func(st Stats) bool { return st.TCP.ConnsOpen == 0 })
	want := TransportStats{Messages: 6, Bytes: uint64(len(streams[0]) + len(streams[1])), FramingErrors: 1,
		HeaderErrors: 3, Truncated: 1, ConnsTotal: 2}
	if st.TCP != want {
		t.Errorf("Stats().TCP = %+v, want %+v (texts %q)", st.TCP, want, texts)
	}
}

// TestTCPPushback blocks the handler and checks that the server stops
// reading that connection, then takes every message in order once the
// handler goes on.
func TestTCPPushback(t *testing.T) {
	c := newCollector()
	c.block = make(chan struct{})
	s := startServer(t, Config{TCP: "127.0.0.1:0"}, c)
	_, tcpAddr, _ := s.Addrs()
	conn, err := net.Dial("tcp", tcpAddr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A small send buffer, so that the server's receive window (128 KiB
	// until it reads) and this are far smaller than what is sent.
	if err := conn.(*net.TCPConn).SetWriteBuffer(16 << 10); err != nil {
		t.Fatal(err)
	}
	const n = 40000 // about 3 MB
	written := make(chan error, 1)
	go func() {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "<13>Oct 11 22:14:15 host app: message %06d %s\n", i, strings.Repeat("z", 20))
		}
		_, err := conn.Write([]byte(b.String()))
		written <- err
	}()
	// Let the sender fill the socket buffers, then check how much the
	// server read: at most its first buffer.
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-written:
		t.Fatalf("all %d messages written while the handler was blocked (err %v)", n, err)
	default:
	}
	if b := s.Stats().TCP.Bytes; b > minReadBuffer {
		t.Errorf("server read %d bytes while the handler was blocked, want at most %d", b, minReadBuffer)
	}
	close(c.block)
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	msgs := c.waitCount(t, n)
	for i, m := range msgs {
		if want := fmt.Sprintf("message %06d ", i); !strings.HasPrefix(m.Msg.Text, want) {
			t.Fatalf("message %d: Text %q, want prefix %q", i, m.Msg.Text, want)
		}
	}
}

func TestRunStopsWithOpenConnections(t *testing.T) {
	c := newCollector()
	s, err := New(Config{TCP: "127.0.0.1:0", UDP: "127.0.0.1:0"}, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	_, tcpAddr, _ := s.Addrs()
	conn, err := net.Dial("tcp", tcpAddr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "<13>Oct 11 22:14:15 h a: x\n")
	c.waitCount(t, 1)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return with a connection open")
	}
	if err := s.Run(context.Background()); err == nil {
		t.Error("second Run = nil, want an error")
	}
}

func TestTLSClientCertificates(t *testing.T) {
	pki := newTestPKI(t)
	c := newCollector()
	s := startServer(t, Config{TLS: "127.0.0.1:0", TLSCert: pki.serverCert, TLSKey: pki.serverKey, TLSClientCA: pki.caFile}, c)
	_, _, tlsAddr := s.Addrs()

	send := func(cert *tls.Certificate, msg string) error {
		cfg := &tls.Config{RootCAs: pki.pool, ServerName: "localhost"}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		conn, err := tls.Dial("tcp", tlsAddr.String(), cfg)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := fmt.Fprintf(conn, "%d %s", len(msg), msg); err != nil {
			return err
		}
		if err := conn.CloseWrite(); err != nil {
			return err
		}
		// With TLS 1.3 the server's verdict on the client certificate
		// arrives after the client's handshake: read to see it.
		_, err = conn.Read(make([]byte, 1))
		if errors.Is(err, net.ErrClosed) || err != nil && strings.Contains(err.Error(), "EOF") {
			return nil
		}
		return err
	}
	if err := send(&pki.client, "<13>Oct 11 22:14:15 h a: signed"); err != nil {
		t.Fatalf("client with a CA-signed certificate: %v", err)
	}
	if m := c.waitCount(t, 1)[0]; m.Msg.Text != "signed" || m.Transport != "tls" {
		t.Errorf("got %+v, want Text signed over tls", m)
	}
	if err := send(nil, "<13>Oct 11 22:14:15 h a: anonymous"); err == nil {
		t.Error("client without a certificate: no error, want the handshake refused")
	}
	if err := send(&pki.stranger, "<13>Oct 11 22:14:15 h a: stranger"); err == nil {
		t.Error("client with a certificate from another CA: no error, want the handshake refused")
	}
	st := waitStats(t, s, "two refused handshakes", func(st Stats) bool { return st.TLS.HandshakeErrors == 2 })
	if st.TLS.Messages != 1 || len(c.messages()) != 1 {
		t.Errorf("%d messages received, want only the signed client's", st.TLS.Messages)
	}
}
