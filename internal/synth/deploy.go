package synth

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// DeploymentConfig describes a simulated carrier-grade NAT deployment: a
// subscriber population behind BRASes that send RADIUS accounting, and NAT
// devices that log port blocks or per-session mappings.
type DeploymentConfig struct {
	// Subscribers is the number of accounts.
	Subscribers int
	// PublicAddrs is the number of NAT outside addresses, from 203.0.113.0
	// up. They are split between the port-block pool and the per-session
	// pool in proportion to BlockShare, and spread over Devices.
	PublicAddrs int
	// Devices is the number of NAT devices (sources "cgn-1" and up).
	// Default 2.
	Devices int
	// Start is the event time the simulation begins; Duration its length.
	Start    time.Time
	Duration time.Duration
	// Seed makes the output reproducible.
	Seed uint64
	// BlockSize is the number of ports in a port block. Default 512.
	BlockSize int
	// BlockShare is the fraction of NATed subscribers logged by port
	// block; the rest are logged per session (one create and one delete
	// per flow).
	BlockShare float64
	// NoNATShare is the fraction of subscribers with a public address of
	// their own (from 198.18.0.0 up), never translated.
	NoNATShare float64
	// IPv6Share is the fraction of subscribers that are also delegated an
	// IPv6 /56 (from 2001:db8::/32).
	IPv6Share float64
	// ClockSkew is the largest offset of a NAT device's clock; each device
	// gets a constant offset of between a quarter of it and all of it,
	// ahead or behind. Keep it under the
	// trace engine's tolerance (2s by default).
	ClockSkew time.Duration
	// LostStopRate is the fraction of sessions whose accounting stop is
	// never logged.
	LostStopRate float64
	// FlowsPerMinute is the mean rate at which a per-session subscriber
	// opens flows. Default 2: real subscribers open far more, but the rate
	// only scales the volume, not the shape, of the data.
	FlowsPerMinute float64
	// InterimInterval is the RADIUS interim accounting interval. Default
	// 15 minutes.
	InterimInterval time.Duration
	// Gaps are spans during which a NAT device logs nothing: records whose
	// device time falls in [From, To) are not emitted.
	Gaps []Gap
}

// Gap is a span during which a source logged nothing.
type Gap struct {
	Source   string
	From, To time.Time
}

// Validate reports the first setting that is out of range or leaves the
// pools too small for the population.
func (c *DeploymentConfig) Validate() error {
	d := c.withDefaults()
	switch {
	case d.Subscribers <= 0:
		return errors.New("deployment: subscribers must be positive")
	case d.Start.IsZero() || d.Duration <= 0:
		return errors.New("deployment: start and a positive duration are required")
	case d.BlockSize < 16 || d.BlockSize > 64512:
		return fmt.Errorf("deployment: block size %d out of range (16 to 64512)", d.BlockSize)
	case d.ClockSkew < 0 || d.ClockSkew > 2*time.Second:
		return fmt.Errorf("deployment: clock skew %s out of range (0 to 2s)", d.ClockSkew)
	case d.Subscribers > 1<<20:
		return fmt.Errorf("deployment: %d subscribers, at most %d", d.Subscribers, 1<<20)
	}
	for name, f := range map[string]float64{"block_share": d.BlockShare, "no_nat_share": d.NoNATShare,
		"ipv6_share": d.IPv6Share, "lost_stop_rate": d.LostStopRate} {
		if f < 0 || f > 1 {
			return fmt.Errorf("deployment: %s %v out of range (0 to 1)", name, f)
		}
	}
	nb, ns := d.pools()
	natted := float64(d.Subscribers) * (1 - d.NoNATShare)
	if need := natted * d.BlockShare * 1.1; need > float64(nb*d.blocksPerAddr()) {
		return fmt.Errorf("deployment: %d port-block addresses hold %d blocks, too few for about %.0f subscribers",
			nb, nb*d.blocksPerAddr(), need)
	}
	if natted*(1-d.BlockShare) >= 1 && ns == 0 {
		return errors.New("deployment: no public address is left for per-session NAT")
	}
	for _, g := range d.Gaps {
		if !g.To.After(g.From) {
			return fmt.Errorf("deployment: gap of %s ends before it starts", g.Source)
		}
	}
	return nil
}

