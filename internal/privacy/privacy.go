// Package privacy protects the personal fields of registration records
// (Order 82 art. 4 and 8): name, identity number, phone, address.
//
// A [Vault] encrypts each field with AES-256-GCM (tink-go AEAD), bound to
// the account and the field's name, so a value cannot be moved to another
// record. Exact-match lookup (by phone, say) works through a keyed blind
// index, an HMAC-SHA256 PRF of the normalised value, so the store never
// holds a personal value in plain text and lookups need no decryption.
//
// The keysets live in their own directory, apart from the data, readable
// by the owner only. [Vault.Rotate] adds a new primary key to both
// keysets; old keys stay, so records sealed under them remain readable and
// findable. [Mask] is what every output shows unless an approval revealed
// the value.
package privacy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/insecurecleartextkeyset"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/prf"
	tinkpb "github.com/tink-crypto/tink-go/v2/proto/tink_go_proto"
	"github.com/tink-crypto/tink-go/v2/tink"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/seal"
)

// Field names of registration records. Encrypted values are stored under
// "enc:<name>", blind indexes under "idx:<name>".
const (
	encPrefix = "enc:"
	idxPrefix = "idx:"
)

// Indexed names the fields that get a blind index. Only exact-match keys
// are indexed; a name or an address is found through the account.
var Indexed = []string{"id_number", "phone"}

// indexLen is the blind index length: 16 bytes keeps collisions out of
// reach for any number of subscribers (tink's guidance: n/4+4 bytes for
// 2^n inputs).
const indexLen = 16

// Vault encrypts, decrypts and indexes personal fields. It is safe for
// concurrent use.
type Vault struct {
	dir string

	mu                    sync.RWMutex // guards the handles and primitives
	aeadHandle, prfHandle *keyset.Handle
	aead                  tink.AEAD
	prfs                  *prf.Set
}

// Open loads the keysets from dir, creating them (and dir, mode 0700) on
// first use.
func Open(dir string) (*Vault, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create key dir: %w", err)
	}
	v := &Vault{dir: dir}
	var err error
	if v.aeadHandle, err = loadOrCreate(filepath.Join(dir, "fields.json"), aead.AES256GCMKeyTemplate); err != nil {
		return nil, err
	}
	if v.prfHandle, err = loadOrCreate(filepath.Join(dir, "index.json"), prf.HMACSHA256PRFKeyTemplate); err != nil {
		return nil, err
	}
	return v, v.primitives()
}

func loadOrCreate(path string, template func() *tinkpb.KeyTemplate) (*keyset.Handle, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		h, err := keyset.NewHandle(template())
		if err != nil {
			return nil, fmt.Errorf("create keyset: %w", err)
		}
		return h, writeKeyset(path, h)
	}
	if err != nil {
		return nil, fmt.Errorf("open keyset: %w", err)
	}
	defer f.Close()
	h, err := insecurecleartextkeyset.Read(keyset.NewJSONReader(f))
	if err != nil {
		return nil, fmt.Errorf("read keyset %s: %w", filepath.Base(path), err)
	}
	return h, nil
}

// writeKeyset replaces a keyset file atomically and durably: a rotation
// that returned must survive a crash, or records sealed under the new key
// could not be read.
func writeKeyset(path string, h *keyset.Handle) error {
	var buf bytes.Buffer
	if err := insecurecleartextkeyset.Write(h, keyset.NewJSONWriter(&buf)); err != nil {
		return fmt.Errorf("encode keyset: %w", err)
	}
	return seal.WriteFileAtomic(path, buf.Bytes(), 0o600)
}

func (v *Vault) primitives() error {
	a, err := aead.New(v.aeadHandle)
	if err != nil {
		return fmt.Errorf("field cipher: %w", err)
	}
	p, err := prf.NewPRFSet(v.prfHandle)
	if err != nil {
		return fmt.Errorf("blind index: %w", err)
	}
	v.aead, v.prfs = a, p
	return nil
}

// Rotate makes a new key primary in both keysets. New values are sealed
// and indexed with it; values under earlier keys stay readable and found.
func (v *Vault) Rotate() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	a, err := rotated(v.aeadHandle, aead.AES256GCMKeyTemplate)
	if err != nil {
		return err
	}
	p, err := rotated(v.prfHandle, prf.HMACSHA256PRFKeyTemplate)
	if err != nil {
		return err
	}
	// Write both before switching, so a failure leaves the old keys in use
	// on disk and in memory.
	if err := writeKeyset(filepath.Join(v.dir, "fields.json"), a); err != nil {
		return err
	}
	if err := writeKeyset(filepath.Join(v.dir, "index.json"), p); err != nil {
		return err
	}
	v.aeadHandle, v.prfHandle = a, p
	return v.primitives()
}

func rotated(h *keyset.Handle, template func() *tinkpb.KeyTemplate) (*keyset.Handle, error) {
	m := keyset.NewManagerFromHandle(h)
	id, err := m.Add(template())
	if err != nil {
		return nil, fmt.Errorf("add key: %w", err)
	}
	if err := m.SetPrimary(id); err != nil {
		return nil, fmt.Errorf("set primary key: %w", err)
	}
	return m.Handle()
}

