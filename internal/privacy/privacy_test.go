package privacy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/warden-ops/warden/internal/record"
)

func TestSealRevealRotate(t *testing.T) {
	dir := t.TempDir()
	v, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	plain := map[string]string{"name": "张三丰", "id_number": "11010519491231002X", "phone": "138 0013 8000", "address": "北京市海淀区中关村大街1号"}
	old, err := v.Seal("alice", plain)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range old {
		for _, p := range plain {
			if bytes.Contains(f.Value, []byte(p)) {
				t.Fatalf("sealed field %s holds the plain value %q", f.Name, p)
			}
		}
	}
	if err := v.Rotate(); err != nil {
		t.Fatal(err)
	}
	if f, i := v.Keys(); f != 2 || i != 2 {
		t.Errorf("after one rotation: %d field keys, %d index keys; want 2 and 2", f, i)
	}
	// Reopen from disk: the rotated keysets were saved.
	v, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := v.Seal("bob", map[string]string{"phone": "+86 139-0000-1111"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Reveal("alice", old)
	if err != nil || got["phone"] != plain["phone"] || got["name"] != plain["name"] {
		t.Fatalf("Reveal(sealed before rotation) = %v, %v", got, err)
	}
	// Lookups find records indexed under either key, with normalization.
	for _, tt := range []struct {
		value string
		fs    []recordFields
	}{{"13800138000", []recordFields{{old, true}, {fresh, false}}}, {"13900001111", []recordFields{{old, false}, {fresh, true}}}} {
		m, err := v.Matcher("phone", tt.value)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range tt.fs {
			if m(c.fs) != c.want {
				t.Errorf("Matcher(phone=%s) on record %d = %v, want %v", tt.value, i, !c.want, c.want)
			}
		}
	}
	if _, err := v.Matcher("name", "x"); err == nil {
		t.Error("Matcher on an unindexed field succeeded")
	}
	// A value moved to another account no longer decrypts.
	if _, err := v.Reveal("mallory", old); err == nil {
		t.Error("Reveal under another account succeeded: the ciphertext is not bound to its account")
	}
	for _, name := range []string{"fields.json", "index.json"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", name, err, fi.Mode())
		}
	}
}

type recordFields struct {
	fs   []record.Field
	want bool
}

func TestMask(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"phone", "13800138000", "*******8000"},
		{"id_number", "11010519491231002X", "**************002X"},
		{"name", "张三丰", "张*丰"},
		{"name", "李四", "李*"},
		{"address", "北京市海淀区中关村大街1号", "北京市海淀区*******"},
		{"phone", "123", "***"},
		{"phone", "", ""},
	} {
		if got := Mask(tt.name, tt.in); got != tt.want {
			t.Errorf("Mask(%s, %q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestMasked(t *testing.T) {
	v, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fs, err := v.Seal("alice", map[string]string{"name": "张三丰", "phone": "13800138000"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Masked("alice", fs)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"name": "张*丰", "phone": "*******8000"}; len(got) != len(want) || got["name"] != want["name"] || got["phone"] != want["phone"] {
		t.Errorf("Masked = %v, want %v", got, want)
	}
	if _, err := v.Masked("mallory", fs); err == nil {
		t.Error("Masked under another account succeeded")
	}
}
