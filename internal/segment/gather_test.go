package segment

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/klauspost/compress/zstd"

	"github.com/warden-ops/warden/internal/record"
)

// randomizer is a Visitor that sets every field to a random value. Few
// distinct values make the encoder choose dictionaries; v4 keeps addresses
// IPv4 so that it chooses address planes.
// Fields from flowStart on come from flow, so that records given the same
// flow seed share them, as the records of a NAT mapping or session do.
type randomizer struct {
	rng       *rand.Rand
	distinct  int
	v4        bool
	flowStart int
	flow      *rand.Rand
	i         int
}

func (z *randomizer) pick() int {
	z.i++
	if z.flowStart > 0 && z.i > z.flowStart {
		return z.flow.IntN(z.distinct)
	}
	return z.rng.IntN(z.distinct)
}

func (z *randomizer) Uint8(p *uint8)                 { *p = uint8(z.pick()) }
func (z *randomizer) Uint16(p *uint16, _ record.Key) { *p = uint16(z.pick() * 7) }
func (z *randomizer) Uint64(p *uint64)               { *p = uint64(z.pick()) << (z.rng.IntN(5) * 12) }
func (z *randomizer) Time(p *time.Time) {
	*p = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(z.pick()) * time.Millisecond * 1777)
}
func (z *randomizer) String(p *string, _ record.Key) {
	if n := z.pick(); n > 0 {
		*p = fmt.Sprintf("value-%d", n)
	}
}
func (z *randomizer) Bytes(p *[]byte) {
	if n := z.pick(); n > 0 {
		*p = fmt.Appendf(nil, "bytes\x00%d", n)
	}
}
func (z *randomizer) Addr(p *netip.Addr, _ record.Key) {
	n := z.pick()
	switch {
	case z.v4:
		*p = netip.AddrFrom4([4]byte{100, 64, byte(n >> 8), byte(n)})
	case n%3 == 0:
	case n%3 == 1:
		*p = netip.AddrFrom4([4]byte{198, 51, byte(n >> 8), byte(n)})
	default:
		*p = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(n >> 8), 15: byte(n)})
	}
}
func (z *randomizer) Prefix(p *netip.Prefix) {
	if n := z.pick(); n%4 != 0 {
		*p = netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 6: byte(n >> 8), 7: byte(n)}), 56)
	}
}
func (z *randomizer) Fields(p *[]record.Field) {
	if n := z.pick(); n%2 == 1 {
		*p = []record.Field{{Name: "name", Value: fmt.Appendf(nil, "%d", n)}, {Name: "phone", Value: []byte{byte(n)}}}
	}
}

// TestGather checks that reading some records of a block through gather
// gives what a full decode gives, for every kind and every column
// encoding the encoder chooses, and for kept rows at both ends.
func TestGather(t *testing.T) {
	enc, err := NewEncoder(zstd.SpeedFastest)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := []record.Kind{record.KindSession, record.KindNAT, record.KindRegistration, record.KindEvent,
		record.KindContent, record.KindMaintenance, record.KindAudit, record.KindRaw}
	encs, chunked := map[byte]bool{}, map[byte]bool{}
	for _, k := range kinds {
		for _, z := range []randomizer{{distinct: 5}, {distinct: 5000}, {distinct: 300, v4: true}} {
			z.rng = rng
			n := 1 + rng.IntN(3000)
			recs := make([]*record.Record, n)
			z.flowStart = record.FlowStart(k)
			// Small chunks, so that small blocks have chunked columns.
			enc.chunkBytes = []int{DefaultChunkBytes, 256, 1024}[rng.IntN(3)]
			frame, h, all := randomBlock(t, enc, dec, k, &z, recs)
			for range 5 {
				kept := []int{0, n - 1}
				for range rng.IntN(20) {
					kept = append(kept, rng.IntN(n))
				}
				slices.Sort(kept)
				kept = slices.Compact(kept)
				cr, err := dec.openBody(h, frame[h.BodyOffset:])
				if err != nil {
					t.Fatal(err)
				}
				// Some columns decoded already, as after a restrict.
				lay := layoutOf(k)
				for i := range cr.cols {
					if rng.IntN(4) == 0 {
						if err := cr.load(i, lay[i].typ); err != nil {
							t.Fatal(err)
						}
					}
				}
				for i := range cr.encs {
					encs[cr.encs[i]] = true
					if cr.spans[i].comp == compChunks {
						chunked[cr.encs[i]] = true
					}
				}
				g, err := cr.gather(lay, kept)
				if err != nil {
					t.Fatalf("%s: gather: %v", k, err)
				}
				for i, j := range kept {
					r := record.New(k)
					if err := g.read(r, i); err != nil {
						t.Fatalf("%s: read %d: %v", k, j, err)
					}
					r.ID = all[j].ID
					if diff := cmp.Diff(all[j], r, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
						cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
						t.Fatalf("%s record %d of %d (-decode +gather):\n%s", k, j, n, diff)
					}
				}
			}
		}
	}
	for _, e := range []byte{encU8, encU16, encUvarint, encDelta, encStrDict, encLenBytes, encAddrDict, encAddr, encPrefix, encAddr4} {
		if !encs[e] {
			t.Errorf("no column used encoding %d", e)
		}
		if chunkable(e) && !chunked[e] {
			t.Errorf("no column of encoding %d was chunked", e)
		}
	}
}

