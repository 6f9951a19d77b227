package syslog

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-ops/warden/internal/dialect"
)

// Defaults and limits of Config.
const (
	// DefaultMaxMessageBytes is 64 KiB: above the largest UDP datagram
	// (65 507 bytes), so UDP messages are never cut, and well above the
	// 8 KiB RFC 5425 asks receivers to accept.
	DefaultMaxMessageBytes = 64 << 10
	// DefaultUDPReadBuffer is 8 MiB of socket receive buffer: at a
	// million 300-byte messages a second (about 1.5 KiB of kernel memory
	// each, counting overhead) it rides out a pause of roughly 5 ms, such
	// as a GC assist or a slow handler.
	DefaultUDPReadBuffer = 8 << 20
	// maxMaxMessageBytes bounds MaxMessageBytes so a typo cannot make each
	// connection's buffer huge.
	maxMaxMessageBytes = 16 << 20
)

// maxStreamConns bounds the TCP and TLS connections open at once, each
// costing up to MaxMessageBytes of buffer. Devices keep one connection
// each; a few thousand covers a carrier's directly-sending fleet, and
// relays carry the rest. Connections beyond it are closed at once and
// counted in ConnsRefused.
const maxStreamConns = 4096

// handshakeTimeout bounds a TLS handshake, so a peer that connects and
// says nothing does not hold a connection slot.
const handshakeTimeout = 30 * time.Second

// Config configures a Server. The zero value of each field is its default.
type Config struct {
	// UDP, TCP and TLS are the addresses to listen on, such as
	// "127.0.0.1:5514" or ":514". An empty address turns that listener
	// off; at least one must be set.
	UDP, TCP, TLS string
	// TLSCert and TLSKey are the PEM files of the TLS listener's
	// certificate (chain) and key (RFC 5425). Both are required with TLS.
	TLSCert, TLSKey string
	// TLSClientCA, if set, is a PEM file of CA certificates; clients must
	// then present a certificate signed by one of them.
	TLSClientCA string
	// MaxMessageBytes is the longest message delivered whole, default
	// DefaultMaxMessageBytes. A longer one is cut to this length, flagged
	// Truncated and still delivered; the rest is skipped.
	MaxMessageBytes int
	// UDPReadBuffer is the receive buffer (SO_RCVBUF) to ask the kernel
	// for, per UDP socket, default DefaultUDPReadBuffer. Without
	// CAP_NET_ADMIN the kernel caps it at net.core.rmem_max; the server
	// logs what it got. On Linux there is one socket per CPU, up to
	// maxUDPSockets; the kernel charges only what is queued.
	UDPReadBuffer int
	// Loc returns the time zone of a peer's devices, used for header times
	// written without a zone. Nil, or a nil result, means UTC. It is
	// called concurrently, once per message whose header time has no zone.
	Loc func(peer netip.Addr) *time.Location
}

// Validate reports the first problem with the configuration.
func (c *Config) Validate() error {
	switch {
	case c.UDP == "" && c.TCP == "" && c.TLS == "":
		return errors.New("syslog: no listener: set at least one of UDP, TCP and TLS")
	case c.TLS != "" && (c.TLSCert == "" || c.TLSKey == ""):
		return errors.New("syslog: TLS listener needs TLSCert and TLSKey")
	case c.TLS == "" && (c.TLSCert != "" || c.TLSKey != "" || c.TLSClientCA != ""):
		return errors.New("syslog: TLS certificate files set but no TLS listener address")
	case c.MaxMessageBytes < 0 || c.MaxMessageBytes > maxMaxMessageBytes:
		return fmt.Errorf("syslog: MaxMessageBytes %d outside 0 (default) to %d", c.MaxMessageBytes, maxMaxMessageBytes)
	case c.UDPReadBuffer < 0:
		return fmt.Errorf("syslog: negative UDPReadBuffer %d", c.UDPReadBuffer)
	}
	return nil
}

// Received is one message as received. The server reuses it for the next
// message once Handle returns.
type Received struct {
	// Peer is the address the message came from.
	Peer netip.AddrPort
	// Transport is "udp", "tcp" or "tls".
	Transport string
	// Raw is the message exactly as framed: the datagram, or the bytes
	// between the stream framing (without the octet count, or the LF, CRLF
	// or NUL that ended it). It is valid only during Handle; copy it to
	// keep it.
	Raw []byte
	// Msg is the parsed message. Received, Time, Host, App, MsgID, SDID,
	// Params and Text are filled in; Source, Loc and Offset are left for
	// the caller. Its strings are new for each message and may be kept;
	// the Params map is reused for the connection's next message, so it
	// is valid only during Handle (copy what you keep).
	Msg dialect.Message
	// HeaderErr is set when no syslog header could be parsed; Msg.Text is
	// then the whole message.
	HeaderErr error
	// Truncated reports that the message was longer than
	// MaxMessageBytes and Raw holds only its beginning.
	Truncated bool
}

// Handler takes the messages a Server receives.
type Handler interface {
	// Handle takes one message. It is called concurrently, from one
	// goroutine per connection and one for UDP, and in order within each.
	// It must not keep r or r.Raw after returning (r.Msg's strings and
	// map are its to keep).
	//
	// On stream transports wait is true, and Handle may block to push the
	// sender back: the server reads nothing more from that connection
	// until it returns, so TCP flow control slows the sender down. An
	// error there loses the message (counted as Dropped).
	//
	// On UDP wait is false and Handle must not block: it returns
	// ErrDropped when it cannot take the message, and the server counts a
	// drop. The kernel queues datagrams meanwhile, up to UDPReadBuffer.
	//
	// Handle should return promptly once ctx is done.
	Handle(ctx context.Context, r *Received, wait bool) error
}

