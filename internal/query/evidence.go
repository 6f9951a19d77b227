package query

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/seal"
	"github.com/warden-ops/warden/internal/store"
)

// EvidenceFormat names the evidence format and its version
// (docs/format/proof.md#evidence).
const EvidenceFormat = "warden-evidence-v1"

// buildAttempts bounds how often Build re-proves the records when a new
// checkpoint is published while it works. A writer publishes at most about
// once a second and proving an answer's handful of records takes
// milliseconds, so a second attempt almost always succeeds; five leaves
// room for a slow disk without looping forever.
const buildAttempts = 5

// Evidence is a self-contained case-file copy of an answer: the question,
// the answer, and the inclusion proof of every record the answer rests on,
// all up to one signed checkpoint. [VerifyEvidence] checks it offline.
//
// Only the records are authenticated (by the proofs). The answer is the
// builder's reading of them; VerifyEvidence checks that it agrees with the
// proven records, but cannot check what they leave out (gaps, notes, or
// records the store did not return). Created and CaseRef are the
// builder's claims.
type Evidence struct {
	Format   string   `json:"format"`
	Question Question `json:"question"`
	Answer   *Answer  `json:"answer"`
	// Proofs holds one bundle per record of Answer.Records(), in that
	// order, each against Checkpoint.
	Proofs      []seal.Bundle `json:"proofs"`
	Checkpoint  string        `json:"checkpoint"`
	VerifierKey string        `json:"verifier_key"`
	Created     time.Time     `json:"created"`
	CaseRef     string        `json:"case_ref,omitempty"`
	// Digest is the hex SHA-256 of the evidence's JSON without Digest. It
	// is not signed: it catches accidental change of the parts no proof
	// covers, not forgery.
	Digest string `json:"digest,omitempty"`
}

// Build proves every record ans rests on and returns the evidence.
//
// Every record must be sealed; if one is not, the error wraps
// [store.ErrNotSealed] and the caller should retry after the store's block
// age (about a second). All proofs must refer to one checkpoint: if the
// store publishes a new checkpoint while Build works, Build proves every
// record again against the newest one, up to a few times. Build only reads
// the store, so it works on a read-only store too, where records sealed
// after the writer's last checkpoint are refused with store.ErrNotSealed.
func Build(ctx context.Context, st *store.Store, ans *Answer, caseRef string) (*Evidence, error) {
	ids := ans.Records()
	ev := &Evidence{Format: EvidenceFormat, Question: ans.Question, Answer: ans, CaseRef: caseRef, Created: time.Now().UTC()}
	if len(ids) == 0 {
		ev.Checkpoint, ev.VerifierKey = string(st.Checkpoint()), st.VerifierKey()
		if ev.Checkpoint == "" {
			return nil, errors.New("build evidence: the store has no signed checkpoint yet")
		}
		return ev.withDigest()
	}
	for range buildAttempts {
		proofs, err := proveAll(ctx, st, ids)
		if err != nil {
			return nil, err
		}
		cp := proofs[0].Checkpoint
		if !slices.ContainsFunc(proofs, func(b seal.Bundle) bool { return b.Checkpoint != cp }) {
			ev.Proofs, ev.Checkpoint, ev.VerifierKey = proofs, cp, proofs[0].VerifierKey
			return ev.withDigest()
		}
	}
	return nil, fmt.Errorf("build evidence: the store published a new checkpoint during each of %d attempts; try again", buildAttempts)
}

func proveAll(ctx context.Context, st *store.Store, ids []record.ID) ([]seal.Bundle, error) {
	proofs := make([]seal.Bundle, 0, len(ids))
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := st.Proof(id)
		if errors.Is(err, store.ErrNotSealed) {
			return nil, fmt.Errorf("build evidence: %w; retry after the store's block age (about a second)", err)
		}
		if err != nil {
			return nil, fmt.Errorf("build evidence: prove %s: %w", id, err)
		}
		proofs = append(proofs, *b)
	}
	return proofs, nil
}

