package httpapi_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/access"
	"github.com/warden-ops/warden/internal/httpapi"
	"github.com/warden-ops/warden/internal/query"
)

// TestTraceRegistrationMasked traces an address behind a deterministic
// NAT rule, with only the RADIUS sessions logged, and wants the account's
// registration in the answer, masked, and the rule named as policy.
func TestTraceRegistrationMasked(t *testing.T) {
	st := openStore(t, nil)
	rule := query.DeterministicRule{Name: "det-1", Device: "cgn-3", InsidePrefix: prefix("100.64.0.0/22"), OutsidePrefix: prefix("203.0.113.0/26"),
		PortsPerSubscriber: 4000, FirstPort: 1024, From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	srv := serve(t, st, httpapi.Config{Trace: query.Config{Deterministic: []query.DeterministicRule{rule}}})
	resp, b := post(t, srv, `{"kind":"session","time":"2026-11-01T01:00:00Z","source":"bras-1","event":"start","account":"alice","addr":"100.64.0.17","session_id":"a1"}`)
	wantStatus(t, resp, b, http.StatusOK)
	reg := map[string]any{"account": "alice", "time": t0.Add(-24 * time.Hour), "source": "crm", "fields": personal}
	postJSON(t, access.RoleOperator, srv.URL+"/api/v1/registrations", reg, http.StatusCreated, nil)

	q := url.Values{"addr": {"203.0.113.1"}, "port": {"5100"}, "at": {t0.Format(time.RFC3339)}}
	resp, b = doAs(t, access.RoleInspector, http.MethodGet, srv.URL+"/api/v1/trace?"+q.Encode(), "")
	wantStatus(t, resp, b, http.StatusOK)
	for name, v := range personal {
		if strings.Contains(string(b), v) {
			t.Errorf("trace answer holds the plain %s %q: %s", name, v, b)
		}
	}
	ans := decode[query.Answer](t, b)
	if len(ans.Candidates) != 1 || ans.Candidates[0].Account != "alice" {
		t.Fatalf("candidates %+v, want alice; notes %q", ans.Candidates, ans.Notes)
	}
	c := ans.Candidates[0]
	if c.Exact || !strings.Contains(c.Reason, "deterministic NAT rule det-1 (RFC 7422)") || !strings.Contains(c.Reason, "not a logged record") {
		t.Errorf("candidate exact %v, reason %q; want not exact, resting on rule det-1 as policy", c.Exact, c.Reason)
	}
	if len(ans.Rules) != 1 || ans.Rules[0].Name != "det-1" || c.Mapping == nil || c.Mapping.Inside != netip.MustParseAddrPort("100.64.0.17:0") {
		t.Errorf("rules %+v, mapping %+v; want det-1 mapping 100.64.0.17", ans.Rules, c.Mapping)
	}
	g := c.Registration
	if g == nil {
		t.Fatalf("no registration in the answer; notes %q", ans.Notes)
	}
	want := map[string]string{"name": "张*丰", "phone": "*******8000", "id_number": "**************002X", "address": "北京市海淀区********"}
	for name, v := range want {
		if g.Fields[name] != v {
			t.Errorf("registration field %s = %q, want %q (masked)", name, g.Fields[name], v)
		}
	}
	if g.Account != "alice" || g.Source != "crm" || !g.Time.Equal(t0.Add(-24*time.Hour)) {
		t.Errorf("registration %+v, want alice's from crm a day before", g)
	}
}
