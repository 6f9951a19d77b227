package access

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func open(t *testing.T) (*Service, *clock, string) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	s, boot, err := Open(Config{Dir: dir, Now: clk.Now, ApprovalTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return s, clk, boot
}

func principal(name string, roles ...Role) *Principal { return &Principal{User: name, Roles: roles} }

func TestBootstrap(t *testing.T) {
	s, _, boot := open(t)
	if boot == "" {
		t.Fatal("first Open returned no bootstrap token")
	}
	fi, err := os.Stat(filepath.Join(s.cfg.Dir, "bootstrap-token"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("bootstrap-token file: %v, mode %v; want 0600", err, fi.Mode())
	}
	if err := s.Bootstrap("wrong", "root", "a long enough password"); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("Bootstrap(wrong token) = %v, want ErrUnauthenticated", err)
	}
	if err := s.Bootstrap(boot, "root", "short"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Bootstrap(short password) = %v, want ErrInvalid", err)
	}
	if err := s.Bootstrap(boot, "root", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if err := s.Bootstrap(boot, "root2", "a long enough password"); !errors.Is(err, ErrForbidden) {
		t.Errorf("second Bootstrap = %v, want ErrForbidden: the token is single-use", err)
	}
	if _, err := os.Stat(filepath.Join(s.cfg.Dir, "bootstrap-token")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("bootstrap-token still on disk after use: %v", err)
	}
	// Reopening keeps the users and makes no new token.
	s2, boot2, err := Open(Config{Dir: s.cfg.Dir})
	if err != nil || boot2 != "" || len(s2.Users()) != 1 {
		t.Fatalf("reopen: %v, token %q, users %v", err, boot2, s2.Users())
	}
	if _, _, err := s2.Login("root", "a long enough password"); err != nil {
		t.Errorf("Login after reopen: %v", err)
	}
	if _, _, err := s2.Login("root", "wrong password here"); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("Login(wrong password) = %v, want ErrUnauthenticated", err)
	}
	state, _ := os.ReadFile(filepath.Join(s.cfg.Dir, "state.json"))
	if strings.Contains(string(state), "a long enough password") || !strings.Contains(string(state), "$argon2id$") {
		t.Errorf("state file holds the password or no argon2id hash:\n%s", state)
	}
}

func TestIdentify(t *testing.T) {
	s, clk, boot := open(t)
	if err := s.Bootstrap(boot, "root", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUser("officer", "", []Role{RoleInspector}); err != nil {
		t.Fatal(err)
	}
	id, tok, err := s.NewToken("officer", "laptop")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Identify(Credentials{Token: tok})
	if err != nil || p.User != "officer" || p.Method != "token" {
		t.Fatalf("Identify(token) = %+v, %v", p, err)
	}
	fp := strings.Repeat("ab", 32)
	if err := s.SetCerts("officer", []string{strings.ToUpper(fp)}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Identify(Credentials{CertSHA256: fp}); err != nil || p.Method != "certificate" {
		t.Errorf("Identify(certificate) = %+v, %v", p, err)
	}
	if err := s.RevokeToken("officer", id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Identify(Credentials{Token: tok}); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("Identify(revoked token) = %v, want ErrUnauthenticated", err)
	}
	cookie, _, err := s.Login("root", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.Identify(Credentials{Session: cookie}); err != nil || p.User != "root" {
		t.Errorf("Identify(session) = %+v, %v", p, err)
	}
	clk.Add(9 * time.Hour)
	if _, err := s.Identify(Credentials{Session: cookie}); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("Identify(expired session) = %v, want ErrUnauthenticated", err)
	}
	if _, err := s.Identify(Credentials{}); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("Identify(nothing) = %v, want ErrUnauthenticated", err)
	}
	if err := s.RemoveUser("root"); !errors.Is(err, ErrInvalid) {
		t.Errorf("RemoveUser(last administrator) = %v, want ErrInvalid", err)
	}
}

func TestApprovals(t *testing.T) {
	s, clk, _ := open(t)
	op := principal("op", RoleOperator)
	insp := principal("insp", RoleInspector)
	insp2 := principal("insp2", RoleInspector)
	aud := principal("aud", RoleAuditor)
	const target = "registration:alice"

	if _, err := s.Request(aud, PurposeReveal, target, "case-1", ""); !errors.Is(err, ErrForbidden) {
		t.Errorf("Request by an auditor = %v, want ErrForbidden", err)
	}
	if _, err := s.Request(op, PurposeReveal, target, "", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("Request without a case reference = %v, want ErrInvalid", err)
	}

	// Approved by the requester himself: refused.
	a, err := s.Request(insp, PurposeReveal, target, "case-1", "fraud report")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decide(insp, a.ID, true); !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "second person") {
		t.Errorf("self-approval = %v, want ErrForbidden naming the second person", err)
	}
	if _, err := s.Use(insp, a.ID, PurposeReveal, target); !errors.Is(err, ErrForbidden) {
		t.Errorf("Use(pending) = %v, want ErrForbidden", err)
	}
	if _, err := s.Decide(op, a.ID, true); !errors.Is(err, ErrForbidden) {
		t.Errorf("approval by an operator = %v, want ErrForbidden", err)
	}
	if _, err := s.Decide(insp2, a.ID, true); err != nil {
		t.Fatal(err)
	}
	// Single purpose: not for another target or purpose, nor another user.
	if _, err := s.Use(insp, a.ID, PurposeReveal, "registration:bob"); !errors.Is(err, ErrForbidden) {
		t.Errorf("Use for another target = %v, want ErrForbidden", err)
	}
	if _, err := s.Use(insp, a.ID, PurposeExport, target); !errors.Is(err, ErrForbidden) {
		t.Errorf("Use for another purpose = %v, want ErrForbidden", err)
	}
	if _, err := s.Use(insp2, a.ID, PurposeReveal, target); !errors.Is(err, ErrForbidden) {
		t.Errorf("Use by the approver = %v, want ErrForbidden", err)
	}
	got, err := s.Use(insp, a.ID, PurposeReveal, target)
	if err != nil || got.CaseRef != "case-1" {
		t.Fatalf("Use = %+v, %v", got, err)
	}
	// Reused: refused.
	if _, err := s.Use(insp, a.ID, PurposeReveal, target); !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "already used") {
		t.Errorf("reuse = %v, want ErrForbidden saying already used", err)
	}

	// Expired: refused, both for approving and for using.
	b, _ := s.Request(op, PurposeExport, "kind=nat&from=x", "case-2", "")
	if _, err := s.Decide(insp, b.ID, true); err != nil {
		t.Fatal(err)
	}
	c, _ := s.Request(op, PurposeReveal, target, "case-3", "")
	clk.Add(61 * time.Minute)
	if _, err := s.Use(op, b.ID, PurposeExport, "kind=nat&from=x"); !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("Use(expired) = %v, want ErrForbidden saying expired", err)
	}
	if _, err := s.Decide(insp, c.ID, true); !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("Decide(expired) = %v, want ErrForbidden saying expired", err)
	}
	// Refused requests cannot be used.
	d, _ := s.Request(op, PurposeReveal, target, "case-4", "")
	if _, err := s.Decide(insp, d.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Use(op, d.ID, PurposeReveal, target); !errors.Is(err, ErrForbidden) {
		t.Errorf("Use(refused) = %v, want ErrForbidden", err)
	}
	if n := len(s.Approvals(op)); n != 3 {
		t.Errorf("the operator sees %d approvals, want his own 3", n)
	}
}

