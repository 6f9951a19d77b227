package store

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/wal"
)

// Retention limits. Order 82 art. 13 requires records to be kept for at
// least 60 days; the Cybersecurity Law asks six months of network logs,
// hence the default.
const (
	MinRetention     = 60 * 24 * time.Hour
	MaxRetention     = 100 * 365 * 24 * time.Hour
	DefaultRetention = 180 * 24 * time.Hour
)

// Config configures a store. The zero value of every field but Dir means
// its default.
type Config struct {
	// Dir holds all the store's files.
	Dir string
	// BlockRecords seals a block once this many records of a kind are
	// pending. Default 65,536: large enough for zstd to find the
	// repetition in NAT logs and for a flow's delete to find its create in
	// the same block (`warden bench store`: 7.7 bytes a record, against
	// 9.3 at 32,768 and 10.8 at 16,384). Lookup-heavy deployments may
	// prefer 16,384: a trace decodes a quarter as much per block (over a
	// generated 19M-record CGNAT day, which took the same space either
	// way: p50 6 ms and p99 49 ms, against 19 and 110 ms; 8,192 reads more
	// blocks and is slower).
	BlockRecords int
	// CacheBytes bounds the memory of decoded blocks kept for lookups.
	// Default 256 MiB (about twenty NAT blocks of 65,536 records);
	// negative disables the cache.
	CacheBytes int64
	// BlockAge seals pending records once the oldest has waited this long.
	// Default 1s, so the signed checkpoint trails ingest by about a second.
	BlockAge time.Duration
	// Partition is the span of seal time one segment file covers, and so
	// the unit of expiry. Default 24h.
	Partition time.Duration
	// SegmentBytes starts a new segment file within a partition once the
	// current one is this large. Default 1 GiB.
	SegmentBytes int64
	// Retention is the time each kind is kept. A segment is removed once
	// its newest block was sealed longer ago than that, so every record is
	// kept at least that long after it arrived. Missing kinds get
	// DefaultRetention; less than MinRetention is refused.
	Retention map[record.Kind]time.Duration
	// MaxPending bounds the records accepted but not yet sealed; past it
	// Append returns ErrBackpressure. Default 4 blocks' worth, at least
	// 262,144: enough to keep the sealer busy while appenders wait on
	// fsync, and about 100 MiB of NAT records, which keeps the process
	// under 512 MiB at full rate.
	MaxPending int
	// WALFileSize is the size at which the write-ahead log starts a new
	// file. Default 64 MiB.
	WALFileSize int64
	// ExpireInterval is how often segments past their retention are
	// removed. Default 1h.
	ExpireInterval time.Duration
	// HistoryInterval is how often a checkpoint is also appended to the
	// checkpoint history that verification checks for consistency; the
	// latest checkpoint is rewritten after every seal. Default 1m.
	HistoryInterval time.Duration
	// Name is the log's origin in checkpoints, fixed when the store is
	// created. Default "warden/" and a random suffix.
	Name string
	// ReadOnly opens an existing store to read beside the process that
	// writes it: no lock, no write-ahead log (so pending records are not
	// seen), no sealer. Writes fail with ErrReadOnly.
	ReadOnly bool
	// Now returns the current time. Tests set it; default time.Now.
	Now func() time.Time
	// Logger receives warnings; default slog.Default().
	Logger *slog.Logger
}

// Validate reports the first setting that is out of range.
func (c *Config) Validate() error {
	if c.Dir == "" {
		return errors.New("store: dir is required")
	}
	if c.BlockRecords < 0 || c.BlockRecords > 1<<20 {
		return fmt.Errorf("store: block_records %d out of range (1 to 1048576)", c.BlockRecords)
	}
	for k, d := range c.Retention {
		if !k.Valid() {
			return fmt.Errorf("store: retention for unknown kind %d", k)
		}
		if d < MinRetention {
			return fmt.Errorf("store: retention for %s is %s: Order 82 art. 13 requires at least 60 days (1440h)", k, d)
		}
		if d%time.Second != 0 || d > MaxRetention {
			return fmt.Errorf("store: retention for %s is %s: want whole seconds, at most 100 years", k, d)
		}
	}
	for name, v := range map[string]int64{"max_pending": int64(c.MaxPending), "segment_bytes": c.SegmentBytes,
		"wal_file_bytes": c.WALFileSize, "block_age": int64(c.BlockAge), "history_interval": int64(c.HistoryInterval),
		"expire_interval": int64(c.ExpireInterval)} {
		if v < 0 {
			return fmt.Errorf("store: %s is negative", name)
		}
	}
	if c.Partition < 0 || (c.Partition > 0 && c.Partition < time.Minute) {
		return fmt.Errorf("store: partition %s is shorter than a minute", c.Partition)
	}
	return nil
}

// Defaults returns the configuration whose every field holds the value
// that zero stands for, for documentation and configuration files.
func Defaults() Config {
	d := (&Config{}).withDefaults()
	d.Now, d.Logger = nil, nil
	return d
}

func (c *Config) withDefaults() Config {
	d := *c
	if d.BlockRecords == 0 {
		d.BlockRecords = 65536
	}
	if d.CacheBytes == 0 {
		d.CacheBytes = 256 << 20
	}
	if d.BlockAge == 0 {
		d.BlockAge = time.Second
	}
	if d.Partition == 0 {
		d.Partition = 24 * time.Hour
	}
	if d.SegmentBytes == 0 {
		d.SegmentBytes = 1 << 30
	}
	if d.WALFileSize == 0 {
		d.WALFileSize = wal.DefaultFileSize
	}
	if d.MaxPending == 0 {
		d.MaxPending = max(4*d.BlockRecords, 1<<18)
	}
	if d.ExpireInterval == 0 {
		d.ExpireInterval = time.Hour
	}
	if d.HistoryInterval == 0 {
		d.HistoryInterval = time.Minute
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return d
}

// RetentionFor returns the retention of kind k.
func (c *Config) RetentionFor(k record.Kind) time.Duration {
	if d, ok := c.Retention[k]; ok {
		return d
	}
	return DefaultRetention
}
