package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"
)

// QuestionKind labels what a question exercises.
type QuestionKind string

// Question kinds.
const (
	AskPortBlock     QuestionKind = "port-block"           // a port inside a port block
	AskPortBlockEdge QuestionKind = "port-block-edge"      // a block's first or last port, its neighbour held by another
	AskPerSession    QuestionKind = "per-session"          // a per-session mapping
	AskSessionStart  QuestionKind = "session-start-second" // the second a session starts
	AskSessionEnd    QuestionKind = "session-end-second"   // the second a session stops
	AskSkew          QuestionKind = "skew"                 // a moment the device's skewed log puts outside the mapping
	AskMissingStop   QuestionKind = "missing-stop"         // a session whose stop was lost
	AskIPv6          QuestionKind = "ipv6"                 // an address inside a delegated prefix
	AskNoNAT         QuestionKind = "no-nat"               // a subscriber's own public address
	AskGap           QuestionKind = "gap"                  // a port of a device while it logged nothing
)

// QuestionKinds lists every kind, in the order Questions samples them.
var QuestionKinds = []QuestionKind{AskPortBlock, AskPortBlockEdge, AskPerSession, AskSessionStart, AskSessionEnd,
	AskSkew, AskMissingStop, AskIPv6, AskNoNAT, AskGap}

// Question is a trace-back question with its ground truth.
type Question struct {
	Kind QuestionKind
	Addr netip.Addr
	Port uint16 // 0 asks about the whole address
	At   time.Time
	// Want is the account that used Addr and Port at At, "" when the
	// records cannot tell (a gap).
	Want string
	// Source is the NAT device whose records answer the question, ""
	// for an address without NAT.
	Source string
	// Gap is the gap the answer must report, for gap questions: the
	// configured gap widened to the device's last record before it and
	// first record after it.
	Gap *Gap
}

func (q Question) String() string {
	return fmt.Sprintf("%s %s:%d at %s want %q", q.Kind, q.Addr, q.Port, q.At.Format(time.RFC3339), q.Want)
}

// The trace engine's documented defaults (package query) that decide which
// questions have one answer.
const (
	// engineTolerance is the clock skew the engine allows.
	engineTolerance = 2 * time.Second
	// engineSilence is the pause of a source the engine reports; it looks
	// for the source's records within twice that around the moment.
	engineSilence = 5 * time.Minute
	// engineLifetime bounds a session without a stop.
	engineLifetime = 7 * 24 * time.Hour
	// margin is how far from the moment, beyond the tolerance, any other
	// holder must be for a question to have one answer.
	margin = time.Second
	// inside is how far within the tolerance the true holder must be, so
	// that rounding cannot push it out.
	inside = 100 * time.Millisecond
)

const (
	forever = time.Duration(math.MaxInt64 / 2)
)

// Questions samples up to n questions, about evenly over QuestionKinds,
// each at a moment where the deployment's records give one answer under
// the trace engine's semantics: the true holder is within the tolerance,
// every other holder of the address (and port) well outside it, and the
// moment at least ten minutes from either end of the data. Kinds the
// configuration cannot produce (no gaps, no IPv6) are left out.
func (d *Deployment) Questions(n int, seed uint64) []Question {
	sp := &sampler{d: d, rng: rand.New(rand.NewPCG(seed, seed^0xda942042e4dd58b5))}
	sp.lists()
	var out []Question
	for i, k := range QuestionKinds {
		want := n / len(QuestionKinds)
		if i < n%len(QuestionKinds) {
			want++
		}
		got := 0
		for try := 0; got < want && try < 100*want; try++ {
			// Keep clear of the data's edges, where every source looks
			// silent to the engine.
			if q, ok := sp.ask(k); ok && q.At.Sub(d.cfg.Start) >= 2*engineSilence && q.At.Sub(d.cfg.Start) <= d.cfg.Duration-2*engineSilence {
				q.Kind = k
				out = append(out, q)
				got++
			}
		}
	}
	return out
}

type sampler struct {
	d   *Deployment
	rng *rand.Rand
	// candidate material, by what it can answer
	blocks, flows                 []int32 // fully logged mappings
	blockSessions, publicSessions []int32
	lostStop, ipv6                []int32
	flowsByDev                    [][]int32 // every per-session mapping with a logged record
}

