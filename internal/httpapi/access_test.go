package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/access"
	"github.com/warden-ops/warden/internal/httpapi"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// concrete fills a route pattern's wildcards with values that name
// nothing, so allowed requests reach their handler without changing the
// test's users.
func concrete(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	r := strings.NewReplacer("{id}", "nat:999999", "{name}", "nobody", "{account}", "nobody", "{addr}", "192.0.2.1")
	return method, r.Replace(path)
}

func TestEveryRouteRefusesUnauthenticated(t *testing.T) {
	st := openStore(t, nil)
	api := httpapi.New(st, httpapi.Config{})
	srv := serve(t, st, httpapi.Config{})
	if len(api.Routes()) < 25 {
		t.Fatalf("only %d routes registered", len(api.Routes()))
	}
	for _, rt := range api.Routes() {
		method, path := concrete(rt.Pattern)
		body := "{}"
		if method == http.MethodGet || method == http.MethodDelete {
			body = ""
		}
		resp, b := doAs(t, "", method, srv.URL+path, body)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without credentials: status %d (%s), want 401", rt.Pattern, resp.StatusCode, b)
		}
	}
	// A forged token is no better than none.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
	req.Header.Set("Authorization", "Bearer wdn_0000_forged")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged token: status %d, want 401", resp.StatusCode)
	}
}

func TestRoleMatrix(t *testing.T) {
	st := openStore(t, nil)
	srv := serve(t, st, httpapi.Config{DataDir: st.Dir()})
	api := httpapi.New(st, httpapi.Config{})
	for _, role := range access.Roles {
		for _, rt := range api.Routes() {
			if rt.Perm == access.PermNone {
				continue // login and bootstrap authenticate by their body
			}
			method, path := concrete(rt.Pattern)
			body := "{}"
			if method == http.MethodGet || method == http.MethodDelete {
				body = ""
			}
			resp, b := doAs(t, role, method, srv.URL+path, body)
			allowed := access.Allowed([]access.Role{role}, rt.Perm)
			switch {
			case !allowed && resp.StatusCode != http.StatusForbidden:
				t.Errorf("%s as %s: status %d (%s), want 403", rt.Pattern, role, resp.StatusCode, b)
			case allowed && (resp.StatusCode == http.StatusForbidden && !strings.Contains(string(b), "approv") ||
				resp.StatusCode == http.StatusUnauthorized):
				t.Errorf("%s as %s: status %d (%s), want the handler's answer", rt.Pattern, role, resp.StatusCode, b)
			}
		}
	}
}

// postJSON sends v as JSON as role and decodes the answer into out.
func postJSON(t *testing.T, role access.Role, url string, v any, want int, out any) {
	t.Helper()
	b, _ := json.Marshal(v)
	resp, body := doAs(t, role, http.MethodPost, url, string(b))
	wantStatus(t, resp, body, want)
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("decode %s: %v", body, err)
		}
	}
}

var personal = map[string]string{
	"name": "张三丰", "id_number": "11010519491231002X", "phone": "13800138000", "address": "北京市海淀区中关村大街一号院",
}

