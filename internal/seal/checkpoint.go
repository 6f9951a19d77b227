package seal

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/renameio/v2"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is the state of the log: its origin (which log), size and
// root hash. Its text form is the C2SP tlog-checkpoint body:
//
//	<origin>
//	<size>
//	<base64 root hash>
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   tlog.Hash
}

// Text returns the checkpoint body, ending in a newline.
func (c Checkpoint) Text() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Hash[:]))
}

// ParseCheckpoint parses a checkpoint body. Extension lines after the
// third are allowed and ignored, as C2SP says.
func ParseCheckpoint(text string) (Checkpoint, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return Checkpoint{}, errors.New("parse checkpoint: want origin, size and hash lines")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("parse checkpoint: bad size %q", lines[1])
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("parse checkpoint: bad root hash %q", lines[2])
	}
	return Checkpoint{Origin: lines[0], Size: n, Hash: tlog.Hash(h)}, nil
}

// Sign returns the signed note of c.
func Sign(c Checkpoint, s note.Signer) ([]byte, error) {
	b, err := note.Sign(&note.Note{Text: c.Text()}, s)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return b, nil
}

// OpenSigned verifies a signed checkpoint note with v and parses it.
func OpenSigned(msg []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("open signed checkpoint: %w", err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("checkpoint origin %q is not the key's log %q", c.Origin, v.Name())
	}
	return c, nil
}

// Keys holds the checkpoint signing key and its public verifier key.
type Keys struct {
	Signer   note.Signer
	Verifier note.Verifier
	// VerifierKey is the public key in note format
	// (name+hash+base64), which operators publish and inspectors pin.
	VerifierKey string
}

// LogValue implements slog.LogValuer: only the public key is ever logged.
func (k *Keys) LogValue() slog.Value { return slog.StringValue(k.VerifierKey) }

// LoadOrCreateKeys reads the key pair from dir, or creates it for the log
// named name. The private key file is readable by the owner only. A
// missing public key is derived from the private one (a crash can come
// between writing the two); a missing private key beside a public one is
// an error, since a new key would not verify the old checkpoints.
func LoadOrCreateKeys(dir, name string) (*Keys, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	skPath, vkPath := filepath.Join(dir, "checkpoint.key"), filepath.Join(dir, "checkpoint.pub")
	sk, err := os.ReadFile(skPath)
	if errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(vkPath); err == nil {
			return nil, fmt.Errorf("%s is missing but %s exists: restore the private key from its backup", skPath, vkPath)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create key dir: %w", err)
		}
		skey, _, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			return nil, fmt.Errorf("generate checkpoint key: %w", err)
		}
		if err := writeFileSync(skPath, []byte(skey+"\n"), 0o600); err != nil {
			return nil, err
		}
		sk = []byte(skey)
	} else if err != nil {
		return nil, fmt.Errorf("read checkpoint key: %w", err)
	}
	skey := strings.TrimSpace(string(sk))
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("parse checkpoint key: %w", err)
	}
	if signer.Name() != name {
		return nil, fmt.Errorf("checkpoint key is for log %q, but this store is %q", signer.Name(), name)
	}
	vk, err := os.ReadFile(vkPath)
	if errors.Is(err, os.ErrNotExist) {
		vkey, err := verifierKeyOf(skey, name)
		if err != nil {
			return nil, err
		}
		if err := writeFileSync(vkPath, []byte(vkey+"\n"), 0o644); err != nil {
			return nil, err
		}
		vk = []byte(vkey)
	} else if err != nil {
		return nil, fmt.Errorf("read checkpoint verifier key: %w", err)
	}
	return ParseVerifierKey(strings.TrimSpace(string(vk)), signer)
}

// verifierKeyOf derives the public verifier key from a note private key,
// "PRIVATE+KEY+name+hash+base64(0x01 || Ed25519 seed)".
func verifierKeyOf(skey, name string) (string, error) {
	parts := strings.SplitN(skey, "+", 5) // PRIVATE, KEY, name, hash, key (base64 may hold '+')
	if len(parts) != 5 {
		return "", errors.New("checkpoint key: not a note private key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("checkpoint key: not an Ed25519 note key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(name, pub)
}

// ValidName checks a log name for use as a note key name: not empty, no
// white space and no plus sign.
func ValidName(name string) error {
	if name == "" || !utf8.ValidString(name) || strings.ContainsRune(name, '+') || strings.IndexFunc(name, unicode.IsSpace) >= 0 {
		return fmt.Errorf("log name %q: want a non-empty name without spaces or plus signs", name)
	}
	return nil
}

// ParseVerifierKey parses a public verifier key. If signer is not nil the
// key must belong to it.
func ParseVerifierKey(vkey string, signer note.Signer) (*Keys, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("parse verifier key: %w", err)
	}
	if signer != nil && (signer.Name() != v.Name() || signer.KeyHash() != v.KeyHash()) {
		return nil, errors.New("checkpoint.pub does not match checkpoint.key")
	}
	return &Keys{Signer: signer, Verifier: v, VerifierKey: vkey}, nil
}

// writeFileSync replaces a file atomically (renameio: a synced temporary
// file renamed into place) and syncs the directory, so the new file
// survives a crash once this returns.
func writeFileSync(path string, b []byte, perm os.FileMode) error {
	if err := renameio.WriteFile(path, b, perm); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	return errors.Join(d.Sync(), d.Close())
}

// WriteFileAtomic is the store's way to replace a small file atomically.
func WriteFileAtomic(path string, b []byte, perm os.FileMode) error {
	return writeFileSync(path, b, perm)
}

// SplitNotes splits a history file of signed checkpoints, which are
// separated by a line holding only "---".
func SplitNotes(b []byte) [][]byte {
	var out [][]byte
	for _, part := range bytes.Split(b, []byte("\n---\n")) {
		if len(bytes.TrimSpace(part)) > 0 {
			out = append(out, append(bytes.TrimLeft(part, "\n"), '\n'))
		}
	}
	return out
}
