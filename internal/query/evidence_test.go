package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"html"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// evidence traces who used 203.0.113.7:40001 at t0 (alice, over a
// per-session mapping) and returns the evidence as indented JSON.
func evidence(t *testing.T) (*Engine, []byte) {
	t.Helper()
	e := scenario(t)
	ans, err := e.Trace(t.Context(), Question{Addr: netip.MustParseAddr("203.0.113.7"), Port: 40001, At: t0})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Build(t.Context(), e.st, ans, "case-42")
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Proofs) != len(ans.Records()) || len(ev.Proofs) < 4 {
		t.Fatalf("%d proofs for records %v", len(ev.Proofs), ans.Records())
	}
	if err := VerifyEvidence(ev, nil); err != nil {
		t.Fatalf("VerifyEvidence(built) = %v", err)
	}
	data, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return e, data
}

func decodeEvidence(t *testing.T, data []byte) *Evidence {
	t.Helper()
	var ev Evidence
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatalf("decode evidence: %v\n%s", err, data)
	}
	return &ev
}

func TestEvidence(t *testing.T) {
	e, data := evidence(t)
	ev := decodeEvidence(t, data)
	if err := VerifyEvidence(ev, nil); err != nil {
		t.Fatalf("VerifyEvidence(decoded) = %v", err)
	}
	k := e.st.VerifierKey()
	if ev.VerifierKey != k {
		t.Errorf("evidence key %q, want the store's %q", ev.VerifierKey, k)
	}
	var html1 bytes.Buffer
	if err := ev.HTML(&html1); err != nil {
		t.Fatal(err)
	}
	page := html.UnescapeString(html1.String())
	for _, want := range []string{ev.Question.String(), "alice", ev.Checkpoint, "case-42", "warden verify-proof", "nat:1", "session:1"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("report has a script")
	}
}

// TestEvidenceAltered changes one byte at a time and wants verification
// to fail, naming what failed.
func TestEvidenceAltered(t *testing.T) {
	_, data := evidence(t)
	// nth returns the offset of the n-th (1-based) occurrence of s, plus off.
	nth := func(s string, n, off int) int {
		t.Helper()
		i := -1
		for range n {
			j := bytes.Index(data[i+1:], []byte(s))
			if j < 0 {
				t.Fatalf("evidence has no occurrence %d of %q:\n%s", n, s, data)
			}
			i += 1 + j
		}
		return i + off
	}
	// The evidence's own checkpoint is the last one, after every proof's.
	top := bytes.LastIndex(data, []byte(`\n",`+"\n"+`  "verifier_key"`))
	for _, tt := range []struct {
		name string
		at   int
		to   byte
		want []string
	}{
		{"record field", nth(`"inside_port": 5000`, 1, len(`"inside_port": 500`)), '1', []string{"proof of nat:", "record"}},
		{"block proof hash", nth(`"block_proof": [`, 1, len(`"block_proof": [`)+12), 'A', []string{"proof of", "record in block"}},
		{"log proof hash", nth(`"log_proof": [`, 1, len(`"log_proof": [`)+12), 'A', []string{"proof of", "entry in log"}},
		{"checkpoint signature", top - 10, 'A', []string{"checkpoint"}},
		{"candidate account", nth(`"Account": "alice"`, 1, len(`"Account": "alic`)), 'f', []string{"candidate 1", "account"}},
		{"session account", nth(`"Account": "alice"`, 2, len(`"Account": "alic`)), 'f', []string{"candidate 1", "session", "account"}},
		{"candidate's mapping", nth(`"Inside": "100.64.0.10:5000"`, 1, len(`"Inside": "100.64.0.1`)), '1', []string{"candidate 1", "mapping: record nat:1"}},
		{"mapping inside address", nth(`"Inside": "100.64.0.10:5000"`, 2, len(`"Inside": "100.64.0.1`)), '1', []string{"mapping 1:", "record nat:1"}},
		{"mapping end", nth(`"To": "2026-11-01T10:00:30Z"`, 2, len(`"To": "2026-11-01T10:00:3`)), '1', []string{"mapping 1:", "ends", "nat:2"}},
		{"reason", nth(`"Reason": "`, 1, len(`"Reason": "`)), 'X', []string{"candidate 1", "reason"}},
		{"question port", nth(`"Port": 40001`, 1, len(`"Port": 4000`)), '2', []string{"question"}},
		{"created", nth(`"created": "2`, 1, len(`"created": "2`)), '1', []string{"digest"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := bytes.Clone(data)
			if bad[tt.at] == tt.to {
				t.Fatalf("byte %d is already %q", tt.at, tt.to)
			}
			bad[tt.at] = tt.to
			err := VerifyEvidence(decodeEvidence(t, bad), nil)
			if _, ok := errors.AsType[*EvidenceError](err); !ok {
				t.Fatalf("VerifyEvidence = %v, want an *EvidenceError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("VerifyEvidence = %q, want it to name %q", err, w)
				}
			}
		})
	}
}

func TestBuildNotSealed(t *testing.T) {
	st, err := store.Open(store.Config{Dir: t.TempDir(), BlockAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids, err := st.Append([]*record.Record{session("bras-1", "09:00:00", record.SessionStart, "alice", "a1", "100.64.0.10")})
	if err != nil {
		t.Fatal(err)
	}
	ans := &Answer{Candidates: []Candidate{{Account: "alice", Session: &Session{Account: "alice", Trail: Trail{Records: ids}}}}}
	if _, err := Build(t.Context(), st, ans, ""); !errors.Is(err, store.ErrNotSealed) || !strings.Contains(err.Error(), "retry") {
		t.Errorf("Build(unsealed) = %v, want store.ErrNotSealed telling to retry", err)
	}
}

// TestEvidenceAnswers builds and verifies evidence for every kind of
// answer: verification must not refuse what the engine says.
func TestEvidenceAnswers(t *testing.T) {
	e := scenario(t)
	for _, q := range []Question{
		{Addr: netip.MustParseAddr("203.0.113.7"), Port: 1200, At: t0},  // port block, missing stop
		{Addr: netip.MustParseAddr("203.0.113.7"), Port: 2047, At: t0},  // session starting at the moment
		{Addr: netip.MustParseAddr("203.0.113.7"), Port: 50000, At: t0}, // skewed clock
		{Addr: netip.MustParseAddr("198.51.100.50"), At: t0},            // no NAT
		{Addr: netip.MustParseAddr("2001:db8:100:42::1"), At: t0},       // delegated prefix
		{Addr: netip.MustParseAddr("203.0.113.9"), Port: 30000, At: t0}, // nothing, with a gap
		{Addr: netip.MustParseAddr("203.0.113.7"), Port: 40001, Proto: record.ProtoTCP, At: t0.Add(10 * time.Second)},
	} {
		t.Run(q.String(), func(t *testing.T) {
			ans, err := e.Trace(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := Build(t.Context(), e.st, ans, "")
			if err != nil {
				t.Fatal(err)
			}
			data, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyEvidence(decodeEvidence(t, data), nil); err != nil {
				t.Errorf("VerifyEvidence = %v", err)
			}
		})
	}
}
