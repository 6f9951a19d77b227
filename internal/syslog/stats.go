package syslog

import "sync/atomic"

// Stats counts what a Server received, per transport.
type Stats struct {
	UDP, TCP, TLS TransportStats
}

// TransportStats counts what one transport received since New.
type TransportStats struct {
	// Messages is the number of messages framed and handed to the
	// Handler, including those it dropped.
	Messages uint64
	// Bytes is the number of bytes read: datagram payloads, or the stream
	// including framing.
	Bytes uint64
	// FramingErrors counts stream frames whose octet count was not
	// "digits SP", and streams that ended inside a frame. The bytes are
	// still delivered as a message.
	FramingErrors uint64
	// HeaderErrors counts messages delivered with HeaderErr set.
	HeaderErrors uint64
	// Truncated counts messages cut to MaxMessageBytes.
	Truncated uint64
	// Dropped counts messages the Handler returned an error for: refused
	// UDP messages, or stream messages it failed to take.
	Dropped uint64
	// KernelDrops counts datagrams the kernel dropped because the UDP
	// receive queue was full (SO_RXQ_OVFL; Linux only). The kernel reports
	// it with the next datagram received, so it lags until one arrives.
	KernelDrops uint64
	// ConnsOpen and ConnsTotal count stream connections open now and
	// accepted so far.
	ConnsOpen  int64
	ConnsTotal uint64
	// ConnsRefused counts stream connections closed at once because too
	// many were open.
	ConnsRefused uint64
	// HandshakeErrors counts TLS connections that failed the handshake,
	// including clients without an acceptable certificate.
	HandshakeErrors uint64
}

// counters are the live TransportStats.
type counters struct {
	messages, bytes, framingErrors, headerErrors atomic.Uint64
	truncated, dropped, kernelDrops              atomic.Uint64
	connsOpen                                    atomic.Int64
	connsTotal, connsRefused, handshakeErrors    atomic.Uint64
}

func (c *counters) snapshot() TransportStats {
	return TransportStats{
		Messages:        c.messages.Load(),
		Bytes:           c.bytes.Load(),
		FramingErrors:   c.framingErrors.Load(),
		HeaderErrors:    c.headerErrors.Load(),
		Truncated:       c.truncated.Load(),
		Dropped:         c.dropped.Load(),
		KernelDrops:     c.kernelDrops.Load(),
		ConnsOpen:       c.connsOpen.Load(),
		ConnsTotal:      c.connsTotal.Load(),
		ConnsRefused:    c.connsRefused.Load(),
		HandshakeErrors: c.handshakeErrors.Load(),
	}
}

// Stats returns the counts so far. It is safe to call at any time.
func (s *Server) Stats() Stats {
	return Stats{
		UDP: s.stats[transportUDP].snapshot(),
		TCP: s.stats[transportTCP].snapshot(),
		TLS: s.stats[transportTLS].snapshot(),
	}
}
