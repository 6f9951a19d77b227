package httpapi

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/warden-ops/warden/internal/access"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// LineError is one rejected input line.
type LineError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
	// KeptAs is the raw record that keeps the line.
	KeptAs string `json:"kept_as,omitempty"`
}

// IngestResult answers POST /api/v1/records.
type IngestResult struct {
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
	// IDs are the accepted records' IDs, in line order.
	IDs    []record.ID `json:"ids"`
	Errors []LineError `json:"errors,omitempty"`
}

// postRecords stores a body of JSON lines. Valid lines become records;
// each invalid line is reported with its reason and kept as a raw record,
// so nothing sent is lost. The answer comes once everything is durable.
func (s *Server) postRecords(r *http.Request, _ *access.Principal) (*reply, error) {
	// The route wrapper bounds other bodies at 1 MiB; ingestion has its own.
	r.Body = http.MaxBytesReader(nil, r.Body, s.cfg.MaxBodyBytes)
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, min(64<<10, s.cfg.MaxLineBytes)), s.cfg.MaxLineBytes)
	now := time.Now().UTC()
	source := "http:" + r.RemoteAddr
	var res IngestResult
	var recs []*record.Record
	var rejected []int // per record: its index in res.Errors, or -1 if accepted
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		rec, err := record.ParseJSON(b)
		if err != nil {
			res.Errors = append(res.Errors, LineError{Line: line, Error: err.Error()})
			rejected = append(rejected, len(res.Errors)-1)
			recs = append(recs, rawRecord(b, err, source, now))
			continue
		}
		if rec.ReceiveTime.IsZero() {
			rec.ReceiveTime = now
		}
		recs = append(recs, rec)
		rejected = append(rejected, -1)
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return nil, badRequest("line %d is longer than %d bytes; nothing was stored", line+1, s.cfg.MaxLineBytes)
		}
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(recs) == 0 {
		return nil, badRequest("empty body: send one JSON record per line")
	}
	ids, err := s.store.Append(recs)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		if e := rejected[i]; e >= 0 {
			res.Errors[e].KeptAs = id.String()
		} else {
			res.IDs = append(res.IDs, id)
		}
	}
	res.Accepted, res.Rejected = len(res.IDs), len(res.Errors)
	status := http.StatusOK
	if res.Accepted == 0 {
		status = http.StatusUnprocessableEntity
	}
	return &reply{status: status, body: res}, nil
}

// rawFormat marks raw records made from rejected API lines.
const rawFormat = "api-json"

// rawRecord keeps a rejected line verbatim. A line longer than a raw
// record holds keeps its first record.MaxDataLen bytes, and the reason
// says how long it was.
func rawRecord(line []byte, err error, source string, now time.Time) *record.Record {
	reason := err.Error()
	if len(line) > record.MaxDataLen {
		reason = fmt.Sprintf("line of %d bytes, kept to %d: %s", len(line), record.MaxDataLen, reason)
		line = line[:record.MaxDataLen]
	}
	return &record.Record{Kind: record.KindRaw, EventTime: now, ReceiveTime: now, Source: source,
		Raw: &record.Raw{Reason: truncate(reason, record.MaxStringLen), Format: rawFormat, Data: bytes.Clone(line)}}
}

// truncate cuts s to at most n bytes at a UTF-8 boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// view is how a record is shown: registrations with their personal fields
// masked, everything else as it is.
func (s *Server) view(r *record.Record) any {
	if r.Kind != record.KindRegistration {
		return r
	}
	v, err := s.registrationView(r, false)
	if err != nil {
		return map[string]string{"id": r.ID.String(), "error": err.Error()}
	}
	return v
}

func (s *Server) getRecord(r *http.Request, _ *access.Principal) (*reply, error) {
	id, err := record.ParseID(r.PathValue("id"))
	if err != nil {
		return nil, badRequest("%v", err)
	}
	rec, err := s.store.Get(id)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: s.view(rec), count: 1, query: "id=" + id.String()}, nil
}

func (s *Server) getProof(r *http.Request, _ *access.Principal) (*reply, error) {
	id, err := record.ParseID(r.PathValue("id"))
	if err != nil {
		return nil, badRequest("%v", err)
	}
	b, err := s.store.Proof(id)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: b, count: 1, query: "id=" + id.String()}, nil
}

// searchParams are a search's bounds and keys, checked.
type searchParams struct {
	q       store.Query
	target  string // the canonical query, which an export approval names
	limit   int
	approve string
	caseRef string
}

