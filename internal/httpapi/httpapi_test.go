package httpapi_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/warden-ops/warden/internal/access"
	"github.com/warden-ops/warden/internal/httpapi"
	"github.com/warden-ops/warden/internal/privacy"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/seal"
	"github.com/warden-ops/warden/internal/store"
)

var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
}

// openStore opens a store in a fresh directory. Blocks are sealed only on
// Flush or Close, so records stay pending unless a test seals them.
func openStore(t *testing.T, mod func(*store.Config)) *store.Store {
	t.Helper()
	cfg := store.Config{
		Dir: t.TempDir(), BlockRecords: 1000, BlockAge: time.Hour, MaxPending: 100000,
		Name: "warden/test", Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
	if mod != nil {
		mod(&cfg)
	}
	st, err := store.Open(cfg)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	// Tests that close the store themselves make this Close return
	// ErrClosed, which is harmless.
	t.Cleanup(func() { st.Close() })
	return st
}

// env is what serve sets up beside the API: the access service, the vault
// and one user with a token per role.
type env struct {
	access *access.Service
	vault  *privacy.Vault
	tokens map[access.Role]string
	clock  *clock
}

// envs maps a test server's host to its env, for do.
var envs sync.Map

// clock is a settable time for approvals and sessions.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// serve starts a real HTTP server with the API over st, with an access
// service holding one user per role: adm (administrator), op (operator),
// aud (auditor), insp (inspector) and insp2 (a second inspector).
func serve(t *testing.T, st *store.Store, cfg httpapi.Config) *httptest.Server {
	t.Helper()
	e := newEnv(t, st)
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	cfg.Access, cfg.Vault, cfg.Auditor = e.access, e.vault, access.NewAuditor(st, "warden", nil)
	srv := httptest.NewServer(httpapi.New(st, cfg))
	t.Cleanup(srv.Close)
	envs.Store(strings.TrimPrefix(srv.URL, "http://"), e)
	return srv
}

func newEnv(t *testing.T, st *store.Store) *env {
	t.Helper()
	clk := &clock{t: time.Now()}
	acc, boot, err := access.Open(access.Config{Dir: t.TempDir(), Now: clk.Now, Rate: 1000, Burst: 1000, ExportThreshold: 50})
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.Bootstrap(boot, "adm", "administrator-password"); err != nil {
		t.Fatal(err)
	}
	e := &env{access: acc, tokens: map[access.Role]string{}, clock: clk}
	users := map[string]access.Role{"adm": access.RoleAdmin, "op": access.RoleOperator, "aud": access.RoleAuditor, "insp": access.RoleInspector, "insp2": access.RoleInspector}
	for name, role := range users {
		if name != "adm" {
			// Token-only users: argon2id hashing is slow on purpose.
			if err := acc.AddUser(name, "", []access.Role{role}); err != nil {
				t.Fatal(err)
			}
		}
		_, tok, err := acc.NewToken(name, "test")
		if err != nil {
			t.Fatal(err)
		}
		if name != "insp2" {
			e.tokens[role] = tok
		} else {
			e.tokens["inspector2"] = tok
		}
	}
	if e.vault, err = privacy.Open(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return e
}

// do sends a request as the operator and returns the response with its
// body read.
func do(t *testing.T, method, url, body string) (*http.Response, []byte) {
	t.Helper()
	return doAs(t, access.RoleOperator, method, url, body)
}

// doAs sends a request with the token of role's user ("" for none).
func doAs(t *testing.T, role access.Role, method, url, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	if role != "" {
		v, ok := envs.Load(req.URL.Host)
		if !ok {
			t.Fatalf("no test env for %s", req.URL.Host)
		}
		req.Header.Set("Authorization", "Bearer "+v.(*env).tokens[role])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp, b
}

func post(t *testing.T, srv *httptest.Server, body string) (*http.Response, []byte) {
	t.Helper()
	return do(t, http.MethodPost, srv.URL+"/api/v1/records", body)
}

// decode unmarshals a JSON response body into a new T.
func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode response %q: %v", b, err)
	}
	return v
}

// errorBody is the body of every error the API itself writes.
type errorBody struct {
	Error string `json:"error"`
}

func wantStatus(t *testing.T, resp *http.Response, body []byte, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status = %d (body %q), want %d", resp.Request.Method, resp.Request.URL.Path,
			resp.StatusCode, body, want)
	}
}

