// Package httpapi serves Warden's HTTP API: ingestion, records, proofs,
// searches, registrations with two-person reveals, users, the audit trail
// and verification.
//
// Every route names the [access.Permission] it needs; [Server] refuses a
// request without credentials (401) or without the permission (403)
// before the handler runs. Handlers return a reply instead of writing the
// response, so the server writes the audit record first: a read whose
// audit record cannot be made durable is not answered. Errors map to a
// status and a JSON body {"error": "..."} in one function.
package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/warden-ops/warden/internal/access"
	"github.com/warden-ops/warden/internal/privacy"
	"github.com/warden-ops/warden/internal/query"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// Config configures the API.
type Config struct {
	// MaxBodyBytes bounds the ingestion body. Default 32 MiB. Other
	// requests are bounded at 1 MiB.
	MaxBodyBytes int64
	// MaxLineBytes bounds one JSON line. Default 2 MiB, room for a raw
	// record at record.MaxDataLen after JSON's base64.
	MaxLineBytes int
	// Access authenticates and authorizes; Auditor records reads and
	// changes; Vault seals and reveals personal fields. All required.
	Access  *access.Service
	Auditor *access.Auditor
	Vault   *privacy.Vault
	// DataDir is the store's directory, for verification runs.
	DataDir string
	// Sources returns the collectors' per-source counters, if any.
	Sources func() any
	// Trace configures the trace-back engine. If its Registrations is
	// nil, answers show each candidate's registration from the store,
	// masked with Vault.
	Trace query.Config
	// TLS says the API is served over TLS: cookies are Secure and HSTS is
	// sent.
	TLS    bool
	Logger *slog.Logger
}

// maxRequestBytes bounds every body but ingestion's.
const maxRequestBytes = 1 << 20

// Server is the HTTP API over a store.
type Server struct {
	cfg    Config
	store  *store.Store
	access *access.Service
	audit  *access.Auditor
	vault  *privacy.Vault
	tracer *query.Engine
	log    *slog.Logger
	mux    *http.ServeMux
	routes []Route
	h      http.Handler
}

// Route is one registered route and the permission it needs.
type Route struct {
	Pattern string
	Perm    access.Permission
	// Audited routes write an audit record for every request they answer.
	Audited bool
}

// New returns the API server for st.
func New(st *store.Store, cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 32 << 20
	}
	if cfg.MaxLineBytes <= 0 {
		cfg.MaxLineBytes = 2 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Trace.Registrations == nil && cfg.Vault != nil {
		cfg.Trace.Registrations = query.StoreRegistrations(st, cfg.Vault.Masked)
	}
	s := &Server{cfg: cfg, store: st, access: cfg.Access, audit: cfg.Auditor, vault: cfg.Vault, log: cfg.Logger, mux: http.NewServeMux(),
		tracer: query.New(st, cfg.Trace)}
	s.registerRoutes()
	// Browsers' cross-origin state-changing requests are refused; API
	// clients (no Origin, no Sec-Fetch-Site) are not affected.
	s.h = http.NewCrossOriginProtection().Handler(s.mux)
	return s
}

// Routes returns every registered route.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	if s.cfg.TLS {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.h.ServeHTTP(w, r)
}

// reply is what a handler answers. The server audits it, then writes it.
type reply struct {
	status int
	body   any    // JSON-encoded, unless raw is set
	raw    []byte // written as is with contentType
	ctype  string
	// What the audit record says about the request.
	query   string
	caseRef string
	count   uint64
	// cookie, if set, is sent with the answer.
	cookie *http.Cookie
}

func ok(body any) *reply { return &reply{status: http.StatusOK, body: body} }

// handler is a route's work. p is nil only on routes with PermNone.
type handler func(r *http.Request, p *access.Principal) (*reply, error)

