package httpapi

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/warden-ops/warden/internal/access"
	"github.com/warden-ops/warden/internal/query"
	"github.com/warden-ops/warden/internal/record"
)

// trace answers GET /api/v1/trace?addr=203.0.113.7&port=40001&at=...:
// who used the address and port at that time, with the records the answer
// rests on.
func (s *Server) trace(r *http.Request, _ *access.Principal) (*reply, error) {
	v := r.URL.Query()
	var q query.Question
	var err error
	if q.Addr, err = netip.ParseAddr(v.Get("addr")); err != nil {
		return nil, badRequest("addr: %v (want an IPv4 or IPv6 address)", err)
	}
	if p := v.Get("port"); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return nil, badRequest("port %q: want 0-65535", p)
		}
		q.Port = uint16(n)
	}
	if p := v.Get("proto"); p != "" {
		if q.Proto, err = record.ParseProtocol(p); err != nil {
			return nil, badRequest("proto: %v", err)
		}
	}
	if q.At, err = time.Parse(time.RFC3339, v.Get("at")); err != nil {
		return nil, badRequest("at: %v (want an RFC 3339 time such as 2026-11-01T10:00:00+08:00)", err)
	}
	if tol := v.Get("tolerance"); tol != "" {
		if q.Tolerance, err = time.ParseDuration(tol); err != nil || q.Tolerance < 0 || q.Tolerance > time.Hour {
			return nil, badRequest("tolerance %q: want a duration up to 1h, like 5s", tol)
		}
	}
	ans, err := s.tracer.Trace(r.Context(), q)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: ans, count: uint64(len(ans.Records())), caseRef: v.Get("case_ref"),
		query: fmt.Sprintf("trace %s port %d proto %s at %s", q.Addr, q.Port, q.Proto, q.At.Format(time.RFC3339))}, nil
}

// window reads and bounds a history's from and to.
func (s *Server) window(r *http.Request) (time.Time, time.Time, error) {
	v := r.URL.Query()
	from, err1 := time.Parse(time.RFC3339, v.Get("from"))
	to, err2 := time.Parse(time.RFC3339, v.Get("to"))
	if err1 != nil || err2 != nil {
		return from, to, badRequest("from and to are required RFC 3339 times: every history is bounded in time")
	}
	maxWindow, _ := s.access.Limits()
	if !to.After(from) || to.Sub(from) > maxWindow {
		return from, to, badRequest("the window must be positive and at most %s", maxWindow)
	}
	return from, to, nil
}

// accountHistory answers GET /api/v1/history/account/{account}: the
// account's sessions and the NAT mappings of its addresses in a window.
func (s *Server) accountHistory(r *http.Request, _ *access.Principal) (*reply, error) {
	from, to, err := s.window(r)
	if err != nil {
		return nil, err
	}
	account := r.PathValue("account")
	h, err := s.tracer.AccountHistory(r.Context(), account, from, to)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: h, count: uint64(len(h.Sessions) + len(h.Mappings)), caseRef: r.URL.Query().Get("case_ref"),
		query: fmt.Sprintf("history of account %s %s..%s", account, from.Format(time.RFC3339), to.Format(time.RFC3339))}, nil
}

// addressHistory answers GET /api/v1/history/address/{addr}.
func (s *Server) addressHistory(r *http.Request, _ *access.Principal) (*reply, error) {
	from, to, err := s.window(r)
	if err != nil {
		return nil, err
	}
	addr, err := netip.ParseAddr(r.PathValue("addr"))
	if err != nil {
		return nil, badRequest("address: %v", err)
	}
	h, err := s.tracer.AddressHistory(r.Context(), addr, from, to)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: h, count: uint64(len(h.Sessions) + len(h.Mappings)), caseRef: r.URL.Query().Get("case_ref"),
		query: fmt.Sprintf("history of address %s %s..%s", addr, from.Format(time.RFC3339), to.Format(time.RFC3339))}, nil
}
