package seal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/warden-ops/warden/internal/record"
)

// BundleFormat names the proof bundle format and its version.
const BundleFormat = "warden-proof-v1"

// Bundle is everything needed to check offline that a record was in the
// store, unaltered, at a signed checkpoint (docs/format/proof.md).
type Bundle struct {
	Format string `json:"format"`
	// ID and Record are the record as people read it; Canonical is the
	// encoding that was hashed. VerifyBundle checks they agree.
	ID        record.ID      `json:"id"`
	Record    *record.Record `json:"record"`
	Canonical []byte         `json:"canonical"`
	// Entry is the encoding of the block's log entry; Index is the
	// record's position in the block; BlockProof its inclusion proof up
	// to the entry's Merkle root.
	Entry      []byte      `json:"entry"`
	Index      int64       `json:"index"`
	BlockProof []tlog.Hash `json:"block_proof"`
	// LogIndex is the entry's position in the log; LogProof its inclusion
	// proof up to the checkpoint's root.
	LogIndex int64       `json:"log_index"`
	LogProof []tlog.Hash `json:"log_proof"`
	// Checkpoint is the signed note; VerifierKey the key that signed it.
	Checkpoint  string `json:"checkpoint"`
	VerifierKey string `json:"verifier_key"`
}

// BundleError says which link of a bundle's chain does not hold.
type BundleError struct {
	Step string
	Err  error
}

func (e *BundleError) Error() string { return "proof bundle: " + e.Step + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *BundleError) Unwrap() error { return e.Err }

// VerifyBundle checks every link of b: the readable record matches the
// canonical encoding, which is leaf Index of the block whose entry is
// given, which is leaf LogIndex of the log at the signed checkpoint. The
// signature is checked with trusted if it is not nil (the key the operator
// published), else with the bundle's own key; the second proves integrity
// but not who signed, and callers should say so.
func VerifyBundle(b *Bundle, trusted note.Verifier) (Checkpoint, error) {
	fail := func(step string, err error) (Checkpoint, error) {
		return Checkpoint{}, &BundleError{Step: step, Err: err}
	}
	if b.Format != BundleFormat {
		return fail("format", fmt.Errorf("unknown format %q, want %q", b.Format, BundleFormat))
	}
	v := trusted
	if v == nil {
		k, err := ParseVerifierKey(b.VerifierKey, nil)
		if err != nil {
			return fail("verifier key", err)
		}
		v = k.Verifier
	}
	cp, err := OpenSigned([]byte(b.Checkpoint), v)
	if err != nil {
		return fail("checkpoint signature", err)
	}
	rec, err := record.DecodeCanonical(b.Canonical)
	if err != nil {
		return fail("record encoding", err)
	}
	rec.ID = b.ID
	if rec.Kind != b.ID.Kind {
		return fail("record id", fmt.Errorf("the encoding is a %s record, the id says %s", rec.Kind, b.ID.Kind))
	}
	if b.Record == nil {
		return fail("record", errors.New("missing"))
	}
	shown, err1 := json.Marshal(b.Record)
	hashed, err2 := json.Marshal(rec)
	if err := errors.Join(err1, err2); err != nil || !bytes.Equal(shown, hashed) {
		return fail("record", fmt.Errorf("the readable record differs from the hashed encoding: %s", hashed))
	}
	e, err := DecodeEntry(b.Entry)
	if err != nil {
		return fail("block entry", err)
	}
	if e.Type != EntryBlock {
		return fail("block entry", fmt.Errorf("entry is a %s entry", e.Type))
	}
	if b.ID.Kind != e.Kind || b.Index < 0 || b.Index >= int64(e.Count) || b.ID.Seq != e.FirstSeq+uint64(b.Index) {
		return fail("record id", fmt.Errorf("%s is not record %d of the %s block starting at %d", b.ID, b.Index, e.Kind, e.FirstSeq))
	}
	leaf := tlog.RecordHash(b.Canonical)
	if err := tlog.CheckRecord(b.BlockProof, int64(e.Count), e.Root, b.Index, leaf); err != nil {
		return fail("record in block", err)
	}
	if b.LogIndex < 0 || b.LogIndex >= cp.Size {
		return fail("entry in log", fmt.Errorf("entry %d is outside the checkpoint's %d entries", b.LogIndex, cp.Size))
	}
	if err := tlog.CheckRecord(b.LogProof, cp.Size, cp.Hash, b.LogIndex, tlog.RecordHash(b.Entry)); err != nil {
		return fail("entry in log", err)
	}
	return cp, nil
}