func mustID(t *testing.T, s string) record.ID {
	t.Helper()
	id, err := record.ParseID(s)
	if err != nil {
		t.Fatalf("ParseID(%q): %v", s, err)
	}
	return id
}

// pending returns the number of records waiting to be sealed.
func pending(st *store.Store) int { return st.Stats().Pending }

var (
	t0     = time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	addr   = netip.MustParseAddr
	prefix = netip.MustParsePrefix
)

// validLines are valid JSON lines of every kind, with the record each must
// be stored as. A zero ReceiveTime means the line has none and the API
// must stamp it; the ID is filled in from the response.
var validLines = []struct {
	name string
	line string
	want *record.Record
}{
	{"session", `{"kind":"session","time":"2026-11-01T10:00:00+08:00","received":"2026-11-01T02:00:01Z",` +
		`"source":"bras-1","event":"start","account":"alice","addr":"100.64.0.7","ipv6_prefix":"2001:db8:1::/64",` +
		`"nas_addr":"10.0.0.1","session_id":"s1","input_octets":1099511627776}`,
		&record.Record{Kind: record.KindSession, EventTime: t0, ReceiveTime: t0.Add(time.Second), Source: "bras-1",
			Session: &record.Session{Event: record.SessionStart, Account: "alice", Addr: addr("100.64.0.7"),
				IPv6Prefix: prefix("2001:db8:1::/64"), NASAddr: addr("10.0.0.1"), SessionID: "s1", InputOctets: 1 << 40}}},
	{"nat", `{"kind":"nat","time":"2026-11-01T10:00:00+08:00","source":"cgn-1","event":"create","proto":"tcp",` +
		`"inside_addr":"100.64.0.7","inside_port":51234,"outside_addr":"203.0.113.7","outside_port":40001}`,
		&record.Record{Kind: record.KindNAT, EventTime: t0, Source: "cgn-1",
			NAT: &record.NAT{Event: record.NATCreate, Protocol: record.ProtoTCP, InsideAddr: addr("100.64.0.7"),
				InsidePort: 51234, OutsideAddr: addr("203.0.113.7"), OutsidePort: 40001}}},
	{"registration", `{"kind":"registration","time":"2026-11-01T02:00:00Z","source":"crm","account":"bob",` +
		`"fields":[{"name":"name","value":"AAEC/w=="},{"name":"phone","value":"KzE="}]}`,
		&record.Record{Kind: record.KindRegistration, EventTime: t0, Source: "crm",
			Registration: &record.Registration{Account: "bob", Fields: []record.Field{
				{Name: "name", Value: []byte{0, 1, 2, 0xff}}, {Name: "phone", Value: []byte("+1")}}}}},
	{"nat port block, IPv4-mapped outside", `{"kind":"nat","time":"2026-11-01T02:00:00Z","source":"cgn-1",` +
		`"event":"block-alloc","proto":"udp","inside_addr":"100.64.0.8","outside_addr":"::ffff:203.0.113.8",` +
		`"outside_port":40000,"outside_port_end":40063}`,
		&record.Record{Kind: record.KindNAT, EventTime: t0, Source: "cgn-1",
			NAT: &record.NAT{Event: record.NATBlockAlloc, Protocol: record.ProtoUDP, InsideAddr: addr("100.64.0.8"),
				OutsideAddr: addr("203.0.113.8"), OutsidePort: 40000, OutsidePortEnd: 40063}}},
	{"event", `{"kind":"event","time":"2026-11-01T02:00:00Z","source":"ids","rule":"ssh-bruteforce",` +
		`"severity":"high","src_addr":"2001:db8::bad","dst_addr":"192.0.2.1","dst_port":22}`,
		&record.Record{Kind: record.KindEvent, EventTime: t0, Source: "ids",
			Event: &record.Event{Rule: "ssh-bruteforce", Severity: record.SeverityHigh, SrcAddr: addr("2001:db8::bad"),
				DstAddr: addr("192.0.2.1"), DstPort: 22}}},
	{"content", `{"kind":"content","time":"2026-11-01T02:00:00Z","source":"forum","account":"dave",` +
		`"channel":"general","digest":"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=","body":"hello"}`,
		&record.Record{Kind: record.KindContent, EventTime: t0, Source: "forum",
			Content: &record.Content{Account: "dave", Channel: "general",
				Digest: []byte(strings.Repeat("\xab", 32)), Body: "hello"}}},
	{"maintenance", `{"kind":"maintenance","time":"2026-11-01T02:00:00Z","received":"2026-11-01T02:00:00.5Z",` +
		`"source":"ops","operator":"eve","action":"reboot","target":"bras-2"}`,
		&record.Record{Kind: record.KindMaintenance, EventTime: t0, ReceiveTime: t0.Add(500 * time.Millisecond),
			Source: "ops", Maintenance: &record.Maintenance{Operator: "eve", Action: "reboot", Target: "bras-2"}}},
	{"audit", `{"kind":"audit","time":"2026-11-01T02:00:00Z","source":"warden","actor":"inspector",` +
		`"action":"trace","case_ref":"c-1","count":3,"outcome":"ok"}`,
		&record.Record{Kind: record.KindAudit, EventTime: t0, Source: "warden",
			Audit: &record.Audit{Actor: "inspector", Action: "trace", CaseRef: "c-1", Count: 3, Outcome: "ok"}}},
	{"raw", `{"kind":"raw","time":"2026-11-01T02:00:00Z","source":"syslog","reason":"no parser",` +
		`"format":"syslog","data":"ADxncmJnPgA="}`,
		&record.Record{Kind: record.KindRaw, EventTime: t0, Source: "syslog",
			Raw: &record.Raw{Reason: "no parser", Format: "syslog", Data: []byte("\x00<grbg>\x00")}}},
	{"id is ignored", `{"id":"maintenance:7","kind":"maintenance","time":"2026-11-01T02:00:00Z",` +
		`"source":"ops","operator":"eve","action":"halt"}`,
		&record.Record{Kind: record.KindMaintenance, EventTime: t0, Source: "ops",
			Maintenance: &record.Maintenance{Operator: "eve", Action: "halt"}}},
}