func TestRevealNeedsTwoPeople(t *testing.T) {
	st := openStore(t, nil)
	srv := serve(t, st, httpapi.Config{})
	e := envOf(t, srv)
	postJSON(t, access.RoleOperator, srv.URL+"/api/v1/registrations", map[string]any{"account": "alice", "fields": personal}, http.StatusCreated, nil)

	// Masked for everyone: found by phone through the blind index.
	q := url.Values{"phone": {"138-0013-8000"}, "from": {time.Now().Add(-time.Hour).Format(time.RFC3339)}, "to": {time.Now().Add(time.Hour).Format(time.RFC3339)}}
	resp, b := doAs(t, access.RoleInspector, http.MethodGet, srv.URL+"/api/v1/registrations?"+q.Encode(), "")
	wantStatus(t, resp, b, http.StatusOK)
	if !strings.Contains(string(b), `"phone":"*******8000"`) || strings.Contains(string(b), "13800138000") || strings.Contains(string(b), "张三丰") {
		t.Fatalf("lookup answer is not masked: %s", b)
	}
	revealURL := srv.URL + "/api/v1/registrations/alice/reveal?approval="
	resp, b = doAs(t, access.RoleInspector, http.MethodGet, revealURL, "")
	wantStatus(t, resp, b, http.StatusForbidden)

	var a access.Approval
	req := map[string]string{"purpose": "reveal", "target": "registration:alice", "case_ref": "京公网安2026-118", "reason": "fraud"}
	postJSON(t, access.RoleInspector, srv.URL+"/api/v1/approvals", req, http.StatusCreated, &a)
	// Approved by the requester himself: refused.
	resp, b = doAs(t, access.RoleInspector, http.MethodPost, srv.URL+"/api/v1/approvals/"+a.ID+"/approve", "")
	wantStatus(t, resp, b, http.StatusForbidden)
	resp, b = doAs(t, access.RoleInspector, http.MethodGet, revealURL+a.ID, "")
	wantStatus(t, resp, b, http.StatusForbidden)
	// A second officer approves; the reveal works once.
	postJSON(t, "inspector2", srv.URL+"/api/v1/approvals/"+a.ID+"/approve", nil, http.StatusOK, nil)
	resp, b = doAs(t, access.RoleInspector, http.MethodGet, revealURL+a.ID, "")
	wantStatus(t, resp, b, http.StatusOK)
	var v httpapi.RegistrationView
	json.Unmarshal(b, &v)
	if v.Fields["phone"] != personal["phone"] || v.Fields["name"] != personal["name"] || !v.Revealed {
		t.Errorf("revealed %+v, want the plain fields", v)
	}
	// Reused: refused.
	resp, b = doAs(t, access.RoleInspector, http.MethodGet, revealURL+a.ID, "")
	wantStatus(t, resp, b, http.StatusForbidden)
	// Expired: refused.
	var a2 access.Approval
	postJSON(t, access.RoleInspector, srv.URL+"/api/v1/approvals", req, http.StatusCreated, &a2)
	postJSON(t, "inspector2", srv.URL+"/api/v1/approvals/"+a2.ID+"/approve", nil, http.StatusOK, nil)
	e.clock.Add(25 * time.Hour)
	resp, b = doAs(t, access.RoleInspector, http.MethodGet, revealURL+a2.ID, "")
	wantStatus(t, resp, b, http.StatusForbidden)
	if !strings.Contains(string(b), "expired") {
		t.Errorf("expired approval refused with %s, want it to say expired", b)
	}
}

func envOf(t *testing.T, srv *httptest.Server) *env {
	t.Helper()
	v, ok := envs.Load(strings.TrimPrefix(srv.URL, "http://"))
	if !ok {
		t.Fatal("no env for the test server")
	}
	return v.(*env)
}

func TestExportNeedsApproval(t *testing.T) {
	st := openStore(t, nil)
	srv := serve(t, st, httpapi.Config{})
	var body strings.Builder
	for i := range 60 { // the test export threshold is 50
		fmt.Fprintf(&body, `{"kind":"nat","time":"2026-11-01T02:00:%02dZ","source":"cgn-1","event":"create","inside_addr":"100.64.0.1","inside_port":%d,"outside_addr":"203.0.113.7","outside_port":40001}`+"\n", i, 1000+i)
	}
	resp, b := post(t, srv, body.String())
	wantStatus(t, resp, b, http.StatusOK)
	q := "kind=nat&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&outside_addr=203.0.113.7"
	resp, b = doAs(t, access.RoleInspector, http.MethodGet, srv.URL+"/api/v1/search?"+q, "")
	wantStatus(t, resp, b, http.StatusForbidden)
	if !strings.Contains(string(b), "export") {
		t.Fatalf("refusal %s does not say an export approval is needed", b)
	}
	var a access.Approval
	postJSON(t, access.RoleInspector, srv.URL+"/api/v1/approvals", map[string]string{"purpose": "export", "target": q, "case_ref": "case-9"}, http.StatusCreated, &a)
	postJSON(t, "inspector2", srv.URL+"/api/v1/approvals/"+a.ID+"/approve", nil, http.StatusOK, nil)
	resp, b = doAs(t, access.RoleInspector, http.MethodGet, srv.URL+"/api/v1/search?"+q+"&approval="+a.ID, "")
	wantStatus(t, resp, b, http.StatusOK)
	if got := decode[httpapi.SearchResult](t, b); got.Count != 60 {
		t.Errorf("approved export returned %d records, want 60", got.Count)
	}
	// Unbounded queries are refused outright.
	for _, bad := range []string{"kind=nat&outside_addr=203.0.113.7", "kind=nat&from=2026-01-01T00:00:00Z&to=2026-11-01T00:00:00Z&outside_addr=203.0.113.7",
		"kind=nat&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z"} {
		resp, b = doAs(t, access.RoleInspector, http.MethodGet, srv.URL+"/api/v1/search?"+bad, "")
		wantStatus(t, resp, b, http.StatusBadRequest)
	}
}

