package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/warden-ops/warden/internal/access"
	"github.com/warden-ops/warden/internal/privacy"
	"github.com/warden-ops/warden/internal/query"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// runTrace answers "who used ADDR[:PORT] at T" from the command line,
// leaving an audit record like every read.
func runTrace(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("trace", stderr)
	cfgPath := fs.String("config", "", "configuration file (YAML), for data_dir, privacy.key_dir and trace; default: built-in defaults")
	dataDir := fs.String("data", "", "data directory (overrides data_dir; default ./warden-data)")
	atFlag := fs.String("at", "", "the moment, RFC 3339 (2026-11-01T10:00:00+08:00)")
	proto := fs.String("proto", "", "protocol (tcp, udp, icmp or a number)")
	tol := fs.Duration("tolerance", 0, "clock skew allowed (default 2s)")
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	caseRef := fs.String("case", "", "case reference, recorded in the audit trail")
	evidence := fs.String("evidence", "", "write the evidence (the answer with every record's proof) to this file, for warden verify-proof")
	report := fs.String("report", "", "write a printable HTML report of the evidence to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("trace: give one address, like 203.0.113.7:40001 or [2001:db8::1]:443 or 203.0.113.7")
	}
	q := query.Question{Tolerance: *tol}
	if ap, err := netip.ParseAddrPort(fs.Arg(0)); err == nil {
		q.Addr, q.Port = ap.Addr(), ap.Port()
	} else if a, err := netip.ParseAddr(strings.Trim(fs.Arg(0), "[]")); err == nil {
		q.Addr = a
	} else {
		return fmt.Errorf("trace: %q is not an address or address:port", fs.Arg(0))
	}
	var err error
	if q.At, err = time.Parse(time.RFC3339, *atFlag); err != nil {
		return fmt.Errorf("trace: -at: %w", err)
	}
	if *proto != "" {
		if q.Proto, err = record.ParseProtocol(*proto); err != nil {
			return err
		}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	tcfg, err := cfg.TraceConfig()
	if err != nil {
		return err
	}
	st, err := store.Open(store.Config{Dir: cfg.DataDir})
	if err != nil {
		if strings.Contains(err.Error(), "another warden") {
			return fmt.Errorf("%w\nwarden serve is running on this store: use GET /api/v1/trace with a token", err)
		}
		return err
	}
	defer st.Close()
	if tcfg.Registrations, err = registrations(st, cfg.Privacy.KeyDir, stderr); err != nil {
		return err
	}
	ans, err := query.New(st, tcfg).Trace(contextWithSignals(), q)
	outcome := "ok"
	if err != nil {
		outcome = "error: " + err.Error()
	}
	var n uint64
	if ans != nil {
		n = uint64(len(ans.Records()))
	}
	if _, aerr := access.NewAuditor(st, "warden-cli", nil).Log(access.Entry{Actor: "cli:" + osUser(), Action: "warden trace",
		Query: fmt.Sprintf("trace %s port %d at %s", q.Addr, q.Port, q.At.Format(time.RFC3339)), CaseRef: *caseRef, Count: n, Outcome: outcome}); aerr != nil {
		return fmt.Errorf("no answer without an audit record: %w", aerr)
	}
	if err != nil {
		return err
	}
	if *evidence != "" || *report != "" {
		if err := writeEvidence(st, ans, *caseRef, *evidence, *report); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ans)
	}
	printAnswer(stdout, ans)
	return nil
}

// registrations returns the lookup of candidates' registrations, masked
// with the keys in keyDir, or nil (and a word on stderr) if there are no
// keys: a read does not create them.
func registrations(st *store.Store, keyDir string, stderr io.Writer) (query.RegistrationLookup, error) {
	if _, err := os.Stat(keyDir); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "warden trace: no personal-field keys in %s (privacy.key_dir): registrations not shown\n", keyDir)
		return nil, nil
	}
	vault, err := privacy.Open(keyDir)
	if err != nil {
		return nil, err
	}
	return query.StoreRegistrations(st, vault.Masked), nil
}

func printAnswer(w io.Writer, a *query.Answer) {
	fmt.Fprintln(w, a.Question)
	if len(a.Candidates) == 0 {
		fmt.Fprintln(w, "no account found")
	}
	for i, c := range a.Candidates {
		exact := ""
		if c.Exact {
			exact = " (logged on both sides of the moment)"
		}
		fmt.Fprintf(w, "%d. %s%s\n   %s\n", i+1, c.Account, exact, c.Reason)
		if g := c.Registration; g != nil {
			fmt.Fprintf(w, "   registration %s from %s at %s (masked): %s\n", g.ID, g.Source, g.Time.Format(time.RFC3339), maskedFields(g.Fields))
		}
	}
	for _, r := range a.Rules {
		fmt.Fprintf(w, "deterministic NAT rule (configured policy, not a logged record): %s\n", r)
	}
	for _, g := range a.Gaps {
		fmt.Fprintln(w, g)
	}
	for _, n := range a.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	var ids []string
	for _, id := range a.Records() {
		ids = append(ids, id.String())
	}
	if len(ids) > 0 {
		fmt.Fprintf(w, "records (prove each with warden proof ID): %s\n", strings.Join(ids, " "))
	}
}

// writeEvidence proves the records ans rests on and writes the evidence
// and the report, if their paths are set. Both hold personal data, so
// only the owner may read them.
func writeEvidence(st *store.Store, ans *query.Answer, caseRef, evidencePath, reportPath string) error {
	ev, err := query.Build(contextWithSignals(), st, ans, caseRef)
	if err != nil {
		return err
	}
	if evidencePath != "" {
		data, err := json.MarshalIndent(ev, "", "  ")
		if err != nil {
			return fmt.Errorf("encode evidence: %w", err)
		}
		if err := os.WriteFile(evidencePath, append(data, '\n'), 0o600); err != nil {
			return fmt.Errorf("write evidence: %w", err)
		}
	}
	if reportPath != "" {
		var b bytes.Buffer
		if err := ev.HTML(&b); err != nil {
			return err
		}
		if err := os.WriteFile(reportPath, b.Bytes(), 0o600); err != nil {
			return fmt.Errorf("write evidence report: %w", err)
		}
	}
	return nil
}

// maskedFields lists masked personal fields by name, like "name 张*丰,
// phone *******8000".
func maskedFields(fields map[string]string) string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		out = append(out, name+" "+fields[name])
	}
	if len(out) == 0 {
		return "no personal fields"
	}
	return strings.Join(out, ", ")
}