// validLine returns the line of validLines named name.
func validLine(name string) string {
	for _, l := range validLines {
		if l.name == name {
			return l.line
		}
	}
	panic("no valid line named " + name)
}

func TestPostRecords(t *testing.T) {
	st := openStore(t, nil)
	srv := serve(t, st, httpapi.Config{})

	var body strings.Builder
	var wantIDs []record.ID
	next := map[record.Kind]uint64{}
	for _, l := range validLines {
		body.WriteString(l.line + "\n")
		next[l.want.Kind]++
		wantIDs = append(wantIDs, record.ID{Kind: l.want.Kind, Seq: next[l.want.Kind]})
	}
	before := time.Now()
	resp, b := post(t, srv, body.String())
	after := time.Now()
	wantStatus(t, resp, b, http.StatusOK)
	got := decode[httpapi.IngestResult](t, b)
	want := httpapi.IngestResult{Accepted: len(validLines), IDs: wantIDs}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("POST /api/v1/records result mismatch (-want +got):\n%s", diff)
	}

	// check reads every record back and compares it with what was sent.
	// stamped holds the receive times the API filled in, so the check
	// after sealing can ask for exactly the same values.
	stamped := map[record.ID]time.Time{}
	check := func(t *testing.T) {
		for i, l := range validLines {
			t.Run(l.name, func(t *testing.T) {
				id := got.IDs[i]
				r, err := st.Get(id)
				if err != nil {
					t.Fatalf("Get(%s): %v", id, err)
				}
				w := *l.want
				w.ID = id
				if w.ReceiveTime.IsZero() {
					if s, ok := stamped[id]; ok {
						w.ReceiveTime = s
					} else {
						if r.ReceiveTime.Before(before) || r.ReceiveTime.After(after) {
							t.Errorf("Get(%s).ReceiveTime = %v, want the time of the request (%v to %v)",
								id, r.ReceiveTime, before, after)
						}
						stamped[id] = r.ReceiveTime
						w.ReceiveTime = r.ReceiveTime
					}
				}
				if diff := cmp.Diff(&w, r, cmpOpts); diff != "" {
					t.Errorf("Get(%s) mismatch (-want +got):\n%s", id, diff)
				}
			})
		}
	}
	t.Run("pending", check)
	if err := st.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if n := pending(st); n != 0 {
		t.Fatalf("after Flush, pending = %d, want 0", n)
	}
	t.Run("sealed", check)
}

