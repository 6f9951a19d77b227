//go:build !linux

package syslog

import (
	"net"
	"syscall"
)

// udpSockets is 1: SO_REUSEPORT balances datagrams across sockets on Linux
// only.
func udpSockets() int { return 1 }

func reusePort(_, _ string, _ syscall.RawConn) error { return nil }

// oobSize is zero: kernel drop counts are read on Linux only.
var oobSize = 0

// tuneUDP asks for a receive buffer of want bytes. Kernel drop counting
// (SO_RXQ_OVFL) is Linux only, so KernelDrops stays zero elsewhere.
func tuneUDP(c *net.UDPConn, want int) (got int, err error) {
	return want, c.SetReadBuffer(want)
}

func rxqOverflow([]byte) (uint32, bool) { return 0, false }
