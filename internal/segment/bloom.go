package segment

import (
	"encoding/binary"
	"net/netip"
	"slices"

	"github.com/warden-ops/warden/internal/record"
)

// Filter sizing. Eight bits and five probes per distinct key give a false
// positive rate near 2%, so a lookup reads about one block in fifty that
// does not hold its key, for about one byte per distinct key (filters of a
// NAT block cost some 1.1 bytes a record; ten bits would cost 1.4 for 1%).
// The floor keeps tiny blocks' filters useful.
const (
	bloomBitsPerKey = 8
	bloomProbes     = 5
	bloomMinBits    = 64
)

// KeyHash hashes a filter key of class c: 64-bit FNV-1a over the class byte
// and the key bytes. The hash is part of the on-disk format.
func KeyHash(c record.Key, key []byte) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	h = (h ^ uint64(c)) * prime
	for _, b := range key {
		h = (h ^ uint64(b)) * prime
	}
	return h
}

// AddrKey returns the filter key of an address: its 16-byte form, so that
// keys of both families compare in one order.
func AddrKey(a netip.Addr) []byte {
	b := a.As16()
	return b[:]
}

// PortKey returns the filter key of a port: two bytes, big-endian.
func PortKey(p uint16) []byte { return binary.BigEndian.AppendUint16(nil, p) }

// Filter is one key class's membership filter and value range in a block.
type Filter struct {
	Class    record.Key
	Min, Max []byte
	bits     []uint64
}

// MayContain reports whether the block may hold key: false means it
// certainly does not.
func (f *Filter) MayContain(key []byte) bool {
	if len(f.bits) == 0 {
		return false
	}
	if string(key) < string(f.Min) || string(key) > string(f.Max) {
		return false
	}
	return f.mayContainHash(KeyHash(f.Class, key))
}

func (f *Filter) mayContainHash(h uint64) bool {
	m := uint64(len(f.bits)) * 64
	h1, h2 := h&0xffffffff, h>>32|1
	for i := range uint64(bloomProbes) {
		p := (h1 + i*h2) % m
		if f.bits[p/64]&(1<<(p%64)) == 0 {
			return false
		}
	}
	return true
}

// filterBuilder collects the keys of one class while a block is encoded.
type filterBuilder struct {
	hashes   []uint64
	min, max []byte
}

func (b *filterBuilder) reset() {
	b.hashes = b.hashes[:0]
	b.min, b.max = b.min[:0], b.max[:0]
}

func (b *filterBuilder) add(c record.Key, key []byte) {
	if len(b.hashes) == 0 || string(key) < string(b.min) {
		b.min = append(b.min[:0], key...)
	}
	if len(b.hashes) == 0 || string(key) > string(b.max) {
		b.max = append(b.max[:0], key...)
	}
	b.hashes = append(b.hashes, KeyHash(c, key))
}

// build sizes the filter for the distinct keys and sets their bits.
func (b *filterBuilder) build(c record.Key) *Filter {
	slices.Sort(b.hashes)
	hs := slices.Compact(b.hashes)
	m := max(bloomMinBits, (len(hs)*bloomBitsPerKey+63)/64*64)
	f := &Filter{Class: c, Min: slices.Clone(b.min), Max: slices.Clone(b.max), bits: make([]uint64, m/64)}
	for _, h := range hs {
		h1, h2 := h&0xffffffff, h>>32|1
		for i := range uint64(bloomProbes) {
			p := (h1 + i*h2) % uint64(m)
			f.bits[p/64] |= 1 << (p % 64)
		}
	}
	return f
}