func (sp *sampler) lists() {
	d := sp.d
	sp.flowsByDev = make([][]int32, d.cfg.Devices)
	for i := range d.mappings {
		m := &d.mappings[i]
		full := m.openLogged && m.closeLogged && !d.merged[d.key(m)]
		switch {
		case m.block && full:
			sp.blocks = append(sp.blocks, int32(i))
		case !m.block && full:
			sp.flows = append(sp.flows, int32(i))
		}
		if !m.block && (m.openLogged || m.closeLogged) {
			sp.flowsByDev[m.dev] = append(sp.flowsByDev[m.dev], int32(i))
		}
	}
	for i := range d.sessions {
		s := &d.sessions[i]
		kind := d.subs[s.sub].kind
		if kind == subBlock && len(s.mappings) > 0 {
			sp.blockSessions = append(sp.blockSessions, int32(i))
		}
		if kind == subPublic {
			sp.publicSessions = append(sp.publicSessions, int32(i))
		}
		if !s.stopLogged && s.to < d.cfg.Duration {
			sp.lostStop = append(sp.lostStop, int32(i))
		}
		if s.prefix.IsValid() {
			sp.ipv6 = append(sp.ipv6, int32(i))
		}
	}
}

func pick[T any](rng *rand.Rand, xs []T) (T, bool) {
	var zero T
	if len(xs) == 0 {
		return zero, false
	}
	return xs[rng.IntN(len(xs))], true
}

// second returns a random whole second (after Start) within [lo, hi].
func (sp *sampler) second(lo, hi time.Duration) (time.Duration, bool) {
	lo = (lo + time.Second - 1).Truncate(time.Second)
	hi = hi.Truncate(time.Second)
	if hi < lo {
		return 0, false
	}
	return lo + time.Duration(sp.rng.Int64N(int64((hi-lo)/time.Second)+1))*time.Second, true
}

func (sp *sampler) ask(k QuestionKind) (Question, bool) {
	d := sp.d
	switch k {
	case AskPortBlock, AskPortBlockEdge, AskPerSession:
		list := sp.flows
		if k != AskPerSession {
			list = sp.blocks
		}
		mi, ok := pick(sp.rng, list)
		if !ok {
			return Question{}, false
		}
		m := &d.mappings[mi]
		s := &d.sessions[m.sess]
		t, ok := sp.second(max(m.from, s.from), min(m.to, s.to))
		if !ok {
			return Question{}, false
		}
		port := m.first
		switch k {
		case AskPortBlock:
			port = m.first + 1 + uint16(sp.rng.IntN(int(m.last-m.first-1)))
		case AskPortBlockEdge:
			port, ok = sp.edge(m, t)
			if !ok {
				return Question{}, false
			}
		}
		return sp.nat(mi, port, t)
	case AskSessionStart, AskSessionEnd:
		list := sp.blockSessions
		if sp.rng.IntN(3) == 0 {
			list = sp.publicSessions
		}
		si, ok := pick(sp.rng, list)
		if !ok {
			return Question{}, false
		}
		s := &d.sessions[si]
		t := s.from
		if k == AskSessionEnd {
			if !s.stopLogged {
				return Question{}, false
			}
			t = s.to
		}
		return sp.sessionOrBlock(si, t)
	case AskSkew:
		return sp.skewed()
	case AskMissingStop:
		si, ok := pick(sp.rng, sp.lostStop)
		if !ok {
			return Question{}, false
		}
		s := &d.sessions[si]
		if d.subs[s.sub].kind == subSession {
			mi, ok := pick(sp.rng, s.mappings)
			if !ok {
				return Question{}, false
			}
			m := &d.mappings[mi]
			t, ok := sp.second(m.from, min(m.to, s.to))
			if !ok {
				return Question{}, false
			}
			return sp.nat(mi, m.first, t)
		}
		t, ok := sp.second(s.from, s.to)
		if !ok {
			return Question{}, false
		}
		return sp.sessionOrBlock(si, t)
	case AskIPv6:
		si, ok := pick(sp.rng, sp.ipv6)
		if !ok {
			return Question{}, false
		}
		s := &d.sessions[si]
		t, ok := sp.second(s.from, s.to)
		if !ok {
			return Question{}, false
		}
		b := s.prefix.Addr().As16()
		for i := 7; i < 16; i++ {
			b[i] = byte(sp.rng.IntN(256))
		}
		return sp.session(d.byPrefix[s.prefix], si, netip.AddrFrom16(b), 0, t)
	case AskNoNAT:
		si, ok := pick(sp.rng, sp.publicSessions)
		if !ok {
			return Question{}, false
		}
		s := &d.sessions[si]
		t, ok := sp.second(s.from, s.to)
		if !ok {
			return Question{}, false
		}
		port := uint16(0)
		if sp.rng.IntN(2) == 0 {
			port = uint16(firstPort + sp.rng.IntN(65536-firstPort))
		}
		return sp.session(d.byInside[s.addr], si, s.addr, port, t)
	case AskGap:
		return sp.gap()
	}
	return Question{}, false
}