func TestFastUvarint(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 100000 {
		v := rng.Uint64() >> rng.IntN(64)
		b := binary.AppendUvarint(nil, v)
		b = append(b, make([]byte, rng.IntN(10))...) // more values follow, or not
		for j := len(binary.AppendUvarint(nil, v)); j < len(b); j++ {
			b[j] = byte(rng.Uint32())
		}
		want, wm := binary.Uvarint(b)
		got, gm := fastUvarint(b)
		if got != want || gm != wm {
			t.Fatalf("case %d: % x: got %d (%d bytes), want %d (%d bytes)", i, b, got, gm, want, wm)
		}
	}
	for _, b := range [][]byte{{}, {0x80}, bytes.Repeat([]byte{0xff}, 8), bytes.Repeat([]byte{0xff}, 11)} {
		got, gm := fastUvarint(b)
		want, wm := binary.Uvarint(b)
		if got != want || gm != wm {
			t.Errorf("% x: got %d, %d, want %d, %d", b, got, gm, want, wm)
		}
	}
}

// TestDecodeSelectRandom compares DecodeSelect with a field-by-field
// selection over blocks of random NAT and session records, in every
// column encoding, chunked or not.
func TestDecodeSelectRandom(t *testing.T) {
	enc, _ := NewEncoder(zstd.SpeedFastest)
	dec, _ := NewDecoder()
	rng := rand.New(rand.NewPCG(7, 8))
	for _, k := range []record.Kind{record.KindNAT, record.KindSession} {
		for _, z := range []randomizer{{distinct: 5}, {distinct: 5000}, {distinct: 300, v4: true}, {distinct: 40, v4: true}} {
			z.rng, z.flowStart = rng, record.FlowStart(k)
			n := 1 + rng.IntN(4000)
			recs := make([]*record.Record, n)
			enc.chunkBytes = []int{DefaultChunkBytes, 256}[rng.IntN(2)]
			frame, _, all := randomBlock(t, enc, dec, k, &z, recs)
			for range 20 {
				r := recs[rng.IntN(n)]
				var sel Select
				switch {
				case k == record.KindNAT && rng.IntN(3) == 0:
					sel.Holder = r.NAT.InsideAddr
				case k == record.KindNAT:
					sel.Keys = map[record.Key][]byte{record.KeyOutsideAddr: AddrKey(r.NAT.OutsideAddr)}
					switch rng.IntN(3) {
					case 0:
						sel.Keys[record.KeyPort] = PortKey(r.NAT.OutsidePort)
					case 1:
						// A port of the record's range, or next to it.
						sel.HeldPort = r.NAT.OutsidePort + uint16(rng.IntN(3)*7)
					}
				case rng.IntN(3) == 0:
					sel.Keys = map[record.Key][]byte{record.KeyAccount: []byte(r.Session.Account)}
				case rng.IntN(2) == 0 && r.Session.DelegatedPrefix.IsValid():
					sel.Holder = r.Session.DelegatedPrefix.Addr().Next()
				default:
					sel.Holder = r.Session.Addr
				}
				if !sel.Holder.IsValid() && len(sel.Keys) == 0 && sel.HeldPort == 0 {
					continue
				}
				sel.SourceEnds = rng.IntN(4) == 0
				_, got, err := dec.DecodeSelect(frame, sel)
				if err != nil {
					t.Fatal(err)
				}
				want := selectRef(all, sel)
				if sel.SourceEnds {
					want = sourceEndsRef(want)
				}
				if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
					cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("%s %+v (-want +got):\n%s", k, sel, diff)
				}
			}
		}
	}
}

// TestDecodedConcurrent selects from one kept block on several goroutines
// at once, as lookups sharing the block cache do: each must get what a
// selection over the frame gets, while the block keeps the columns they
// decode.
func TestDecodedConcurrent(t *testing.T) {
	enc, _ := NewEncoder(zstd.SpeedFastest)
	enc.chunkBytes = 256
	dec, _ := NewDecoder()
	recs := sessionFlows()
	frame, _, err := enc.Encode(nil, 1, recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := Select{Holder: recs[0].Session.Addr}
	_, _, b, err := dec.DecodeSelectKeep(frame, first)
	if err != nil || b == nil {
		t.Fatalf("DecodeSelectKeep: %v, %v", b, err)
	}
	size := b.Size()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				r := recs[(g*50+i*7)%len(recs)].Session
				sel := Select{Holder: r.Addr}
				if i%2 == 1 {
					sel = Select{Keys: map[record.Key][]byte{record.KeyAccount: []byte(r.Account)}}
				}
				_, want, err := dec.DecodeSelect(frame, sel)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := b.Select(sel)
				if err != nil {
					t.Error(err)
					return
				}
				if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
					cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
					t.Errorf("%+v (-frame +kept):\n%s", sel, diff)
					return
				}
			}
		})
	}
	wg.Wait()
	if b.Size() <= size {
		t.Errorf("the block's size stayed %d after selections decoded its keyed columns", size)
	}
}

// sourceEndsRef keeps the first and the last record of each source.
func sourceEndsRef(recs []*record.Record) []*record.Record {
	first, last := map[string]int{}, map[string]int{}
	for i, r := range recs {
		if _, ok := first[r.Source]; !ok {
			first[r.Source] = i
		}
		last[r.Source] = i
	}
	var out []*record.Record
	for i, r := range recs {
		if first[r.Source] == i || last[r.Source] == i {
			out = append(out, r)
		}
	}
	return out
}

// randomBlock fills recs with random records of kind k and returns their
// block, its header and the records decoded from it.
func randomBlock(t *testing.T, enc *Encoder, dec *Decoder, k record.Kind, z *randomizer, recs []*record.Record) ([]byte, *Header, []*record.Record) {
	t.Helper()
	for i := range recs {
		r := &record.Record{}
		r.Init(k)
		// A few flows of many records, and many of one.
		z.i, z.flow = 0, rand.New(rand.NewPCG(uint64(z.rng.IntN(max(1, i/4))), 3))
		r.Visit(z)
		recs[i] = r
	}
	frame, h, err := enc.Encode(nil, 7, recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, all, err := dec.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	return frame, h, all
}
