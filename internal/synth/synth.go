// Package synth generates realistic synthetic records for benchmarks and
// tests: a carrier-grade NAT serving a subscriber population, logging one
// create and one delete per translated flow.
package synth

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// CGNATConfig describes the simulated deployment.
type CGNATConfig struct {
	// Subscribers is the number of inside addresses (from 100.64.0.0/10).
	Subscribers int
	// PublicAddrs is the number of outside addresses (from 203.0.113.0/24
	// and up); each serves Subscribers/PublicAddrs subscribers.
	PublicAddrs int
	// Rate is the number of records a second of event time.
	Rate int
	// Start is the event time of the first record.
	Start time.Time
	// Destinations makes the device log the remote address and port, as
	// some deployments do.
	Destinations bool
	// Seed makes the output reproducible.
	Seed uint64
}

// DefaultCGNAT is a mid-sized deployment: 64,000 subscribers behind 256
// public addresses, 20,000 log records a second.
var DefaultCGNAT = CGNATConfig{
	Subscribers: 64000, PublicAddrs: 256, Rate: 20000,
	Start: time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC), Seed: 1,
}

// CGNAT produces NAT records. Not safe for concurrent use.
type CGNAT struct {
	cfg  CGNATConfig
	rng  *rand.Rand
	n    int
	open []flow // flows waiting for their delete record
}

type flow struct {
	proto           record.Protocol
	in, out, dst    netip.Addr
	inPort, outPort uint16
	dstPort         uint16
	end             time.Time
}

// NewCGNAT returns a generator for cfg.
func NewCGNAT(cfg CGNATConfig) *CGNAT {
	return &CGNAT{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}
}

func (g *CGNAT) now() time.Time {
	return g.cfg.Start.Add(time.Duration(g.n) * time.Second / time.Duration(g.cfg.Rate))
}

// Next returns the next record: half are creates of new flows, half the
// deletes of earlier ones, in event-time order.
func (g *CGNAT) Next() *record.Record {
	t := g.now()
	g.n++
	r := &record.Record{Kind: record.KindNAT, EventTime: t, ReceiveTime: t.Add(40 * time.Millisecond), Source: "cgn-1"}
	if len(g.open) > 0 && (g.open[0].end.Before(t) || len(g.open) > 4096) {
		f := g.open[0]
		g.open = g.open[1:]
		r.NAT = f.record(record.NATDelete)
		return r
	}
	sub := g.rng.IntN(g.cfg.Subscribers)
	f := flow{
		proto:   record.ProtoTCP,
		in:      netip.AddrFrom4([4]byte{100, 64 + byte(sub>>16), byte(sub >> 8), byte(sub)}),
		inPort:  uint16(1024 + g.rng.IntN(64511)),
		out:     netip.AddrFrom4([4]byte{203, 0, 113 + byte(sub%g.cfg.PublicAddrs/256), byte(sub % g.cfg.PublicAddrs)}),
		outPort: uint16(1024 + g.rng.IntN(64511)),
		end:     t.Add(time.Duration(1+g.rng.IntN(120)) * time.Second),
	}
	if g.rng.IntN(3) == 0 {
		f.proto = record.ProtoUDP
	}
	if g.cfg.Destinations {
		f.dst = netip.AddrFrom4([4]byte{byte(1 + g.rng.IntN(223)), byte(g.rng.IntN(256)), byte(g.rng.IntN(256)), byte(g.rng.IntN(256))})
		f.dstPort = []uint16{443, 80, 443, 8080, 53, 443}[g.rng.IntN(6)]
	}
	g.open = append(g.open, f)
	r.NAT = f.record(record.NATCreate)
	return r
}

func (f *flow) record(ev record.NATEvent) *record.NAT {
	return &record.NAT{Event: ev, Protocol: f.proto, InsideAddr: f.in, InsidePort: f.inPort,
		OutsideAddr: f.out, OutsidePort: f.outPort, DestAddr: f.dst, DestPort: f.dstPort,
		Device: "cgn-1", Pool: "pool-a"}
}

// Syslog formats r as the Juniper RT_NAT-style text line a device would
// have sent, for size comparisons against compressed text.
func Syslog(r *record.Record) string {
	n := r.NAT
	ev := "RT_FLOW_SESSION_CREATE"
	if n.Event == record.NATDelete {
		ev = "RT_FLOW_SESSION_CLOSE"
	}
	dst, dport := n.DestAddr, n.DestPort
	if !dst.IsValid() {
		dst = netip.IPv4Unspecified()
	}
	return fmt.Sprintf("<14>1 %s %s RT_FLOW - %s [junos@2636.1.1.1.2.40 source-address=\"%s\" source-port=\"%d\" destination-address=\"%s\" destination-port=\"%d\" nat-source-address=\"%s\" nat-source-port=\"%d\" protocol-id=\"%d\" source-zone-name=\"trust\" destination-zone-name=\"untrust\" routing-instance=\"default\"]",
		r.EventTime.Format(time.RFC3339Nano), n.Device, ev, n.InsideAddr, n.InsidePort, dst, dport, n.OutsideAddr, n.OutsidePort, n.Protocol)
}
