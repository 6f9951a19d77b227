package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"time"
)

// serveStream accepts TCP or TLS connections until the listener closes,
// serving each in its own goroutine. Other accept errors (out of file
// descriptors, a connection reset before it was accepted) are retried
// after a pause, as net/http does: a collector keeps collecting.
func (s *Server) serveStream(ctx context.Context, ln net.Listener, t transport) {
	st := &s.stats[t]
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("syslog: accept", "transport", transportNames[t], "err", err, "retry_in", backoff)
			if !sleepCtx(ctx, backoff) {
				return
			}
			continue
		}
		backoff = 0
		st.connsTotal.Add(1)
		select {
		case s.connSlot <- struct{}{}:
		default:
			st.connsRefused.Add(1)
			s.log.Warn("syslog: too many connections; closing new one", "transport", transportNames[t],
				"peer", conn.RemoteAddr().String(), "limit", maxStreamConns)
			conn.Close() // nothing was read, so nothing is lost by ignoring its error
			continue
		}
		st.connsOpen.Add(1)
		s.wg.Go(func() {
			defer func() {
				st.connsOpen.Add(-1)
				<-s.connSlot
			}()
			s.serveConn(ctx, conn, t)
		})
	}
}

// sleepCtx waits for d or until ctx ends, and reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// serveConn reads messages from one connection and hands them to the
// handler, one at a time: while Handle blocks nothing more is read, so the
// sender is pushed back by TCP flow control.
func (s *Server) serveConn(ctx context.Context, conn net.Conn, t transport) {
	// Closing the connection when ctx ends unblocks a pending Read; its
	// error is of no use, as reading stops either way.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer func() {
		stop()
		conn.Close() // reading is over; a close error changes nothing
	}()
	st := &s.stats[t]
	r := &Received{Peer: peerOf(conn.RemoteAddr()), Transport: transportNames[t]}
	if t == transportTLS {
		tc := tls.Server(conn, s.tlsCfg)
		hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			st.handshakeErrors.Add(1)
			s.log.Info("syslog: TLS handshake", "peer", r.Peer.String(), "err", err)
			return
		}
		conn = tc
	}
	fr := newFrameReader(conn, s.cfg.MaxMessageBytes)
	p := newParser()
	var bytesSeen, framingSeen uint64
	failed := false
	for fr.Next() {
		st.bytes.Add(fr.bytesRead - bytesSeen)
		st.framingErrors.Add(fr.framingErrors - framingSeen)
		bytesSeen, framingSeen = fr.bytesRead, fr.framingErrors
		s.receive(r, t, p, fr.Frame(), fr.Truncated(), fr.readTime)
		if err := s.h.Handle(ctx, r, true); err != nil {
			st.dropped.Add(1)
			if ctx.Err() != nil {
				return
			}
			if !failed {
				failed = true
				s.log.Warn("syslog: handler failed; message lost", "transport", r.Transport, "peer", r.Peer.String(), "err", err)
			}
		}
	}
	st.bytes.Add(fr.bytesRead - bytesSeen)
	st.framingErrors.Add(fr.framingErrors - framingSeen)
	if err := fr.Err(); err != nil && ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
		s.log.Info("syslog: connection ended", "transport", r.Transport, "peer", r.Peer.String(), "err", err)
	}
}

// peerOf returns a connection's remote address, with IPv4-mapped IPv6
// addresses unmapped.
func peerOf(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}
