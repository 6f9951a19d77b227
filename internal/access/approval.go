package access

import (
	"fmt"
	"sort"
	"time"
)

// Purpose is what an approval allows, once.
type Purpose string

// The purposes that need two people.
const (
	// PurposeReveal shows the personal fields of one registration.
	PurposeReveal Purpose = "reveal"
	// PurposeExport returns more records than the export threshold from
	// one query.
	PurposeExport Purpose = "export"
)

// Approval is a request for a reveal or an export and what became of it.
type Approval struct {
	ID      string  `json:"id"`
	Purpose Purpose `json:"purpose"`
	// Target names exactly what may be revealed or exported: an account
	// ("registration:alice") or a query.
	Target    string    `json:"target"`
	CaseRef   string    `json:"case_ref"`
	Reason    string    `json:"reason,omitempty"`
	Requester string    `json:"requester"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
	// Decision is "", "approved" or "refused".
	Decision  string    `json:"decision,omitempty"`
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	UsedAt    time.Time `json:"used_at,omitzero"`
}

// Request asks for an approval. It needs a case reference, which every
// audit record of its use will carry.
func (s *Service) Request(p *Principal, purpose Purpose, target, caseRef, reason string) (*Approval, error) {
	if !p.Can(PermRequest) {
		return nil, fmt.Errorf("%w: %s may not request reveals or exports", ErrForbidden, p.User)
	}
	if purpose != PurposeReveal && purpose != PurposeExport {
		return nil, fmt.Errorf("%w: purpose %q: want reveal or export", ErrInvalid, purpose)
	}
	if target == "" || caseRef == "" {
		return nil, fmt.Errorf("%w: a request needs a target and a case reference", ErrInvalid)
	}
	now := s.cfg.Now().UTC()
	a := &Approval{ID: randomString(9), Purpose: purpose, Target: target, CaseRef: caseRef, Reason: reason,
		Requester: p.User, Created: now, Expires: now.Add(s.cfg.ApprovalTTL)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneApprovals()
	s.st.Approvals[a.ID] = a
	c := *a
	return &c, s.save()
}

// Decide approves or refuses a pending request. The approver must be
// allowed to approve and must not be the requester.
func (s *Service) Decide(p *Principal, id string, approve bool) (*Approval, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.Approvals[id]
	if a == nil {
		return nil, fmt.Errorf("%w: approval %q", ErrNotFound, id)
	}
	switch {
	case !p.Can(PermApprove):
		return nil, fmt.Errorf("%w: %s may not approve requests", ErrForbidden, p.User)
	case p.User == a.Requester:
		return nil, fmt.Errorf("%w: %s requested %s and cannot also approve it: a second person must", ErrForbidden, p.User, id)
	case a.Decision != "":
		return nil, fmt.Errorf("%w: %s was already %s by %s", ErrForbidden, id, a.Decision, a.DecidedBy)
	case !s.cfg.Now().Before(a.Expires):
		return nil, fmt.Errorf("%w: %s expired at %s", ErrForbidden, id, a.Expires.Format(time.RFC3339))
	}
	a.Decision, a.DecidedBy, a.DecidedAt = "refused", p.User, s.cfg.Now().UTC()
	if approve {
		a.Decision = "approved"
	}
	c := *a
	return &c, s.save()
}

// Use spends an approval: it must be approved, unexpired, unused, for
// this purpose and target, and used by its requester. It can be used once.
func (s *Service) Use(p *Principal, id string, purpose Purpose, target string) (*Approval, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.Approvals[id]
	switch {
	case a == nil:
		return nil, fmt.Errorf("%w: approval %q does not exist", ErrForbidden, id)
	case a.Requester != p.User:
		return nil, fmt.Errorf("%w: approval %s belongs to %s", ErrForbidden, id, a.Requester)
	case a.Purpose != purpose || a.Target != target:
		return nil, fmt.Errorf("%w: approval %s is for %s of %s, not %s of %s", ErrForbidden, id, a.Purpose, a.Target, purpose, target)
	case a.Decision != "approved":
		return nil, fmt.Errorf("%w: approval %s is not approved (%s)", ErrForbidden, id, orPending(a.Decision))
	case !s.cfg.Now().Before(a.Expires):
		return nil, fmt.Errorf("%w: approval %s expired at %s", ErrForbidden, id, a.Expires.Format(time.RFC3339))
	case !a.UsedAt.IsZero():
		return nil, fmt.Errorf("%w: approval %s was already used at %s; request a new one", ErrForbidden, id, a.UsedAt.Format(time.RFC3339))
	}
	a.UsedAt = s.cfg.Now().UTC()
	c := *a
	return &c, s.save()
}

func orPending(d string) string {
	if d == "" {
		return "pending"
	}
	return d
}

// Approvals returns the approvals p may see: his own requests, and all
// requests if he may approve. Newest first.
func (s *Service) Approvals(p *Principal) []Approval {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Approval
	for _, a := range s.st.Approvals {
		if a.Requester == p.User || p.Can(PermApprove) {
			out = append(out, *a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out
}

// pruneApprovals drops approvals a week past their expiry; the audit
// trail keeps their history.
func (s *Service) pruneApprovals() {
	cutoff := s.cfg.Now().Add(-7 * 24 * time.Hour)
	for id, a := range s.st.Approvals {
		if a.Expires.Before(cutoff) {
			delete(s.st.Approvals, id)
		}
	}
}
