package radius

import (
	"net/netip"
	"sync"
	"time"
)

// maxDuplicates bounds the requests the duplicate cache remembers. Each
// takes 45-90 bytes (a 33-byte key and its state in a Go map, which
// doubles as it grows): 40 MiB measured when full. Each of its two
// generations holds half, so a request is remembered for the whole window
// up to ~8,700 requests/s (with the 30s default); past that the cache
// forgets sooner, at 50,000/s after 5-10s, which still covers a NAS's
// usual retransmissions 3-5s apart. A request forgotten too soon is
// stored again when retransmitted: a duplicate record, never a lost one.
const maxDuplicates = 1 << 19

// dupKey identifies a request: the NAS's address, the Identifier and the
// Request Authenticator. The authenticator is an MD5 over the whole packet
// and the secret, so equal keys mean equal packets (RFC 5080 §2.2.2 keys
// on the same fields, plus the port, which a NAS may change between
// tries).
type dupKey struct {
	addr [16]byte
	auth [16]byte
	id   byte
}

func newDupKey(src netip.Addr, id byte, auth []byte) dupKey {
	k := dupKey{addr: src.As16(), id: id}
	copy(k.auth[:], auth)
	return k
}

// dupState is what became of a remembered request.
type dupState uint8

const (
	// dupNew: not seen; the caller now owns it and must call done or
	// forget.
	dupNew dupState = iota
	// dupInProgress: another goroutine is storing it.
	dupInProgress
	// dupDone: it is durable; answer again.
	dupDone
)

// dupCache remembers requests for at least a window. It keeps two
// generations of maps and drops the older one each time the current one
// is a window old or holds half of maxDuplicates; a request is therefore
// remembered between one and two windows, or less when the cache is full.
type dupCache struct {
	window time.Duration
	limit  int // entries per generation

	// mu guards the fields below.
	mu      sync.Mutex
	cur     map[dupKey]dupState
	prev    map[dupKey]dupState
	rotated time.Time // when cur was started
}

func newDupCache(window time.Duration, limit int) *dupCache {
	return &dupCache{window: window, limit: max(limit/2, 1), cur: map[dupKey]dupState{}, prev: map[dupKey]dupState{}}
}

// begin looks k up at time now and, if it is new, marks it in progress.
func (c *dupCache) begin(k dupKey, now time.Time) dupState {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rotated.IsZero() {
		c.rotated = now
	}
	if now.Sub(c.rotated) >= c.window || len(c.cur) >= c.limit {
		c.prev, c.cur, c.rotated = c.cur, make(map[dupKey]dupState, len(c.cur)), now
	}
	if st, ok := c.cur[k]; ok {
		return st
	}
	if st, ok := c.prev[k]; ok {
		return st
	}
	c.cur[k] = dupInProgress
	return dupNew
}

// done marks k durable, so a retransmission is answered again.
func (c *dupCache) done(k dupKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.cur[k]; ok {
		c.cur[k] = dupDone
	} else if _, ok := c.prev[k]; ok {
		c.prev[k] = dupDone
	}
}

// forget drops k, so a retransmission is tried afresh (the first try was
// not stored).
func (c *dupCache) forget(k dupKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.cur, k)
	delete(c.prev, k)
}
