package query

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// mappingKey identifies one NAT mapping's records.
type mappingKey struct {
	proto       record.Protocol
	inside      netip.AddrPort
	outside     netip.Addr
	first, last uint16
	block       bool
}

func keyOf(n *record.NAT) mappingKey {
	k := mappingKey{proto: n.Protocol, inside: netip.AddrPortFrom(n.InsideAddr, n.InsidePort), outside: n.OutsideAddr,
		first: n.OutsidePort, last: n.OutsidePort}
	if n.Event == record.NATBlockAlloc || n.Event == record.NATBlockRelease || n.OutsidePortEnd != 0 {
		k.block, k.last, k.proto = true, max(n.OutsidePortEnd, n.OutsidePort), 0
		k.inside = netip.AddrPortFrom(n.InsideAddr, 0)
	}
	return k
}

// covers reports whether a NAT record can hold the question's port and
// protocol.
func covers(n *record.NAT, port uint16, proto record.Protocol) bool {
	if proto != 0 && n.Protocol != 0 && n.Protocol != proto {
		return false
	}
	if port == 0 {
		return true
	}
	if n.OutsidePortEnd != 0 {
		return n.OutsidePort <= port && port <= n.OutsidePortEnd
	}
	// A port block announced without an end, or an address-only mapping
	// (port 0), holds every port.
	return n.OutsidePort == port || n.OutsidePort == 0
}

// mappings reconstructs the NAT mappings of the question's outside address
// and port that were active at the moment, and names every source that
// logged the address around it.
func (e *Engine) mappings(ctx context.Context, q Question) ([]*Mapping, map[string]bool, error) {
	span := max(e.cfg.BlockLifetime, e.cfg.MappingLifetime)
	sq := store.Query{Kind: record.KindNAT, From: q.At.Add(-span), To: q.At.Add(span), OutsideAddr: q.Addr,
		Match: func(r *record.Record) bool { return covers(r.NAT, q.Port, q.Proto) }}
	win := func() window { return window{start: sq.From} }
	// A question with a port walks outward from the moment; one about a
	// whole address reads the whole window.
	walk := newWalk(q.At, e.widestTolerance(q.Tolerance), sq.From, sq.To, natPhase)
	if q.Port != 0 {
		sq.OutsideAddr, sq.Endpoint = netip.Addr{}, netip.AddrPortFrom(q.Addr, q.Port)
		sq.Around, sq.Done, sq.Match = q.At, walk.done, func(r *record.Record) bool {
			if !covers(r.NAT, q.Port, q.Proto) {
				return false
			}
			walk.see(r)
			return true
		}
		win = walk.window
	}
	all, sources, err := e.reconstruct(ctx, sq, win)
	if err != nil {
		return nil, nil, err
	}
	if q.Port != 0 && !walk.near(2*e.cfg.Silence) {
		// The walk read no record of the port near the moment on one
		// side; the devices that log the address, any port, should have
		// covered it all the same.
		if err := e.addressSources(ctx, q.Addr, q.At, sq.From, sq.To, sources); err != nil {
			return nil, nil, err
		}
	}
	var out []*Mapping
	for _, m := range all {
		if m.Interval.holds(q.At, e.cfg.toleranceFor(m.Source, q.Tolerance)) {
			out = append(out, m)
		}
	}
	return out, sources, nil
}

// addressSources adds to sources those of the NAT records of an outside
// address nearest a moment, on either side of it.
func (e *Engine) addressSources(ctx context.Context, addr netip.Addr, at, from, to time.Time, sources map[string]bool) error {
	var back, fwd bool
	q := store.Query{Kind: record.KindNAT, From: from, To: to, OutsideAddr: addr, Around: at, SourceEnds: true,
		Done: func(b bool, _, _ time.Time) bool { return b && back || !b && fwd },
		Match: func(r *record.Record) bool {
			sources[r.Source] = true
			if r.EventTime.After(at) {
				fwd = true
			} else {
				back = true
			}
			return false
		}}
	for _, err := range e.st.Scan(ctx, q) {
		if err != nil {
			return err
		}
	}
	return nil
}