func (c DeploymentConfig) withDefaults() DeploymentConfig {
	if c.Devices <= 0 {
		c.Devices = 2
	}
	if c.BlockSize == 0 {
		c.BlockSize = 512
	}
	if c.FlowsPerMinute <= 0 {
		c.FlowsPerMinute = 2
	}
	if c.InterimInterval <= 0 {
		c.InterimInterval = 15 * time.Minute
	}
	return c
}

// firstPort is the lowest port the NAT hands out; the well-known ports are
// never translated.
const firstPort = 1024

func (c *DeploymentConfig) blocksPerAddr() int { return (65536 - firstPort) / c.BlockSize }

// pools returns how many public addresses serve port blocks and how many
// serve per-session mappings.
func (c *DeploymentConfig) pools() (block, session int) {
	block = int(math.Round(float64(c.PublicAddrs) * c.BlockShare))
	if c.BlockShare > 0 && block == 0 && c.PublicAddrs > 0 {
		block = 1
	}
	if c.BlockShare < 1 && block == c.PublicAddrs && c.PublicAddrs > 1 {
		block--
	}
	return block, c.PublicAddrs - block
}

// subKind is how a subscriber reaches the Internet.
type subKind uint8

const (
	subBlock   subKind = iota // behind NAT, logged by port block
	subSession                // behind NAT, logged per flow
	subPublic                 // a public address of its own
)

type subscriber struct {
	kind    subKind
	ipv6    bool
	account string
	mac     string
	nas     int
	cur     int32 // the current session, -1 if offline
}

// session is one subscriber session, in real time. Its records carry no
// device skew: BRASes are assumed to keep good time.
type session struct {
	sub        int32
	id         string
	addr       netip.Addr
	prefix     netip.Prefix
	from, to   time.Duration // from Start; to is the end, or Duration if still up
	stopLogged bool
	lastLogged time.Duration // start or last interim
	outAddr    int32         // paired outside address of a per-session subscriber
	mappings   []int32
}

// mapping is one NAT mapping or port block, in real time, with the device
// times of its records.
type mapping struct {
	sess           int32
	dev            int32
	out            int32 // public address index
	first, last    uint16
	inPort         uint16
	proto          record.Protocol
	block          bool
	from, to       time.Duration
	logFrom, logTo time.Duration
	openLogged     bool
	closeLogged    bool
}

// Deployment is a planned deployment: every session and mapping is decided
// when it is created, so its records and the questions about them share
// one ground truth. Memory grows with the number of sessions and mappings.
type Deployment struct {
	cfg       DeploymentConfig
	skew      []time.Duration // per device
	blockAddr []bool          // per public address
	subs      []subscriber
	sessions  []session
	mappings  []mapping
	events    []event
	// index for questions
	byInside   map[netip.Addr][]int32   // sessions by assigned address
	byPrefix   map[netip.Prefix][]int32 // sessions by delegated prefix
	byEndpoint map[uint32][]int32       // per-session mappings by address index<<16 | port
	byBlockAt  map[int32][]int32        // block mappings by address index
	merged     map[mappingKey]bool      // keys of several mappings, one not fully logged
	devTimes   [][]time.Duration        // device times of each device's records, sorted
}

// NewDeployment plans the deployment cfg describes.
func NewDeployment(cfg DeploymentConfig) (*Deployment, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	d := &Deployment{cfg: cfg, byInside: map[netip.Addr][]int32{}, byPrefix: map[netip.Prefix][]int32{},
		byEndpoint: map[uint32][]int32{}, byBlockAt: map[int32][]int32{}, merged: map[mappingKey]bool{}}
	newPlanner(d).run()
	d.index()
	return d, nil
}

