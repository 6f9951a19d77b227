// Package source knows who sends Warden its logs. A [Registry] identifies
// each sender by address, applies its configuration (name, vendor, log
// formats, time zone, clock offset), turns its messages into records
// through its parsers (package dialect), keeps what no parser understood
// as raw records, hands the records to the ingest pipeline, and counts
// everything per source: received, parsed, rejected, dropped, last seen.
package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-ops/warden/internal/dialect"
	"github.com/warden-ops/warden/internal/record"
)

// Config describes one configured source.
type Config struct {
	// Name identifies the source in records and counters.
	Name string `yaml:"name"`
	// Addresses are the sender's addresses or prefixes ("192.0.2.1",
	// "198.51.100.0/24").
	Addresses []string `yaml:"addresses"`
	// Vendor is free text for people ("Huawei NE40E").
	Vendor string `yaml:"vendor"`
	// Formats are the log formats to try, in order: built-in names (see
	// docs/formats.md) or the names of custom formats. Empty means every
	// built-in format.
	Formats []string `yaml:"formats"`
	// TimeZone is the IANA zone the device writes zone-less times in.
	// Default UTC.
	TimeZone string `yaml:"time_zone"`
	// ClockOffset is added to every time the device writes, to correct a
	// clock known to be wrong.
	ClockOffset time.Duration `yaml:"clock_offset"`
}

// Options configures a Registry.
type Options struct {
	Sources []Config
	// Custom are operator-defined formats, by name.
	Custom map[string]func() (dialect.Parser, error)
	// AcceptUnknown takes messages from senders no source lists, under a
	// source named after the address, trying every built-in format.
	// Otherwise they are refused and counted.
	AcceptUnknown bool
	// MaxDynamic bounds the sources made for unknown senders; beyond it
	// they share one source named "unknown". Default 4096.
	MaxDynamic int
	Logger     *slog.Logger
}

// Sink takes records: the ingest pipeline.
type Sink interface {
	Add(ctx context.Context, r *record.Record) error
	TryAdd(r *record.Record) bool
}

// ErrDropped is returned by Handle when a message could not be queued
// without waiting; it has been counted as dropped.
var ErrDropped = errors.New("source: queue full, message dropped")

// Registry identifies senders and processes their messages. It is safe
// for concurrent use.
type Registry struct {
	opts    Options
	sink    Sink
	log     *slog.Logger
	static  []*Source // configured, most specific prefix first
	byAddr  sync.Map  // netip.Addr -> *Source, lookups already made
	mu      sync.Mutex
	dynamic map[netip.Addr]*Source // guarded by mu
	unknown atomic.Uint64          // messages refused from unknown senders
}

// Source is one sender and its counters.
type Source struct {
	Name, Vendor string
	prefixes     []netip.Prefix
	loc          *time.Location
	offset       time.Duration

	// mu serializes parsing when a format of the chain keeps state
	// (stateful); other chains run concurrently, one per connection.
	mu       sync.Mutex
	stateful bool
	parser   dialect.Chain

	received, parsed, rejected, dropped atomic.Uint64
	lastSeen                            atomic.Int64 // Unix ns
}

// New builds a registry, checking every source's configuration.
func New(opts Options, sink Sink) (*Registry, error) {
	if opts.MaxDynamic <= 0 {
		opts.MaxDynamic = 4096
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &Registry{opts: opts, sink: sink, log: opts.Logger, dynamic: map[netip.Addr]*Source{}}
	names := map[string]bool{}
	for i, c := range opts.Sources {
		if c.Name == "" {
			return nil, fmt.Errorf("sources[%d]: name is required", i)
		}
		if names[c.Name] {
			return nil, fmt.Errorf("sources[%d]: name %q used twice", i, c.Name)
		}
		names[c.Name] = true
		s, err := r.build(c)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", c.Name, err)
		}
		if len(s.prefixes) == 0 {
			return nil, fmt.Errorf("source %s: at least one address is required", c.Name)
		}
		r.static = append(r.static, s)
	}
	return r, nil
}

