package ipfix

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// Exporter is a device that sends NAT events over IPFIX or NetFlow v9.
type Exporter struct {
	// Name identifies the exporter; it is the Source of its records.
	Name string
	// Prefix holds the exporter's source addresses. A sender matches the
	// most specific prefix that contains it.
	Prefix netip.Prefix
	// Vendor selects how natEvent is numbered: VendorRFC8158 (the
	// default), VendorJuniper (the draft numbering Junos sends) or
	// VendorCiscoASA.
	Vendor string
}

// Config configures a Server.
type Config struct {
	// Addr is the UDP address to listen on, like "127.0.0.1:4739" (4739
	// is IPFIX's port; NetFlow v9 often uses 2055). Both versions are
	// accepted on it.
	Addr string
	// Exporters are the devices whose packets are accepted.
	Exporters []Exporter
	// AcceptUnknown takes packets from senders no exporter lists, with
	// the RFC 8158 numbering; their records' Source is the sender's
	// address. Otherwise such packets are refused and counted.
	AcceptUnknown bool
	// UDPReadBuffer is the socket's receive buffer in bytes. Default 8
	// MiB: at 1,400-byte packets of about 30 NAT events it holds some
	// 180,000 events, a burst of a large CGN's logging while the process
	// is descheduled. Linux caps it at net.core.rmem_max.
	UDPReadBuffer int
}

// defaultReadBuffer is UDPReadBuffer's default.
const defaultReadBuffer = 8 << 20

// Validate reports the first setting that is wrong.
func (c *Config) Validate() error {
	if c.Addr == "" {
		return errors.New("ipfix: addr is required")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("ipfix: addr %q: %w", c.Addr, err)
	}
	if c.UDPReadBuffer < 0 {
		return fmt.Errorf("ipfix: udp read buffer %d is negative", c.UDPReadBuffer)
	}
	names, prefixes := map[string]bool{}, map[netip.Prefix]string{}
	for i, e := range c.Exporters {
		switch p := e.Prefix.Masked(); {
		case e.Name == "":
			return fmt.Errorf("ipfix: exporters[%d]: name is required", i)
		case names[e.Name]:
			return fmt.Errorf("ipfix: exporter %s: name used twice", e.Name)
		case !e.Prefix.IsValid():
			return fmt.Errorf("ipfix: exporter %s: prefix is required", e.Name)
		case prefixes[p] != "":
			return fmt.Errorf("ipfix: exporter %s: prefix %s is also exporter %s's", e.Name, p, prefixes[p])
		case natEventTables[cmpOr(e.Vendor, VendorRFC8158)] == nil:
			return fmt.Errorf("ipfix: exporter %s: unknown vendor %q (want %s, %s or %s)",
				e.Name, e.Vendor, VendorRFC8158, VendorJuniper, VendorCiscoASA)
		default:
			names[e.Name], prefixes[p] = true, e.Name
		}
	}
	return nil
}

// Sink takes the records the collector makes: *ingest.Pipeline is one.
type Sink interface {
	// TryAdd queues r without waiting and reports whether it did; false
	// means the queue is full, and the collector counts a drop. The sink
	// owns r once it returns true. It is called from Run's goroutine.
	TryAdd(r *record.Record) bool
}

// Server is an IPFIX and NetFlow v9 collector on one UDP socket.
type Server struct {
	conn    *net.UDPConn
	c       *collector
	running atomic.Bool
}

// New validates cfg and binds the socket, so Addr is known before Run.
// A nil log means slog.Default().
func New(cfg Config, sink Sink, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("ipfix: sink is required")
	}
	if log == nil {
		log = slog.Default()
	}
	if len(cfg.Exporters) == 0 && !cfg.AcceptUnknown {
		// Listening with no exporter is the out-of-the-box default: every
		// packet is refused and counted until exporters are configured.
		log.Warn("ipfix: no exporters configured and accept_unknown off; every packet will be refused")
	}
	ua, err := net.ResolveUDPAddr("udp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("ipfix: resolve %s: %w", cfg.Addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("ipfix: listen: %w", err)
	}
	size := cfg.UDPReadBuffer
	if size == 0 {
		size = defaultReadBuffer
	}
	if err := conn.SetReadBuffer(size); err != nil {
		return nil, errors.Join(fmt.Errorf("ipfix: set read buffer: %w", err), conn.Close())
	}
	return &Server{conn: conn, c: newCollector(cfg, sink, log)}, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.conn.LocalAddr() }

// maxDatagram is the largest UDP payload (65,535 less the 8-byte UDP
// header, with room to spare for IPv6 jumbograms there is no need of).
const maxDatagram = 65535

// Run receives and decodes packets until ctx ends or Close is called,
// then closes the socket and returns nil. It returns an error if the
// socket fails, or if Run was already called. Packets are decoded on Run's goroutine: the decoder
// keeps templates per exporter without locks.
func (s *Server) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("ipfix: Run called twice")
	}
	// Closing the socket unblocks the read. Its error, if any, is the
	// same one a later Close would report; there is no one to tell.
	stop := context.AfterFunc(ctx, func() { _ = s.conn.Close() })
	defer stop()
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				continue
			}
			return errors.Join(fmt.Errorf("ipfix: read: %w", err), s.Close())
		}
		s.c.handle(buf[:n], from, time.Now().UTC())
	}
}

// Close closes the socket; Run returns. Use it for a server whose Run is
// never called, or to stop one without its context.
func (s *Server) Close() error {
	if err := s.conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("ipfix: close: %w", err)
	}
	return nil
}

// Stats returns the collector's counters. It is safe to call while Run
// runs.
func (s *Server) Stats() Stats { return s.c.stats() }