// Device returns the source name of NAT device i (from 0).
func Device(i int) string { return fmt.Sprintf("cgn-%d", i+1) }

// Skew returns the clock offset of NAT device i.
func (d *Deployment) Skew(i int) time.Duration { return d.skew[i] }

// Sessions and Mappings return how many subscriber sessions and NAT
// mappings (port blocks included) the deployment holds.
func (d *Deployment) Sessions() int { return len(d.sessions) }

// Mappings returns how many NAT mappings, port blocks included, the
// deployment holds.
func (d *Deployment) Mappings() int { return len(d.mappings) }

func publicAddr(i int32) netip.Addr { return addrPlus([4]byte{203, 0, 113, 0}, uint32(i)) }
func ownAddr(i int32) netip.Addr    { return addrPlus([4]byte{198, 18, 0, 0}, uint32(i)) }
func insideAddr(i int32) netip.Addr { return addrPlus([4]byte{100, 64, 0, 1}, uint32(i)) }

func addrPlus(base [4]byte, n uint32) netip.Addr {
	v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3]) + n
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func delegatedPrefix(i int32) netip.Prefix {
	b := [16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i >> 16), byte(i >> 8), byte(i)}
	return netip.PrefixFrom(netip.AddrFrom16(b), 56)
}

// fifo is an address pool that hands out the address freed longest ago,
// as BRAS pools do, so an address passes between subscribers.
type fifo struct{ free []int32 }

func newFIFO(n int) *fifo {
	f := &fifo{free: make([]int32, n)}
	for i := range f.free {
		f.free[i] = int32(i)
	}
	return f
}

func (f *fifo) get() (int32, bool) {
	if len(f.free) == 0 {
		return 0, false
	}
	v := f.free[0]
	f.free = f.free[1:]
	return v, true
}

func (f *fifo) put(v int32) { f.free = append(f.free, v) }

// simEvent is a step of the simulation, in real time.
type simEvent struct {
	at   time.Duration
	kind uint8
	idx  int32
}

const (
	evOnline    = iota // subscriber idx connects
	evOffline          // session idx ends
	evFlow             // session idx opens a flow
	evRelease          // mapping idx is deleted or released
	evFreeBlock        // block mapping idx's ports return to the pool
)

type simQueue []simEvent

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	return q[i].at < q[j].at || q[i].at == q[j].at && q[i].kind < q[j].kind
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

type planner struct {
	d                     *Deployment
	rng                   *rand.Rand
	q                     simQueue
	inside, own, prefixes *fifo
	blocks                *fifo // address index * blocksPerAddr + block
	sessionAddrs          []int32
	busy                  map[int32][]uint64 // ports in use per per-session address
	nextSessionID         int
	blocksPerAddr         int
}