// widestTolerance is the largest clock skew any source's records may
// have for a question with tolerance qtol (zero if it set none).
func (e *Engine) widestTolerance(qtol time.Duration) time.Duration {
	if qtol > 0 {
		return qtol
	}
	tol := e.cfg.Tolerance
	for _, d := range e.cfg.SourceTolerance {
		tol = max(tol, d)
	}
	return tol
}

// walkBounds narrows a search outward from a moment as records arrive: a
// record that opens an interval by the moment (plus the tolerance) means
// nothing that ended more than twice the tolerance before it can hold the
// moment; the first record after the moment (plus the tolerance) either
// ends the interval that holds it, shows it still active then, or starts
// another; and if the latest record by the moment closed an interval,
// nothing after the tolerance matters. Blocks wholly beyond these bounds
// are not read.
type walkBounds struct {
	at          time.Time
	tol         time.Duration
	floor, ceil time.Time
	end         time.Time // the window's end: ceil before it cut the walk
	phase       func(*record.Record) phase
	// last is the phase of the latest record at or before the moment,
	// lastAt its time; forward says the walk has turned forward.
	last    phase
	lastAt  time.Time
	forward bool
	// nextAt is the time of the earliest record after the moment.
	nextAt time.Time
}

// near reports whether the walk read records within d of the moment on
// both sides.
func (w *walkBounds) near(d time.Duration) bool {
	return w.last != 0 && !w.lastAt.Before(w.at.Add(-d)) && !w.nextAt.IsZero() && !w.nextAt.After(w.at.Add(d))
}

func newWalk(at time.Time, tol time.Duration, from, to time.Time, phaseOf func(*record.Record) phase) *walkBounds {
	return &walkBounds{at: at, tol: tol, floor: from, ceil: to, end: to, phase: phaseOf}
}

// window returns the span the walk read all records of: from its floor,
// cut at its ceiling if it stopped before the end.
func (w *walkBounds) window() window {
	win := window{start: w.floor}
	if w.ceil.Before(w.end) {
		win.cut = w.ceil
	}
	return win
}

func (w *walkBounds) see(r *record.Record) {
	t := r.EventTime
	ph := w.phase(r)
	if ph != 0 && !t.After(w.at) && (w.last == 0 || t.After(w.lastAt)) {
		w.last, w.lastAt = ph, t
	}
	if t.After(w.at) && (w.nextAt.IsZero() || t.Before(w.nextAt)) {
		w.nextAt = t
	}
	switch {
	case ph == 0:
	case t.After(w.at.Add(w.tol)):
		if t.Before(w.ceil) {
			w.ceil = t
		}
	case ph == phaseClose && !t.Before(w.at) && w.at.Add(w.tol).Before(w.ceil):
		// An interval held the moment and ended within the tolerance
		// after it: only what began by then can hold the moment too.
		w.ceil = w.at.Add(w.tol)
	case ph != phaseClose && t.Add(-2*w.tol).After(w.floor):
		// An interval that began at t, within the tolerance of the
		// moment or before it, holds the resource from then on: an
		// older one can hold the moment only by ending within the
		// tolerance of it, after t-2·tol, so its end is read.
		w.floor = t.Add(-2 * w.tol)
	}
}

func (w *walkBounds) done(back bool, oldest, newest time.Time) bool {
	if back {
		return newest.Before(w.floor)
	}
	if !w.forward {
		// Walking back read every record at or before the moment. If
		// the latest of them does not leave an interval open, nothing
		// holds the moment but what begins within the tolerance after
		// it, and no later record can change that.
		w.forward = true
		if w.last == 0 || w.last == phaseClose {
			w.ceil = minTime(w.ceil, w.at.Add(w.tol))
		}
	}
	return oldest.After(w.ceil)
}

// reconstruct rebuilds every mapping of the NAT records q selects, open
// ones bounded, and returns them with the sources that logged them.
func (e *Engine) reconstruct(ctx context.Context, q store.Query, win func() window) ([]*Mapping, map[string]bool, error) {
	byKey := map[mappingKey][]*record.Record{}
	var order []mappingKey
	sources := map[string]bool{}
	for r, err := range e.st.Scan(ctx, q) {
		if err != nil {
			return nil, nil, err
		}
		sources[r.Source] = true
		k := keyOf(r.NAT)
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], r)
	}
	var all []*Mapping
	for _, k := range order {
		all = append(all, e.intervals(k, byKey[k], win())...)
	}
	boundByNext(all)
	return all, sources, nil
}