func TestPostRecordsInvalidLinesKeptAsRaw(t *testing.T) {
	nat := validLine("nat")
	maint := validLine("maintenance")
	noAccount := `{"kind":"session","time":"2026-11-01T02:00:00Z","source":"bras-1","event":"start"}`
	garbage := `this is not json`
	colour := `{"kind":"maintenance","time":"2026-11-01T02:00:00Z","source":"ops","operator":"o","action":"a","colour":"red"}`
	badPort := `{"kind":"nat","time":"2026-11-01T02:00:00Z","source":"s","event":"create","inside_addr":"10.0.0.1",` +
		`"inside_port":"80","outside_addr":"203.0.113.1"}`

	// rejected is a line the API must refuse; field must appear in the
	// reason so that the sender can tell what to fix.
	type rejected struct {
		line  int
		text  string
		field string
	}
	tests := []struct {
		name       string
		lines      []string
		wantStatus int
		wantIDs    []string
		wantErrs   []rejected
	}{
		{
			name:       "mixed",
			lines:      []string{nat, noAccount, "", maint, garbage, colour, nat},
			wantStatus: http.StatusOK,
			wantIDs:    []string{"nat:1", "maintenance:1", "nat:2"},
			wantErrs: []rejected{
				{line: 2, text: noAccount, field: "account"},
				{line: 5, text: garbage, field: "json"},
				{line: 6, text: colour, field: `"colour"`},
			},
		},
		{
			name:       "all invalid",
			lines:      []string{garbage, badPort, noAccount},
			wantStatus: http.StatusUnprocessableEntity,
			wantErrs: []rejected{
				{line: 1, text: garbage, field: "json"},
				{line: 2, text: badPort, field: "inside_port"},
				{line: 3, text: noAccount, field: "account"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t, nil)
			srv := serve(t, st, httpapi.Config{})
			resp, b := post(t, srv, strings.Join(tt.lines, "\n"))
			wantStatus(t, resp, b, tt.wantStatus)
			got := decode[httpapi.IngestResult](t, b)

			want := httpapi.IngestResult{Accepted: len(tt.wantIDs), Rejected: len(tt.wantErrs)}
			for _, s := range tt.wantIDs {
				want.IDs = append(want.IDs, mustID(t, s))
			}
			for i, e := range tt.wantErrs {
				_, perr := record.ParseJSON([]byte(e.text))
				if perr == nil {
					t.Fatalf("test line %d parses; it must be invalid", e.line)
				}
				// Rejected lines are kept as raw records in line order,
				// after nothing else of kind raw.
				want.Errors = append(want.Errors, httpapi.LineError{
					Line: e.line, Error: perr.Error(), KeptAs: record.ID{Kind: record.KindRaw, Seq: uint64(i + 1)}.String(),
				})
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("POST /api/v1/records result mismatch (-want +got):\n%s", diff)
			}

			for i, e := range tt.wantErrs {
				le := got.Errors[i]
				if !strings.Contains(le.Error, e.field) {
					t.Errorf("line %d: error %q does not name %s", e.line, le.Error, e.field)
				}
				id := mustID(t, le.KeptAs)
				r, err := st.Get(id)
				if err != nil {
					t.Fatalf("Get(%s) (kept_as of line %d): %v", id, e.line, err)
				}
				if r.Kind != record.KindRaw || r.Raw == nil {
					t.Fatalf("Get(%s) = %s record, want raw", id, r.Kind)
				}
				if string(r.Raw.Data) != e.text {
					t.Errorf("Get(%s).Raw.Data = %q, want the line %q", id, r.Raw.Data, e.text)
				}
				if r.Raw.Reason != le.Error {
					t.Errorf("Get(%s).Raw.Reason = %q, want %q", id, r.Raw.Reason, le.Error)
				}
				if r.Raw.Format != "api-json" {
					t.Errorf("Get(%s).Raw.Format = %q, want %q", id, r.Raw.Format, "api-json")
				}
				if !strings.HasPrefix(r.Source, "http:127.0.0.1:") {
					t.Errorf("Get(%s).Source = %q, want http: and the sender's address", id, r.Source)
				}
				if r.EventTime.IsZero() || !r.EventTime.Equal(r.ReceiveTime) {
					t.Errorf("Get(%s) times = %v, %v, want both the receive time", id, r.EventTime, r.ReceiveTime)
				}
			}
			// Nothing else was stored: the next raw ID is free.
			next := record.ID{Kind: record.KindRaw, Seq: uint64(len(tt.wantErrs) + 1)}
			if r, err := st.Get(next); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Get(%s) = %v, %v, want ErrNotFound", next, r, err)
			}
			if n, want := pending(st), len(tt.wantIDs)+len(tt.wantErrs); n != want {
				t.Errorf("pending = %d, want %d", n, want)
			}
		})
	}
}