func newPlanner(d *Deployment) *planner {
	c := &d.cfg
	p := &planner{d: d, rng: rand.New(rand.NewPCG(c.Seed, c.Seed^0x5851f42d4c957f2d)), busy: map[int32][]uint64{}}
	n := c.Subscribers
	p.inside, p.own, p.prefixes = newFIFO(n+n/4+16), newFIFO(n+n/4+16), newFIFO(n+n/4+16)
	d.skew = make([]time.Duration, c.Devices)
	for i := range d.skew {
		// Every device is off by at least a quarter of the maximum, so
		// each skew shows in the data.
		if c.ClockSkew > 0 {
			d.skew[i] = c.ClockSkew/4 + time.Duration(p.rng.Int64N(int64(c.ClockSkew*3/4+1)))
			if p.rng.IntN(2) == 0 {
				d.skew[i] = -d.skew[i]
			}
		}
	}
	nb, _ := c.pools()
	d.blockAddr = make([]bool, c.PublicAddrs)
	var blockAddrs []int32
	for i := range c.PublicAddrs {
		// Spread the block pool evenly, so every device has both pools.
		d.blockAddr[i] = (i+1)*nb/c.PublicAddrs != i*nb/c.PublicAddrs
		if d.blockAddr[i] {
			blockAddrs = append(blockAddrs, int32(i))
		} else {
			p.sessionAddrs = append(p.sessionAddrs, int32(i))
		}
	}
	p.blocksPerAddr = c.blocksPerAddr()
	p.blocks = &fifo{}
	for b := range p.blocksPerAddr {
		for _, a := range blockAddrs {
			p.blocks.put(a*int32(p.blocksPerAddr) + int32(b))
		}
	}
	d.subs = make([]subscriber, n)
	for i := range d.subs {
		s := &d.subs[i]
		s.account = fmt.Sprintf("sub%07d@isp", i)
		s.mac = fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", byte(i>>24), byte(i>>16), byte(i>>8), byte(i))
		s.nas, s.cur = i%4, -1
		switch {
		case p.rng.Float64() < c.NoNATShare:
			s.kind = subPublic
		case p.rng.Float64() < c.BlockShare:
			s.kind = subBlock
		default:
			s.kind = subSession
		}
		s.ipv6 = p.rng.Float64() < c.IPv6Share
		p.push(p.second(time.Duration(p.rng.Int64N(int64(5*time.Minute)))), evOnline, int32(i))
	}
	return p
}

func (p *planner) push(at time.Duration, kind uint8, idx int32) {
	heap.Push(&p.q, simEvent{at: at, kind: kind, idx: idx})
}

// second truncates t to a whole second after Start: RADIUS timestamps
// have a resolution of one second.
func (p *planner) second(t time.Duration) time.Duration { return t.Truncate(time.Second) }

// logUniform returns a duration between lo and hi whose logarithm is
// uniform: many short ones, a long tail.
func (p *planner) logUniform(lo, hi time.Duration) time.Duration {
	l, h := math.Log(float64(lo)), math.Log(float64(hi))
	return time.Duration(math.Exp(l + p.rng.Float64()*(h-l)))
}

// sessionLength draws a session length: half are mobile-like or flapping
// lines, minutes long; the rest are fixed lines that stay up for hours
// until the BRAS forces a reconnect at 24 hours.
func (p *planner) sessionLength() time.Duration {
	if p.rng.IntN(2) == 0 {
		return p.logUniform(time.Minute, 40*time.Minute)
	}
	return p.logUniform(40*time.Minute, 24*time.Hour)
}

// offline draws the time until a subscriber reconnects: often a quick
// redial, otherwise minutes.
func (p *planner) offline() time.Duration {
	if p.rng.IntN(10) < 3 {
		return p.logUniform(2*time.Second, 30*time.Second)
	}
	return p.logUniform(time.Minute, 30*time.Minute)
}

// flowLength draws a flow's lifetime: DNS and other short UDP exchanges,
// web TCP connections, and a few long-lived ones.
func (p *planner) flowLength() (time.Duration, record.Protocol) {
	switch r := p.rng.IntN(100); {
	case r < 35:
		return p.logUniform(200*time.Millisecond, 30*time.Second), record.ProtoUDP
	case r < 97:
		return p.logUniform(2*time.Second, 20*time.Minute), record.ProtoTCP
	default:
		return p.logUniform(20*time.Minute, 3*time.Hour), record.ProtoTCP
	}
}

func (p *planner) run() {
	end := p.d.cfg.Duration
	for p.q.Len() > 0 {
		ev := heap.Pop(&p.q).(simEvent)
		if ev.at >= end {
			continue
		}
		switch ev.kind {
		case evOnline:
			p.online(ev.at, ev.idx)
		case evOffline:
			p.offlineAt(ev.at, ev.idx)
		case evFlow:
			p.flow(ev.at, ev.idx)
		case evRelease:
			m := &p.d.mappings[ev.idx]
			if !m.block {
				clearPort(p.busy[m.out], m.first)
			}
		case evFreeBlock:
			m := &p.d.mappings[ev.idx]
			p.blocks.put(m.out*int32(p.blocksPerAddr) + int32((int(m.first)-firstPort)/p.d.cfg.BlockSize))
		}
	}
}

