// Package config reads Warden's YAML configuration file into the Config
// structs of the components it wires, with strict decoding: an unknown key
// is an error that names it.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/warden-ops/warden/internal/dialect"
	"github.com/warden-ops/warden/internal/query"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/source"
	"github.com/warden-ops/warden/internal/store"
)

// File is the configuration file. Every field is optional; Default
// documents what an absent field means.
type File struct {
	// DataDir holds the store. Default ./warden-data.
	DataDir string  `yaml:"data_dir"`
	HTTP    HTTP    `yaml:"http"`
	Store   Store   `yaml:"store"`
	Access  Access  `yaml:"access"`
	Privacy Privacy `yaml:"privacy"`
	Syslog  Syslog  `yaml:"syslog"`
	RADIUS  RADIUS  `yaml:"radius"`
	IPFIX   IPFIX   `yaml:"ipfix"`
	Sources Sources `yaml:"sources"`
	// Formats are operator-defined log formats (docs/formats.md), which
	// sources name in their formats lists.
	Formats []dialect.Custom `yaml:"formats"`
	Trace   Trace            `yaml:"trace"`
	Log     Log              `yaml:"log"`
}

// Trace configures the trace-back engine (see query.Config).
type Trace struct {
	// Tolerance is the clock skew allowed between a question and the
	// devices. Default 2s, at most 1h.
	Tolerance Duration `yaml:"tolerance"`
	// SourceTolerance overrides Tolerance per source name, for a device
	// known to drift. A question's own tolerance overrides both.
	SourceTolerance map[string]Duration `yaml:"source_tolerance"`
	// MappingLifetime bounds a per-session mapping whose delete was never
	// logged (default 24h); BlockLifetime a port block without a release
	// and SessionLifetime a session without a stop (defaults 7d).
	MappingLifetime Duration `yaml:"mapping_lifetime"`
	BlockLifetime   Duration `yaml:"block_lifetime"`
	SessionLifetime Duration `yaml:"session_lifetime"`
	// Silence is the longest pause of a source not reported as a gap.
	// Default 5m, at least 1m.
	Silence Duration `yaml:"silence"`
	// Deterministic are the RFC 7422 rules of CGNs that log nothing.
	Deterministic []query.DeterministicRule `yaml:"deterministic"`
}

// Syslog configures the syslog listeners. An empty address turns a
// listener off.
type Syslog struct {
	UDP string `yaml:"udp"`
	TCP string `yaml:"tcp"`
	// TLS listens only when TLSCert and TLSKey are set (RFC 5425).
	TLS             string `yaml:"tls"`
	TLSCert         string `yaml:"tls_cert"`
	TLSKey          string `yaml:"tls_key"`
	TLSClientCA     string `yaml:"tls_client_ca"`
	MaxMessageBytes int    `yaml:"max_message_bytes"`
}

// RADIUS configures the accounting server.
type RADIUS struct {
	// Listen is the UDP address; empty turns RADIUS off.
	Listen string `yaml:"listen"`
	// Clients are the NASes allowed to send; packets from others are
	// refused and counted.
	Clients []RADIUSClient `yaml:"clients"`
	// Dictionaries are FreeRADIUS dictionary files for vendor attributes.
	Dictionaries []string `yaml:"dictionaries"`
}

// RADIUSClient is one NAS or group of NASes sharing a secret.
type RADIUSClient struct {
	Name      string   `yaml:"name"`
	Addresses []string `yaml:"addresses"`
	Secret    string   `yaml:"secret"`
	Vendor    string   `yaml:"vendor"`
}

// IPFIX configures the IPFIX / NetFlow v9 collector.
type IPFIX struct {
	// Listen is the UDP address; empty turns the collector off.
	Listen        string          `yaml:"listen"`
	Exporters     []IPFIXExporter `yaml:"exporters"`
	AcceptUnknown bool            `yaml:"accept_unknown"`
}

// IPFIXExporter is one device exporting NAT events.
type IPFIXExporter struct {
	Name      string   `yaml:"name"`
	Addresses []string `yaml:"addresses"`
	// Vendor is rfc8158 (default), juniper or cisco-asa.
	Vendor string `yaml:"vendor"`
}

// Sources configures who may send syslog, and how it is read.
type Sources struct {
	// AcceptUnknown takes messages from unlisted senders, trying every
	// built-in format. Default true; set false to refuse and count them.
	AcceptUnknown bool            `yaml:"accept_unknown"`
	List          []source.Config `yaml:"list"`
}