func (r *Registry) build(c Config) (*Source, error) {
	s := &Source{Name: c.Name, Vendor: c.Vendor, offset: c.ClockOffset, loc: time.UTC}
	for _, a := range c.Addresses {
		p, err := parsePrefix(a)
		if err != nil {
			return nil, err
		}
		s.prefixes = append(s.prefixes, p)
	}
	if c.TimeZone != "" {
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("time_zone %q: %w", c.TimeZone, err)
		}
		s.loc = loc
	}
	formats := c.Formats
	if len(formats) == 0 {
		for _, f := range dialect.Formats() {
			formats = append(formats, f.Name)
		}
	}
	for _, name := range formats {
		if mk, ok := r.opts.Custom[name]; ok {
			p, err := mk()
			if err != nil {
				return nil, fmt.Errorf("format %s: %w", name, err)
			}
			s.parser = append(s.parser, p)
			continue
		}
		f, err := dialect.Lookup(name)
		if err != nil {
			return nil, err
		}
		s.parser = append(s.parser, f.New())
		s.stateful = s.stateful || f.Stateful
	}
	return s, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("address %q: %w", s, err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("address %q: %w", s, err)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Lookup returns the source a sender belongs to, or nil if it is unknown
// and unknown senders are refused.
func (r *Registry) Lookup(a netip.Addr) *Source {
	a = a.Unmap()
	if v, ok := r.byAddr.Load(a); ok {
		return v.(*Source)
	}
	var best *Source
	bits := -1
	for _, s := range r.static {
		for _, p := range s.prefixes {
			if p.Contains(a) && p.Bits() > bits {
				best, bits = s, p.Bits()
			}
		}
	}
	if best == nil && r.opts.AcceptUnknown {
		best = r.dynamicSource(a)
	}
	if best != nil {
		r.byAddr.Store(a, best)
	}
	return best
}

func (r *Registry) dynamicSource(a netip.Addr) *Source {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.dynamic[a]; s != nil {
		return s
	}
	name := a.String()
	if len(r.dynamic) >= r.opts.MaxDynamic {
		a, name = netip.Addr{}, "unknown"
		if s := r.dynamic[a]; s != nil {
			return s
		}
	}
	s, err := r.build(Config{Name: name})
	if err != nil {
		panic("source: building the default source: " + err.Error()) // built-in formats always build
	}
	r.dynamic[a] = s
	r.log.Info("source: accepting unknown sender", "addr", name)
	return s
}

// Message is one received message for Handle.
type Message struct {
	Peer      netip.Addr
	Transport string // "udp", "tcp", "tls", ...
	// Raw is the message as received, kept verbatim if no parser takes
	// it; valid only during Handle.
	Raw []byte
	// Msg is the parsed header and body; Source, Loc and Offset are set
	// by Handle.
	Msg dialect.Message
	// HeaderErr is why the header could not be parsed, if it could not.
	HeaderErr error
}

// Handle identifies the sender, parses the message with the source's
// formats and queues the records: waiting for room if wait is set (stream
// transports push back), or counting a drop and returning ErrDropped if
// not (UDP). A message from a refused sender is counted and returns nil.
func (r *Registry) Handle(ctx context.Context, m *Message, wait bool) error {
	s := r.Lookup(m.Peer)
	if s == nil {
		r.unknown.Add(1)
		return nil
	}
	s.received.Add(1)
	s.lastSeen.Store(time.Now().UnixNano())
	m.Msg.Source, m.Msg.Loc, m.Msg.Offset = s.Name, s.loc, s.offset
	if m.Msg.Received.IsZero() {
		m.Msg.Received = time.Now().UTC()
	}
	if s.stateful {
		s.mu.Lock()
	}
	recs, err := s.parser.Parse(&m.Msg)
	if s.stateful {
		s.mu.Unlock()
	}
	if err != nil || len(recs) == 0 {
		reason := "no record in this message"
		if err != nil {
			reason = err.Error()
		}
		if m.HeaderErr != nil {
			reason = "syslog header: " + m.HeaderErr.Error() + "; " + reason
		}
		s.rejected.Add(1)
		recs = []*record.Record{rawRecord(s.Name, m, reason)}
	} else {
		s.parsed.Add(uint64(len(recs)))
	}
	for _, rec := range recs {
		if wait {
			if err := r.sink.Add(ctx, rec); err != nil {
				return err
			}
			continue
		}
		if !r.sink.TryAdd(rec) {
			s.dropped.Add(1)
			return ErrDropped
		}
	}
	return nil
}

func rawRecord(source string, m *Message, reason string) *record.Record {
	data := m.Raw
	if len(data) > record.MaxDataLen {
		data = data[:record.MaxDataLen]
	}
	if len(reason) > 1024 {
		reason = reason[:1024]
	}
	t := m.Msg.Received
	return &record.Record{Kind: record.KindRaw, EventTime: t, ReceiveTime: t, Source: source,
		Raw: &record.Raw{Reason: reason, Format: m.Transport, Data: slices.Clone(data)}}
}

// Stats is one source's counters.
type Stats struct {
	Name     string    `json:"name"`
	Vendor   string    `json:"vendor,omitempty"`
	Received uint64    `json:"received"`
	Parsed   uint64    `json:"parsed"`
	Rejected uint64    `json:"rejected"`
	Dropped  uint64    `json:"dropped"`
	LastSeen time.Time `json:"last_seen,omitzero"`
}

func (s *Source) stats() Stats {
	st := Stats{Name: s.Name, Vendor: s.Vendor, Received: s.received.Load(), Parsed: s.parsed.Load(),
		Rejected: s.rejected.Load(), Dropped: s.dropped.Load()}
	if ns := s.lastSeen.Load(); ns != 0 {
		st.LastSeen = time.Unix(0, ns).UTC()
	}
	return st
}

// Stats returns every source's counters, sorted by name, and the number
// of messages refused from unknown senders.
func (r *Registry) Stats() ([]Stats, uint64) {
	var out []Stats
	for _, s := range r.static {
		out = append(out, s.stats())
	}
	r.mu.Lock()
	for _, s := range r.dynamic {
		out = append(out, s.stats())
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, r.unknown.Load()
}

// Location returns the time zone the source's devices write in.
func (s *Source) Location() *time.Location { return s.loc }