func (p *planner) online(at time.Duration, sub int32) {
	d, c := p.d, &p.d.cfg
	u := &d.subs[sub]
	s := session{sub: sub, from: at, outAddr: -1}
	p.nextSessionID++
	s.id = fmt.Sprintf("%08x", uint32(p.nextSessionID)*2654435761)
	if u.kind == subPublic {
		i, ok := p.own.get()
		if !ok {
			panic("synth: public address pool exhausted")
		}
		s.addr = ownAddr(i)
	} else {
		i, ok := p.inside.get()
		if !ok {
			panic("synth: inside address pool exhausted")
		}
		s.addr = insideAddr(i)
	}
	if u.ipv6 {
		i, ok := p.prefixes.get()
		if !ok {
			panic("synth: prefix pool exhausted")
		}
		s.prefix = delegatedPrefix(i)
	}
	s.to = p.second(at + p.sessionLength())
	s.stopLogged = s.to < c.Duration && p.rng.Float64() >= c.LostStopRate
	if s.to > c.Duration {
		s.to = c.Duration
	}
	s.lastLogged = s.from
	if n := (s.to - s.from - 1) / c.InterimInterval; n > 0 {
		s.lastLogged = s.from + n*c.InterimInterval
	}
	idx := int32(len(d.sessions))
	u.cur = idx
	switch u.kind {
	case subBlock:
		if b, ok := p.blocks.get(); ok {
			out := b / int32(p.blocksPerAddr)
			first := firstPort + int(b%int32(p.blocksPerAddr))*c.BlockSize
			// The block is taken by the first packet, within a second of
			// the session coming up, and freed shortly after it ends.
			from := at + time.Duration(p.rng.Int64N(int64(900*time.Millisecond)))
			to := s.to + 100*time.Millisecond + time.Duration(p.rng.Int64N(int64(1400*time.Millisecond)))
			mi := p.addMapping(mapping{sess: idx, out: out, first: uint16(first), last: uint16(first + c.BlockSize - 1),
				block: true, from: from, to: to})
			s.mappings = append(s.mappings, mi)
			// The pool holds a released block back for a minute before
			// reusing it.
			p.push(to+time.Minute, evFreeBlock, mi)
		}
	case subSession:
		s.outAddr = p.sessionAddrs[p.rng.IntN(len(p.sessionAddrs))]
		p.push(at+p.flowGap(), evFlow, idx)
	}
	d.sessions = append(d.sessions, s)
	if s.to < c.Duration {
		p.push(s.to, evOffline, idx)
	}
}

func (p *planner) flowGap() time.Duration {
	return time.Duration(p.rng.ExpFloat64() * float64(time.Minute) / p.d.cfg.FlowsPerMinute)
}

func (p *planner) offlineAt(at time.Duration, si int32) {
	s := &p.d.sessions[si]
	u := &p.d.subs[s.sub]
	u.cur = -1
	if s.addr.Is4() && s.addr.As4()[0] == 100 {
		p.inside.put(addrIndex(s.addr, insideAddr(0)))
	} else {
		p.own.put(addrIndex(s.addr, ownAddr(0)))
	}
	if s.prefix.IsValid() {
		b := s.prefix.Addr().As16()
		p.prefixes.put(int32(b[4])<<16 | int32(b[5])<<8 | int32(b[6]))
	}
	p.push(p.second(at+p.offline()), evOnline, s.sub)
}

func addrIndex(a, base netip.Addr) int32 {
	x, y := a.As4(), base.As4()
	v := func(b [4]byte) int64 { return int64(b[0])<<24 | int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3]) }
	return int32(v(x) - v(y))
}