// phase is what a record does to the interval it belongs to.
type phase uint8

const (
	phaseOpen  phase = iota + 1 // create, block-alloc, start, login
	phaseRenew                  // interim
	phaseClose                  // delete, block-release, stop, logout
)

// spanWords name the ends of an interval in its end reasons.
type spanWords struct{ start, end string } // "allocation"/"release", "start"/"stop"

// window is the span of time whose records a reconstruction saw: all
// records from start, and, if cut is set, none beyond cut but those read
// with it.
type window struct{ start, cut time.Time }

// spans turns the records of one mapping or session, sorted here by event
// time, into the intervals it was active. newSpan makes the item for the
// record that opens an interval starting at from. An interval that never
// closes is bounded by life after its last record, unless the search was
// cut at its last record: then it was seen active up to that record.
func spans[T any](recs []*record.Record, win window, life time.Duration, w spanWords,
	phaseOf func(*record.Record) phase, newSpan func(r *record.Record, from time.Time) (*T, *Trail)) []*T {
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].EventTime.Before(recs[j].EventTime) })
	var out []*T
	var cur *Trail
	var last time.Time
	start := func(r *record.Record, from time.Time) {
		item, tr := newSpan(r, from)
		tr.Source, tr.Interval = r.Source, Interval{From: from}
		out, cur = append(out, item), tr
	}
	for _, r := range recs {
		t := r.EventTime
		switch phaseOf(r) {
		case phaseOpen:
			if cur == nil {
				start(r, t)
			}
		case phaseRenew:
			if cur == nil {
				start(r, t)
				cur.EndReason = "began before its first record in view"
			}
		case phaseClose:
			if cur == nil {
				start(r, win.start)
				cur.EndReason = "its " + w.start + " is older than the search window"
			}
			cur.Records = append(cur.Records, r.ID)
			cur.Interval.To = t
			if cur.EndReason == "" {
				cur.EndReason = w.end + " logged"
			}
			cur = nil
			continue
		default:
			continue
		}
		cur.Records = append(cur.Records, r.ID)
		last = t
	}
	switch {
	case cur != nil && !win.cut.IsZero() && !last.Before(win.cut):
		cur.Interval.To = last
		cur.EndReason = fmt.Sprintf("still active at its record of %s; the search reads no further", last.Format(time.RFC3339))
	case cur != nil && !win.cut.IsZero():
		cur.Interval.To, cur.Interval.Open = last.Add(life), true
		cur.EndReason = fmt.Sprintf("no %s logged up to %s, where the search stops: bounded by the %s lifetime", w.end, win.cut.Format(time.RFC3339), life)
	case cur != nil:
		cur.Interval.To, cur.Interval.Open = last.Add(life), true
		cur.EndReason = fmt.Sprintf("no %s logged: bounded by the %s lifetime", w.end, life)
	}
	return out
}

func natPhase(r *record.Record) phase {
	switch r.NAT.Event {
	case record.NATCreate, record.NATBlockAlloc:
		return phaseOpen
	case record.NATInterim:
		return phaseRenew
	case record.NATDelete, record.NATBlockRelease:
		return phaseClose
	}
	return 0
}

func sessionPhase(r *record.Record) phase {
	switch r.Session.Event {
	case record.SessionStart, record.SessionLogin:
		return phaseOpen
	case record.SessionInterim:
		return phaseRenew
	case record.SessionStop, record.SessionLogout:
		return phaseClose
	}
	return 0
}

// intervals turns one mapping's records into the intervals it was active.
func (e *Engine) intervals(k mappingKey, recs []*record.Record, win window) []*Mapping {
	life := e.cfg.MappingLifetime
	if k.block {
		life = e.cfg.BlockLifetime
	}
	return spans(recs, win, life, spanWords{"allocation", "release"}, natPhase,
		func(*record.Record, time.Time) (*Mapping, *Trail) {
			m := &Mapping{Inside: k.inside, Outside: k.outside, PortFirst: k.first, PortLast: k.last, Proto: k.proto, Block: k.block}
			return m, &m.Trail
		})
}