// auditRecords returns every audit record in the store.
func auditRecords(t *testing.T, st *store.Store) []*record.Record {
	t.Helper()
	var out []*record.Record
	for r, err := range st.Scan(t.Context(), store.Query{Kind: record.KindAudit}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestEveryReadAudited(t *testing.T) {
	st := openStore(t, nil)
	srv := serve(t, st, httpapi.Config{DataDir: st.Dir()})
	resp, b := post(t, srv, validLine("nat"))
	wantStatus(t, resp, b, http.StatusOK)
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	postJSON(t, access.RoleOperator, srv.URL+"/api/v1/registrations", map[string]any{"account": "bob", "fields": personal}, http.StatusCreated, nil)
	win := "from=2026-10-31T00:00:00Z&to=2026-11-30T00:00:00Z"
	reads := []struct {
		role access.Role
		path string
	}{
		{access.RoleOperator, "/api/v1/records/nat:1"},
		{access.RoleInspector, "/api/v1/records/nat:1/proof"},
		{access.RoleInspector, "/api/v1/search?kind=nat&" + win + "&outside_addr=203.0.113.7"},
		{access.RoleOperator, "/api/v1/registrations?account=bob&from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z"},
		{access.RoleAuditor, "/api/v1/audit?" + win},
		{access.RoleAuditor, "/api/v1/verify"},
		{access.RoleAdmin, "/api/v1/users"},
		{access.RoleInspector, "/api/v1/trace?addr=203.0.113.7&port=40001&at=2026-11-01T02:00:00Z"},
		{access.RoleInspector, "/api/v1/history/account/bob?" + win},
		{access.RoleOperator, "/api/v1/history/address/203.0.113.7?" + win},
	}
	for _, rd := range reads {
		before := len(auditRecords(t, st))
		resp, b := doAs(t, rd.role, http.MethodGet, srv.URL+rd.path, "")
		wantStatus(t, resp, b, http.StatusOK)
		after := auditRecords(t, st)
		if len(after) != before+1 {
			t.Fatalf("GET %s as %s left %d audit records, want 1", rd.path, rd.role, len(after)-before)
		}
		a := after[len(after)-1].Audit
		if a.Outcome != "ok" || a.Actor == "" || !strings.HasPrefix(a.Action, "GET ") || !a.Addr.IsLoopback() {
			t.Errorf("audit record of GET %s: %+v", rd.path, a)
		}
	}
	// A refused read is audited too, as denied.
	resp, b = doAs(t, access.RoleAuditor, http.MethodGet, srv.URL+"/api/v1/records/nat:1", "")
	wantStatus(t, resp, b, http.StatusForbidden)
	all := auditRecords(t, st)
	if last := all[len(all)-1].Audit; last.Actor != "aud" || !strings.HasPrefix(last.Outcome, "denied") {
		t.Errorf("refused read audited as %+v, want a denied record for aud", last)
	}
	// The audit trail is as tamper-evident as any record: edit one byte
	// of an audit block and verification names it.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var auditSeg string
	filepath.WalkDir(filepath.Join(st.Dir(), "segments", "audit"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			auditSeg = p
		}
		return nil
	})
	data, err := os.ReadFile(auditSeg)
	if err != nil {
		t.Fatalf("audit segment: %v", err)
	}
	i := bytes.Index(data, []byte("verify"))
	if i < 0 {
		i = len(data) - 10
	}
	data[i] ^= 0x20
	os.WriteFile(auditSeg, data, 0o600)
	rep, err := store.Verify(t.Context(), st.Dir(), store.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !strings.Contains(rep.Problems[0].String(), "audit") {
		t.Errorf("verify after editing an audit record: %v, want a problem in the audit segment", rep.Problems)
	}
}

func TestPersonalFieldsNeverPlain(t *testing.T) {
	st := openStore(t, nil)
	srv := serve(t, st, httpapi.Config{})
	postJSON(t, access.RoleOperator, srv.URL+"/api/v1/registrations", map[string]any{"account": "carol", "fields": personal}, http.StatusCreated, nil)
	// Rotate the keys (an audited change) and register under the new key.
	postJSON(t, access.RoleAdmin, srv.URL+"/api/v1/keys/rotate", nil, http.StatusOK, nil)
	second := map[string]string{"name": "李四光", "phone": "13911112222", "id_number": "44030619850101123X", "address": "广东省深圳市南山区科技园"}
	postJSON(t, access.RoleOperator, srv.URL+"/api/v1/registrations", map[string]any{"account": "dave", "fields": second}, http.StatusCreated, nil)
	grep := func(when string) {
		t.Helper()
		for _, dir := range []string{st.Dir(), filepath.Dir(st.Dir())} {
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				b, _ := os.ReadFile(p)
				for _, set := range []map[string]string{personal, second} {
					for name, v := range set {
						if bytes.Contains(b, []byte(v)) {
							t.Errorf("%s: %s holds the plain %s %q", when, p, name, v)
						}
					}
				}
				return nil
			})
		}
	}
	grep("pending, in the WAL")
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	// Decoded records carry ciphertext only.
	for r, err := range st.Scan(t.Context(), store.Query{Kind: record.KindRegistration}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range r.Registration.Fields {
			for _, v := range personal {
				if bytes.Contains(f.Value, []byte(v)) {
					t.Errorf("sealed registration field %s holds %q", f.Name, v)
				}
			}
		}
	}
	// Both keys still work: each account revealed under approval.
	for _, c := range []struct {
		account string
		want    map[string]string
	}{{"carol", personal}, {"dave", second}} {
		var a access.Approval
		postJSON(t, access.RoleOperator, srv.URL+"/api/v1/approvals", map[string]string{"purpose": "reveal", "target": "registration:" + c.account, "case_ref": "c-1"}, http.StatusCreated, &a)
		postJSON(t, access.RoleInspector, srv.URL+"/api/v1/approvals/"+a.ID+"/approve", nil, http.StatusOK, nil)
		resp, b := doAs(t, access.RoleOperator, http.MethodGet, srv.URL+"/api/v1/registrations/"+c.account+"/reveal?approval="+a.ID, "")
		wantStatus(t, resp, b, http.StatusOK)
		v := decode[httpapi.RegistrationView](t, b)
		if v.Fields["id_number"] != c.want["id_number"] || v.Fields["address"] != c.want["address"] {
			t.Errorf("revealed %s = %v, want %v", c.account, v.Fields, c.want)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	grep("sealed and closed")
}

func TestBrowserProtections(t *testing.T) {
	st := openStore(t, nil)
	srv := serve(t, st, httpapi.Config{})
	// Sign in with a password: a session cookie, HttpOnly and SameSite.
	resp, b := doAs(t, "", http.MethodPost, srv.URL+"/api/v1/login", `{"name":"adm","password":"administrator-password"}`)
	wantStatus(t, resp, b, http.StatusOK)
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "warden_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v: want HttpOnly and SameSite=Strict", session)
	}
	// A cross-site form post with that cookie is refused.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/users", strings.NewReader(`{"name":"evil","roles":["administrator"]}`))
	req.AddCookie(session)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: status %d, want 403", r2.StatusCode)
	}
	// The same request from the same origin is served.
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/api/v1/me", nil)
	req.AddCookie(session)
	r3, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r3.Body.Close()
	if r3.StatusCode != http.StatusOK || r3.Header.Get("Content-Security-Policy") == "" || r3.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("GET /api/v1/me with the session: %d, headers %v", r3.StatusCode, r3.Header)
	}
	// Bodies beyond 1 MiB are refused on ordinary routes.
	resp, b = doAs(t, "", http.MethodPost, srv.URL+"/api/v1/login", `{"name":"`+strings.Repeat("a", 2<<20)+`"}`)
	wantStatus(t, resp, b, http.StatusRequestEntityTooLarge)
}