func (p *planner) flow(at time.Duration, si int32) {
	s := &p.d.sessions[si]
	if at >= s.to-time.Second {
		return
	}
	p.push(at+p.flowGap(), evFlow, si)
	busy := p.busy[s.outAddr]
	if busy == nil {
		busy = make([]uint64, 1024)
		p.busy[s.outAddr] = busy
	}
	port := -1
	for range 64 {
		if c := firstPort + p.rng.IntN(65536-firstPort); busy[c/64]&(1<<(c%64)) == 0 {
			port = c
			break
		}
	}
	if port < 0 {
		return // the address is out of ports: the flow is refused
	}
	busy[port/64] |= 1 << (port % 64)
	length, proto := p.flowLength()
	to := min(at+length, s.to-time.Duration(p.rng.Int64N(int64(time.Second))))
	mi := p.addMapping(mapping{sess: si, out: s.outAddr, first: uint16(port), last: uint16(port),
		inPort: uint16(firstPort + p.rng.IntN(65536-firstPort)), proto: proto, from: at, to: to})
	s.mappings = append(s.mappings, mi)
	p.push(to, evRelease, mi)
}

func clearPort(busy []uint64, port uint16) { busy[port/64] &^= 1 << (port % 64) }

// addMapping records m with its device times and which of its records a
// gap swallows.
func (p *planner) addMapping(m mapping) int32 {
	d := p.d
	m.dev = m.out % int32(d.cfg.Devices)
	m.logFrom, m.logTo = m.from+d.skew[m.dev], m.to+d.skew[m.dev]
	m.openLogged = !d.inGap(m.dev, m.logFrom)
	m.closeLogged = m.to < d.cfg.Duration && !d.inGap(m.dev, m.logTo)
	d.mappings = append(d.mappings, m)
	return int32(len(d.mappings) - 1)
}

func (d *Deployment) inGap(dev int32, t time.Duration) bool {
	at := d.cfg.Start.Add(t)
	for _, g := range d.cfg.Gaps {
		if g.Source == Device(int(dev)) && !at.Before(g.From) && at.Before(g.To) {
			return true
		}
	}
	return false
}

// event is one record to emit, by device time.
type event struct {
	at   time.Duration
	kind uint8
	idx  int32
	n    int32 // interim number
}

const (
	recStart = iota
	recInterim
	recStop
	recOpen
	recClose
)

// mappingKey is what the trace engine groups a mapping's records by.
type mappingKey struct {
	out, in     netip.Addr
	inPort      uint16
	first, last uint16
	proto       record.Protocol
}

func (d *Deployment) key(m *mapping) mappingKey {
	return mappingKey{out: publicAddr(m.out), in: d.sessions[m.sess].addr, inPort: m.inPort, first: m.first, last: m.last, proto: m.proto}
}

// index lists the records to emit and builds the lookups the questions
// need.
func (d *Deployment) index() {
	d.devTimes = make([][]time.Duration, d.cfg.Devices)
	for i := range d.sessions {
		s := &d.sessions[i]
		d.events = append(d.events, event{at: s.from, kind: recStart, idx: int32(i)})
		for n, t := int32(1), s.from+d.cfg.InterimInterval; t <= s.lastLogged && t > s.from; n, t = n+1, t+d.cfg.InterimInterval {
			d.events = append(d.events, event{at: t, kind: recInterim, idx: int32(i), n: n})
		}
		if s.stopLogged {
			d.events = append(d.events, event{at: s.to, kind: recStop, idx: int32(i)})
		}
		d.byInside[s.addr] = append(d.byInside[s.addr], int32(i))
		if s.prefix.IsValid() {
			d.byPrefix[s.prefix] = append(d.byPrefix[s.prefix], int32(i))
		}
	}
	keys := map[mappingKey]int{}
	partial := map[mappingKey]bool{}
	for i := range d.mappings {
		m := &d.mappings[i]
		k := d.key(m)
		keys[k]++
		partial[k] = partial[k] || !m.openLogged || !m.closeLogged
		if m.openLogged {
			d.events = append(d.events, event{at: m.logFrom, kind: recOpen, idx: int32(i)})
			d.devTimes[m.dev] = append(d.devTimes[m.dev], m.logFrom)
		}
		if m.closeLogged {
			d.events = append(d.events, event{at: m.logTo, kind: recClose, idx: int32(i)})
			d.devTimes[m.dev] = append(d.devTimes[m.dev], m.logTo)
		}
		if m.block {
			d.byBlockAt[m.out] = append(d.byBlockAt[m.out], int32(i))
		} else {
			k := uint32(m.out)<<16 | uint32(m.first)
			d.byEndpoint[k] = append(d.byEndpoint[k], int32(i))
		}
	}
	for k, n := range keys {
		if n > 1 && partial[k] {
			d.merged[k] = true
		}
	}
	for _, ts := range d.devTimes {
		slices.Sort(ts)
	}
	slices.SortStableFunc(d.events, func(a, b event) int { return cmp.Compare(a.at, b.at) })
}

