// Package query answers the question every lawful request asks: who used
// this public address and port at that time?
//
// [Engine.Trace] joins two kinds of records. The NAT mappings active at
// the moment (per-session create/delete pairs, port blocks holding the
// port, interim re-announcements), or a [DeterministicRule] configured for
// a CGN that logs nothing, give the inside address; the sessions holding
// that address (or the public address itself, or the IPv6 prefix that
// contains it) give the account, and [Config.Registrations] its masked
// registration. Every candidate carries the records it rests on, so their
// proofs can be handed over, and the answer says when a source that
// should have covered the moment was silent.
// [Build] turns an answer into [Evidence] (the answer with every record's
// inclusion proof up to one signed checkpoint), which [VerifyEvidence]
// checks offline and [Evidence.HTML] renders for a case file.
package query

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// Config bounds how far the engine looks.
type Config struct {
	// MappingLifetime bounds a per-session mapping whose delete was never
	// logged. Default 24h: carriers' TCP established timeouts are hours.
	MappingLifetime time.Duration
	// BlockLifetime bounds a port block whose release was never logged,
	// and SessionLifetime a subscriber session without a stop; interims
	// renew both. Defaults 7 days.
	BlockLifetime, SessionLifetime time.Duration
	// Tolerance is the clock skew allowed between the question and the
	// devices. Default 2s.
	Tolerance time.Duration
	// Silence is the longest pause of a source that is not reported as a
	// gap. Default 5m, at least 1m.
	Silence time.Duration
	// SourceTolerance overrides Tolerance for the sources it names (a
	// device known to drift); a question's own tolerance overrides both
	// (see toleranceFor).
	SourceTolerance map[string]time.Duration
	// Deterministic are the RFC 7422 rules of CGNs that map addresses by
	// arithmetic and log nothing. Names are unique.
	Deterministic []DeterministicRule
	// Registrations, if set, finds the registration of each candidate's
	// account, with its personal fields masked; nil leaves registrations
	// out of answers. The engine never sees a personal value in clear.
	Registrations RegistrationLookup
}

func (c Config) withDefaults() Config {
	if c.MappingLifetime <= 0 {
		c.MappingLifetime = 24 * time.Hour
	}
	if c.BlockLifetime <= 0 {
		c.BlockLifetime = 7 * 24 * time.Hour
	}
	if c.SessionLifetime <= 0 {
		c.SessionLifetime = 7 * 24 * time.Hour
	}
	if c.Tolerance <= 0 {
		c.Tolerance = 2 * time.Second
	}
	if c.Silence <= 0 {
		c.Silence = 5 * time.Minute
	}
	return c
}

// Engine answers trace-back questions over a store.
type Engine struct {
	st  *store.Store
	cfg Config
}

// New returns an engine over st.
func New(st *store.Store, cfg Config) *Engine { return &Engine{st: st, cfg: cfg.withDefaults()} }

// Question is what a request asks: an address, optionally a port and a
// protocol, and a moment.
type Question struct {
	Addr  netip.Addr
	Port  uint16
	Proto record.Protocol
	At    time.Time
	// Tolerance overrides the engine's clock-skew tolerance if set.
	Tolerance time.Duration
}

// String phrases the question, like "who used 203.0.113.7 port 40001 at
// 2026-11-01T10:00:00+08:00?".
func (q Question) String() string {
	s := "who used " + q.Addr.String()
	if q.Port != 0 {
		s += fmt.Sprintf(" port %d", q.Port)
	}
	if q.Proto != 0 {
		s += " (" + q.Proto.String() + ")"
	}
	return s + " at " + q.At.Format(time.RFC3339) + "?"
}

func (q Question) equal(o Question) bool {
	return q.Addr == o.Addr && q.Port == o.Port && q.Proto == o.Proto && q.At.Equal(o.At) && q.Tolerance == o.Tolerance
}

// Interval is a span a mapping or session was active. Open means no end
// was logged and To is a bound, not an observation.
type Interval struct {
	From, To time.Time
	Open     bool
}

func (iv Interval) holds(t time.Time, tol time.Duration) bool {
	return !t.Before(iv.From.Add(-tol)) && !t.After(iv.To.Add(tol))
}

// Mapping is a reconstructed NAT mapping.
type Mapping struct {
	Inside    netip.AddrPort
	Outside   netip.Addr
	PortFirst uint16
	PortLast  uint16
	Proto     record.Protocol
	Block     bool
	// Rule names the deterministic rule (Answer.Rules) the mapping comes
	// from; empty for a mapping rebuilt from logged records.
	Rule string `json:",omitempty"`
	Trail
}

// Session is a reconstructed subscriber or login session.
type Session struct {
	Account          string
	Addr             netip.Addr
	Prefix           netip.Prefix
	SessionID        string
	CallingStationID string
	Trail
}

// Trail is what mappings and sessions share: the source that logged them,
// when they were active, the records that show it, and why the interval
// ends where it does. Its fields appear in JSON beside the owner's.
type Trail struct {
	Source    string
	Interval  Interval
	Records   []record.ID
	EndReason string
}

// Candidate is one possible answer, with why.
type Candidate struct {
	Account string
	Mapping *Mapping // nil for an address without NAT
	Session *Session
	// Reason says how the records support the answer; Exact is set when
	// both the mapping and the session are logged on both sides of the
	// moment, with no bound assumed and no tolerance needed.
	Reason string
	Exact  bool
	// Registration is the account's registration at the moment, masked;
	// nil when none was found or none was looked up.
	Registration *RegistrationSummary `json:",omitempty"`
}