// EvidenceError says which proof or which link between the answer and its
// records does not hold.
type EvidenceError struct {
	// Where names the failing part: "checkpoint", "proof of nat:3",
	// "mapping 1", "candidate 2 (alice)", ...
	Where string
	Err   error
}

func (e *EvidenceError) Error() string { return "evidence: " + e.Where + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *EvidenceError) Unwrap() error { return e.Err }

// VerifyEvidence checks e offline (docs/format/proof.md#evidence-verification):
// the checkpoint's signature, every proof with [seal.VerifyBundle] against
// that one checkpoint, that the proofs are exactly the records the answer
// names, and that every mapping, session and candidate agrees with its
// proven records. The signature is checked with trusted if it is not nil,
// else with the evidence's own key, which proves integrity but not who
// signed. The error is an [*EvidenceError] naming the first failure.
func VerifyEvidence(e *Evidence, trusted note.Verifier) error {
	fail := func(where string, format string, args ...any) error {
		return &EvidenceError{Where: where, Err: fmt.Errorf(format, args...)}
	}
	if e.Format != EvidenceFormat {
		return fail("format", "unknown format %q, want %q", e.Format, EvidenceFormat)
	}
	if e.Answer == nil {
		return fail("answer", "missing")
	}
	if !e.Question.equal(e.Answer.Question) {
		return fail("question", "asks %q, but the answer is to %q", e.Question, e.Answer.Question)
	}
	v := trusted
	if v == nil {
		k, err := seal.ParseVerifierKey(e.VerifierKey, nil)
		if err != nil {
			return &EvidenceError{Where: "verifier key", Err: err}
		}
		v = k.Verifier
	}
	if _, err := seal.OpenSigned([]byte(e.Checkpoint), v); err != nil {
		return &EvidenceError{Where: "checkpoint", Err: err}
	}
	proven := map[record.ID]*record.Record{}
	for i := range e.Proofs {
		b := &e.Proofs[i]
		where := "proof of " + b.ID.String()
		if b.Checkpoint != e.Checkpoint || b.VerifierKey != e.VerifierKey {
			return fail(where, "made against another checkpoint or key than the evidence's")
		}
		if _, err := seal.VerifyBundle(b, v); err != nil {
			return &EvidenceError{Where: where, Err: err}
		}
		if _, dup := proven[b.ID]; dup {
			return fail(where, "given twice")
		}
		proven[b.ID] = b.Record
	}
	if err := checkAnswer(e.Answer, proven); err != nil {
		return err
	}
	// Last, so that a change the checks above can name is named.
	if d, err := e.digest(); err != nil || d != e.Digest {
		return fail("digest", "the evidence changed after it was built, in a part no proof covers (gaps, notes, end reasons, case reference or creation time)")
	}
	return nil
}

