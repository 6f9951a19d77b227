package syslog

import (
	"bytes"
	"errors"
	"io"
	"time"
)

// framing is how a stream separates messages (RFC 6587 §3.4).
type framing uint8

const (
	framingUnknown framing = iota // not decided: no byte seen yet
	framingOctet                  // "MSG-LEN SP MSG", RFC 5425 and RFC 6587 §3.4.1
	framingLine                   // MSG then LF (or NUL), RFC 6587 §3.4.2
)

// maxLenDigits is the longest MSG-LEN read. Ten digits allow lengths up to
// 9 999 999 999, far beyond any limit, so a longer run is garbage.
const maxLenDigits = 10

// minReadBuffer is the first size of a connection's buffer. It grows, up to
// the longest message plus its length prefix, only when one message needs
// it, so idle and chatty connections alike cost little memory.
const minReadBuffer = 16 << 10

// frameReader splits a stream into syslog messages. The framing is chosen
// by the first byte: a digit starts octet counting (if the digits are
// followed by a space), anything else means one message per line. Lines end
// at LF or NUL; a CR before the LF is dropped. A message longer than max is
// cut to max bytes and flagged, and the rest of it is skipped. In octet
// counting, a frame whose length is not "digits SP" is a framing error: the
// bytes up to the next LF are delivered as a message, so that nothing is
// lost and the stream can resynchronise on the next frame.
//
// It follows the bufio.Scanner pattern: call Next until it returns false,
// then Err.
type frameReader struct {
	rd        io.Reader
	buf       []byte
	r, w      int // unread bytes are buf[r:w]
	max       int
	mode      framing
	inLine    bool // the current octet-counting frame is garbage, read as a line
	nulFirst  bool // the last line ended with NUL: look for NUL before LF
	discard   int  // bytes of an over-long counted frame still to skip
	skipLine  bool // skipping the rest of an over-long line
	scanned   int  // bytes from r known to hold no LF or NUL, so a line trickling in is scanned once
	eof       bool
	err       error // sticky read error, io.EOF at a clean end
	frame     []byte
	truncated bool
	readTime  time.Time // when the last bytes arrived

	// Counters for Stats, read by the owner between calls to Next.
	bytesRead     uint64
	framingErrors uint64
}

func newFrameReader(rd io.Reader, maxMessage int) *frameReader {
	return &frameReader{
		rd:  rd,
		buf: make([]byte, min(minReadBuffer, maxMessage+maxLenDigits+1)),
		max: maxMessage,
	}
}

// Next advances to the next message. It returns false at the end of the
// stream or on a read error.
func (f *frameReader) Next() bool {
	f.frame, f.truncated = nil, false
	for {
		if f.skipped() && f.take() {
			return true
		}
		if f.eof {
			return f.rest()
		}
		f.fill()
	}
}

// take takes one message from the buffer if a whole one is there.
func (f *frameReader) take() bool {
	if f.mode == framingUnknown {
		f.detect()
	}
	switch {
	case f.mode == framingOctet && !f.inLine:
		return f.counted()
	case f.mode != framingUnknown:
		return f.line()
	}
	return false
}

// Frame returns the current message. It is valid until the next call to
// Next.
func (f *frameReader) Frame() []byte { return f.frame }

// Truncated reports whether the current message was cut to the limit.
func (f *frameReader) Truncated() bool { return f.truncated }

// Err returns the read error that ended the stream, or nil at a clean end.
func (f *frameReader) Err() error {
	if errors.Is(f.err, io.EOF) {
		return nil
	}
	return f.err
}

// skipped drops what remains of an over-long message. It reports whether
// that is done, so that framing can go on with the buffered bytes.
func (f *frameReader) skipped() bool {
	if f.discard > 0 {
		n := min(f.discard, f.w-f.r)
		f.r += n
		f.discard -= n
		return f.discard == 0
	}
	if f.skipLine {
		i := f.indexEnd(f.buf[f.r:f.w])
		if i < 0 {
			f.r = f.w
			return false
		}
		f.r += i + 1
		f.skipLine = false
	}
	return true
}

// detect chooses the framing from the first bytes of the stream, skipping
// empty lines. It leaves the mode unknown if it needs more bytes.
func (f *frameReader) detect() {
	b := f.buf[f.r:f.w]
	for len(b) > 0 && (b[0] == '\n' || b[0] == '\r' || b[0] == 0) {
		b = b[1:]
		f.r++
	}
	if len(b) == 0 {
		if f.eof {
			f.mode = framingLine
		}
		return
	}
	n := countDigits(b, maxLenDigits+1)
	switch {
	case n == 0 || n > maxLenDigits:
		f.mode = framingLine
	case n == len(b) && !f.eof:
		// The length may go on: wait.
	case n < len(b) && b[n] == ' ':
		f.mode = framingOctet
	default:
		f.mode = framingLine
	}
}