// edge returns the first or last port of block m when the block next to
// it is held by another subscriber at t.
func (sp *sampler) edge(m *mapping, t time.Duration) (uint16, bool) {
	port, next := m.first, int(m.first)-1
	if sp.rng.IntN(2) == 0 {
		port, next = m.last, int(m.last)+1
	}
	if next < firstPort || next > 65535 {
		return 0, false
	}
	d := sp.d
	for _, oi := range d.byBlockAt[m.out] {
		o := &d.mappings[oi]
		if int(o.first) <= next && next <= int(o.last) && realActive(o.from, o.to, t) &&
			d.subs[d.sessions[o.sess].sub].account != d.subs[d.sessions[m.sess].sub].account {
			return port, true
		}
	}
	return 0, false
}

// sessionOrBlock asks about session si at t: through its port block, or
// its own address.
func (sp *sampler) sessionOrBlock(si int32, t time.Duration) (Question, bool) {
	d := sp.d
	s := &d.sessions[si]
	switch d.subs[s.sub].kind {
	case subPublic:
		return sp.session(d.byInside[s.addr], si, s.addr, 0, t)
	case subBlock:
		for _, mi := range s.mappings {
			m := &d.mappings[mi]
			if m.openLogged && m.closeLogged {
				return sp.nat(mi, m.first+uint16(sp.rng.IntN(int(m.last-m.first+1))), t)
			}
		}
	}
	return Question{}, false
}

func (sp *sampler) skewed() (Question, bool) {
	d := sp.d
	list := sp.flows
	if sp.rng.IntN(2) == 0 {
		list = sp.blocks
	}
	mi, ok := pick(sp.rng, list)
	if !ok {
		return Question{}, false
	}
	m := &d.mappings[mi]
	skew := d.skew[m.dev]
	var t time.Duration
	switch {
	case skew >= 300*time.Millisecond:
		t = m.from.Truncate(time.Second)
		ok = m.logFrom > t
	case skew <= -300*time.Millisecond:
		t = m.to.Truncate(time.Second)
		ok = m.logTo < t
	}
	if !ok {
		return Question{}, false
	}
	return sp.nat(mi, m.first+uint16(sp.rng.IntN(int(m.last-m.first+1))), t)
}

func (sp *sampler) gap() (Question, bool) {
	d := sp.d
	g, ok := pick(sp.rng, d.cfg.Gaps)
	if !ok {
		return Question{}, false
	}
	dev := -1
	for i := range d.cfg.Devices {
		if Device(i) == g.Source {
			dev = i
		}
	}
	if dev < 0 {
		return Question{}, false
	}
	// The silence in the data runs from the device's last record before
	// the configured gap to its first after: that is what the engine can
	// see and must report.
	ts := d.devTimes[dev]
	i, _ := slices.BinarySearch(ts, g.From.Sub(d.cfg.Start))
	j, _ := slices.BinarySearch(ts, g.To.Sub(d.cfg.Start))
	if i == 0 || j == len(ts) {
		return Question{}, false
	}
	from, to := ts[i-1], ts[j]
	silent := Gap{Source: g.Source, From: d.cfg.Start.Add(from), To: d.cfg.Start.Add(to)}
	t, ok := sp.second(max(from, to-2*engineSilence)+15*time.Second, min(to, from+2*engineSilence)-15*time.Second)
	if !ok {
		return Question{}, false
	}
	mi, ok := pick(sp.rng, sp.flowsByDev[dev])
	if !ok {
		return Question{}, false
	}
	m := &d.mappings[mi]
	for _, oi := range d.byEndpoint[uint32(m.out)<<16|uint32(m.first)] {
		if lo, hi, seen := d.engineSpan(oi); seen && near(lo, hi, t) {
			return Question{}, false
		}
	}
	return Question{Addr: publicAddr(m.out), Port: m.first, At: d.cfg.Start.Add(t), Source: g.Source, Gap: &silent}, true
}