// Keys returns how many keys each keyset holds, for status pages.
func (v *Vault) Keys() (fields, index int) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.aeadHandle.KeysetInfo().GetKeyInfo()), len(v.prfHandle.KeysetInfo().GetKeyInfo())
}

// ad binds a ciphertext to its account and field.
func ad(account, name string) []byte {
	return []byte("warden-registration\x00" + account + "\x00" + name)
}

// Seal turns plain personal fields into the opaque fields of a
// registration record: each value encrypted, and the indexed ones also
// blind-indexed. The result is sorted by name, as records require.
func (v *Vault) Seal(account string, fields map[string]string) ([]record.Field, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	var out []record.Field
	for name, value := range fields {
		if name == "" || strings.ContainsRune(name, ':') {
			return nil, fmt.Errorf("field name %q: want a plain name like phone", name)
		}
		ct, err := v.aead.Encrypt([]byte(value), ad(account, name))
		if err != nil {
			return nil, fmt.Errorf("encrypt %s: %w", name, err)
		}
		out = append(out, record.Field{Name: encPrefix + name, Value: ct})
		if slices.Contains(Indexed, name) {
			idx, err := v.prfs.ComputePrimaryPRF(normalize(value), indexLen)
			if err != nil {
				return nil, fmt.Errorf("index %s: %w", name, err)
			}
			out = append(out, record.Field{Name: idxPrefix + name, Value: withKeyID(v.prfs.PrimaryID, idx)})
		}
	}
	slices.SortFunc(out, func(a, b record.Field) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// withKeyID prefixes an index with the key that made it, so a lookup
// compares each stored index with the value indexed under the same key.
func withKeyID(id uint32, idx []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, id), idx...)
}

// normalize makes equal values index equally: trimmed, without spaces,
// dashes and a leading +86 for phone numbers, upper-cased (the X of an
// identity number).
func normalize(value string) []byte {
	s := strings.ToUpper(strings.TrimSpace(value))
	s = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(s)
	s = strings.TrimPrefix(s, "+86")
	return []byte(s)
}

// Reveal decrypts the personal fields of a registration. Callers must hold
// an approval to reveal them (package access); everyone else sees Mask.
func (v *Vault) Reveal(account string, fs []record.Field) (map[string]string, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := map[string]string{}
	for _, f := range fs {
		name, ok := strings.CutPrefix(f.Name, encPrefix)
		if !ok {
			continue
		}
		pt, err := v.aead.Decrypt(f.Value, ad(account, name))
		if err != nil {
			return nil, fmt.Errorf("decrypt %s of %s: %w", name, account, err)
		}
		out[name] = string(pt)
	}
	return out, nil
}

// Masked returns the personal fields of a registration as every output
// shows them without an approval: decrypted, then masked with [Mask]. The
// plain values never leave this call.
func (v *Vault) Masked(account string, fs []record.Field) (map[string]string, error) {
	plain, err := v.Reveal(account, fs)
	if err != nil {
		return nil, err
	}
	for name, value := range plain {
		plain[name] = Mask(name, value)
	}
	return plain, nil
}

// Names returns the plain names of the personal fields a registration
// carries, sorted.
func Names(fs []record.Field) []string {
	var out []string
	for _, f := range fs {
		if name, ok := strings.CutPrefix(f.Name, encPrefix); ok {
			out = append(out, name)
		}
	}
	return out
}

// Matcher returns a function that reports whether a registration's blind
// index for field name matches value, under any key of the index keyset.
func (v *Vault) Matcher(name, value string) (func(fs []record.Field) bool, error) {
	if !slices.Contains(Indexed, name) {
		return nil, fmt.Errorf("field %q has no index: lookups work by %s", name, strings.Join(Indexed, " or "))
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	var want [][]byte
	for id, p := range v.prfs.PRFs {
		idx, err := p.ComputePRF(normalize(value), indexLen)
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", name, err)
		}
		want = append(want, withKeyID(id, idx))
	}
	field := idxPrefix + name
	return func(fs []record.Field) bool {
		for _, f := range fs {
			if f.Name == field {
				for _, w := range want {
					if bytes.Equal(f.Value, w) {
						return true
					}
				}
			}
		}
		return false
	}, nil
}

// Mask shows enough of a value to tell records apart and no more: the
// first and last characters of names, the last four of numbers, the
// first six characters of an address.
func Mask(name, value string) string {
	r := []rune(value)
	n := len(r)
	switch {
	case n == 0:
		return ""
	case name == "address":
		return string(r[:min(6, n)]) + strings.Repeat("*", max(0, n-6))
	case name == "name" && n <= 2:
		return string(r[:1]) + strings.Repeat("*", n-1)
	case name == "name":
		return string(r[:1]) + strings.Repeat("*", n-2) + string(r[n-1:])
	case n <= 4:
		return strings.Repeat("*", n)
	default:
		return strings.Repeat("*", n-4) + string(r[n-4:])
	}
}
