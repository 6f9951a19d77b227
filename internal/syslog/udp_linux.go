package syslog

import (
	"encoding/binary"
	"net"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// udpSockets is how many UDP sockets share the port: one per CPU the
// process may use.
func udpSockets() int { return min(runtime.GOMAXPROCS(0), maxUDPSockets) }

// reusePort sets SO_REUSEPORT so several sockets can share the UDP port.
func reusePort(_, _ string, c syscall.RawConn) error {
	var sockErr error
	if err := c.Control(func(fd uintptr) {
		sockErr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}); err != nil {
		return err
	}
	return sockErr
}

// oobSize holds the one control message asked for: SO_RXQ_OVFL's uint32.
var oobSize = unix.CmsgSpace(4)

// tuneUDP asks for a receive buffer of want bytes, first with
// SO_RCVBUFFORCE (which passes net.core.rmem_max but needs CAP_NET_ADMIN),
// and turns on SO_RXQ_OVFL so each datagram carries the socket's drop
// count. It returns the buffer size obtained: the kernel reports double
// what was set, to account for its bookkeeping, so that is halved.
func tuneUDP(c *net.UDPConn, want int) (got int, err error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var sockErr error
	err = rc.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, want) != nil {
			// Without the capability, the kernel caps it at rmem_max.
			if sockErr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, want); sockErr != nil {
				return
			}
		}
		if sockErr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1); sockErr != nil {
			return
		}
		got, sockErr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
		got /= 2
	})
	if err != nil {
		return 0, err
	}
	return got, sockErr
}

// rxqOverflow returns the drop count in the SO_RXQ_OVFL control message in
// oob, if there is one. It parses the headers by hand, since
// unix.ParseSocketControlMessage allocates and, once the socket has
// dropped anything, every datagram carries the count.
func rxqOverflow(oob []byte) (uint32, bool) {
	hdr := unix.CmsgLen(0)
	for len(oob) >= hdr {
		var length uint64
		var level, typ int32
		if unix.SizeofCmsghdr == 16 { // 64-bit: Len is a uint64
			length = binary.NativeEndian.Uint64(oob[0:8])
			level = int32(binary.NativeEndian.Uint32(oob[8:12]))
			typ = int32(binary.NativeEndian.Uint32(oob[12:16]))
		} else {
			length = uint64(binary.NativeEndian.Uint32(oob[0:4]))
			level = int32(binary.NativeEndian.Uint32(oob[4:8]))
			typ = int32(binary.NativeEndian.Uint32(oob[8:12]))
		}
		if length < uint64(hdr) || length > uint64(len(oob)) {
			return 0, false
		}
		if level == unix.SOL_SOCKET && typ == unix.SO_RXQ_OVFL && length >= uint64(hdr+4) {
			return binary.NativeEndian.Uint32(oob[hdr : hdr+4]), true
		}
		next := unix.CmsgSpace(int(length) - hdr)
		if next > len(oob) {
			return 0, false
		}
		oob = oob[next:]
	}
	return 0, false
}
