package query

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"time"
)

// DeterministicRule is a deterministic NAT rule (RFC 7422): the CGN Device
// maps every address of InsidePrefix onto an address of OutsidePrefix and
// a fixed range of PortsPerSubscriber ports by arithmetic alone, so it
// logs no mapping, and the rule itself is what a trace rests on.
//
// The mapping is RFC 7422's: inside addresses are spread in order over the
// outside addresses, each outside address serving C subscribers, where C
// is the inside prefix's size over the outside prefix's (both powers of
// two, so C is exact), and each subscriber of an outside address gets the
// next range of ports. The inside address at offset i from the inside
// prefix's first address uses
//
//	outside address  the outside prefix's first address + i / C
//	ports            FirstPort + (i mod C)·PortsPerSubscriber,
//	                 PortsPerSubscriber of them
//
// For example 100.64.0.0/22 onto 203.0.113.0/26 gives C = 1024/64 = 16; with
// 4000 ports from 1024, 100.64.0.0 uses 203.0.113.0 ports 1024-5023,
// 100.64.0.1 the same address ports 5024-9023, and 100.64.0.16 moves on to
// 203.0.113.1 ports 1024-5023. Every address of the inside prefix is
// mapped, its first and last included.
type DeterministicRule struct {
	// Name identifies the rule in answers and evidence.
	Name string `yaml:"name"`
	// Device is the source name of the CGN applying the rule.
	Device string `yaml:"device"`
	// InsidePrefix is the subscribers' prefix (IPv4, or IPv6 for
	// NAT64); OutsidePrefix the public IPv4 prefix.
	InsidePrefix  netip.Prefix `yaml:"inside"`
	OutsidePrefix netip.Prefix `yaml:"outside"`
	// PortsPerSubscriber is the size of each subscriber's port range,
	// and FirstPort the first port of the first range (RFC 7422's
	// example starts at 1024, above the well-known ports).
	PortsPerSubscriber uint16 `yaml:"ports_per_subscriber"`
	FirstPort          uint16 `yaml:"first_port"`
	// From is when the device began to apply the rule; Until, if set,
	// when it stopped (exclusive).
	From  time.Time `yaml:"from"`
	Until time.Time `yaml:"until" json:",omitzero"`
}

// maxRatioBits bounds log2 of the subscribers per outside address: a
// subscriber needs at least one of an address's 65535 ports.
const maxRatioBits = 16

// Validate reports the first problem with r.
func (r DeterministicRule) Validate() error {
	if r.Name == "" {
		return errors.New("a deterministic rule needs a name")
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("rule %s: "+format, append([]any{r.Name}, args...)...)
	}
	if r.Device == "" {
		return fail("device (the source name of the CGN) is required")
	}
	if !r.InsidePrefix.IsValid() || r.InsidePrefix.Addr().Is4In6() || r.InsidePrefix != r.InsidePrefix.Masked() {
		return fail("inside %s: want a prefix such as 100.64.0.0/22, with no host bits set", r.InsidePrefix)
	}
	if !r.OutsidePrefix.IsValid() || !r.OutsidePrefix.Addr().Is4() || r.OutsidePrefix != r.OutsidePrefix.Masked() {
		return fail("outside %s: want an IPv4 prefix such as 203.0.113.0/26, with no host bits set", r.OutsidePrefix)
	}
	ratio := hostBits(r.InsidePrefix) - hostBits(r.OutsidePrefix)
	if ratio < 0 {
		return fail("inside %s has fewer addresses than outside %s: every outside address needs at least one subscriber", r.InsidePrefix, r.OutsidePrefix)
	}
	if ratio > maxRatioBits {
		return fail("inside %s over outside %s puts %d subscribers on each outside address, more than its ports", r.InsidePrefix, r.OutsidePrefix, uint64(1)<<ratio)
	}
	if r.PortsPerSubscriber == 0 {
		return fail("ports_per_subscriber is required")
	}
	if r.FirstPort == 0 {
		return fail("first_port is required (RFC 7422's example starts at 1024)")
	}
	perAddr := uint64(1) << ratio
	if need, room := perAddr*uint64(r.PortsPerSubscriber), 65536-uint64(r.FirstPort); need > room {
		return fail("%d subscribers per outside address (%d inside over %d outside) × %d ports = %d ports, but ports %d-65535 are only %d",
			perAddr, uint64(1)<<hostBits(r.InsidePrefix), uint64(1)<<hostBits(r.OutsidePrefix), r.PortsPerSubscriber, need, r.FirstPort, room)
	}
	if r.From.IsZero() {
		return fail("from (when the device began to apply it) is required")
	}
	if !r.Until.IsZero() && !r.Until.After(r.From) {
		return fail("until %s is not after from %s", r.Until.Format(time.RFC3339), r.From.Format(time.RFC3339))
	}
	return nil
}