func TestPostRecordsEmptyAndBlank(t *testing.T) {
	line := validLine("nat")
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantErr    string // in the error; "" for success
		wantIDs    int
	}{
		{"empty body", "", http.StatusBadRequest, "empty body", 0},
		{"only blank lines", "\n\n   \n\t\r\n", http.StatusBadRequest, "empty body", 0},
		{"blank lines around a record", "\n\n" + line + "\n\n  \n", http.StatusOK, "", 1},
		{"CRLF line ends", line + "\r\n" + line + "\r\n", http.StatusOK, "", 2},
		{"no final newline", line + "\n" + line, http.StatusOK, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t, nil)
			srv := serve(t, st, httpapi.Config{})
			resp, b := post(t, srv, tt.body)
			wantStatus(t, resp, b, tt.wantStatus)
			if tt.wantErr != "" {
				if got := decode[errorBody](t, b); !strings.Contains(got.Error, tt.wantErr) {
					t.Errorf("POST %q: error = %q, want it to contain %q", tt.body, got.Error, tt.wantErr)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("POST %q: Content-Type = %q, want application/json", tt.body, ct)
				}
			} else {
				got := decode[httpapi.IngestResult](t, b)
				if got.Accepted != tt.wantIDs || got.Rejected != 0 || len(got.IDs) != tt.wantIDs {
					t.Errorf("POST %q = %+v, want %d accepted and none rejected", tt.body, got, tt.wantIDs)
				}
			}
			if n := pending(st); n != tt.wantIDs {
				t.Errorf("pending = %d, want %d", n, tt.wantIDs)
			}
		})
	}
}

