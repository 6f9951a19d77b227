package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/warden-ops/warden/internal/access"
	"github.com/warden-ops/warden/internal/query"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/seal"
	"github.com/warden-ops/warden/internal/store"
)

func runVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify", stderr)
	dataDir := fs.String("data", "./warden-data", "data directory")
	cpPath := fs.String("checkpoint", "", "a signed checkpoint kept outside the store: the store must extend it")
	key := fs.String("key", "", "trusted verifier key (name+hash+key, or @file); default: the store's own")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	opts := store.VerifyOptions{}
	var err error
	if opts.Key, err = readKey(*key); err != nil {
		return err
	}
	if *cpPath != "" {
		if opts.Checkpoint, err = os.ReadFile(*cpPath); err != nil {
			return fmt.Errorf("read checkpoint: %w", err)
		}
	}
	rep, err := store.Verify(contextWithSignals(), *dataDir, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(stdout, rep)
	}
	if !rep.OK() {
		return exitError(1)
	}
	return nil
}

func printReport(w io.Writer, rep *store.Report) {
	rate := float64(rep.Records) / max(rep.Elapsed.Seconds(), 1e-9)
	fmt.Fprintf(w, "log: %d entries, %d blocks checked, %d records, %d bytes, %d segments expired lawfully\n",
		rep.Entries, rep.Blocks, rep.Records, rep.Bytes, rep.Expired)
	if rep.Checkpoint.Size > 0 {
		fmt.Fprintf(w, "checkpoint: %s, size %d, root %s\n", rep.Checkpoint.Origin, rep.Checkpoint.Size, rep.Checkpoint.Hash)
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(w, "FAIL", p)
	}
	if rep.OK() {
		fmt.Fprintf(w, "OK: verified in %s (%.0f records/s)\n", rep.Elapsed.Round(1e6), rate)
	} else {
		fmt.Fprintf(w, "FAILED: %d problems\n", len(rep.Problems))
	}
}

// osUser names the operating-system user running the command.
func osUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return fmt.Sprintf("uid-%d", os.Getuid())
}

// readKey returns a verifier key given inline or as @file.
func readKey(arg string) (string, error) {
	if path, ok := strings.CutPrefix(arg, "@"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("read key: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return arg, nil
}

func runProof(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("proof", stderr)
	dataDir := fs.String("data", "./warden-data", "data directory")
	out := fs.String("o", "", "write the bundle to this file instead of standard output")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("proof: give one record ID, like nat:1042")
	}
	id, err := record.ParseID(fs.Arg(0))
	if err != nil {
		return err
	}
	// Reading a record leaves an audit record, from the command line too,
	// so the store is opened for writing; beside a running server, the
	// API's GET /api/v1/records/{id}/proof does the same under a user.
	st, err := store.Open(store.Config{Dir: *dataDir})
	if err != nil {
		if strings.Contains(err.Error(), "another warden") {
			return fmt.Errorf("%w\nwarden serve is running on this store: use GET /api/v1/records/%s/proof with a token", err, id)
		}
		return err
	}
	defer st.Close()
	b, err := st.Proof(id)
	outcome := "ok"
	if err != nil {
		outcome = "error: " + err.Error()
	}
	if _, aerr := access.NewAuditor(st, "warden-cli", nil).Log(access.Entry{Actor: "cli:" + osUser(), Action: "warden proof",
		Query: "id=" + id.String(), Count: 1, Outcome: outcome}); aerr != nil {
		return fmt.Errorf("no proof without an audit record: %w", aerr)
	}
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if *out == "" {
		_, err = stdout.Write(data)
		return err
	}
	return os.WriteFile(*out, data, 0o600)
}

func runVerifyProof(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify-proof", stderr)
	key := fs.String("key", "", "trusted verifier key (name+hash+key, or @file); without it the file's own key is used")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("verify-proof: give one proof bundle or evidence file")
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	var trusted *seal.Keys
	if k, err := readKey(*key); err != nil {
		return err
	} else if k != "" {
		if trusted, err = seal.ParseVerifierKey(k, nil); err != nil {
			return err
		}
	}
	var head struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err == nil && head.Format == query.EvidenceFormat {
		return verifyEvidence(fs.Arg(0), data, trusted, stdout)
	}
	var b seal.Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return fmt.Errorf("proof bundle %s: not a bundle: %w", fs.Arg(0), err)
	}
	var cp seal.Checkpoint
	if trusted != nil {
		cp, err = seal.VerifyBundle(&b, trusted.Verifier)
	} else {
		cp, err = seal.VerifyBundle(&b, nil)
	}
	if err != nil {
		fmt.Fprintln(stdout, "FAILED:", err)
		return exitError(1)
	}
	fmt.Fprintf(stdout, "OK: %s is leaf %d of its block, whose entry is leaf %d of log %s at size %d, root %s\n",
		b.ID, b.Index, b.LogIndex, cp.Origin, cp.Size, cp.Hash)
	if trusted == nil {
		fmt.Fprintf(stdout, "note: signature checked with the bundle's own key %s; pass -key with the operator's published key to know who signed\n", b.VerifierKey)
	}
	return nil
}

// verifyEvidence checks an evidence file (query.EvidenceFormat) and prints
// a summary, or FAILED with the reason.
func verifyEvidence(name string, data []byte, trusted *seal.Keys, stdout io.Writer) error {
	var ev query.Evidence
	if err := json.Unmarshal(data, &ev); err != nil {
		fmt.Fprintf(stdout, "FAILED: evidence %s does not decode: %v\n", name, err)
		return exitError(1)
	}
	var v note.Verifier
	if trusted != nil {
		v = trusted.Verifier
	}
	if err := query.VerifyEvidence(&ev, v); err != nil {
		fmt.Fprintln(stdout, "FAILED:", err)
		return exitError(1)
	}
	if v == nil {
		k, err := seal.ParseVerifierKey(ev.VerifierKey, nil)
		if err != nil {
			return err // VerifyEvidence parsed it already
		}
		v = k.Verifier
	}
	cp, err := seal.OpenSigned([]byte(ev.Checkpoint), v)
	if err != nil {
		return err // VerifyEvidence opened it already
	}
	fmt.Fprintf(stdout, "OK: evidence for %s\n", ev.Question)
	if ev.CaseRef != "" {
		fmt.Fprintf(stdout, "case: %s\n", ev.CaseRef)
	}
	if len(ev.Answer.Candidates) == 0 {
		fmt.Fprintln(stdout, "answer: no account found")
	}
	for i, c := range ev.Answer.Candidates {
		exact := ""
		if c.Exact {
			exact = " (logged on both sides of the moment)"
		}
		fmt.Fprintf(stdout, "answer %d: %s%s\n", i+1, c.Account, exact)
	}
	for _, r := range ev.Answer.Rules {
		fmt.Fprintf(stdout, "policy, not proven: deterministic NAT rule %s\n", r)
	}
	fmt.Fprintf(stdout, "%d records verified against checkpoint %s at size %d, root %s\n", len(ev.Proofs), cp.Origin, cp.Size, cp.Hash)
	if trusted == nil {
		fmt.Fprintf(stdout, "note: signature checked with the evidence's own key %s; pass -key with the operator's published key to know who signed\n", ev.VerifierKey)
	}
	return nil
}
