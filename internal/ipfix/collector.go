package ipfix

import (
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// Session limits.
const (
	// maxSessions bounds the exporter transport addresses that hold
	// templates. A deployment has tens to hundreds of exporters, and an
	// exporter that restarts comes back from a new port; past the bound
	// the session seen least recently is dropped.
	maxSessions = 4096
	// sessionIdle drops a session silent this long, with its templates.
	// Exporters resend templates every few minutes to 30 minutes (Cisco
	// ASA's default); an hour of silence means the exporter is gone.
	sessionIdle = time.Hour
	// sweepEvery is how often idle sessions are looked for.
	sweepEvery = time.Minute
	// maxDynamic bounds the exporters counted separately under
	// AcceptUnknown; past it unknown senders share one entry.
	maxDynamic = 4096
	// warnEvery rate-limits the warning about refused senders.
	warnEvery = time.Minute
)

// overflowName names the counters unknown senders share past maxDynamic.
const overflowName = "unknown"

// collector turns export packets into records. handle is called from one
// goroutine only (Server.Run's, or a test's); Stats may be called from any.
type collector struct {
	log           *slog.Logger
	sink          Sink
	exporters     []*exporter // configured, most specific prefix first
	acceptUnknown bool

	// The fields below belong to the goroutine that calls handle.
	sessions  map[netip.AddrPort]*session
	pool      templatePool
	lastSweep time.Time
	lastWarn  time.Time

	refused  atomic.Uint64 // packets from unknown senders
	sessionN atomic.Int64  // len(sessions), for Stats

	// mu guards dynamic and overflow, which Stats reads.
	mu       sync.Mutex
	dynamic  map[netip.Addr]*exporter
	overflow *exporter
}

// exporter is a configured exporter, or an unknown sender under
// AcceptUnknown, with its counters.
type exporter struct {
	name     string
	vendor   string
	prefix   netip.Prefix
	events   eventTable
	counters counters
	lastSeen atomic.Int64 // Unix ns
}

// session is one exporter transport address and its templates.
type session struct {
	addr     netip.AddrPort
	source   string // the records' Source
	exp      *exporter
	tmpl     *templates
	lastSeen time.Time
}

func newCollector(cfg Config, sink Sink, log *slog.Logger) *collector {
	c := &collector{log: log, sink: sink, acceptUnknown: cfg.AcceptUnknown,
		sessions: map[netip.AddrPort]*session{}, dynamic: map[netip.Addr]*exporter{}}
	for _, e := range cfg.Exporters {
		vendor := cmpOr(e.Vendor, VendorRFC8158)
		c.exporters = append(c.exporters, &exporter{name: e.Name, vendor: vendor, prefix: e.Prefix.Masked(),
			events: natEventTables[vendor]})
	}
	slices.SortStableFunc(c.exporters, func(a, b *exporter) int { return b.prefix.Bits() - a.prefix.Bits() })
	return c
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// tally counts one packet's outcomes before they are added to the
// exporter's counters at once.
type tally struct {
	records, natEvents, nonNAT, unknownTemplate, decodeErrors, dropped uint64
}

// handle decodes one datagram from an exporter and hands its records to
// the sink. It does not retain pkt.
func (c *collector) handle(pkt []byte, from netip.AddrPort, now time.Time) {
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	if now.Sub(c.lastSweep) >= sweepEvery {
		c.sweep(now)
	}
	s := c.session(from, now)
	if s == nil {
		n := c.refused.Add(1)
		if now.Sub(c.lastWarn) >= warnEvery {
			c.lastWarn = now
			c.log.Warn("ipfix: refused packets from an exporter that is not configured", "addr", from, "refused", n)
		}
		return
	}
	s.lastSeen = now
	var t tally
	c.decodePacket(s, pkt, now, &t)
	s.exp.counters.add(1, &t)
	s.exp.lastSeen.Store(now.UnixNano())
}

// session returns the session of from, making one if from belongs to an
// exporter, or nil if it does not.
func (c *collector) session(from netip.AddrPort, now time.Time) *session {
	if s, ok := c.sessions[from]; ok {
		return s
	}
	exp, source := c.exporterFor(from.Addr())
	if exp == nil {
		return nil
	}
	if len(c.sessions) >= maxSessions {
		c.evictOldest()
	}
	s := &session{addr: from, source: source, exp: exp, tmpl: newTemplates(&c.pool), lastSeen: now}
	c.sessions[from] = s
	c.sessionN.Store(int64(len(c.sessions)))
	return s
}

// exporterFor finds the exporter of addr and the Source of its records.
func (c *collector) exporterFor(addr netip.Addr) (*exporter, string) {
	for _, e := range c.exporters {
		if e.prefix.Contains(addr) {
			return e, e.name
		}
	}
	if !c.acceptUnknown {
		return nil, ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.dynamic[addr]; ok {
		return e, e.name
	}
	if len(c.dynamic) < maxDynamic {
		e := &exporter{name: addr.String(), vendor: VendorRFC8158, events: rfc8158Events}
		c.dynamic[addr] = e
		return e, e.name
	}
	if c.overflow == nil {
		c.overflow = &exporter{name: overflowName, vendor: VendorRFC8158, events: rfc8158Events}
	}
	return c.overflow, addr.String()
}

func (c *collector) evictOldest() {
	var oldest *session
	for _, s := range c.sessions {
		if oldest == nil || s.lastSeen.Before(oldest.lastSeen) {
			oldest = s
		}
	}
	if oldest != nil {
		c.drop(oldest)
	}
}

// sweep drops the sessions that have been silent for sessionIdle.
func (c *collector) sweep(now time.Time) {
	c.lastSweep = now
	for _, s := range c.sessions {
		if now.Sub(s.lastSeen) >= sessionIdle {
			c.drop(s)
		}
	}
}

func (c *collector) drop(s *session) {
	s.tmpl.release()
	delete(c.sessions, s.addr)
	c.sessionN.Store(int64(len(c.sessions)))
}

// emit hands r to the sink, stamped with the session's source and the
// receive time, and reports whether the sink took it.
func (c *collector) emit(s *session, r *record.Record, now time.Time, t *tally) bool {
	r.Source, r.ReceiveTime = s.source, now
	if !c.sink.TryAdd(r) {
		t.dropped++
		return false
	}
	return true
}

// emitRaw keeps data that could not become a NAT record, with the reason.
// It copies data.
func (c *collector) emitRaw(s *session, now time.Time, t *tally, reason, format string, data []byte) {
	c.log.Debug("ipfix: kept raw", "exporter", s.source, "reason", reason)
	r := &record.Record{Kind: record.KindRaw, EventTime: now,
		Raw: &record.Raw{Reason: truncate(reason), Format: format, Data: slices.Clone(data[:min(len(data), record.MaxDataLen)])}}
	c.emit(s, r, now, t)
}

// truncate cuts s to what a record's string field holds.
func truncate(s string) string {
	if len(s) <= record.MaxStringLen {
		return s
	}
	return strings.ToValidUTF8(s[:record.MaxStringLen], "")
}

// counters are an exporter's counters.
type counters struct {
	packets, records, natEvents, nonNAT, unknownTemplate, decodeErrors, dropped atomic.Uint64
}

func (c *counters) add(packets uint64, t *tally) {
	c.packets.Add(packets)
	c.records.Add(t.records)
	c.natEvents.Add(t.natEvents)
	c.nonNAT.Add(t.nonNAT)
	c.unknownTemplate.Add(t.unknownTemplate)
	c.decodeErrors.Add(t.decodeErrors)
	c.dropped.Add(t.dropped)
}

func (c *counters) load() Counters {
	return Counters{Packets: c.packets.Load(), Records: c.records.Load(), NATEvents: c.natEvents.Load(),
		NonNAT: c.nonNAT.Load(), UnknownTemplate: c.unknownTemplate.Load(), DecodeErrors: c.decodeErrors.Load(),
		Dropped: c.dropped.Load()}
}

// Counters count what the collector, or one exporter, received and what
// became of it.
type Counters struct {
	// Packets is the datagrams received.
	Packets uint64 `json:"packets"`
	// Records is the data records decoded, options data included.
	Records uint64 `json:"records"`
	// NATEvents is the NAT mappings and NAT security events the sink
	// took.
	NATEvents uint64 `json:"nat_events"`
	// NonNAT is the data records skipped because they are no NAT event:
	// flow records, options data, denied flows.
	NonNAT uint64 `json:"non_nat"`
	// UnknownTemplate is the data sets that came before their template;
	// each is kept as a raw record.
	UnknownTemplate uint64 `json:"unknown_template"`
	// DecodeErrors is the packets, sets and NAT event records that could
	// not be decoded; each is kept as a raw record with the reason.
	DecodeErrors uint64 `json:"decode_errors"`
	// Dropped is the records the sink refused because its queue was full.
	Dropped uint64 `json:"dropped"`
}

func (c *Counters) add(o Counters) {
	c.Packets += o.Packets
	c.Records += o.Records
	c.NATEvents += o.NATEvents
	c.NonNAT += o.NonNAT
	c.UnknownTemplate += o.UnknownTemplate
	c.DecodeErrors += o.DecodeErrors
	c.Dropped += o.Dropped
}

// ExporterStats are one exporter's counters.
type ExporterStats struct {
	Name   string `json:"name"`
	Vendor string `json:"vendor"`
	Counters
	LastSeen time.Time `json:"last_seen,omitzero"`
}

// Stats are the collector's counters: the sum over exporters, the
// packets refused from unknown senders, the state held, and each
// exporter's counters sorted by name.
type Stats struct {
	Counters
	// UnknownExporters is the packets refused because their sender is
	// not configured (and AcceptUnknown is off).
	UnknownExporters uint64 `json:"unknown_exporters"`
	// Sessions is the exporter transport addresses that hold templates;
	// Templates is the templates held.
	Sessions  int64           `json:"sessions"`
	Templates int64           `json:"templates"`
	Exporters []ExporterStats `json:"exporters"`
}

func (c *collector) stats() Stats {
	all := slices.Clone(c.exporters)
	c.mu.Lock()
	for _, e := range c.dynamic {
		all = append(all, e)
	}
	if c.overflow != nil {
		all = append(all, c.overflow)
	}
	c.mu.Unlock()
	st := Stats{UnknownExporters: c.refused.Load(), Sessions: c.sessionN.Load(), Templates: c.pool.count.Load()}
	for _, e := range all {
		es := ExporterStats{Name: e.name, Vendor: e.vendor, Counters: e.counters.load()}
		if ns := e.lastSeen.Load(); ns != 0 {
			es.LastSeen = time.Unix(0, ns).UTC()
		}
		st.Counters.add(es.Counters)
		st.Exporters = append(st.Exporters, es)
	}
	slices.SortFunc(st.Exporters, func(a, b ExporterStats) int { return strings.Compare(a.Name, b.Name) })
	return st
}
