package httpapi

import (
	"net/http"

	"github.com/warden-ops/warden/internal/access"
	"github.com/warden-ops/warden/internal/store"
)

func (s *Server) getCheckpoint(_ *http.Request, _ *access.Principal) (*reply, error) {
	return &reply{status: http.StatusOK, raw: s.store.Checkpoint(), ctype: "text/plain; charset=utf-8"}, nil
}

// Health answers GET /healthz.
type Health struct {
	Status     string            `json:"status"`
	Error      string            `json:"error,omitempty"`
	Pending    int               `json:"pending"`
	LogEntries int64             `json:"log_entries"`
	Sealed     map[string]uint64 `json:"sealed"`
}

func (s *Server) healthz(_ *http.Request, _ *access.Principal) (*reply, error) {
	st := s.store.Stats()
	h := Health{Status: "ok", Pending: st.Pending, LogEntries: st.LogEntries, Sealed: st.Sealed}
	status := http.StatusOK
	if st.Err != nil {
		h.Status, h.Error, status = "failing", st.Err.Error(), http.StatusServiceUnavailable
	}
	return &reply{status: status, body: h}, nil
}

func (s *Server) sources(_ *http.Request, _ *access.Principal) (*reply, error) {
	if s.cfg.Sources == nil {
		return ok(map[string]any{"sources": []any{}}), nil
	}
	return ok(s.cfg.Sources()), nil
}

func (s *Server) verify(r *http.Request, _ *access.Principal) (*reply, error) {
	rep, err := store.Verify(r.Context(), s.cfg.DataDir, store.VerifyOptions{})
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: rep, count: rep.Records}, nil
}
