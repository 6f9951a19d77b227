package query

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// History is what an account or an address did in a time window: its
// sessions and its NAT mappings, reconstructed as Trace does.
type History struct {
	From, To time.Time
	Sessions []*Session
	Mappings []*Mapping
}

// AccountHistory returns an account's sessions in [from, to) and the NAT
// mappings of the addresses those sessions held, while they held them.
func (e *Engine) AccountHistory(ctx context.Context, account string, from, to time.Time) (*History, error) {
	if account == "" || !to.After(from) {
		return nil, fmt.Errorf("%w: an account and a positive window are required", ErrQuestion)
	}
	h := &History{From: from, To: to}
	groups, order, err := e.sessionGroups(ctx, store.Query{Kind: record.KindSession, From: from.Add(-e.cfg.SessionLifetime), To: to, Account: account})
	if err != nil {
		return nil, err
	}
	for _, k := range order {
		for _, s := range e.sessionIntervals(groups[k], window{start: from.Add(-e.cfg.SessionLifetime)}) {
			if s.Interval.To.Before(from) {
				continue
			}
			h.Sessions = append(h.Sessions, s)
		}
	}
	for _, s := range h.Sessions {
		if !s.Addr.IsValid() {
			continue
		}
		lo, hi := maxTime(from, s.Interval.From), minTime(to, s.Interval.To)
		ms, err := e.mappingsOf(ctx, store.Query{Kind: record.KindNAT, From: lo.Add(-e.cfg.BlockLifetime), To: hi, InsideAddr: s.Addr}, lo, hi)
		if err != nil {
			return nil, err
		}
		h.Mappings = append(h.Mappings, ms...)
	}
	return h, nil
}

// AddressHistory returns the NAT mappings of an outside address, and the
// sessions that held it directly, in [from, to).
func (e *Engine) AddressHistory(ctx context.Context, addr netip.Addr, from, to time.Time) (*History, error) {
	if !addr.IsValid() || !to.After(from) {
		return nil, fmt.Errorf("%w: an address and a positive window are required", ErrQuestion)
	}
	addr = addr.Unmap()
	h := &History{From: from, To: to}
	ms, err := e.mappingsOf(ctx, store.Query{Kind: record.KindNAT, From: from.Add(-e.cfg.BlockLifetime), To: to, OutsideAddr: addr}, from, to)
	if err != nil {
		return nil, err
	}
	h.Mappings = ms
	groups, order, err := e.sessionGroups(ctx, store.Query{Kind: record.KindSession, From: from.Add(-e.cfg.SessionLifetime), To: to, InsideAddr: addr})
	if err != nil {
		return nil, err
	}
	for _, k := range order {
		for _, s := range e.sessionIntervals(groups[k], window{start: from.Add(-e.cfg.SessionLifetime)}) {
			if !s.Interval.To.Before(from) {
				h.Sessions = append(h.Sessions, s)
			}
		}
	}
	return h, nil
}

// mappingsOf reconstructs the mappings of the records q selects and keeps
// those active at some point of [lo, hi].
func (e *Engine) mappingsOf(ctx context.Context, q store.Query, lo, hi time.Time) ([]*Mapping, error) {
	all, _, err := e.reconstruct(ctx, q, func() window { return window{start: q.From} })
	if err != nil {
		return nil, err
	}
	var out []*Mapping
	for _, m := range all {
		if !m.Interval.To.Before(lo) && !m.Interval.From.After(hi) {
			out = append(out, m)
		}
	}
	return out, nil
}

type sessionKey struct{ id, account string }

// sessionGroups collects the session records q selects by session.
func (e *Engine) sessionGroups(ctx context.Context, q store.Query) (map[sessionKey][]*record.Record, []sessionKey, error) {
	groups := map[sessionKey][]*record.Record{}
	var order []sessionKey
	for r, err := range e.st.Scan(ctx, q) {
		if err != nil {
			return nil, nil, err
		}
		if r.Session.Event == record.SessionFailed {
			continue
		}
		k := sessionKey{r.Session.SessionID, r.Session.Account}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	return groups, order, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