func TestPostRecordsLimits(t *testing.T) {
	line := validLine("nat")
	// The handler's line scanner starts with a 64 KiB buffer, so 64 KiB is
	// the smallest MaxLineBytes that it enforces as given.
	const maxLine = 64 << 10
	long := `{"kind":"raw","time":"2026-11-01T02:00:00Z","source":"s","reason":"r","format":"` +
		strings.Repeat("x", maxLine) + `"}`
	tests := []struct {
		name       string
		cfg        httpapi.Config
		body       string
		wantStatus int
		wantErr    []string // each in the error
	}{
		{
			name:       "body over MaxBodyBytes",
			cfg:        httpapi.Config{MaxBodyBytes: 1024},
			body:       strings.Repeat(line+"\n", 1024/len(line)+1),
			wantStatus: http.StatusRequestEntityTooLarge,
			wantErr:    []string{"over 1024 bytes", "smaller batches"},
		},
		{
			name:       "line over MaxLineBytes",
			cfg:        httpapi.Config{MaxLineBytes: maxLine},
			body:       line + "\n\n" + long + "\n" + line + "\n",
			wantStatus: http.StatusBadRequest,
			wantErr:    []string{"line 3 ", "longer than 65536 bytes", "nothing was stored"},
		},
		{
			name:       "first line over MaxLineBytes",
			cfg:        httpapi.Config{MaxLineBytes: maxLine},
			body:       long,
			wantStatus: http.StatusBadRequest,
			wantErr:    []string{"line 1 ", "longer than 65536 bytes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t, nil)
			srv := serve(t, st, tt.cfg)
			resp, b := post(t, srv, tt.body)
			wantStatus(t, resp, b, tt.wantStatus)
			got := decode[errorBody](t, b)
			for _, w := range tt.wantErr {
				if !strings.Contains(got.Error, w) {
					t.Errorf("error = %q, want it to contain %q", got.Error, w)
				}
			}
			if n := pending(st); n != 0 {
				t.Errorf("pending = %d, want 0: nothing of a refused body may be stored", n)
			}
		})
	}

	t.Run("just under the limits", func(t *testing.T) {
		st := openStore(t, nil)
		body := strings.Repeat(line+"\n", 3)
		srv := serve(t, st, httpapi.Config{MaxBodyBytes: int64(len(body)), MaxLineBytes: maxLine})
		resp, b := post(t, srv, body)
		wantStatus(t, resp, b, http.StatusOK)
		if got := decode[httpapi.IngestResult](t, b); got.Accepted != 3 {
			t.Errorf("accepted = %d, want 3", got.Accepted)
		}
	})
}

func TestPostRecordsBackpressure(t *testing.T) {
	const maxPending = 5
	st := openStore(t, func(c *store.Config) {
		c.MaxPending, c.BlockRecords, c.BlockAge = maxPending, 100000, time.Hour
	})
	srv := serve(t, st, httpapi.Config{})
	lines := func(n int) string { return strings.Repeat(validLine("nat")+"\n", n) }

	// A batch that could never fit is refused for good, not retried.
	resp, b := post(t, srv, lines(maxPending+1))
	wantStatus(t, resp, b, http.StatusRequestEntityTooLarge)
	if got := decode[errorBody](t, b); !strings.Contains(got.Error, "larger than max_pending") {
		t.Errorf("error = %q, want it to say the batch is larger than max_pending", got.Error)
	}
	resp, b = post(t, srv, lines(maxPending-1))
	wantStatus(t, resp, b, http.StatusOK)
	resp, b = post(t, srv, lines(2))
	wantStatus(t, resp, b, http.StatusServiceUnavailable)
	if got := resp.Header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want %q", got, "1")
	}
	if got := decode[errorBody](t, b); !strings.Contains(got.Error, "too many records") {
		t.Errorf("error = %q, want it to say too many records are waiting", got.Error)
	}
	if n := pending(st); n != maxPending-1 {
		t.Errorf("after 503, pending = %d, want %d", n, maxPending-1)
	}
	id := record.ID{Kind: record.KindNAT, Seq: maxPending}
	if r, err := st.Get(id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after 503, Get(%s) = %v, %v, want ErrNotFound", id, r, err)
	}

	// Up to the limit goes in; one more is refused until the store seals.
	resp, b = post(t, srv, lines(1))
	wantStatus(t, resp, b, http.StatusOK)
	resp, b = post(t, srv, lines(1))
	wantStatus(t, resp, b, http.StatusServiceUnavailable)
	if err := st.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	resp, b = post(t, srv, lines(1))
	wantStatus(t, resp, b, http.StatusOK)
	if got, want := decode[httpapi.IngestResult](t, b).IDs, []record.ID{{Kind: record.KindNAT, Seq: maxPending + 1}}; !cmp.Equal(got, want) {
		t.Errorf("after Flush, IDs = %v, want %v", got, want)
	}
}