// digest returns the hex SHA-256 of e's JSON encoding without its digest.
func (e *Evidence) digest() (string, error) {
	c := *e
	c.Digest = ""
	b, err := json.Marshal(&c)
	if err != nil {
		return "", fmt.Errorf("encode evidence: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// withDigest sets e's digest and returns e.
func (e *Evidence) withDigest() (*Evidence, error) {
	d, err := e.digest()
	if err != nil {
		return nil, err
	}
	e.Digest = d
	return e, nil
}

// checkAnswer checks that the answer names exactly the proven records and
// that every mapping, session and candidate agrees with them.
func checkAnswer(a *Answer, proven map[record.ID]*record.Record) error {
	named := map[record.ID]bool{}
	for _, id := range a.Records() {
		named[id] = true
	}
	for _, c := range a.Candidates {
		if c.Mapping != nil {
			for _, id := range c.Mapping.Records {
				named[id] = true
			}
		}
	}
	for id := range named {
		if proven[id] == nil {
			return &EvidenceError{Where: "record " + id.String(), Err: errors.New("named by the answer but not proven")}
		}
	}
	for id := range proven {
		if !named[id] {
			return &EvidenceError{Where: "proof of " + id.String(), Err: errors.New("proves a record the answer does not name")}
		}
	}
	q := a.Question
	for _, r := range a.Rules {
		if err := r.Validate(); err != nil {
			return &EvidenceError{Where: "rule " + r.Name, Err: err}
		}
	}
	for i, m := range a.Mappings {
		if err := checkMapping(m, q, a.Rules, proven); err != nil {
			return &EvidenceError{Where: fmt.Sprintf("mapping %d", i+1), Err: err}
		}
	}
	for i, c := range a.Candidates {
		if err := checkCandidate(c, q, a.Rules, proven); err != nil {
			return &EvidenceError{Where: fmt.Sprintf("candidate %d (%s)", i+1, c.Account), Err: err}
		}
	}
	return nil
}

func checkCandidate(c Candidate, q Question, rules []DeterministicRule, proven map[record.ID]*record.Record) error {
	s := c.Session
	if s == nil {
		return errors.New("names no session")
	}
	if c.Account != s.Account {
		return fmt.Errorf("account %q, but its session is of %q", c.Account, s.Account)
	}
	if err := checkSession(s, proven); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	held, exact := q.Addr, !s.Interval.Open && s.Interval.holds(q.At, 0)
	if m := c.Mapping; m != nil {
		if err := checkMapping(m, q, rules, proven); err != nil {
			return fmt.Errorf("mapping: %w", err)
		}
		held, exact = m.Inside.Addr(), exact && !m.Interval.Open && m.Interval.holds(q.At, 0)
	}
	if s.Addr != held && !s.Prefix.Contains(held) {
		return fmt.Errorf("its session (address %s, prefix %s) does not hold %s", s.Addr, s.Prefix, held)
	}
	want := "no NAT mapping holds the address; " + describeSession(s, q.At)
	if c.Mapping != nil {
		want = describeMapping(c.Mapping, q.At) + "; " + describeSession(s, q.At)
	}
	if c.Reason != want {
		return fmt.Errorf("reason %q does not describe its records; they say %q", c.Reason, want)
	}
	if c.Exact && !exact {
		return errors.New("claimed exact, but its records do not log both sides of the moment")
	}
	if c.Registration != nil {
		if err := checkRegistration(c.Registration, c.Account, q, proven); err != nil {
			return fmt.Errorf("registration: %w", err)
		}
	}
	return nil
}

// checkMapping checks that m holds the question's address and port and
// is what its records say, or, for a deterministic mapping, what its rule
// says.
func checkMapping(m *Mapping, q Question, rules []DeterministicRule, proven map[record.ID]*record.Record) error {
	if m.Outside != q.Addr {
		return fmt.Errorf("outside address %s, but the question is about %s", m.Outside, q.Addr)
	}
	if m.Rule != "" {
		return checkRuleMapping(m, q, rules)
	}
	recs, err := recordsOf(m.Records, record.KindNAT, proven)
	if err != nil {
		return err
	}
	want := mappingKey{proto: m.Proto, inside: m.Inside, outside: m.Outside, first: m.PortFirst, last: m.PortLast, block: m.Block}
	for _, r := range recs {
		if keyOf(r.NAT) != want {
			ports := fmt.Sprint(m.PortFirst)
			if m.Block {
				ports = fmt.Sprintf("%d-%d", m.PortFirst, m.PortLast)
			}
			return fmt.Errorf("record %s says %s, not the mapping %s -> %s:%s", r.ID, keyFields(r), m.Inside, m.Outside, ports)
		}
		if !covers(r.NAT, q.Port, q.Proto) {
			return fmt.Errorf("record %s does not hold port %d %s", r.ID, q.Port, q.Proto)
		}
	}
	if recs[0].Source != m.Source {
		return fmt.Errorf("source %q, but record %s is from %q", m.Source, recs[0].ID, recs[0].Source)
	}
	isEnd := func(r *record.Record) bool {
		return r.NAT.Event == record.NATDelete || r.NAT.Event == record.NATBlockRelease
	}
	return checkInterval(m.Interval, recs, isEnd)
}

// checkSession checks that s is what its records say.
func checkSession(s *Session, proven map[record.ID]*record.Record) error {
	recs, err := recordsOf(s.Records, record.KindSession, proven)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Session.Account != s.Account || r.Session.SessionID != s.SessionID {
			return fmt.Errorf("record %s is of account %q session %q, not %q session %q", r.ID,
				r.Session.Account, r.Session.SessionID, s.Account, s.SessionID)
		}
		if r.Session.Event == record.SessionFailed {
			return fmt.Errorf("record %s is a failed attempt, not part of a session", r.ID)
		}
	}
	// The session's other fields come from its first record.
	f := recs[0]
	prefix := f.Session.DelegatedPrefix
	if !prefix.IsValid() {
		prefix = f.Session.IPv6Prefix
	}
	if f.Session.Addr != s.Addr || prefix != s.Prefix || f.Session.CallingStationID != s.CallingStationID || f.Source != s.Source {
		return fmt.Errorf("record %s has address %s, prefix %s, calling station %q, source %q; the session says %s, %s, %q, %q", f.ID,
			f.Session.Addr, prefix, f.Session.CallingStationID, f.Source, s.Addr, s.Prefix, s.CallingStationID, s.Source)
	}
	isEnd := func(r *record.Record) bool {
		return r.Session.Event == record.SessionStop || r.Session.Event == record.SessionLogout
	}
	return checkInterval(s.Interval, recs, isEnd)
}

// recordsOf returns the proven records ids, which must be of kind k, in
// event-time order.
func recordsOf(ids []record.ID, k record.Kind, proven map[record.ID]*record.Record) ([]*record.Record, error) {
	if len(ids) == 0 {
		return nil, errors.New("rests on no records")
	}
	recs := make([]*record.Record, 0, len(ids))
	for _, id := range ids {
		r := proven[id]
		if r == nil {
			return nil, fmt.Errorf("record %s is not proven", id)
		}
		if r.Kind != k {
			return nil, fmt.Errorf("record %s is a %s record, want %s", id, r.Kind, k)
		}
		recs = append(recs, r)
	}
	slices.SortStableFunc(recs, func(x, y *record.Record) int { return x.EventTime.Compare(y.EventTime) })
	return recs, nil
}

// checkInterval checks an interval against its records in event-time
// order, as the engine builds it: it starts at the first record (unless
// that is an end, whose start lies before the search window); a closed
// interval ends at its last record, which is an end; an open one has no
// end record. An open interval's To is a bound the engine chose, which
// the records cannot confirm.
func checkInterval(iv Interval, recs []*record.Record, isEnd func(*record.Record) bool) error {
	first, last := recs[0], recs[len(recs)-1]
	if !isEnd(first) && !iv.From.Equal(first.EventTime) || iv.From.After(first.EventTime) {
		return fmt.Errorf("starts %s, but its first record %s is at %s", iv.From.Format(time.RFC3339Nano), first.ID, first.EventTime.Format(time.RFC3339Nano))
	}
	for _, r := range recs[:len(recs)-1] {
		if isEnd(r) {
			return fmt.Errorf("record %s ends it before its last record", r.ID)
		}
	}
	switch {
	case iv.Open && isEnd(last):
		return fmt.Errorf("said to have no logged end, but record %s ends it", last.ID)
	case !iv.Open && !isEnd(last):
		return fmt.Errorf("said to end at a logged end, but its last record %s does not end it", last.ID)
	case !iv.Open && !iv.To.Equal(last.EventTime):
		return fmt.Errorf("ends %s, but its end record %s is at %s", iv.To.Format(time.RFC3339Nano), last.ID, last.EventTime.Format(time.RFC3339Nano))
	}
	return nil
}