// counted takes one octet-counted frame from the buffer, if it is all
// there.
func (f *frameReader) counted() bool {
	b := f.buf[f.r:f.w]
	// Some senders end each frame with a newline too; skip it.
	for len(b) > 0 && (b[0] == '\n' || b[0] == '\r' || b[0] == 0 || b[0] == ' ') {
		b = b[1:]
		f.r++
	}
	if len(b) == 0 {
		return false
	}
	n := countDigits(b, maxLenDigits+1)
	if n == len(b) && n <= maxLenDigits {
		return false // the length may go on
	}
	length := 0
	for _, c := range b[:min(n, maxLenDigits)] {
		length = length*10 + int(c-'0')
	}
	if n == 0 || n > maxLenDigits || b[n] != ' ' || length == 0 {
		f.framingErrors++
		f.inLine = true
		return f.line()
	}
	take := min(length, f.max)
	if len(b) < n+1+take {
		f.reserve(n + 1 + take)
		return false
	}
	f.frame = b[n+1 : n+1+take]
	f.r += n + 1 + take
	if length > f.max {
		f.truncated = true
		f.discard = length - f.max
	}
	return true
}

// line takes one line from the buffer if its end is there, or the first
// max bytes of a line longer than max.
func (f *frameReader) line() bool {
	for {
		b := f.buf[f.r:f.w]
		i := f.indexEnd(b[f.scanned:])
		if i < 0 {
			if len(b) <= f.max {
				f.scanned = len(b)
				return false
			}
			f.frame, f.truncated, f.skipLine = b[:f.max], true, true
			f.r += f.max
			f.inLine = false
			f.scanned = 0
			return true
		}
		i += f.scanned
		f.scanned = 0
		f.r += i + 1
		line := b[:i]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			continue
		}
		f.inLine = false
		if len(line) > f.max {
			line, f.truncated = line[:f.max], true
		}
		f.frame = line
		return true
	}
}

// rest delivers what is left in the buffer at the end of the stream: a last
// line without its LF, or, in octet counting, a frame cut short (a framing
// error). It returns false when nothing is left.
func (f *frameReader) rest() bool {
	if f.discard > 0 || f.skipLine {
		f.r, f.discard, f.skipLine = f.w, 0, false
	}
	b := bytes.TrimRight(f.buf[f.r:f.w], "\r\n\x00")
	f.r, f.scanned = f.w, 0
	if len(bytes.Trim(b, "\r\n\x00 ")) == 0 {
		return false
	}
	if f.mode == framingOctet && !f.inLine {
		f.framingErrors++
		f.truncated = true
		if n := countDigits(b, maxLenDigits); n > 0 && n < len(b) && b[n] == ' ' {
			b = b[n+1:]
		}
		if len(b) == 0 {
			return false // a length and nothing after it
		}
	}
	if len(b) > f.max {
		b, f.truncated = b[:f.max], true
	}
	f.frame = b
	return true
}

// indexEnd returns the index of the first LF or NUL in b, or -1. It looks
// first for the terminator the last line had and then for the other only
// within the line so found, so a long buffer of either kind of lines is
// scanned once.
func (f *frameReader) indexEnd(b []byte) int {
	first, second := byte('\n'), byte(0)
	if f.nulFirst {
		first, second = second, first
	}
	i := bytes.IndexByte(b, first)
	within := b
	if i >= 0 {
		within = b[:i]
	}
	if j := bytes.IndexByte(within, second); j >= 0 {
		f.nulFirst = !f.nulFirst
		return j
	}
	return i
}

// reserve makes room in the buffer for a frame of n bytes from f.r, moving
// the unread bytes to the front and growing the buffer up to the limit.
func (f *frameReader) reserve(n int) {
	if f.r+n <= len(f.buf) {
		return
	}
	if n > len(f.buf) {
		size := len(f.buf)
		for size < n {
			size *= 2
		}
		size = min(size, f.max+maxLenDigits+1)
		buf := make([]byte, size)
		f.w = copy(buf, f.buf[f.r:f.w])
		f.buf, f.r = buf, 0
		return
	}
	f.w = copy(f.buf, f.buf[f.r:f.w])
	f.r = 0
}

// fill reads once into the free end of the buffer. It first moves the
// unread bytes to the front if less than a quarter of the buffer is free
// at the end, and grows the buffer if they fill it.
func (f *frameReader) fill() {
	if f.r == f.w {
		f.r, f.w = 0, 0
	}
	if f.r > 0 && len(f.buf)-f.w < len(f.buf)/4 {
		f.w = copy(f.buf, f.buf[f.r:f.w])
		f.r = 0
	}
	if f.w == len(f.buf) {
		f.reserve(len(f.buf) + 1)
	}
	n, err := f.rd.Read(f.buf[f.w:])
	if n > 0 {
		f.w += n
		f.bytesRead += uint64(n)
		f.readTime = time.Now()
	}
	if err != nil {
		f.err, f.eof = err, true
	}
}

// countDigits returns how many digits, at most limit, start b.
func countDigits(b []byte, limit int) int {
	n := 0
	for n < len(b) && n < limit && isDigit(b[n]) {
		n++
	}
	return n
}