// realActive reports whether [from, to] meets the second starting at t.
func realActive(from, to, t time.Duration) bool { return from < t+time.Second && to >= t }

// near reports whether [lo, hi] comes within the tolerance and a margin of t.
func near(lo, hi, t time.Duration) bool {
	return lo <= t+engineTolerance+margin && hi >= t-engineTolerance-margin
}

// holds reports whether the engine, with its tolerance, finds [lo, hi]
// active at t, with room to spare.
func holds(lo, hi, t time.Duration) bool {
	return t >= lo-engineTolerance+inside && t <= hi+engineTolerance-inside
}

// engineSpan returns the interval the engine can reconstruct for mapping
// mi from its logged records, widened where a record is missing, and
// whether it sees the mapping at all.
func (d *Deployment) engineSpan(mi int32) (lo, hi time.Duration, seen bool) {
	m := &d.mappings[mi]
	if d.merged[d.key(m)] {
		return -forever, forever, true
	}
	lo, hi = -forever, forever
	if m.openLogged {
		lo = m.logFrom
	}
	if m.closeLogged {
		hi = m.logTo
	}
	return lo, hi, m.openLogged || m.closeLogged
}

// sessionSpan returns the interval the engine reconstructs for session si
// among group, the sessions sharing its address or prefix: an unlogged
// stop is bounded by the next session of another account.
func (d *Deployment) sessionSpan(group []int32, si int32) (lo, hi time.Duration) {
	s := &d.sessions[si]
	if s.stopLogged {
		return s.from, s.to
	}
	hi = s.lastLogged + engineLifetime
	for _, oi := range group {
		o := &d.sessions[oi]
		if d.subs[o.sub].account != d.subs[s.sub].account && o.from > s.from && o.from < hi {
			hi = o.from
		}
	}
	return s.from, hi
}

// session asks about addr (and port) at t, answered by session si alone
// among group.
func (sp *sampler) session(group []int32, si int32, addr netip.Addr, port uint16, t time.Duration) (Question, bool) {
	d := sp.d
	s := &d.sessions[si]
	if !realActive(s.from, s.to, t) {
		return Question{}, false
	}
	if lo, hi := d.sessionSpan(group, si); !holds(lo, hi, t) {
		return Question{}, false
	}
	account := d.subs[s.sub].account
	for _, oi := range group {
		o := &d.sessions[oi]
		if lo, hi := d.sessionSpan(group, oi); oi != si && near(lo, hi, t) && d.subs[o.sub].account != account {
			return Question{}, false
		}
	}
	return Question{Addr: addr, Port: port, At: d.cfg.Start.Add(t), Want: account}, true
}

// nat asks about mapping mi's outside address and port at t, answered by
// mi alone among the mappings of that port and by its session alone among
// the sessions of its inside address.
func (sp *sampler) nat(mi int32, port uint16, t time.Duration) (Question, bool) {
	d := sp.d
	m := &d.mappings[mi]
	if !m.openLogged || !m.closeLogged || d.merged[d.key(m)] || !realActive(m.from, m.to, t) || !holds(m.logFrom, m.logTo, t) {
		return Question{}, false
	}
	others := d.byEndpoint[uint32(m.out)<<16|uint32(port)]
	if m.block {
		others = d.byBlockAt[m.out]
	}
	for _, oi := range others {
		o := &d.mappings[oi]
		if oi == mi || port < o.first || port > o.last {
			continue
		}
		if lo, hi, seen := d.engineSpan(oi); seen && near(lo, hi, t) {
			return Question{}, false
		}
	}
	s := &d.sessions[m.sess]
	q, ok := sp.session(d.byInside[s.addr], m.sess, publicAddr(m.out), port, t)
	q.Source = Device(int(m.dev))
	return q, ok
}