func TestRouting(t *testing.T) {
	st := openStore(t, nil)
	srv := serve(t, st, httpapi.Config{})
	tests := []struct {
		method, path string
		wantStatus   int
		wantAllow    string
	}{
		{http.MethodGet, "/api/v1/records", http.StatusMethodNotAllowed, "POST"},
		{http.MethodPut, "/api/v1/records", http.StatusMethodNotAllowed, "POST"},
		{http.MethodPost, "/api/v1/checkpoint", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodDelete, "/healthz", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodGet, "/", http.StatusNotFound, ""},
		{http.MethodGet, "/api/v1/nothing", http.StatusNotFound, ""},
		{http.MethodPost, "/api/v1/records/", http.StatusNotFound, ""},
		{http.MethodGet, "/healthz/x", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, b := do(t, tt.method, srv.URL+tt.path, "")
			wantStatus(t, resp, b, tt.wantStatus)
			if got := resp.Header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
		})
	}
	if n := pending(st); n != 0 {
		t.Errorf("pending = %d, want 0", n)
	}
}

func TestHealthz(t *testing.T) {
	st := openStore(t, nil)
	srv := serve(t, st, httpapi.Config{})
	zero := map[string]uint64{}
	for _, k := range record.Kinds {
		zero[k.String()] = 0
	}
	get := func(t *testing.T, wantCode int, want httpapi.Health) {
		t.Helper()
		resp, b := do(t, http.MethodGet, srv.URL+"/healthz", "")
		wantStatus(t, resp, b, wantCode)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q, want application/json", ct)
		}
		if diff := cmp.Diff(want, decode[httpapi.Health](t, b)); diff != "" {
			t.Errorf("GET /healthz mismatch (-want +got):\n%s", diff)
		}
	}

	t.Run("fresh", func(t *testing.T) {
		get(t, http.StatusOK, httpapi.Health{Status: "ok", Sealed: zero})
	})

	resp, b := post(t, srv, strings.Repeat(validLine("nat")+"\n", 3)+validLine("maintenance"))
	wantStatus(t, resp, b, http.StatusOK)
	t.Run("pending", func(t *testing.T) {
		get(t, http.StatusOK, httpapi.Health{Status: "ok", Pending: 4, Sealed: zero})
	})

	if err := st.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	sealed := map[string]uint64{}
	for k, v := range zero {
		sealed[k] = v
	}
	sealed["nat"], sealed["maintenance"] = 3, 1
	t.Run("sealed", func(t *testing.T) {
		// One log entry per sealed block: one nat block, one maintenance.
		get(t, http.StatusOK, httpapi.Health{Status: "ok", LogEntries: 2, Sealed: sealed})
	})

	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Run("closed store", func(t *testing.T) {
		// A closed store takes no writes, so the process is not healthy:
		// a load balancer should stop sending it records.
		get(t, http.StatusServiceUnavailable, httpapi.Health{Status: "failing", Error: store.ErrClosed.Error(),
			LogEntries: 2, Sealed: sealed})
	})
	t.Run("post to closed store", func(t *testing.T) {
		resp, b := post(t, srv, validLine("nat"))
		wantStatus(t, resp, b, http.StatusServiceUnavailable)
		if got := decode[errorBody](t, b); got.Error != store.ErrClosed.Error() {
			t.Errorf("error = %q, want %q", got.Error, store.ErrClosed.Error())
		}
		if got := resp.Header.Get("Retry-After"); got != "" {
			t.Errorf("Retry-After = %q, want none: a closed store does not come back", got)
		}
	})
}

func TestCheckpoint(t *testing.T) {
	st := openStore(t, nil)
	srv := serve(t, st, httpapi.Config{})
	keys, err := seal.ParseVerifierKey(st.VerifierKey(), nil)
	if err != nil {
		t.Fatalf("ParseVerifierKey(%q): %v", st.VerifierKey(), err)
	}
	get := func(t *testing.T, wantSize int64) {
		t.Helper()
		resp, b := do(t, http.MethodGet, srv.URL+"/api/v1/checkpoint", "")
		wantStatus(t, resp, b, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("Content-Type = %q, want text/plain; charset=utf-8", ct)
		}
		if string(b) != string(st.Checkpoint()) {
			t.Errorf("GET /api/v1/checkpoint = %q, want the store's checkpoint %q", b, st.Checkpoint())
		}
		cp, err := seal.OpenSigned(b, keys.Verifier)
		if err != nil {
			t.Fatalf("OpenSigned(%q): %v", b, err)
		}
		if cp.Origin != "warden/test" || cp.Size != wantSize {
			t.Errorf("checkpoint origin, size = %q, %d, want %q, %d", cp.Origin, cp.Size, "warden/test", wantSize)
		}
		// A changed byte must not verify: the client really checked.
		bad := []byte(strings.Replace(string(b), "warden/test\n", "warden/tesT\n", 1))
		if _, err := seal.OpenSigned(bad, keys.Verifier); err == nil {
			t.Errorf("OpenSigned(%q) = nil error for an altered checkpoint", bad)
		}
	}

	t.Run("empty store", func(t *testing.T) { get(t, 0) })
	resp, b := post(t, srv, validLine("nat")+"\n"+validLine("session"))
	wantStatus(t, resp, b, http.StatusOK)
	if err := st.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	t.Run("after seal", func(t *testing.T) { get(t, 2) })
}

