package query

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// RegistrationSummary is the registration of a candidate's account as an
// answer shows it: the registration record and its personal fields,
// masked. Revealing them takes an approved request (package access).
type RegistrationSummary struct {
	ID      record.ID
	Time    time.Time
	Source  string
	Account string
	// Fields maps each personal field's name to its masked value.
	Fields map[string]string
}

// RegistrationLookup returns the registration of account in force at at
// (the latest registered at or before it), masked, or nil if there is
// none. It may be called concurrently.
type RegistrationLookup func(ctx context.Context, account string, at time.Time) (*RegistrationSummary, error)

// MaskFunc turns the opaque personal fields of account's registration into
// masked values by field name, like privacy.Vault.Masked.
type MaskFunc func(account string, fields []record.Field) (map[string]string, error)

// StoreRegistrations returns a lookup of the registration records in st,
// whose personal fields mask shows. The engine calls it; only mask, which
// the caller supplies, touches the keys.
func StoreRegistrations(st *store.Store, mask MaskFunc) RegistrationLookup {
	return func(ctx context.Context, account string, at time.Time) (*RegistrationSummary, error) {
		var latest *record.Record
		for r, err := range st.Scan(ctx, store.Query{Kind: record.KindRegistration, Account: account, To: at.Add(time.Nanosecond)}) {
			if err != nil {
				return nil, fmt.Errorf("find registration of %s: %w", account, err)
			}
			if latest == nil || !r.EventTime.Before(latest.EventTime) {
				latest = r
			}
		}
		if latest == nil {
			return nil, nil
		}
		fields, err := mask(account, latest.Registration.Fields)
		if err != nil {
			return nil, fmt.Errorf("mask registration %s: %w", latest.ID, err)
		}
		return &RegistrationSummary{ID: latest.ID, Time: latest.EventTime, Source: latest.Source, Account: account, Fields: fields}, nil
	}
}

// attachRegistrations sets each candidate's registration, once per
// account. A lookup that fails for another reason than the request's end
// leaves a note, not a failed answer: the trace stands without it.
func (e *Engine) attachRegistrations(ctx context.Context, ans *Answer) error {
	if e.cfg.Registrations == nil {
		return nil
	}
	found := map[string]*RegistrationSummary{}
	for i := range ans.Candidates {
		c := &ans.Candidates[i]
		reg, seen := found[c.Account]
		if !seen {
			var err error
			reg, err = e.cfg.Registrations(ctx, c.Account, ans.Question.At)
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case err != nil:
				ans.Notes = append(ans.Notes, fmt.Sprintf("the registration of %s could not be read: %v", c.Account, err))
			case reg == nil:
				ans.Notes = append(ans.Notes, fmt.Sprintf("no registration of %s recorded at or before the moment", c.Account))
			}
			found[c.Account] = reg
		}
		c.Registration = reg
	}
	return nil
}

// checkRegistration checks that a candidate's registration is a proven
// registration record of its account, registered at or before the
// moment. Its masked fields cannot be checked without the keys.
func checkRegistration(g *RegistrationSummary, account string, q Question, proven map[record.ID]*record.Record) error {
	recs, err := recordsOf([]record.ID{g.ID}, record.KindRegistration, proven)
	if err != nil {
		return err
	}
	r := recs[0]
	if g.Account != account || r.Registration.Account != account {
		return fmt.Errorf("record %s is of account %q, the summary of %q; the candidate is %q", r.ID, r.Registration.Account, g.Account, account)
	}
	if !g.Time.Equal(r.EventTime) || g.Source != r.Source {
		return fmt.Errorf("record %s is from %q at %s; the summary says %q at %s", r.ID, r.Source, r.EventTime.Format(time.RFC3339Nano),
			g.Source, g.Time.Format(time.RFC3339Nano))
	}
	if r.EventTime.After(q.At) {
		return fmt.Errorf("record %s was registered at %s, after the moment", r.ID, r.EventTime.Format(time.RFC3339Nano))
	}
	return nil
}