// Access configures users, sessions, approvals and query bounds.
type Access struct {
	// Dir holds users, sessions and approvals. Default <data_dir>/access.
	Dir string `yaml:"dir"`
	// SessionTTL is how long a console session lasts. Default 8h.
	SessionTTL Duration `yaml:"session_ttl"`
	// ApprovalTTL is how long an approval stays usable. Default 24h.
	ApprovalTTL Duration `yaml:"approval_ttl"`
	// ExportThreshold is the most records a query returns without an
	// export approval. Default 1000.
	ExportThreshold int `yaml:"export_threshold"`
	// MaxWindow is the longest time window of one query. Default 31d.
	MaxWindow Duration `yaml:"max_window"`
	// Rate and Burst limit each user's queries. Defaults 5/s and 20.
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"`
}

// Privacy configures the encryption of personal fields.
type Privacy struct {
	// KeyDir holds the field and index keysets, apart from the data.
	// Default ./warden-keys.
	KeyDir string `yaml:"key_dir"`
}

// HTTP configures the HTTP API.
type HTTP struct {
	// Listen is the address to serve on. Default 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// MaxBodyBytes bounds one request body. Default 32 MiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// TLSCert and TLSKey serve HTTPS with the given PEM files. DevTLS
	// serves HTTPS with a self-signed certificate generated into the data
	// directory, for trials only.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	DevTLS  bool   `yaml:"dev_tls"`
	// TLSClientCA lets clients (inspectors) sign in with certificates
	// issued by this CA (PEM); a user's certificate is bound to him by its
	// fingerprint.
	TLSClientCA string `yaml:"tls_client_ca"`
}

// Store configures the record store (see store.Config).
type Store struct {
	BlockRecords int      `yaml:"block_records"`
	BlockAge     Duration `yaml:"block_age"`
	Partition    Duration `yaml:"partition"`
	SegmentBytes int64    `yaml:"segment_bytes"`
	// MaxPending of zero means four blocks' worth (4 × block_records), at
	// least 262,144.
	MaxPending int `yaml:"max_pending"`
	// CacheBytes bounds the decoded blocks kept for lookups; negative
	// disables the cache.
	CacheBytes      int64               `yaml:"cache_bytes"`
	WALFileBytes    int64               `yaml:"wal_file_bytes"`
	HistoryInterval Duration            `yaml:"history_interval"`
	Retention       map[string]Duration `yaml:"retention"`
	ExpireInterval  Duration            `yaml:"expire_interval"`
	Name            string              `yaml:"name"`
}

// Log configures Warden's own logging.
type Log struct {
	// Level is debug, info, warn or error. Default info.
	Level string `yaml:"level"`
	// Format is text or json. Default text.
	Format string `yaml:"format"`
}

// Default returns the configuration used when no file is given.
func Default() *File {
	d, q := store.Defaults(), query.Defaults()
	return &File{
		DataDir: "./warden-data",
		HTTP:    HTTP{Listen: "127.0.0.1:8080", MaxBodyBytes: 32 << 20},
		Store: Store{
			BlockRecords: d.BlockRecords, BlockAge: Duration(d.BlockAge), Partition: Duration(d.Partition),
			SegmentBytes: d.SegmentBytes, WALFileBytes: d.WALFileSize, CacheBytes: d.CacheBytes,
			HistoryInterval: Duration(d.HistoryInterval), ExpireInterval: Duration(d.ExpireInterval),
		},
		Access: Access{SessionTTL: Duration(8 * time.Hour), ApprovalTTL: Duration(24 * time.Hour), ExportThreshold: 1000,
			MaxWindow: Duration(31 * 24 * time.Hour), Rate: 5, Burst: 20},
		Privacy: Privacy{KeyDir: "./warden-keys"},
		Syslog:  Syslog{UDP: "127.0.0.1:5514", TCP: "127.0.0.1:5514", TLS: "127.0.0.1:6514"},
		RADIUS:  RADIUS{Listen: "127.0.0.1:1813"},
		IPFIX:   IPFIX{Listen: "127.0.0.1:4739"},
		Sources: Sources{AcceptUnknown: true},
		Trace: Trace{Tolerance: Duration(q.Tolerance), MappingLifetime: Duration(q.MappingLifetime), BlockLifetime: Duration(q.BlockLifetime),
			SessionLifetime: Duration(q.SessionLifetime), Silence: Duration(q.Silence)},
		Log: Log{Level: "info", Format: "text"},
	}
}