// boundByNext ends each open mapping no later than the next allocation of
// the same outside resource to another inside address.
func boundByNext(ms []*Mapping) {
	for _, m := range ms {
		if !m.Interval.Open {
			continue
		}
		for _, n := range ms {
			if n == m || n.Outside != m.Outside || n.PortLast < m.PortFirst || n.PortFirst > m.PortLast || n.Inside == m.Inside {
				continue
			}
			if n.Interval.From.After(m.Interval.From) && n.Interval.From.Before(m.Interval.To) {
				m.Interval.To = n.Interval.From
				m.EndReason = "no release logged: ended by the next allocation of the same ports"
			}
		}
	}
}

// sessions reconstructs the sessions holding addr (as their assigned
// address, or inside one of their IPv6 prefixes) at the moment.
func (e *Engine) sessions(ctx context.Context, addr netip.Addr, at time.Time, qtol time.Duration) ([]*Session, error) {
	from, to := at.Add(-e.cfg.SessionLifetime), at.Add(e.cfg.SessionLifetime)
	w := newWalk(at, e.widestTolerance(qtol), from, to, sessionPhase)
	q := store.Query{Kind: record.KindSession, From: from, To: to, Holder: addr, Around: at, Done: w.done,
		Match: func(r *record.Record) bool { w.see(r); return true }}
	groups, order, err := e.sessionGroups(ctx, q)
	if err != nil {
		return nil, err
	}
	var all []*Session
	for _, k := range order {
		all = append(all, e.sessionIntervals(groups[k], w.window())...)
	}
	// An open session ends no later than the next session of the address.
	for _, s := range all {
		if !s.Interval.Open {
			continue
		}
		for _, n := range all {
			if n != s && n.Account != s.Account && n.Interval.From.After(s.Interval.From) && n.Interval.From.Before(s.Interval.To) {
				s.Interval.To = n.Interval.From
				s.EndReason = "no stop logged: ended by the next session of the address"
			}
		}
	}
	var out []*Session
	for _, s := range all {
		if s.Interval.holds(at, e.cfg.toleranceFor(s.Source, qtol)) {
			out = append(out, s)
		}
	}
	return out, nil
}

// sessionIntervals turns one session's records into the intervals it was
// active.
func (e *Engine) sessionIntervals(recs []*record.Record, win window) []*Session {
	return spans(recs, win, e.cfg.SessionLifetime, spanWords{"start", "stop"}, sessionPhase,
		func(r *record.Record, _ time.Time) (*Session, *Trail) {
			s := r.Session
			prefix := s.DelegatedPrefix
			if !prefix.IsValid() {
				prefix = s.IPv6Prefix
			}
			x := &Session{Account: s.Account, Addr: s.Addr, Prefix: prefix, SessionID: s.SessionID, CallingStationID: s.CallingStationID}
			return x, &x.Trail
		})
}

// gaps reports which of the given NAT sources (those that logged the
// address around the moment) were silent around it for longer than
// Silence. The store's index knows when each source was sending, to
// within its records' event times, so no block is read.
func (e *Engine) gaps(ctx context.Context, at time.Time, want map[string]bool) ([]Gap, error) {
	if len(want) == 0 {
		return nil, ctx.Err()
	}
	from, to := at.Add(-2*e.cfg.Silence), at.Add(2*e.cfg.Silence)
	act := e.st.Activity(record.KindNAT, from, to)
	var out []Gap
	for s := range want {
		b, a, inside := from, to, false
		for _, iv := range act[s] {
			switch {
			case iv.From.After(at):
				if iv.From.Before(a) {
					a = iv.From
				}
			case !iv.To.Before(at):
				inside = true
			case iv.To.After(b):
				b = iv.To
			}
		}
		if !inside && a.Sub(b) > e.cfg.Silence {
			out = append(out, Gap{Source: s, From: b, To: a})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out, nil
}