// hostBits returns the number of host bits of p.
func hostBits(p netip.Prefix) int { return p.Addr().BitLen() - p.Bits() }

// perAddress returns the subscribers per outside address, or false if r is
// not valid.
func (r DeterministicRule) perAddress() (uint64, bool) {
	if r.Validate() != nil {
		return 0, false
	}
	return uint64(1) << (hostBits(r.InsidePrefix) - hostBits(r.OutsidePrefix)), true
}

// Outside returns the outside address and the port range r gives inside,
// or false if inside is not in r's inside prefix or r is not valid.
func (r DeterministicRule) Outside(inside netip.Addr) (outside netip.Addr, first, last uint16, ok bool) {
	c, ok := r.perAddress()
	if !ok || !r.InsidePrefix.Contains(inside) {
		return netip.Addr{}, 0, 0, false
	}
	i := offsetOf(r.InsidePrefix, inside)
	first = r.FirstPort + uint16(i%c)*r.PortsPerSubscriber
	return addrAt(r.OutsidePrefix, i/c), first, first + r.PortsPerSubscriber - 1, true
}

// Inside returns the inside address r maps onto outside and port, with
// that address's port range, or false if no subscriber of r uses them or
// r is not valid. It is the inverse of [DeterministicRule.Outside].
func (r DeterministicRule) Inside(outside netip.Addr, port uint16) (inside netip.Addr, first, last uint16, ok bool) {
	c, ok := r.perAddress()
	if !ok || !r.OutsidePrefix.Contains(outside) || port < r.FirstPort {
		return netip.Addr{}, 0, 0, false
	}
	slot := uint64(port-r.FirstPort) / uint64(r.PortsPerSubscriber)
	if slot >= c {
		return netip.Addr{}, 0, 0, false
	}
	first = r.FirstPort + uint16(slot)*r.PortsPerSubscriber
	return addrAt(r.InsidePrefix, offsetOf(r.OutsidePrefix, outside)*c+slot), first, first + r.PortsPerSubscriber - 1, true
}

// offsetOf returns a's offset from p's first address. p has at most 48
// host bits, so the offset lies in the address's low 64 bits.
func offsetOf(p netip.Prefix, a netip.Addr) uint64 {
	mask := uint64(1)<<hostBits(p) - 1
	if a.Is4() {
		b := a.As4()
		return uint64(binary.BigEndian.Uint32(b[:])) & mask
	}
	b := a.As16()
	return binary.BigEndian.Uint64(b[8:]) & mask
}

// addrAt returns the address at offset off from p's first address; off is
// below 2^hostBits(p).
func addrAt(p netip.Prefix, off uint64) netip.Addr {
	base := p.Addr()
	if base.Is4() {
		b := base.As4()
		binary.BigEndian.PutUint32(b[:], binary.BigEndian.Uint32(b[:])|uint32(off))
		return netip.AddrFrom4(b)
	}
	b := base.As16()
	binary.BigEndian.PutUint64(b[8:], binary.BigEndian.Uint64(b[8:])|off)
	return netip.AddrFrom16(b)
}

// inForce reports whether the device applied r at t, allowing tol of
// clock skew at either end.
func (r DeterministicRule) inForce(t time.Time, tol time.Duration) bool {
	return !t.Add(tol).Before(r.From) && (r.Until.IsZero() || t.Add(-tol).Before(r.Until))
}

// String is the rule's text for answers and reports, like "det-1 on cgn-3:
// 100.64.0.0/22 onto 203.0.113.0/26, 16 subscribers per address, 4000
// ports each from port 1024, from 2026-01-01T00:00:00Z with no end".
func (r DeterministicRule) String() string {
	s := fmt.Sprintf("%s on %s: %s onto %s", r.Name, r.Device, r.InsidePrefix, r.OutsidePrefix)
	if c, ok := r.perAddress(); ok {
		s += fmt.Sprintf(", %d subscribers per address", c)
	}
	return s + fmt.Sprintf(", %d ports each from port %d, %s", r.PortsPerSubscriber, r.FirstPort, r.validity())
}