// Load reads the file at path over the defaults.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(b)
}

// Parse decodes a configuration over the defaults and validates it.
func Parse(b []byte) (*File, error) {
	f := Default()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: one YAML document expected, found more (line %d)", extra.Line)
	}
	if _, err := f.StoreConfig(); err != nil {
		return nil, err
	}
	if _, err := f.TraceConfig(); err != nil {
		return nil, err
	}
	if f.HTTP.MaxBodyBytes <= 0 {
		return nil, fmt.Errorf("config: http.max_body_bytes must be positive")
	}
	if (f.HTTP.TLSCert == "") != (f.HTTP.TLSKey == "") {
		return nil, fmt.Errorf("config: http.tls_cert and http.tls_key go together")
	}
	if f.HTTP.TLSClientCA != "" && f.HTTP.TLSCert == "" && !f.HTTP.DevTLS {
		return nil, fmt.Errorf("config: http.tls_client_ca needs HTTPS (tls_cert and tls_key, or dev_tls)")
	}
	switch f.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return nil, fmt.Errorf("config: log.level %q: want debug, info, warn or error", f.Log.Level)
	}
	if f.Log.Format != "text" && f.Log.Format != "json" {
		return nil, fmt.Errorf("config: log.format %q: want text or json", f.Log.Format)
	}
	return f, nil
}

// StoreConfig returns the store's configuration.
func (f *File) StoreConfig() (store.Config, error) {
	s := f.Store
	c := store.Config{
		Dir: f.DataDir, BlockRecords: s.BlockRecords, BlockAge: time.Duration(s.BlockAge),
		Partition: time.Duration(s.Partition), SegmentBytes: s.SegmentBytes, MaxPending: s.MaxPending,
		WALFileSize: s.WALFileBytes, HistoryInterval: time.Duration(s.HistoryInterval), Name: s.Name,
		ExpireInterval: time.Duration(s.ExpireInterval), CacheBytes: s.CacheBytes,
	}
	if len(s.Retention) > 0 {
		c.Retention = map[record.Kind]time.Duration{}
		for name, d := range s.Retention {
			k, err := record.ParseKind(name)
			if err != nil {
				return c, fmt.Errorf("config: store.retention: %w", err)
			}
			c.Retention[k] = time.Duration(d)
		}
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// TraceConfig returns the trace-back engine's configuration. Its
// Registrations lookup is left for the caller, which holds the keys.
func (f *File) TraceConfig() (query.Config, error) {
	t := f.Trace
	for _, d := range []struct {
		name string
		v    Duration
	}{{"tolerance", t.Tolerance}, {"mapping_lifetime", t.MappingLifetime}, {"block_lifetime", t.BlockLifetime},
		{"session_lifetime", t.SessionLifetime}, {"silence", t.Silence}} {
		// In query.Config zero means the default; here a zero is
		// written on purpose, and would silently mean something else.
		if d.v == 0 {
			return query.Config{}, fmt.Errorf("config: trace.%s must be positive (omit it for the default)", d.name)
		}
	}
	c := query.Config{
		Tolerance: time.Duration(t.Tolerance), MappingLifetime: time.Duration(t.MappingLifetime), BlockLifetime: time.Duration(t.BlockLifetime),
		SessionLifetime: time.Duration(t.SessionLifetime), Silence: time.Duration(t.Silence), Deterministic: t.Deterministic,
	}
	if len(t.SourceTolerance) > 0 {
		c.SourceTolerance = map[string]time.Duration{}
		for src, d := range t.SourceTolerance {
			c.SourceTolerance[src] = time.Duration(d)
		}
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// Duration is a time.Duration that YAML writes as "90s", "24h" or "180d".
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return FormatDuration(time.Duration(d)), nil }

// ParseDuration parses a Go duration or a whole number of days ("180d").
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > int(math.MaxInt64/(24*time.Hour)) {
			return 0, fmt.Errorf("bad duration %q: want a number of days like 180d, or a Go duration like 36h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("bad duration %q: want a number of days like 180d, or a Go duration like 36h", s)
	}
	return v, nil
}

// FormatDuration writes whole days as "Nd" and other durations as Go does.
func FormatDuration(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}
