package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/warden-ops/warden/internal/access"
	"github.com/warden-ops/warden/internal/privacy"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// RegistrationView shows a registration: its personal fields masked, or
// revealed under an approval.
type RegistrationView struct {
	ID       record.ID         `json:"id"`
	Time     time.Time         `json:"time"`
	Source   string            `json:"source"`
	Account  string            `json:"account"`
	Fields   map[string]string `json:"fields"`
	Revealed bool              `json:"revealed"`
}

func (s *Server) registrationView(r *record.Record, reveal bool) (*RegistrationView, error) {
	plain, err := s.vault.Reveal(r.Registration.Account, r.Registration.Fields)
	if err != nil {
		return nil, err
	}
	v := &RegistrationView{ID: r.ID, Time: r.EventTime, Source: r.Source, Account: r.Registration.Account, Fields: plain, Revealed: reveal}
	if !reveal {
		for name, value := range plain {
			v.Fields[name] = privacy.Mask(name, value)
		}
	}
	return v, nil
}

// registrationBody is a registration as an operator's systems send it.
type registrationBody struct {
	Account string            `json:"account"`
	Time    time.Time         `json:"time"`
	Source  string            `json:"source"`
	Fields  map[string]string `json:"fields"`
}

// postRegistration encrypts a registration's personal fields and stores
// it. Plain values never reach the store; the audit record names the
// account and the fields, not their values.
func (s *Server) postRegistration(r *http.Request, p *access.Principal) (*reply, error) {
	var b registrationBody
	if err := decodeBody(r, &b); err != nil {
		return nil, err
	}
	if b.Account == "" {
		return nil, badRequest("account is required")
	}
	now := time.Now().UTC()
	if b.Time.IsZero() {
		b.Time = now
	}
	if b.Source == "" {
		b.Source = "api:" + p.User
	}
	fs, err := s.vault.Seal(b.Account, b.Fields)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	rec := &record.Record{Kind: record.KindRegistration, EventTime: b.Time, ReceiveTime: now, Source: b.Source,
		Registration: &record.Registration{Account: b.Account, Fields: fs}}
	ids, err := s.store.Append([]*record.Record{rec})
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusCreated, body: map[string]any{"id": ids[0], "fields": privacy.Names(fs)},
		query: fmt.Sprintf("account=%s fields=%v", b.Account, privacy.Names(fs))}, nil
}

// findRegistrations looks registrations up by account, or by phone or
// identity number through the blind index, in a bounded window. Personal
// fields are masked.
func (s *Server) findRegistrations(r *http.Request, p *access.Principal) (*reply, error) {
	v := r.URL.Query()
	v.Set("kind", "registration")
	sp, err := s.parseSearch(v, false)
	if err != nil {
		return nil, err
	}
	var by, value string
	for _, name := range privacy.Indexed {
		if x := v.Get(name); x != "" {
			by, value = name, x
		}
	}
	if sp.q.Account == "" && by == "" {
		return nil, badRequest("give account, phone or id_number")
	}
	if by != "" {
		match, err := s.vault.Matcher(by, value)
		if err != nil {
			return nil, badRequest("%v", err)
		}
		sp.q.Match = func(r *record.Record) bool { return match(r.Registration.Fields) }
		sp.target += "&" + by + "=" + value
	}
	recs, rep, err := s.collect(r, p, sp)
	if err != nil {
		return nil, err
	}
	// The audit query must not carry the value looked up in clear: it is
	// personal data too. Name the key, mask the value.
	if by != "" {
		rep.query = fmt.Sprintf("registration by %s=%s window=%s..%s", by, privacy.Mask(by, value), v.Get("from"), v.Get("to"))
	}
	res := SearchResult{Count: len(recs), Records: make([]any, 0, len(recs))}
	for _, rec := range recs {
		res.Records = append(res.Records, s.view(rec))
	}
	rep.status, rep.body = http.StatusOK, res
	return rep, nil
}

// reveal shows the personal fields of an account's latest registration,
// spending an approved reveal request for "registration:<account>".
func (s *Server) reveal(r *http.Request, p *access.Principal) (*reply, error) {
	account := r.PathValue("account")
	id := r.URL.Query().Get("approval")
	target := "registration:" + account
	rep := &reply{query: "reveal " + target + " approval=" + id}
	if id == "" {
		return nil, fmt.Errorf("%w: revealing personal fields needs an approved request (POST /api/v1/approvals with purpose reveal, target %q)", access.ErrForbidden, target)
	}
	a, err := s.access.Use(p, id, access.PurposeReveal, target)
	if err != nil {
		return nil, err
	}
	rep.caseRef = a.CaseRef
	var latest *record.Record
	for rec, err := range s.store.Scan(r.Context(), store.Query{Kind: record.KindRegistration, Account: account}) {
		if err != nil {
			return nil, err
		}
		latest = rec
	}
	if latest == nil {
		return nil, fmt.Errorf("%w: no registration for account %s", store.ErrNotFound, account)
	}
	v, err := s.registrationView(latest, true)
	if err != nil {
		return nil, err
	}
	rep.status, rep.body, rep.count = http.StatusOK, v, 1
	return rep, nil
}

type approvalBody struct {
	Purpose access.Purpose `json:"purpose"`
	Target  string         `json:"target"`
	CaseRef string         `json:"case_ref"`
	Reason  string         `json:"reason"`
}

func (s *Server) requestApproval(r *http.Request, p *access.Principal) (*reply, error) {
	var b approvalBody
	if err := decodeBody(r, &b); err != nil {
		return nil, err
	}
	a, err := s.access.Request(p, b.Purpose, b.Target, b.CaseRef, b.Reason)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusCreated, body: a, caseRef: a.CaseRef,
		query: fmt.Sprintf("request %s %s of %s", a.ID, a.Purpose, a.Target)}, nil
}

func (s *Server) listApprovals(_ *http.Request, p *access.Principal) (*reply, error) {
	return ok(s.access.Approvals(p)), nil
}

func (s *Server) decide(approve bool) handler {
	return func(r *http.Request, p *access.Principal) (*reply, error) {
		a, err := s.access.Decide(p, r.PathValue("id"), approve)
		if err != nil {
			return nil, err
		}
		return &reply{status: http.StatusOK, body: a, caseRef: a.CaseRef,
			query: fmt.Sprintf("%s %s: %s of %s requested by %s", a.Decision, a.ID, a.Purpose, a.Target, a.Requester)}, nil
	}
}