func TestSecurityHeaders(t *testing.T) {
	st := openStore(t, func(c *store.Config) { c.MaxPending = 2 })
	srv := serve(t, st, httpapi.Config{MaxBodyBytes: 4096})
	line := validLine("nat")
	tests := []struct {
		name, method, path, body string
		wantStatus               int
	}{
		{"ingest", http.MethodPost, "/api/v1/records", line, http.StatusOK},
		{"ingest rejected", http.MethodPost, "/api/v1/records", "nonsense", http.StatusUnprocessableEntity},
		{"empty body", http.MethodPost, "/api/v1/records", "", http.StatusBadRequest},
		{"too large", http.MethodPost, "/api/v1/records", strings.Repeat(" ", 5000), http.StatusRequestEntityTooLarge},
		{"batch too large", http.MethodPost, "/api/v1/records", strings.Repeat(line+"\n", 3), http.StatusRequestEntityTooLarge},
		{"healthz", http.MethodGet, "/healthz", "", http.StatusOK},
		{"checkpoint", http.MethodGet, "/api/v1/checkpoint", "", http.StatusOK},
		{"not found", http.MethodGet, "/nope", "", http.StatusNotFound},
		{"wrong method", http.MethodGet, "/api/v1/records", "", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := do(t, tt.method, srv.URL+tt.path, tt.body)
			wantStatus(t, resp, b, tt.wantStatus)
			for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
				if got := resp.Header.Get(h); got != want {
					t.Errorf("%s %s: header %s = %q, want %q", tt.method, tt.path, h, got, want)
				}
			}
		})
	}
}

func TestPostRecordsHugeInvalidLine(t *testing.T) {
	// An invalid line longer than a raw record holds is kept to its first
	// MiB with a reason saying so; the valid lines beside it are stored.
	st := openStore(t, nil)
	srv := serve(t, st, httpapi.Config{})
	bad := `{"kind":"nat","junk":"` + strings.Repeat("x", record.MaxDataLen) + `"}`
	resp, b := post(t, srv, validLine("nat")+"\n"+bad)
	wantStatus(t, resp, b, http.StatusOK)
	res := decode[httpapi.IngestResult](t, b)
	if res.Accepted != 1 || len(res.Errors) != 1 || res.Errors[0].Line != 2 {
		t.Fatalf("result = %+v, want line 1 accepted and line 2 rejected", res)
	}
	id, err := record.ParseID(res.Errors[0].KeptAs)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Raw.Data) != record.MaxDataLen || !strings.HasPrefix(bad, string(r.Raw.Data)) || !strings.Contains(r.Raw.Reason, "kept to") {
		t.Errorf("kept %d bytes with reason %q, want the first %d bytes and a reason saying it was cut", len(r.Raw.Data), r.Raw.Reason, record.MaxDataLen)
	}
}

func TestPostRecordsSmallLineLimit(t *testing.T) {
	st := openStore(t, nil)
	srv := serve(t, st, httpapi.Config{MaxLineBytes: 100})
	resp, b := post(t, srv, validLine("nat"))
	wantStatus(t, resp, b, http.StatusBadRequest)
	if got := decode[errorBody](t, b); !strings.Contains(got.Error, "line 1 is longer than 100 bytes") {
		t.Errorf("error = %q, want it to name line 1 and the 100-byte limit", got.Error)
	}
}