func TestRoleMatrix(t *testing.T) {
	// The matrix, spelled out: a change to matrix must change this table.
	want := map[Role]string{
		RoleAdmin:     "status sources approve users keys",
		RoleOperator:  "status ingest sources read request",
		RoleAuditor:   "status audit verify",
		RoleInspector: "status read request approve verify",
	}
	all := []Permission{PermStatus, PermIngest, PermSources, PermRead, PermRequest, PermApprove, PermAudit, PermVerify, PermUsers, PermKeys}
	for _, r := range Roles {
		var got []string
		for _, p := range all {
			if Allowed([]Role{r}, p) {
				got = append(got, string(p))
			}
		}
		if strings.Join(got, " ") != want[r] {
			t.Errorf("%s may %q, want %q", r, strings.Join(got, " "), want[r])
		}
	}
	if Allowed(nil, PermStatus) {
		t.Error("no roles allow something")
	}
}

func TestRateLimit(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	s, _, err := Open(Config{Dir: t.TempDir(), Now: clk.Now, Rate: 1, Burst: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := s.Allow("op"); err != nil {
			t.Fatalf("query %d within the burst: %v", i+1, err)
		}
	}
	if err := s.Allow("op"); !errors.Is(err, ErrRateLimited) {
		t.Errorf("query past the burst = %v, want ErrRateLimited", err)
	}
	if err := s.Allow("insp"); err != nil {
		t.Errorf("another user's query = %v: limits are per user", err)
	}
	clk.Add(time.Second)
	if err := s.Allow("op"); err != nil {
		t.Errorf("query a second later = %v, want allowed", err)
	}
}
