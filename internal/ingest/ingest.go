// Package ingest batches the records collectors produce into store
// appends.
//
// A [Pipeline] holds a bounded queue. Collectors add records with the call
// that fits their transport: [Pipeline.Add] blocks while the queue is full,
// so a TCP sender is pushed back; [Pipeline.TryAdd] fails instead, so a UDP
// collector counts a drop; [Pipeline.AddDurable] waits until the record is
// durable, so RADIUS answers only then (RFC 2866). [Pipeline.Run] flushes
// the queue to the store when a batch is full or a flush interval passes.
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// Appender stores a batch durably; *store.Store is one.
type Appender interface {
	Append(recs []*record.Record) ([]record.ID, error)
}

// Config configures a pipeline.
type Config struct {
	// Batch is the most records one append carries. Default 8192: large
	// enough that the per-append costs (lock, WAL frame, fsync) are small
	// per record, small enough to stay well under the store's max_pending.
	Batch int
	// Queue bounds the records waiting for an append. Default 4 batches.
	Queue int
	// FlushInterval is the longest a record waits for its batch to fill.
	// Default 20ms.
	FlushInterval time.Duration
	Logger        *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Batch <= 0 {
		c.Batch = 8192
	}
	if c.Queue <= 0 {
		c.Queue = 4 * c.Batch
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = 20 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// ErrClosed is returned by adds after Run has returned.
var ErrClosed = errors.New("ingest: pipeline stopped")

// item is one queued record and, for AddDurable, where to report.
type item struct {
	rec  *record.Record
	done chan result
}

type result struct {
	id  record.ID
	err error
}

// Pipeline batches records into a store. Its methods are safe for
// concurrent use.
type Pipeline struct {
	cfg   Config
	st    Appender
	queue chan item
	stop  chan struct{}

	stopOnce sync.Once
	adding   atomic.Int64  // adds under way: Run drains until none is left
	appended atomic.Uint64 // records durably stored
	failed   atomic.Uint64 // records whose append failed
	retries  atomic.Uint64 // appends refused by backpressure and retried
}

// New returns a pipeline into st. Call Run to start it.
func New(st Appender, cfg Config) *Pipeline {
	cfg = cfg.withDefaults()
	return &Pipeline{cfg: cfg, st: st, queue: make(chan item, cfg.Queue), stop: make(chan struct{})}
}

// Add queues r, waiting while the queue is full, until ctx ends.
func (p *Pipeline) Add(ctx context.Context, r *record.Record) error {
	p.adding.Add(1)
	defer p.adding.Add(-1)
	if p.stopped() {
		return ErrClosed
	}
	select {
	case p.queue <- item{rec: r}:
		return nil
	case <-p.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TryAdd queues r if there is room, and reports whether it did.
func (p *Pipeline) TryAdd(r *record.Record) bool {
	p.adding.Add(1)
	defer p.adding.Add(-1)
	if p.stopped() {
		return false
	}
	select {
	case p.queue <- item{rec: r}:
		return true
	default:
		return false
	}
}

// AddDurable queues r and waits until it is durable, returning its ID.
func (p *Pipeline) AddDurable(ctx context.Context, r *record.Record) (record.ID, error) {
	p.adding.Add(1)
	if p.stopped() {
		p.adding.Add(-1)
		return record.ID{}, ErrClosed
	}
	done := make(chan result, 1)
	select {
	case p.queue <- item{rec: r, done: done}:
		p.adding.Add(-1)
	case <-p.stop:
		p.adding.Add(-1)
		return record.ID{}, ErrClosed
	case <-ctx.Done():
		p.adding.Add(-1)
		return record.ID{}, ctx.Err()
	}
	select {
	case res := <-done:
		return res.id, res.err
	case <-ctx.Done():
		return record.ID{}, ctx.Err()
	}
}

func (p *Pipeline) stopped() bool {
	select {
	case <-p.stop:
		return true
	default:
		return false
	}
}

// Stats are the pipeline's counters.
type Stats struct {
	Queued, Appended, Failed, Retries uint64
}

// Stats returns the pipeline's counters.
func (p *Pipeline) Stats() Stats {
	return Stats{Queued: uint64(len(p.queue)), Appended: p.appended.Load(), Failed: p.failed.Load(), Retries: p.retries.Load()}
}

// Run appends queued records in batches until ctx ends, then appends what
// is still queued and returns. Adds after it returns fail with ErrClosed.
func (p *Pipeline) Run(ctx context.Context) error {
	t := time.NewTicker(p.cfg.FlushInterval)
	defer t.Stop()
	batch := make([]item, 0, p.cfg.Batch)
	for {
		select {
		case it := <-p.queue:
			batch = append(batch, it)
			if len(batch) < p.cfg.Batch {
				continue
			}
		case <-t.C:
		case <-ctx.Done():
			// Stop taking adds, then drain until no add is under way: an
			// add that began before the stop either queued its record or
			// returns ErrClosed, so nothing is left behind in the queue.
			p.stopOnce.Do(func() { close(p.stop) })
			for {
				select {
				case it := <-p.queue:
					batch = append(batch, it)
					if len(batch) == p.cfg.Batch {
						p.flush(context.Background(), batch)
						batch = batch[:0]
					}
					continue
				default:
				}
				if p.adding.Load() == 0 && len(p.queue) == 0 {
					break
				}
				time.Sleep(time.Millisecond)
			}
			p.flush(context.Background(), batch)
			return nil
		}
		if len(batch) > 0 {
			p.flush(ctx, batch)
			batch = batch[:0]
		}
	}
}

// flush appends a batch, retrying while the store pushes back, and reports
// to the waiting AddDurable callers.
func (p *Pipeline) flush(ctx context.Context, batch []item) {
	if len(batch) == 0 {
		return
	}
	recs := make([]*record.Record, len(batch))
	for i, it := range batch {
		recs[i] = keepInvalid(it.rec)
	}
	var ids []record.ID
	var err error
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 100*time.Millisecond) {
		ids, err = p.st.Append(recs)
		if !errors.Is(err, store.ErrBackpressure) {
			break
		}
		p.retries.Add(1)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			err = fmt.Errorf("ingest: stopped while the store pushed back: %w", err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		p.failed.Add(uint64(len(batch)))
		p.cfg.Logger.Error("ingest: append failed; records lost", "records", len(batch), "err", err)
	} else {
		p.appended.Add(uint64(len(batch)))
	}
	for i, it := range batch {
		if it.done == nil {
			continue
		}
		if err != nil {
			it.done <- result{err: err}
		} else {
			it.done <- result{id: ids[i]}
		}
	}
}

// keepInvalid returns r, or, if r does not validate (a parser's bug), a
// raw record that keeps it as JSON with the reason: one bad record must
// neither fail its batch nor be lost.
func keepInvalid(r *record.Record) *record.Record {
	if r.ReceiveTime.IsZero() {
		r.ReceiveTime = time.Now().UTC()
	}
	err := r.Validate()
	if err == nil {
		return r
	}
	data, jerr := json.Marshal(r)
	if jerr != nil {
		data = []byte(fmt.Sprintf("%+v", *r))
	}
	if len(data) > record.MaxDataLen {
		data = data[:record.MaxDataLen]
	}
	src := r.Source
	if src == "" {
		src = "unknown"
	}
	t := r.ReceiveTime
	return &record.Record{Kind: record.KindRaw, EventTime: t, ReceiveTime: t, Source: src,
		Raw: &record.Raw{Reason: "invalid " + r.Kind.String() + " record: " + err.Error(), Format: "record-json", Data: data}}
}
