package query

import (
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/seal"
)

//go:embed evidence.html.tmpl
var evidenceHTML string

var evidenceTemplate = template.Must(template.New("evidence").Parse(evidenceHTML))

// reportRecord is one row of the report's record table with its proof.
type reportRecord struct {
	ID, Kind, Time, Source, Fields string
	Index, LogIndex                int64
	BlockRoot                      string
	BlockProof, LogProof           []string
}

// HTML writes e as a printable report for a case file: the question, the
// ranked answer, its gaps and notes, every record with its inclusion
// proofs, the signed checkpoint and how to verify the evidence offline.
// The report is for people; the JSON evidence is what verifies.
func (e *Evidence) HTML(w io.Writer) error {
	if e.Answer == nil {
		return fmt.Errorf("write evidence report: no answer")
	}
	var recs []reportRecord
	for _, b := range e.Proofs {
		rr := reportRecord{ID: b.ID.String(), Kind: b.ID.Kind.String(), Index: b.Index, LogIndex: b.LogIndex,
			BlockProof: hashes(b.BlockProof), LogProof: hashes(b.LogProof)}
		if en, err := seal.DecodeEntry(b.Entry); err == nil {
			rr.BlockRoot = base64.StdEncoding.EncodeToString(en.Root[:])
		}
		if r := b.Record; r != nil {
			rr.Time, rr.Source, rr.Fields = r.EventTime.Format(time.RFC3339Nano), r.Source, keyFields(r)
		}
		recs = append(recs, rr)
	}
	data := struct {
		*Evidence
		QuestionText string
		Records      []reportRecord
	}{e, e.Question.String(), recs}
	if err := evidenceTemplate.Execute(w, data); err != nil {
		return fmt.Errorf("write evidence report: %w", err)
	}
	return nil
}

func hashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// keyFields summarizes what a record says, for the report's table.
func keyFields(r *record.Record) string {
	addr := func(a netip.Addr, port, end uint16) string {
		s := a.String()
		if port != 0 {
			s = netip.AddrPortFrom(a, port).String()
		}
		if end != 0 {
			s += fmt.Sprintf("-%d", end)
		}
		return s
	}
	switch {
	case r.NAT != nil:
		n := r.NAT
		s := fmt.Sprintf("%s %s -> %s", n.Event, addr(n.InsideAddr, n.InsidePort, 0), addr(n.OutsideAddr, n.OutsidePort, n.OutsidePortEnd))
		if n.Protocol != 0 {
			s += " " + n.Protocol.String()
		}
		return s
	case r.Session != nil:
		s := r.Session
		f := []string{s.Event.String(), "account " + s.Account}
		if s.Addr.IsValid() {
			f = append(f, "address "+s.Addr.String())
		}
		for _, p := range []netip.Prefix{s.IPv6Prefix, s.DelegatedPrefix} {
			if p.IsValid() {
				f = append(f, "prefix "+p.String())
			}
		}
		if s.SessionID != "" {
			f = append(f, "session "+s.SessionID)
		}
		if s.CallingStationID != "" {
			f = append(f, "calling station "+s.CallingStationID)
		}
		return strings.Join(f, ", ")
	case r.Registration != nil:
		// The personal fields are encrypted: name them, show none.
		var names []string
		for _, f := range r.Registration.Fields {
			if name, ok := strings.CutPrefix(f.Name, "enc:"); ok {
				names = append(names, name)
			}
		}
		return fmt.Sprintf("registration of account %s, encrypted fields: %s", r.Registration.Account, strings.Join(names, ", "))
	}
	b, err := r.MarshalJSON()
	if err != nil {
		return err.Error()
	}
	return string(b)
}