// parseSearch reads and bounds a search: a kind, a time window no longer
// than the configured maximum, and at least one key. No query may walk
// the whole store.
func (s *Server) parseSearch(v url.Values, needKey bool) (*searchParams, error) {
	p := &searchParams{approve: v.Get("approval"), caseRef: v.Get("case_ref")}
	var err error
	if p.q.Kind, err = record.ParseKind(v.Get("kind")); err != nil {
		return nil, badRequest("kind: %v", err)
	}
	if v.Get("from") == "" || v.Get("to") == "" {
		return nil, badRequest("from and to are required (RFC 3339 times): every query is bounded in time")
	}
	if p.q.From, err = time.Parse(time.RFC3339, v.Get("from")); err != nil {
		return nil, badRequest("from: %v", err)
	}
	if p.q.To, err = time.Parse(time.RFC3339, v.Get("to")); err != nil {
		return nil, badRequest("to: %v", err)
	}
	maxWindow, threshold := s.access.Limits()
	if !p.q.To.After(p.q.From) || p.q.To.Sub(p.q.From) > maxWindow {
		return nil, badRequest("the window from %s to %s must be positive and at most %s", v.Get("from"), v.Get("to"), maxWindow)
	}
	keys := 0
	for _, k := range []struct {
		name string
		addr *netip.Addr
	}{{"outside_addr", &p.q.OutsideAddr}, {"inside_addr", &p.q.InsideAddr}} {
		if sv := v.Get(k.name); sv != "" {
			a, err := netip.ParseAddr(sv)
			if err != nil {
				return nil, badRequest("%s: %v", k.name, err)
			}
			*k.addr = a.Unmap()
			keys++
		}
	}
	if sv := v.Get("port"); sv != "" {
		n, err := strconv.ParseUint(sv, 10, 16)
		if err != nil || n == 0 {
			return nil, badRequest("port %q: want 1-65535", sv)
		}
		p.q.Port = uint16(n)
		keys++
	}
	if p.q.Account = v.Get("account"); p.q.Account != "" {
		keys++
	}
	if needKey && keys == 0 {
		return nil, badRequest("give at least one key (outside_addr, inside_addr, port or account): bulk reads need an export approval per key")
	}
	p.limit = threshold
	var parts []string
	for _, k := range []string{"kind", "from", "to", "outside_addr", "inside_addr", "port", "account", "actor"} {
		if sv := v.Get(k); sv != "" {
			parts = append(parts, k+"="+sv)
		}
	}
	p.target = strings.Join(parts, "&")
	return p, nil
}

// collect runs a search, returning at most the export threshold of
// records unless an export approval for exactly this query is spent.
func (s *Server) collect(r *http.Request, p *access.Principal, sp *searchParams) ([]*record.Record, *reply, error) {
	rep := &reply{query: sp.target, caseRef: sp.caseRef}
	var out []*record.Record
	exported := false
	for rec, err := range s.store.Scan(r.Context(), sp.q) {
		if err != nil {
			return nil, rep, err
		}
		if len(out) == sp.limit && !exported {
			if sp.approve == "" {
				return nil, rep, fmt.Errorf("%w: more than %d records match; exporting them needs an approved export request for target %q",
					access.ErrForbidden, sp.limit, sp.target)
			}
			a, err := s.access.Use(p, sp.approve, access.PurposeExport, sp.target)
			if err != nil {
				return nil, rep, err
			}
			rep.caseRef, exported = a.CaseRef, true
		}
		out = append(out, rec)
	}
	rep.count = uint64(len(out))
	return out, rep, nil
}

// SearchResult answers a search.
type SearchResult struct {
	Count   int   `json:"count"`
	Records []any `json:"records"`
}

func (s *Server) search(r *http.Request, p *access.Principal) (*reply, error) {
	sp, err := s.parseSearch(r.URL.Query(), true)
	if err != nil {
		return nil, err
	}
	recs, rep, err := s.collect(r, p, sp)
	if err != nil {
		return nil, err
	}
	res := SearchResult{Count: len(recs), Records: make([]any, 0, len(recs))}
	for _, rec := range recs {
		res.Records = append(res.Records, s.view(rec))
	}
	rep.status, rep.body = http.StatusOK, res
	return rep, nil
}

// auditTrail returns audit records in a bounded window, optionally of one
// actor. Reading the audit trail is itself audited.
func (s *Server) auditTrail(r *http.Request, p *access.Principal) (*reply, error) {
	v := r.URL.Query()
	v.Set("kind", "audit")
	if a := v.Get("actor"); a != "" {
		v.Set("account", a)
	}
	sp, err := s.parseSearch(v, false)
	if err != nil {
		return nil, err
	}
	sp.limit = 100000 // the audit trail of a month; auditors need all of it
	recs, rep, err := s.collect(r, p, sp)
	if err != nil {
		return nil, err
	}
	res := SearchResult{Count: len(recs), Records: make([]any, len(recs))}
	for i, rec := range recs {
		res.Records[i] = rec
	}
	rep.status, rep.body = http.StatusOK, res
	return rep, nil
}
