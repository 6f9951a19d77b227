package radius

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"layeh.com/radius"

	"github.com/warden-ops/warden/internal/record"
)

// Sink stores records durably; *ingest.Pipeline is one.
type Sink interface {
	// AddDurable stores r and returns once it is durable, or with an error
	// when it is not. The server does not touch r after the call and makes
	// many calls concurrently.
	AddDurable(ctx context.Context, r *record.Record) (record.ID, error)
}

// maxInFlight bounds the requests handled at once; the reader waits, and
// the socket buffer then absorbs, past it. A request waits for its batch
// to be durable, about the ingest flush interval (20ms) plus an fsync, so
// 50,000 requests/s keep ~1,000-5,000 in flight; 8,192 leaves room for
// slow fsyncs, at a few KiB (stack and packet) each: under ~64 MiB.
const maxInFlight = 8192

// socketBuffer is the receive buffer asked of the kernel (which may grant
// less: net.core.rmem_max): 8 MiB holds ~30,000 typical requests, a
// burst of half a second at the target rate, while the handlers catch up.
const socketBuffer = 8 << 20

// Server is a RADIUS accounting server (RFC 2866). It answers each
// Accounting-Request once its record is durable in the sink.
type Server struct {
	conn    *net.UDPConn
	sink    Sink
	log     *slog.Logger
	vendors *vendorTable
	dups    *dupCache

	// clients is in configuration order; hosts holds the single-address
	// clients by address, nets the others, longest prefix first.
	clients []*client
	hosts   map[netip.Addr]*client
	nets    []*client
	// unknown counts the datagrams of no client.
	unknown counters

	logUnknown, logBadAuth, logMalformed, logUnmapped, logSink logLimiter

	inflight  chan struct{}
	running   atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// client is a configured client with its counters.
type client struct {
	name   string
	prefix netip.Prefix
	secret []byte
	// vendor is the vendor number whose attributes are read, or 0 for all.
	vendor uint32
	stats  counters
}

// New validates cfg, loads its dictionaries and binds the socket, so that
// [Server.Addr] is known before [Server.Run]. A nil log means
// slog.Default().
func New(cfg Config, sink Sink, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("radius: sink is required")
	}
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.Default()
	}
	if len(cfg.Clients) == 0 {
		// Listening with no client is the out-of-the-box default: every
		// request is refused and counted until clients are configured.
		log.Warn("radius: no clients configured; every accounting request will be refused")
	}
	vendors, err := loadDictionaries(cfg.Dictionaries, log)
	if err != nil {
		return nil, fmt.Errorf("radius: %w", err)
	}
	s := &Server{sink: sink, log: log, vendors: vendors, hosts: map[netip.Addr]*client{},
		dups: newDupCache(cfg.DuplicateWindow, maxDuplicates), inflight: make(chan struct{}, maxInFlight)}
	for _, c := range cfg.Clients {
		cl := &client{name: c.Name, prefix: clientPrefix(c.Prefix), secret: []byte(c.Secret)}
		if c.Vendor != "" {
			id, ok := vendors.vendorID(c.Vendor)
			if !ok {
				return nil, fmt.Errorf("radius: client %q: vendor %q is in no loaded dictionary", c.Name, c.Vendor)
			}
			cl.vendor = id
		}
		s.clients = append(s.clients, cl)
		if cl.prefix.IsSingleIP() {
			s.hosts[cl.prefix.Addr()] = cl
		} else {
			s.nets = append(s.nets, cl)
		}
	}
	slices.SortStableFunc(s.nets, func(a, b *client) int { return cmp.Compare(b.prefix.Bits(), a.prefix.Bits()) })
	addr, err := net.ResolveUDPAddr("udp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("radius: resolve %s: %w", cfg.Addr, err)
	}
	s.conn, err = net.ListenUDP("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("radius: listen on %s: %w", cfg.Addr, err)
	}
	if err := s.conn.SetReadBuffer(socketBuffer); err != nil {
		log.Warn("radius: set socket receive buffer", "bytes", socketBuffer, "err", err)
	}
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.conn.LocalAddr() }

