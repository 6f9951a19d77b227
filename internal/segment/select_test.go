package segment

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/klauspost/compress/zstd"

	"github.com/warden-ops/warden/internal/record"
)

// selectRef is what DecodeSelect must return: the records of a full
// decode that sel keeps, tested field by field.
func selectRef(recs []*record.Record, sel Select) []*record.Record {
	var out []*record.Record
	for _, r := range recs {
		if refKeeps(r, sel) {
			out = append(out, r)
		}
	}
	return out
}

func refKeeps(r *record.Record, sel Select) bool {
	switch r.Kind {
	case record.KindNAT:
		n := r.NAT
		for c, k := range sel.Keys {
			switch c {
			case record.KeyOutsideAddr:
				if n.OutsideAddr != netip.AddrFrom16([16]byte(k)).Unmap() {
					return false
				}
			case record.KeyInsideAddr:
				if n.InsideAddr != netip.AddrFrom16([16]byte(k)).Unmap() {
					return false
				}
			case record.KeyPort:
				if n.OutsidePort == 0 || string(PortKey(n.OutsidePort)) != string(k) {
					return false
				}
			default:
				return false
			}
		}
		if p := sel.HeldPort; p != 0 {
			s, e := n.OutsidePort, n.OutsidePortEnd
			if !(s == 0 && e == 0 || e == 0 && s == p || e != 0 && s <= p && p <= e) {
				return false
			}
		}
		return !sel.Holder.IsValid() || n.InsideAddr == sel.Holder
	case record.KindSession:
		s := r.Session
		if sel.HeldPort != 0 {
			return false
		}
		for c, k := range sel.Keys {
			switch c {
			case record.KeyAccount:
				if s.Account != string(k) {
					return false
				}
			case record.KeyInsideAddr:
				if s.Addr != netip.AddrFrom16([16]byte(k)).Unmap() {
					return false
				}
			default:
				return false
			}
		}
		h := sel.Holder
		return !h.IsValid() || s.Addr == h || s.IPv6Prefix.Contains(h) || s.DelegatedPrefix.Contains(h)
	}
	return false
}

func TestDecodeSelect(t *testing.T) {
	nat := natRecords(5000)
	sessions := sessionFlows()
	n0, s0 := nat[1234].NAT, sessions[0].Session
	tests := []struct {
		name string
		recs []*record.Record
		sel  Select
	}{
		{"all", nat, Select{}},
		{"outside address", nat, Select{Keys: map[record.Key][]byte{record.KeyOutsideAddr: AddrKey(n0.OutsideAddr)}}},
		{"outside endpoint", nat, Select{Keys: map[record.Key][]byte{record.KeyOutsideAddr: AddrKey(n0.OutsideAddr), record.KeyPort: PortKey(n0.OutsidePort)}}},
		{"inside address", nat, Select{Keys: map[record.Key][]byte{record.KeyInsideAddr: AddrKey(n0.InsideAddr)}}},
		{"no such address", nat, Select{Keys: map[record.Key][]byte{record.KeyOutsideAddr: AddrKey(netip.MustParseAddr("192.0.2.99"))}}},
		{"holder in NAT", nat, Select{Holder: n0.InsideAddr}},
		{"account", sessions, Select{Keys: map[record.Key][]byte{record.KeyAccount: []byte(s0.Account)}}},
		{"session address", sessions, Select{Keys: map[record.Key][]byte{record.KeyInsideAddr: AddrKey(s0.Addr)}}},
		{"holder address", sessions, Select{Holder: s0.Addr}},
	}
	enc, err := NewEncoder(zstd.SpeedFastest)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame, _, err := enc.Encode(nil, 100, tt.recs, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, all, err := dec.Decode(frame)
			if err != nil {
				t.Fatal(err)
			}
			_, got, err := dec.DecodeSelect(frame, tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			want := selectRef(all, tt.sel)
			if tt.name != "no such address" && len(want) == 0 {
				t.Fatal("test selects nothing")
			}
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
				cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("DecodeSelect (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSessionHolderPrefix(t *testing.T) {
	recs := sampleRecords()[:1]
	enc, _ := NewEncoder(zstd.SpeedFastest)
	dec, _ := NewDecoder()
	frame, _, err := enc.Encode(nil, 1, recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		addr string
		want int
	}{{"2001:db8:1:ff::9", 1}, {"2001:db8:2::1", 0}, {"100.64.0.1", 1}, {"100.64.0.2", 0}} {
		_, got, err := dec.DecodeSelect(frame, Select{Holder: netip.MustParseAddr(tt.addr)})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tt.want {
			t.Errorf("holder %s: %d records, want %d", tt.addr, len(got), tt.want)
		}
	}
}

func BenchmarkDecodeSelectNAT(b *testing.B) {
	recs := natRecords(65536)
	enc, _ := NewEncoder(zstd.SpeedDefault)
	dec, _ := NewDecoder()
	frame, _, _ := enc.Encode(nil, 1, recs, nil)
	sel := Select{Keys: map[record.Key][]byte{record.KeyOutsideAddr: AddrKey(recs[777].NAT.OutsideAddr)}}
	b.ReportAllocs()
	kept := 0
	for b.Loop() {
		_, got, err := dec.DecodeSelect(frame, sel)
		if err != nil {
			b.Fatal(err)
		}
		kept = len(got)
	}
	b.ReportMetric(float64(kept), "kept")
}