// ErrDropped is what a Handler returns when it cannot take a UDP message
// without blocking. The server counts the drop in Stats; there is nothing
// else to do, since UDP has no way to push back.
var ErrDropped = errors.New("syslog: message dropped: handler cannot take it now")

// transport indexes per-transport state.
type transport int

const (
	transportUDP transport = iota
	transportTCP
	transportTLS
)

var transportNames = [...]string{"udp", "tcp", "tls"}

// Server receives syslog over UDP, TCP and TLS and hands each message to a
// Handler. Create it with New, then call Run.
type Server struct {
	cfg    Config
	h      Handler
	log    *slog.Logger
	udp    []*net.UDPConn // one per reader, sharing the port (see listenUDP)
	tcp    net.Listener
	tls    net.Listener
	tlsCfg *tls.Config

	started  atomic.Bool
	stats    [3]counters
	connSlot chan struct{} // holds a token per open stream connection
	wg       sync.WaitGroup
}

// New checks the configuration, loads the TLS files and opens the
// listeners, so Addrs is known before Run. A nil log discards.
func New(cfg Config, h Handler, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("syslog: nil Handler")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.UDPReadBuffer == 0 {
		cfg.UDPReadBuffer = DefaultUDPReadBuffer
	}
	s := &Server{cfg: cfg, h: h, log: log, connSlot: make(chan struct{}, maxStreamConns)}
	if err := s.listen(); err != nil {
		return nil, errors.Join(err, s.closeListeners())
	}
	return s, nil
}

// listen opens the configured listeners.
func (s *Server) listen() error {
	var lc net.ListenConfig
	ctx := context.Background()
	if s.cfg.TLS != "" {
		var err error
		if s.tlsCfg, err = loadTLS(&s.cfg); err != nil {
			return err
		}
	}
	if s.cfg.UDP != "" {
		if err := s.listenUDP(ctx); err != nil {
			return err
		}
	}
	for _, l := range []struct {
		addr string
		ln   *net.Listener
		name string
	}{{s.cfg.TCP, &s.tcp, "tcp"}, {s.cfg.TLS, &s.tls, "tls"}} {
		if l.addr == "" {
			continue
		}
		ln, err := lc.Listen(ctx, "tcp", l.addr)
		if err != nil {
			return fmt.Errorf("syslog: listen %s: %w", l.name, err)
		}
		*l.ln = ln
	}
	return nil
}

// loadTLS builds the TLS listener's configuration from the PEM files.
func loadTLS(cfg *Config) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("syslog: load TLS certificate: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.TLSClientCA != "" {
		pem, err := os.ReadFile(cfg.TLSClientCA)
		if err != nil {
			return nil, fmt.Errorf("syslog: read TLS client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("syslog: read TLS client CA %s: no PEM certificate in it", cfg.TLSClientCA)
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// Addrs returns the bound addresses; nil for a listener that is off.
func (s *Server) Addrs() (udp, tcp, tls net.Addr) {
	if len(s.udp) > 0 {
		udp = s.udp[0].LocalAddr()
	}
	if s.tcp != nil {
		tcp = s.tcp.Addr()
	}
	if s.tls != nil {
		tls = s.tls.Addr()
	}
	return udp, tcp, tls
}

// Run serves until ctx ends, then closes the listeners and connections and
// waits for its goroutines. Errors while serving (a failed accept or read)
// are logged and retried, not returned: a collector keeps collecting. It
// returns an error only if closing fails, or if called twice. To close a
// Server that will not serve, call Run with a canceled context.
func (s *Server) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("syslog: Run called twice")
	}
	for _, conn := range s.udp {
		s.wg.Go(func() { s.serveUDP(ctx, conn) })
	}
	if s.tcp != nil {
		s.wg.Go(func() { s.serveStream(ctx, s.tcp, transportTCP) })
	}
	if s.tls != nil {
		s.wg.Go(func() { s.serveStream(ctx, s.tls, transportTLS) })
	}
	<-ctx.Done()
	err := s.closeListeners()
	s.wg.Wait()
	return err
}

// closeListeners closes whatever listeners are open.
func (s *Server) closeListeners() error {
	var errs []error
	for _, conn := range s.udp {
		errs = append(errs, ignoreClosed(conn.Close()))
	}
	for _, ln := range []net.Listener{s.tcp, s.tls} {
		if ln != nil {
			errs = append(errs, ignoreClosed(ln.Close()))
		}
	}
	return errors.Join(errs...)
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// receive fills r from one framed message that came over t.
func (s *Server) receive(r *Received, t transport, p *parser, raw []byte, truncated bool, recv time.Time) {
	r.Raw, r.Truncated = raw, truncated
	r.HeaderErr = p.decode(&r.Msg, trimTrailer(raw), recv, s.cfg.Loc, r.Peer.Addr())
	st := &s.stats[t]
	st.messages.Add(1)
	if r.HeaderErr != nil {
		st.headerErrors.Add(1)
	}
	if truncated {
		st.truncated.Add(1)
	}
}

// trimTrailer drops the LFs, CRs and NULs that end a message: senders add
// them even to datagrams and octet-counted frames.
func trimTrailer(b []byte) []byte {
	return bytes.TrimRight(b, "\r\n\x00")
}