// Close closes the socket. Run closes it when it returns; Close is for a
// server whose Run is never called. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.conn.Close() })
	return s.closeErr
}

// shutdownGrace is how long Run, once its context ends, lets the requests
// in progress finish. Their records are usually queued already; storing
// and answering them spares the NAS a retransmission that would store
// them twice. Two ingest flush intervals and an fsync take well under 5s.
const shutdownGrace = 5 * time.Second

// Run serves requests until ctx ends. It then stops reading, lets the
// requests in progress be stored and answered for up to shutdownGrace (5s)
// before cancelling them (they go unanswered, and the NAS retransmits),
// closes the socket and returns nil. It returns an error if reading the
// socket fails. Run may be called once. The sink must keep working until
// Run returns.
func (s *Server) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("radius: run called twice")
	}
	stop := context.AfterFunc(ctx, func() {
		// Wake the read below. An error here means the socket is closed,
		// which wakes it too.
		_ = s.conn.SetReadDeadline(time.Unix(1, 0))
	})
	defer stop()
	hctx, hcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hcancel()
	var wg sync.WaitGroup
	defer s.drain(&wg, hcancel)
	buf := make([]byte, radius.MaxPacketLength)
	for {
		n, src, err := s.conn.ReadFromUDPAddrPort(buf)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("radius: read packet: %w", err)
		}
		recv := time.Now()
		b := append([]byte(nil), buf[:n]...)
		select {
		case s.inflight <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		wg.Go(func() {
			defer func() { <-s.inflight }()
			s.serve(hctx, b, src, recv)
		})
	}
}

// drain waits for the handlers, cancelling them after shutdownGrace, and
// closes the socket.
func (s *Server) drain(wg *sync.WaitGroup, cancel context.CancelFunc) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(shutdownGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		cancel()
		<-done
	}
	if err := s.Close(); err != nil {
		s.log.Warn("radius: close socket", "err", err)
	}
}

// serve handles one datagram and sends the answer, if any, to its source.
func (s *Server) serve(ctx context.Context, b []byte, src netip.AddrPort, recv time.Time) {
	resp := s.handlePacket(ctx, b, src.Addr(), recv)
	if resp == nil {
		return
	}
	if _, err := s.conn.WriteToUDPAddrPort(resp, src); err != nil && ctx.Err() == nil {
		s.log.Warn("radius: send accounting response", "to", src, "err", err)
	}
}

// handlePacket handles datagram b from src, received at recv, and returns
// the Accounting-Response to send, or nil for none. It keeps b (raw
// records hold it).
func (s *Server) handlePacket(ctx context.Context, b []byte, src netip.Addr, recv time.Time) []byte {
	src = src.Unmap().WithZone("")
	cl := s.client(src)
	if cl == nil {
		s.unknown.received.Add(1)
		s.unknown.unknownClient.Add(1)
		s.logUnknown.warn(s.log, recv, "radius: packet from unknown client dropped", "from", src)
		return nil
	}
	cl.stats.received.Add(1)
	if reason := checkHeader(b); reason != "" {
		return s.malformed(cl, src, recv, reason)
	}
	b = b[:binary.BigEndian.Uint16(b[2:4])] // bytes past Length are padding (RFC 2865 §3)
	if code := radius.Code(b[0]); code != radius.CodeAccountingRequest {
		cl.stats.notAccounting.Add(1)
		s.log.Debug("radius: not an accounting request; ignored", "client", cl.name, "from", src, "code", code)
		return nil
	}
	if !radius.IsAuthenticRequest(b, cl.secret) {
		cl.stats.badAuth.Add(1)
		s.logBadAuth.warn(s.log, recv, "radius: bad request authenticator (wrong secret?); dropped",
			"client", cl.name, "from", src)
		return nil
	}
	pkt, err := parsePacket(b, cl.secret)
	if err != nil {
		return s.malformed(cl, src, recv, err.Error())
	}
	key := newDupKey(src, b[1], b[4:20])
	switch s.dups.begin(key, recv) {
	case dupDone:
		cl.stats.duplicates.Add(1)
		return response(b, cl.secret)
	case dupInProgress:
		cl.stats.duplicates.Add(1)
		return nil // the first copy's answer answers this one too
	}
	q := request{pkt: pkt, wire: b, client: cl, src: src, recv: recv, vendors: s.vendors}
	rec, mapErr := q.toRecord()
	if _, err := s.sink.AddDurable(ctx, rec); err != nil {
		s.dups.forget(key)
		cl.stats.sinkErrors.Add(1)
		s.logSink.warn(s.log, recv, "radius: store record; request left unanswered", "client", cl.name, "err", err)
		return nil
	}
	s.dups.done(key)
	cl.stats.stored.Add(1)
	if mapErr != nil {
		cl.stats.raw.Add(1)
		s.logUnmapped.warn(s.log, recv, "radius: accounting request kept as a raw record",
			"client", cl.name, "from", src, "reason", mapErr)
	}
	return response(b, cl.secret)
}

