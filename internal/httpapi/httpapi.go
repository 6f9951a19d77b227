// Package httpapi serves Warden's HTTP API: record ingestion as JSON lines,
// health, and the signed checkpoint.
//
// Handlers return errors; [Server.ServeHTTP] maps each to a status code
// and a JSON body {"error": "..."} through one function, so every refusal
// says why.
package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// Config configures the API.
type Config struct {
	// MaxBodyBytes bounds a request body. Default 32 MiB.
	MaxBodyBytes int64
	// MaxLineBytes bounds one JSON line. Default 2 MiB, room for a raw
	// record at record.MaxDataLen after JSON's base64.
	MaxLineBytes int
	Logger       *slog.Logger
}

// Server is the HTTP API over a store.
type Server struct {
	cfg   Config
	store *store.Store
	log   *slog.Logger
	mux   *http.ServeMux
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
	s := &Server{cfg: cfg, store: st, log: cfg.Logger, mux: http.NewServeMux()}
	s.handle("POST /api/v1/records", s.postRecords)
	s.handle("GET /api/v1/checkpoint", s.getCheckpoint)
	s.handle("GET /healthz", s.healthz)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

// handlerFunc is a handler that may fail.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(pattern string, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
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
	case errors.Is(err, store.ErrBatchTooLarge):
		status = http.StatusRequestEntityTooLarge
	case errors.Is(err, store.ErrBackpressure):
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	case errors.Is(err, store.ErrClosed):
		status = http.StatusServiceUnavailable
	case errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
	}
	if status >= 500 {
		s.log.Error("http", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

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
func (s *Server) postRecords(w http.ResponseWriter, r *http.Request) error {
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	sc := bufio.NewScanner(body)
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
		if errors.Is(err, bufio.ErrTooLong) {
			return badRequest("line %d is longer than %d bytes; nothing was stored", line+1, s.cfg.MaxLineBytes)
		}
		return fmt.Errorf("read body: %w", err)
	}
	if len(recs) == 0 {
		return badRequest("empty body: send one JSON record per line")
	}
	ids, err := s.store.Append(recs)
	if err != nil {
		return err
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
	return writeJSON(w, status, res)
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

func (s *Server) getCheckpoint(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write(s.store.Checkpoint())
	return err
}

// Health answers GET /healthz.
type Health struct {
	Status     string            `json:"status"`
	Error      string            `json:"error,omitempty"`
	Pending    int               `json:"pending"`
	LogEntries int64             `json:"log_entries"`
	Sealed     map[string]uint64 `json:"sealed"`
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	st := s.store.Stats()
	h := Health{Status: "ok", Pending: st.Pending, LogEntries: st.LogEntries, Sealed: st.Sealed}
	status := http.StatusOK
	if st.Err != nil {
		h.Status, h.Error, status = "failing", st.Err.Error(), http.StatusServiceUnavailable
	}
	return writeJSON(w, status, h)
}