// Gap is a pause in a source's records around the moment.
type Gap struct {
	Source   string
	From, To time.Time
}

func (g Gap) String() string {
	return fmt.Sprintf("incomplete: %s sent nothing from %s to %s", g.Source, g.From.Format(time.RFC3339), g.To.Format(time.RFC3339))
}

// Answer is the engine's answer, ranked.
type Answer struct {
	Question   Question
	Candidates []Candidate
	// Mappings are every NAT mapping found active at the moment, even
	// those whose session was not found.
	Mappings []*Mapping
	Gaps     []Gap
	Notes    []string
	// Rules are the deterministic NAT rules that gave mappings: policy the
	// operator configured, not logged records, kept here verbatim so the
	// case file shows what the answer rests on.
	Rules []DeterministicRule `json:",omitempty"`
}

// Records returns the IDs of every record the answer rests on.
func (a *Answer) Records() []record.ID {
	var ids []record.ID
	for _, m := range a.Mappings {
		ids = append(ids, m.Records...)
	}
	for _, c := range a.Candidates {
		if c.Session != nil {
			ids = append(ids, c.Session.Records...)
		}
		if c.Registration != nil {
			ids = append(ids, c.Registration.ID)
		}
	}
	slices.SortFunc(ids, func(x, y record.ID) int {
		if x.Kind != y.Kind {
			return int(x.Kind) - int(y.Kind)
		}
		return int(x.Seq) - int(y.Seq)
	})
	return slices.Compact(ids)
}

// ErrQuestion is wrapped by errors about the question itself.
var ErrQuestion = errors.New("bad question")

// Trace answers q.
func (e *Engine) Trace(ctx context.Context, q Question) (*Answer, error) {
	if !q.Addr.IsValid() {
		return nil, fmt.Errorf("%w: an address is required", ErrQuestion)
	}
	if q.At.IsZero() {
		return nil, fmt.Errorf("%w: a time is required", ErrQuestion)
	}
	q.Addr = q.Addr.Unmap()
	ans := &Answer{Question: q}
	maps, sources, err := e.mappings(ctx, q)
	if err != nil {
		return nil, err
	}
	maps = append(maps, e.deterministicMappings(q, ans)...)
	ans.Mappings = maps
	if len(maps) == 0 {
		// No NAT mapping: the address may be a subscriber's own public
		// address, or lie in a delegated IPv6 prefix.
		ss, err := e.sessions(ctx, q.Addr, q.At, q.Tolerance)
		if err != nil {
			return nil, err
		}
		for _, s := range ss {
			ans.Candidates = append(ans.Candidates, Candidate{Account: s.Account, Session: s, Exact: !s.Interval.Open && s.Interval.holds(q.At, 0),
				Reason: "no NAT mapping holds the address; " + describeSession(s, q.At)})
		}
		if len(ss) == 0 {
			ans.Notes = append(ans.Notes, "no NAT mapping and no session holds this address at that time")
		}
	}
	// Several mappings (a port block and a rule, or a mapping logged by
	// two devices) may lead to one inside address: look it up once.
	held := map[netip.Addr][]*Session{}
	for _, m := range maps {
		ss, ok := held[m.Inside.Addr()]
		if !ok {
			var err error
			if ss, err = e.sessions(ctx, m.Inside.Addr(), q.At, q.Tolerance); err != nil {
				return nil, err
			}
			held[m.Inside.Addr()] = ss
		}
		if len(ss) == 0 {
			ans.Notes = append(ans.Notes, fmt.Sprintf("mapping to inside %s found, but no session held that address", m.Inside.Addr()))
		}
		for _, s := range ss {
			exact := !m.Interval.Open && m.Interval.holds(q.At, 0) && !s.Interval.Open && s.Interval.holds(q.At, 0)
			ans.Candidates = append(ans.Candidates, Candidate{Account: s.Account, Mapping: m, Session: s, Exact: exact,
				Reason: describeMapping(m, q.At) + "; " + describeSession(s, q.At)})
		}
	}
	sort.SliceStable(ans.Candidates, func(i, j int) bool { return rank(ans.Candidates[i]) > rank(ans.Candidates[j]) })
	if err := e.attachRegistrations(ctx, ans); err != nil {
		return nil, err
	}
	gaps, err := e.gaps(ctx, q.At, sources)
	if err != nil {
		return nil, err
	}
	ans.Gaps = gaps
	return ans, nil
}

// rank orders candidates: exact first, then those resting on logged ends,
// then those on assumed bounds.
func rank(c Candidate) int {
	r := 0
	if c.Exact {
		r += 4
	}
	if c.Mapping == nil || !c.Mapping.Interval.Open {
		r += 2
	}
	if c.Session != nil && !c.Session.Interval.Open {
		r++
	}
	return r
}

func describeMapping(m *Mapping, at time.Time) string {
	if m.Rule != "" {
		return describeRuleMapping(m)
	}
	what := fmt.Sprintf("%s:%d mapped to %s:%d", m.Inside.Addr(), m.Inside.Port(), m.Outside, m.PortFirst)
	if m.Block {
		what = fmt.Sprintf("%s held port block %s:%d-%d", m.Inside.Addr(), m.Outside, m.PortFirst, m.PortLast)
	}
	return fmt.Sprintf("%s from %s to %s (%s)", what, m.Interval.From.Format(time.RFC3339), m.Interval.To.Format(time.RFC3339), m.EndReason)
}

func describeSession(s *Session, at time.Time) string {
	return fmt.Sprintf("session of %s from %s to %s (%s)", s.Account, s.Interval.From.Format(time.RFC3339), s.Interval.To.Format(time.RFC3339), s.EndReason)
}