func (r DeterministicRule) validity() string {
	if r.Until.IsZero() {
		return "from " + r.From.Format(time.RFC3339) + " with no end"
	}
	return "from " + r.From.Format(time.RFC3339) + " until " + r.Until.Format(time.RFC3339)
}

// endReason is the end reason of the mappings r gives.
func (r DeterministicRule) endReason() string {
	return fmt.Sprintf("deterministic NAT rule %s (RFC 7422), in force %s: configured policy, not a logged record", r.Name, r.validity())
}

// describeRuleMapping is a deterministic mapping's part of a candidate's
// reason.
func describeRuleMapping(m *Mapping) string {
	return fmt.Sprintf("%s held port block %s:%d-%d by %s", m.Inside.Addr(), m.Outside, m.PortFirst, m.PortLast, m.EndReason)
}

// deterministicMappings returns the mappings the rules in force at the
// moment give the question's address and port, lists the rules applied in
// ans.Rules, and notes a rule that holds the address but cannot name one
// subscriber. The mappings are open (no end was logged: the rule's Until
// is a policy bound, zero if it has none) and rest on no records, so no
// candidate through them is exact.
func (e *Engine) deterministicMappings(q Question, ans *Answer) []*Mapping {
	var out []*Mapping
	for _, r := range e.cfg.Deterministic {
		if !r.OutsidePrefix.Contains(q.Addr) || !r.inForce(q.At, e.cfg.toleranceFor(r.Device, q.Tolerance)) {
			continue
		}
		if q.Port == 0 {
			c, _ := r.perAddress()
			ans.Notes = append(ans.Notes, fmt.Sprintf("%s is shared by %d subscribers under deterministic NAT rule %s (RFC 7422): ask with a port to name one", q.Addr, c, r.Name))
			continue
		}
		inside, first, last, ok := r.Inside(q.Addr, q.Port)
		if !ok {
			ans.Notes = append(ans.Notes, fmt.Sprintf("port %d of %s is in no subscriber's range under deterministic NAT rule %s (RFC 7422)", q.Port, q.Addr, r.Name))
			continue
		}
		out = append(out, &Mapping{Inside: netip.AddrPortFrom(inside, 0), Outside: q.Addr, PortFirst: first, PortLast: last, Block: true, Rule: r.Name,
			Trail: Trail{Source: r.Device, Interval: Interval{From: r.From, To: r.Until, Open: true}, EndReason: r.endReason()}})
		ans.Rules = append(ans.Rules, r)
	}
	return out
}

// checkRuleMapping checks that a deterministic mapping is what its rule,
// listed in the answer, gives the question's address and port. Whether
// the rule was in force at the moment, within the engine's tolerance, is
// the builder's claim: the rule is configured policy, which no proof
// covers.
func checkRuleMapping(m *Mapping, q Question, rules []DeterministicRule) error {
	i := slices.IndexFunc(rules, func(r DeterministicRule) bool { return r.Name == m.Rule })
	if i < 0 {
		return fmt.Errorf("names deterministic rule %q, which the answer does not list", m.Rule)
	}
	r := rules[i]
	if len(m.Records) != 0 {
		return fmt.Errorf("rests on rule %s, configured policy, but names records", r.Name)
	}
	inside, first, last, ok := r.Inside(q.Addr, q.Port)
	if !ok {
		return fmt.Errorf("rule %s maps no subscriber onto %s port %d", r.Name, q.Addr, q.Port)
	}
	want := Mapping{Inside: netip.AddrPortFrom(inside, 0), Outside: q.Addr, PortFirst: first, PortLast: last, Block: true, Rule: r.Name,
		Trail: Trail{Source: r.Device, EndReason: r.endReason()}}
	got := *m
	got.Interval, got.Records = Interval{}, nil
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("says %s ports %d-%d from %q (%s), but rule %s gives %s ports %d-%d from %q (%s)", m.Inside, m.PortFirst, m.PortLast,
			m.Source, m.EndReason, r.Name, want.Inside, first, last, r.Device, want.EndReason)
	}
	if iv := m.Interval; !iv.Open || !iv.From.Equal(r.From) || !iv.To.Equal(r.Until) {
		return fmt.Errorf("interval %s to %s (open %v), but rule %s is in force %s, and open: no end is logged", iv.From.Format(time.RFC3339),
			iv.To.Format(time.RFC3339), iv.Open, r.Name, r.validity())
	}
	return nil
}