// route registers h for pattern, needing perm; audited routes write an
// audit record for every answer, allowed, denied or failed.
func (s *Server) route(pattern string, perm access.Permission, audited bool, h handler) {
	s.routes = append(s.routes, Route{Pattern: pattern, Perm: perm, Audited: audited})
	action := pattern
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(pattern, "/records") {
			r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
		}
		var p *access.Principal
		if perm != access.PermNone {
			var err error
			if p, err = s.access.Identify(credentials(r)); err != nil {
				s.writeError(w, r, err)
				return
			}
			if !p.Can(perm) {
				err := fmt.Errorf("%w: %s (roles %v) lacks the %s permission", access.ErrForbidden, p.User, p.Roles, perm)
				if audited {
					s.logAudit(r, p, action, &reply{query: r.URL.RawQuery}, "denied: "+err.Error())
				}
				s.writeError(w, r, err)
				return
			}
			if audited {
				if err := s.access.Allow(p.User); err != nil {
					s.writeError(w, r, err)
					return
				}
			}
		}
		rep, err := h(r, p)
		if audited {
			outcome := "ok"
			if err != nil {
				outcome = "error: " + err.Error()
				if errors.Is(err, access.ErrForbidden) {
					outcome = "denied: " + err.Error()
				}
				rep = &reply{query: r.URL.RawQuery}
			}
			if aerr := s.logAudit(r, p, action, rep, outcome); aerr != nil {
				s.writeError(w, r, &Error{Status: http.StatusServiceUnavailable,
					Err: fmt.Errorf("the audit trail cannot be written, so nothing is returned: %w", aerr)})
				return
			}
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.write(w, rep)
	})
}

func (s *Server) logAudit(r *http.Request, p *access.Principal, action string, rep *reply, outcome string) error {
	e := access.Entry{Addr: remoteAddr(r), Action: action, Query: rep.query, CaseRef: rep.caseRef, Count: rep.count, Outcome: outcome}
	if p != nil {
		e.Actor = p.User
	}
	if rep.query == "" && r.URL.RawQuery != "" {
		e.Query = r.URL.RawQuery
	}
	if v := r.PathValue("id"); v != "" && !strings.Contains(e.Query, v) {
		e.Query = strings.TrimPrefix(e.Query+" id="+v, " ")
	}
	_, err := s.audit.Log(e)
	if err != nil {
		s.log.Error("audit record not written", "action", action, "err", err)
	}
	return err
}

func (s *Server) write(w http.ResponseWriter, rep *reply) {
	if rep.cookie != nil {
		http.SetCookie(w, rep.cookie)
	}
	if rep.raw != nil {
		w.Header().Set("Content-Type", rep.ctype)
		w.WriteHeader(rep.status)
		w.Write(rep.raw) //nolint:errcheck // the client went away; nothing to do
		return
	}
	writeJSON(w, rep.status, rep.body)
}

// sessionCookie is the console session's cookie name.
const sessionCookie = "warden_session"

// credentials extracts what the request presents: a verified client
// certificate, a bearer token, a session cookie.
func credentials(r *http.Request) access.Credentials {
	var c access.Credentials
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.PeerCertificates) > 0 {
		sum := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
		c.CertSHA256 = hex.EncodeToString(sum[:])
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		c.Token = strings.TrimSpace(tok)
	}
	if ck, err := r.Cookie(sessionCookie); err == nil {
		c.Session = ck.Value
	}
	return c
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a
}

// Error is an error with an HTTP status.
type Error struct {
	Status int
	Err    error
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func badRequest(format string, args ...any) error {
	return &Error{Status: http.StatusBadRequest, Err: fmt.Errorf(format, args...)}
}

// writeError maps err to a status and writes {"error": "..."}.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	var he *Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		status = he.Status
	case errors.As(err, &mbe):
		status = http.StatusRequestEntityTooLarge
		err = fmt.Errorf("request body over %d bytes: send smaller batches", mbe.Limit)
	case errors.Is(err, access.ErrUnauthenticated):
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Bearer realm="warden"`)
	case errors.Is(err, access.ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, access.ErrRateLimited):
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", "1")
	case errors.Is(err, access.ErrInvalid), errors.Is(err, record.ErrInvalid), errors.Is(err, query.ErrQuestion):
		status = http.StatusBadRequest
	case errors.Is(err, access.ErrNotFound), errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, store.ErrBatchTooLarge):
		status = http.StatusRequestEntityTooLarge
	case errors.Is(err, store.ErrBackpressure):
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	case errors.Is(err, store.ErrClosed), errors.Is(err, store.ErrNotSealed):
		status = http.StatusServiceUnavailable
	}
	if status >= 500 {
		s.log.Error("http", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client went away; nothing to do
}

// decodeBody reads a JSON request body strictly.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("request body: %v", err)
	}
	return nil
}