func (s *Server) malformed(cl *client, src netip.Addr, recv time.Time, reason string) []byte {
	cl.stats.malformed.Add(1)
	s.logMalformed.warn(s.log, recv, "radius: malformed packet dropped", "client", cl.name, "from", src, "reason", reason)
	return nil
}

// checkHeader returns why b cannot be a RADIUS packet, or "".
func checkHeader(b []byte) string {
	if len(b) < 20 {
		return fmt.Sprintf("%d bytes, shorter than a RADIUS header", len(b))
	}
	n := int(binary.BigEndian.Uint16(b[2:4]))
	if n < 20 || n > radius.MaxPacketLength || n > len(b) {
		return fmt.Sprintf("length field %d in a %d-byte datagram", n, len(b))
	}
	return ""
}

// parsePacket is radius.Parse for a packet that checkHeader passed and
// that has been cut to its Length, without radius.Parse's two allocations
// per attribute: the attribute values are slices of b, which the request
// keeps anyway. At the target rate that is a million fewer allocations a
// second (BenchmarkHandlePacket).
func parsePacket(b, secret []byte) (*radius.Packet, error) {
	n := 0
	for rest := b[20:]; len(rest) > 0; n++ {
		if len(rest) < 2 || rest[1] < 2 || int(rest[1]) > len(rest) {
			return nil, fmt.Errorf("parse attributes: attribute %d overruns the packet", n)
		}
		rest = rest[rest[1]:]
	}
	avps := make([]radius.AVP, n)
	p := &radius.Packet{Code: radius.Code(b[0]), Identifier: b[1], Secret: secret, Attributes: make(radius.Attributes, n)}
	copy(p.Authenticator[:], b[4:20])
	for i, rest := 0, b[20:]; i < n; i++ {
		avps[i] = radius.AVP{Type: radius.Type(rest[0]), Attribute: radius.Attribute(rest[2:rest[1]:rest[1]])}
		p.Attributes[i] = &avps[i]
		rest = rest[rest[1]:]
	}
	return p, nil
}

// client returns the client that src belongs to, or nil.
func (s *Server) client(src netip.Addr) *client {
	if cl := s.hosts[src]; cl != nil {
		return cl
	}
	for _, cl := range s.nets {
		if cl.prefix.Contains(src) {
			return cl
		}
	}
	return nil
}

// response returns the Accounting-Response to request b (RFC 2866 §3).
func response(b, secret []byte) []byte {
	p := &radius.Packet{Code: radius.CodeAccountingResponse, Identifier: b[1], Secret: secret}
	copy(p.Authenticator[:], b[4:20])
	out, err := p.Encode()
	if err != nil {
		panic("radius: encode an empty accounting response: " + err.Error()) // cannot fail: no attributes
	}
	return out
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	st := Stats{Counters: s.unknown.load(), Clients: make(map[string]Counters, len(s.clients))}
	for _, cl := range s.clients {
		c := cl.stats.load()
		st.Clients[cl.name] = c
		st.add(c)
	}
	return st
}
