package radius

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Counters count datagrams by what became of them. Every datagram
// received is counted once more in exactly one of Stored, Duplicates,
// BadAuthenticator, UnknownClient, Malformed, NotAccounting or SinkErrors,
// once its handling ends.
type Counters struct {
	// Received counts datagrams read from the socket.
	Received uint64
	// Stored counts requests whose record became durable and that were
	// answered.
	Stored uint64
	// Raw counts the requests among Stored that could not be mapped to a
	// session or event (no User-Name, an unknown Acct-Status-Type, an
	// attribute of the wrong size) and were kept as raw records.
	Raw uint64
	// Duplicates counts retransmissions: answered again without storing
	// when the first copy was durable, dropped while it was in progress.
	Duplicates uint64
	// BadAuthenticator counts Accounting-Requests whose Request
	// Authenticator did not match the client's secret; not answered.
	BadAuthenticator uint64
	// UnknownClient counts datagrams from addresses no client holds.
	UnknownClient uint64
	// Malformed counts datagrams that are not RADIUS packets: too short,
	// a bad Length, or attributes that overrun the packet.
	Malformed uint64
	// NotAccounting counts RADIUS packets other than Accounting-Request.
	NotAccounting uint64
	// SinkErrors counts requests left unanswered because storing their
	// record failed; the NAS retransmits them.
	SinkErrors uint64
}

// Stats are a server's counters, in total and per client.
type Stats struct {
	Counters
	// Clients holds each configured client's counters by name. Their
	// UnknownClient is always zero.
	Clients map[string]Counters
}

// counters is Counters with atomic fields.
type counters struct {
	received, stored, raw, duplicates, badAuth, unknownClient, malformed, notAccounting, sinkErrors atomic.Uint64
}

func (c *counters) load() Counters {
	return Counters{
		Received: c.received.Load(), Stored: c.stored.Load(), Raw: c.raw.Load(), Duplicates: c.duplicates.Load(),
		BadAuthenticator: c.badAuth.Load(), UnknownClient: c.unknownClient.Load(), Malformed: c.malformed.Load(),
		NotAccounting: c.notAccounting.Load(), SinkErrors: c.sinkErrors.Load(),
	}
}

func (c *Counters) add(o Counters) {
	c.Received += o.Received
	c.Stored += o.Stored
	c.Raw += o.Raw
	c.Duplicates += o.Duplicates
	c.BadAuthenticator += o.BadAuthenticator
	c.UnknownClient += o.UnknownClient
	c.Malformed += o.Malformed
	c.NotAccounting += o.NotAccounting
	c.SinkErrors += o.SinkErrors
}

// Log limits: at most logBurst messages of one kind per logInterval, then
// one summary of how many were suppressed. A flood of bad packets (a
// misconfigured secret on a busy BNG sends thousands a second) thus costs
// a few lines a minute, while a rare problem is still logged every time.
const (
	logBurst    = 10
	logInterval = time.Minute
)

// logLimiter rate-limits one kind of warning.
type logLimiter struct {
	// mu guards the fields below.
	mu         sync.Mutex
	start      time.Time
	n          int
	suppressed int
}

// allow reports whether a message may be logged at now, and how many were
// suppressed since the last one logged.
func (l *logLimiter) allow(now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= logInterval {
		l.start, l.n = now, 0
	}
	if l.n >= logBurst {
		l.suppressed++
		return false, 0
	}
	l.n++
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
}

// warn logs msg at warning level through l's limit.
func (l *logLimiter) warn(log *slog.Logger, now time.Time, msg string, args ...any) {
	ok, suppressed := l.allow(now)
	if !ok {
		return
	}
	if suppressed > 0 {
		args = append(args, "suppressed_since_last", suppressed)
	}
	log.Warn(msg, args...)
}