// Records returns how many records Emit emits.
func (d *Deployment) Records() int { return len(d.events) }

// Emit calls fn with every record of the deployment in event-time order,
// stopping at the first error, which it returns. fn may keep the records.
func (d *Deployment) Emit(fn func(*record.Record) error) error {
	for _, ev := range d.events {
		if err := fn(d.record(ev)); err != nil {
			return err
		}
	}
	return nil
}

// latency is how long records take to reach Warden.
const latency = 40 * time.Millisecond

func (d *Deployment) record(ev event) *record.Record {
	r := &record.Record{}
	if ev.kind <= recStop {
		s := &d.sessions[ev.idx]
		u := &d.subs[s.sub]
		r.Init(record.KindSession)
		r.Source = fmt.Sprintf("bras-%d", u.nas+1)
		*r.Session = record.Session{Account: u.account, CallingStationID: u.mac, Addr: s.addr, DelegatedPrefix: s.prefix,
			NASAddr: addrPlus([4]byte{10, 0, 0, 1}, uint32(u.nas)), NASPortID: fmt.Sprintf("eth 0/1/0/%d:%d", s.sub%48, 100+s.sub%3900),
			SessionID: s.id}
		elapsed := uint64(ev.at - s.from)
		r.Session.InputOctets, r.Session.OutputOctets = elapsed/20000, elapsed/2000
		switch ev.kind {
		case recStart:
			r.Session.Event, r.Session.InputOctets, r.Session.OutputOctets = record.SessionStart, 0, 0
		case recInterim:
			r.Session.Event = record.SessionInterim
		case recStop:
			r.Session.Event, r.Session.TerminateCause = record.SessionStop, "User-Request"
		}
	} else {
		m := &d.mappings[ev.idx]
		r.Init(record.KindNAT)
		r.Source = Device(int(m.dev))
		*r.NAT = record.NAT{Protocol: m.proto, InsideAddr: d.sessions[m.sess].addr, InsidePort: m.inPort,
			OutsideAddr: publicAddr(m.out), OutsidePort: m.first, Device: r.Source, Pool: "napt"}
		switch {
		case m.block && ev.kind == recOpen:
			r.NAT.Event, r.NAT.OutsidePortEnd, r.NAT.Pool = record.NATBlockAlloc, m.last, "pba"
		case m.block:
			r.NAT.Event, r.NAT.OutsidePortEnd, r.NAT.Pool = record.NATBlockRelease, m.last, "pba"
		case ev.kind == recOpen:
			r.NAT.Event = record.NATCreate
		default:
			r.NAT.Event = record.NATDelete
		}
	}
	r.EventTime = d.cfg.Start.Add(ev.at)
	r.ReceiveTime = r.EventTime.Add(latency)
	if ev.kind > recStop {
		r.ReceiveTime = r.ReceiveTime.Add(-d.skew[d.mappings[ev.idx].dev])
	}
	return r
}
