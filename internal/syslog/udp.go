package syslog

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// maxUDPSockets bounds the UDP sockets, and so reader goroutines, opened
// on one port. Each reads and parses about 250 000 Juniper-sized messages
// a second on one core (see BenchmarkUDPThroughput).
const maxUDPSockets = 16

// listenUDP opens the UDP sockets: one per CPU (up to maxUDPSockets) on
// Linux, sharing the port with SO_REUSEPORT. The kernel hashes each
// sender's address and port to one socket, so a sender's messages stay in
// order while different senders are read in parallel. A socket beyond the
// first that cannot be opened is logged and done without.
func (s *Server) listenUDP(ctx context.Context) error {
	lc := net.ListenConfig{Control: reusePort}
	addr := s.cfg.UDP
	for i := range udpSockets() {
		pc, err := lc.ListenPacket(ctx, "udp", addr)
		if err != nil {
			if i == 0 {
				return fmt.Errorf("syslog: listen udp: %w", err)
			}
			s.log.Warn("syslog: open more UDP sockets", "have", i, "err", err)
			return nil
		}
		conn := pc.(*net.UDPConn)
		s.udp = append(s.udp, conn)
		addr = conn.LocalAddr().String() // the others share the port the first got
		got, err := tuneUDP(conn, s.cfg.UDPReadBuffer)
		if err != nil {
			return fmt.Errorf("syslog: set up udp socket: %w", err)
		}
		if i == 0 && got < s.cfg.UDPReadBuffer {
			s.log.Warn("syslog: UDP receive buffer smaller than asked; raise net.core.rmem_max or grant CAP_NET_ADMIN",
				"want", s.cfg.UDPReadBuffer, "got", got)
		}
	}
	return nil
}

// serveUDP reads datagrams from one socket until it closes, one message
// each. Reading and parsing on one goroutine per socket keeps each
// sender's messages in the order the kernel queued them.
func (s *Server) serveUDP(ctx context.Context, conn *net.UDPConn) {
	st := &s.stats[transportUDP]
	limit := s.cfg.MaxMessageBytes
	buf := make([]byte, limit+1) // one more, to tell a datagram of max bytes from a longer one
	oob := make([]byte, oobSize)
	p := newParser()
	r := &Received{Transport: transportNames[transportUDP]}
	var overflow overflowCounter
	var backoff time.Duration
	for {
		n, oobn, _, peer, err := conn.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("syslog: read udp", "err", err, "retry_in", backoff)
			if !sleepCtx(ctx, backoff) {
				return
			}
			continue
		}
		backoff = 0
		recv := time.Now()
		if oobn > 0 {
			st.kernelDrops.Add(overflow.update(oob[:oobn]))
		}
		st.bytes.Add(uint64(n))
		truncated := n > limit
		if truncated {
			n = limit
		}
		r.Peer = peerUnmapped(peer)
		s.receive(r, transportUDP, p, buf[:n], truncated, recv)
		if err := s.h.Handle(ctx, r, false); err != nil {
			st.dropped.Add(1)
		}
	}
}

// overflowCounter turns the kernel's running count of dropped datagrams
// (a uint32 that wraps) into increments.
type overflowCounter struct{ last uint32 }

// update returns how many more datagrams the kernel dropped since the last
// report in oob, the control data of one received datagram.
func (c *overflowCounter) update(oob []byte) uint64 {
	v, ok := rxqOverflow(oob)
	if !ok {
		return 0
	}
	d := v - c.last // modular: right across a wrap
	c.last = v
	return uint64(d)
}

// peerUnmapped returns a datagram's source with an IPv4-mapped IPv6
// address (from a dual-stack socket) unmapped.
func peerUnmapped(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
