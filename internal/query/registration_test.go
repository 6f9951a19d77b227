package query

import (
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/warden-ops/warden/internal/record"
)

func registration(src, hms, account string, fields map[string]string) *record.Record {
	r := &record.Record{}
	r.Init(record.KindRegistration)
	r.EventTime, r.Source = at(hms), src
	r.Registration.Account = account
	for _, name := range []string{"address", "name", "phone"} {
		if v, ok := fields[name]; ok {
			r.Registration.Fields = append(r.Registration.Fields, record.Field{Name: "enc:" + name, Value: []byte("sealed " + v)})
		}
	}
	return r
}

// fakeMask stands for privacy.Vault.Masked: it "decrypts" fakeSeal's
// values and keeps their last two characters.
func fakeMask(account string, fs []record.Field) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range fs {
		name, _ := strings.CutPrefix(f.Name, "enc:")
		v, ok := strings.CutPrefix(string(f.Value), "sealed ")
		if !ok {
			return nil, errors.New("cannot decrypt")
		}
		out[name] = "***" + v[len(v)-2:]
	}
	return out, nil
}

func TestTraceRegistration(t *testing.T) {
	e := scenario(t)
	broken := registration("crm", "08:00:00", "bob", map[string]string{"phone": "13900000000"})
	broken.Registration.Fields[0].Value = []byte("not sealed by this vault")
	ids, err := e.st.Append([]*record.Record{
		registration("crm", "07:00:00", "alice", map[string]string{"name": "Alice Old", "phone": "13800000001"}),
		registration("crm", "09:30:00", "alice", map[string]string{"name": "Alice Liddell", "phone": "13800000002"}), // in force at 10:00
		registration("crm", "10:30:00", "alice", map[string]string{"name": "Alice Later", "phone": "13800000003"}),
		broken,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.Flush(); err != nil {
		t.Fatal(err)
	}
	e.cfg.Registrations = StoreRegistrations(e.st, fakeMask)
	ans, err := e.Trace(t.Context(), Question{Addr: netip.MustParseAddr("203.0.113.7"), Port: 40001, At: t0})
	if err != nil {
		t.Fatal(err)
	}
	c := ans.Candidates[0]
	want := &RegistrationSummary{ID: ids[1], Time: at("09:30:00"), Source: "crm", Account: "alice", Fields: map[string]string{"name": "***ll", "phone": "***02"}}
	if diff := cmp.Diff(want, c.Registration); diff != "" {
		t.Errorf("registration of alice (-want +got):\n%s", diff)
	}
	if !slices.Contains(ans.Records(), ids[1]) {
		t.Errorf("records %v lack the registration %s", ans.Records(), ids[1])
	}
	// The evidence proves the registration record and checks it is the
	// candidate's.
	ev, err := Build(t.Context(), e.st, ans, "")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(ev)
	if err := VerifyEvidence(decodeEvidence(t, data), nil); err != nil {
		t.Fatalf("VerifyEvidence = %v", err)
	}
	bad := decodeEvidence(t, data)
	bad.Answer.Candidates[0].Registration.Account = "mallory"
	if err := VerifyEvidence(bad, nil); err == nil || !strings.Contains(err.Error(), "registration") {
		t.Errorf("VerifyEvidence(registration of another account) = %v, want an error naming the registration", err)
	}

	// bob's registration cannot be read (here: the fake cannot decrypt
	// it); carol has none. Both answers stand, with notes.
	for _, tt := range []struct {
		q    Question
		note string
	}{
		{Question{Addr: netip.MustParseAddr("203.0.113.7"), Port: 1200, At: t0}, "the registration of bob could not be read: mask registration registration:4: cannot decrypt"},
		{Question{Addr: netip.MustParseAddr("203.0.113.7"), Port: 2047, At: t0}, "no registration of carol recorded at or before the moment"},
	} {
		ans, err := e.Trace(t.Context(), tt.q)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Candidates[0].Registration != nil || !strings.Contains(strings.Join(ans.Notes, "; "), tt.note) {
			t.Errorf("%s: registration %+v, notes %q; want none and a note %q", tt.q, ans.Candidates[0].Registration, ans.Notes, tt.note)
		}
	}
}
