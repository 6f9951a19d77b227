package config_test

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/warden-ops/warden/internal/config"
	"github.com/warden-ops/warden/internal/dialect"
	"github.com/warden-ops/warden/internal/query"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/source"
	"github.com/warden-ops/warden/internal/store"
)

const day = 24 * time.Hour

// fullFile is testdata/full.yaml, which sets every key.
var fullFile = &config.File{
	DataDir: "/var/lib/warden",
	HTTP: config.HTTP{Listen: "0.0.0.0:9090", MaxBodyBytes: 1 << 20, TLSCert: "/etc/warden/tls.crt", TLSKey: "/etc/warden/tls.key",
		TLSClientCA: "/etc/warden/inspectors-ca.pem"},
	Store: config.Store{
		BlockRecords: 4096, BlockAge: config.Duration(250 * time.Millisecond), Partition: config.Duration(12 * time.Hour),
		SegmentBytes: 256 << 20, MaxPending: 20000, CacheBytes: 64 << 20, WALFileBytes: 16 << 20,
		HistoryInterval: config.Duration(30 * time.Second),
		Retention: map[string]config.Duration{
			"nat": config.Duration(90 * day), "session": config.Duration(365 * day), "audit": config.Duration(90 * day),
		},
		ExpireInterval: config.Duration(10 * time.Minute), Name: "warden/isp-test-1",
	},
	Access: config.Access{Dir: "/var/lib/warden-access", SessionTTL: config.Duration(4 * time.Hour), ApprovalTTL: config.Duration(12 * time.Hour),
		ExportThreshold: 500, MaxWindow: config.Duration(7 * day), Rate: 2, Burst: 10},
	Privacy: config.Privacy{KeyDir: "/etc/warden/keys"},
	Syslog: config.Syslog{UDP: "0.0.0.0:514", TCP: "0.0.0.0:514", TLS: "0.0.0.0:6514", TLSCert: "/etc/warden/syslog.crt",
		TLSKey: "/etc/warden/syslog.key", TLSClientCA: "/etc/warden/devices-ca.pem", MaxMessageBytes: 16384},
	RADIUS: config.RADIUS{Listen: "0.0.0.0:1813", Clients: []config.RADIUSClient{{Name: "bras-1",
		Addresses: []string{"192.0.2.1", "198.51.100.0/24"}, Secret: "s3cret", Vendor: "Huawei"}},
		Dictionaries: []string{"/usr/share/freeradius/dictionary.huawei"}},
	IPFIX: config.IPFIX{Listen: "0.0.0.0:4739", Exporters: []config.IPFIXExporter{{Name: "cgn-2", Addresses: []string{"192.0.2.2"}, Vendor: "juniper"}},
		AcceptUnknown: true},
	Sources: config.Sources{AcceptUnknown: false, List: []source.Config{{Name: "cgn-1", Addresses: []string{"192.0.2.3"},
		Vendor: "Juniper MX960", Formats: []string{"juniper-mx", "my-cgn"}, TimeZone: "Asia/Shanghai", ClockOffset: 2 * time.Second}}},
	Formats: []dialect.Custom{{Name: "my-cgn", Pattern: `NAT (?P<in>\S+) (?P<out>\S+)`, Kind: "nat",
		Fields: map[string]string{"event": "create", "inside_addr": "{in}", "outside_addr": "{out}"}}},
	Trace: config.Trace{Tolerance: config.Duration(3 * time.Second),
		SourceTolerance: map[string]config.Duration{"cgn-1": config.Duration(10 * time.Second), "bras-1": 0},
		MappingLifetime: config.Duration(12 * time.Hour), BlockLifetime: config.Duration(3 * day), SessionLifetime: config.Duration(2 * day),
		Silence: config.Duration(2 * time.Minute), Deterministic: fullRules},
	Log: config.Log{Level: "debug", Format: "json"},
}

// fullRules are the deterministic rules of testdata/full.yaml.
var fullRules = []query.DeterministicRule{
	{Name: "det-1", Device: "cgn-3", InsidePrefix: netip.MustParsePrefix("100.64.0.0/22"), OutsidePrefix: netip.MustParsePrefix("203.0.113.0/26"),
		PortsPerSubscriber: 4000, FirstPort: 1024, From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 8*3600)),
		Until: time.Date(2027, 1, 1, 0, 0, 0, 0, time.FixedZone("", 8*3600))},
	{Name: "det-2", Device: "cgn-3", InsidePrefix: netip.MustParsePrefix("100.64.4.0/24"), OutsidePrefix: netip.MustParsePrefix("198.51.100.0/28"),
		PortsPerSubscriber: 4000, FirstPort: 1024, From: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)},
}

// fullTrace is the trace-back configuration fullFile stands for.
var fullTrace = query.Config{
	MappingLifetime: 12 * time.Hour, BlockLifetime: 3 * day, SessionLifetime: 2 * day, Tolerance: 3 * time.Second, Silence: 2 * time.Minute,
	SourceTolerance: map[string]time.Duration{"cgn-1": 10 * time.Second, "bras-1": 0}, Deterministic: fullRules,
}

// fullStore is the store configuration fullFile stands for.
var fullStore = store.Config{
	Dir: "/var/lib/warden", BlockRecords: 4096, BlockAge: 250 * time.Millisecond, Partition: 12 * time.Hour,
	SegmentBytes: 256 << 20, MaxPending: 20000, CacheBytes: 64 << 20, WALFileSize: 16 << 20, HistoryInterval: 30 * time.Second,
	Retention: map[record.Kind]time.Duration{
		record.KindNAT: 90 * day, record.KindSession: 365 * day, record.KindAudit: 90 * day,
	},
	ExpireInterval: 10 * time.Minute, Name: "warden/isp-test-1",
}

func TestParseEmpty(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"empty", ""},
		{"blank lines", "\n\n"},
		{"comment only", "# nothing set\n"},
		{"empty document", "---\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := config.Parse([]byte(tt.doc))
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.doc, err)
			}
			if diff := cmp.Diff(config.Default(), got); diff != "" {
				t.Errorf("Parse(%q) mismatch with Default() (-want +got):\n%s", tt.doc, diff)
			}
		})
	}
}

func TestDefaultStoreConfig(t *testing.T) {
	got, err := config.Default().StoreConfig()
	if err != nil {
		t.Fatalf("Default().StoreConfig(): %v", err)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Default().StoreConfig().Validate() = %v, want nil", err)
	}
	if got.Dir != "./warden-data" {
		t.Errorf("Default().StoreConfig().Dir = %q, want ./warden-data", got.Dir)
	}
	for _, k := range record.Kinds {
		if d := got.RetentionFor(k); d != store.DefaultRetention {
			t.Errorf("Default().StoreConfig().RetentionFor(%s) = %v, want %v", k, d, store.DefaultRetention)
		}
	}
}

func TestParseFull(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := config.Parse(b)
	if err != nil {
		t.Fatalf("Parse(testdata/full.yaml): %v", err)
	}
	if diff := cmp.Diff(fullFile, got, cmpPrefixes); diff != "" {
		t.Errorf("Parse(testdata/full.yaml) mismatch (-want +got):\n%s", diff)
	}
	sc, err := got.StoreConfig()
	if err != nil {
		t.Fatalf("StoreConfig(): %v", err)
	}
	if diff := cmp.Diff(fullStore, sc); diff != "" {
		t.Errorf("StoreConfig() mismatch (-want +got):\n%s", diff)
	}
	if d := sc.RetentionFor(record.KindContent); d != store.DefaultRetention {
		t.Errorf("StoreConfig().RetentionFor(content) = %v, want the default %v", d, store.DefaultRetention)
	}
	tc, err := got.TraceConfig()
	if err != nil {
		t.Fatalf("TraceConfig(): %v", err)
	}
	if diff := cmp.Diff(fullTrace, tc, cmpPrefixes); diff != "" {
		t.Errorf("TraceConfig() mismatch (-want +got):\n%s", diff)
	}
}

// cmpPrefixes compares the deterministic rules' prefixes (times compare
// by their Equal method).
var cmpPrefixes = cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })

func TestDefaultTraceConfig(t *testing.T) {
	got, err := config.Default().TraceConfig()
	if err != nil {
		t.Fatalf("Default().TraceConfig(): %v", err)
	}
	if diff := cmp.Diff(query.Defaults(), got, cmpopts.IgnoreFields(query.Config{}, "Registrations")); diff != "" {
		t.Errorf("Default().TraceConfig() differs from query.Defaults() (-want +got):\n%s", diff)
	}
}

// TestParseErrors checks that every refusal says what is wrong and where.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string // each in the error
	}{
		{"unknown key", "data_dir: x\ncolour: red\n", []string{"colour", "line 2"}},
		{"misspelled nested key", "store:\n  block_records: 5\n  block_recrods: 6\n", []string{"block_recrods", "line 3"}},
		{"misspelled http key", "http:\n  listen_addr: :80\n", []string{"listen_addr", "line 2"}},
		{"not a mapping", "- data_dir\n", []string{"line 1"}},

		{"retention 30d", "store:\n  retention:\n    nat: 30d\n", []string{"nat", "60 days"}},
		{"retention 59d", "store:\n  retention:\n    session: 59d\n", []string{"session", "60 days"}},
		{"retention in hours", "store:\n  retention:\n    audit: 1439h\n", []string{"audit", "60 days"}},
		{"retention unknown kind", "store:\n  retention:\n    telepathy: 90d\n", []string{`"telepathy"`, "store.retention"}},

		{"bad unit", "store:\n  block_age: 5x\n", []string{`bad duration "5x"`, "line 2", "180d", "36h"}},
		{"negative days", "store:\n  retention:\n    nat: -1d\n", []string{`bad duration "-1d"`, "line 3"}},
		{"negative duration", "store:\n  partition: -5m\n", []string{`bad duration "-5m"`, "line 2"}},
		{"fractional days", "store:\n  partition: 1.5d\n", []string{`bad duration "1.5d"`}},
		{"bare number", "store:\n  expire_interval: 60\n", []string{`bad duration "60"`}},
		{"days without number", "store:\n  history_interval: d\n", []string{`bad duration "d"`}},
		{"partition under a minute", "store:\n  partition: 30s\n", []string{"partition", "minute"}},

		{"block_records too large", "store:\n  block_records: 2000000\n", []string{"block_records", "2000000"}},
		{"empty data_dir", "data_dir: ''\n", []string{"dir"}},
		{"max_body_bytes zero", "http:\n  max_body_bytes: 0\n", []string{"http.max_body_bytes"}},
		{"max_body_bytes negative", "http:\n  max_body_bytes: -1\n", []string{"http.max_body_bytes"}},
		{"max_body_bytes not a number", "http:\n  max_body_bytes: lots\n", []string{"lots", "line 2"}},

		{"days overflow", "store:\n  partition: 213504d\n", []string{`bad duration "213504d"`}},
		{"negative max_pending", "store:\n  max_pending: -1\n", []string{"max_pending is negative"}},
		{"negative segment_bytes", "store:\n  segment_bytes: -1\n", []string{"segment_bytes is negative"}},
		{"two documents", "data_dir: a\n---\ndata_dir: b\n", []string{"one YAML document"}},

		{"bad log level", "log:\n  level: verbose\n", []string{`log.level "verbose"`, "debug, info, warn or error"}},
		{"log level in capitals", "log:\n  level: INFO\n", []string{`log.level "INFO"`}},
		{"bad log format", "log:\n  format: xml\n", []string{`log.format "xml"`, "text or json"}},

		{"trace unknown key", "trace:\n  tolerence: 5s\n", []string{"tolerence", "line 2"}},
		{"trace zero tolerance", "trace:\n  tolerance: 0s\n", []string{"trace.tolerance must be positive", "omit it"}},
		{"trace zero lifetime", "trace:\n  block_lifetime: 0d\n", []string{"trace.block_lifetime must be positive"}},
		{"trace tolerance over an hour", "trace:\n  tolerance: 2h\n", []string{"config: trace: tolerance 2h0m0s exceeds 1h"}},
		{"trace silence under a minute", "trace:\n  silence: 30s\n", []string{"silence 30s is under 1m0s", "minute granularity"}},
		{"trace source tolerance negative", "trace:\n  source_tolerance:\n    cgn-1: -1s\n", []string{`bad duration "-1s"`, "line 3"}},
		{"trace source tolerance too large", "trace:\n  source_tolerance:\n    cgn-1: 2h\n", []string{"tolerance of source cgn-1 is 2h0m0s"}},
		{"rule bad prefix", "trace:\n  deterministic:\n    - name: d\n      inside: 100.64.0.0/33\n", []string{"100.64.0.0/33"}},
		{"rule unknown key", "trace:\n  deterministic:\n    - name: d\n      inside_prefix: 100.64.0.0/22\n", []string{"inside_prefix", "line 4"}},
		{"rule without device", "trace:\n  deterministic:\n    - name: d\n", []string{"deterministic rule 1: rule d: device"}},
		{"rule ports overflow", "trace:\n  deterministic:\n" + rule("ports_per_subscriber: 4100"), []string{"rule d", "× 4100 ports = 65600 ports", "ports 1024-65535 are only 64512"}},
		{"rule host bits", "trace:\n  deterministic:\n" + rule("inside: 100.64.0.1/22"), []string{"inside 100.64.0.1/22", "host bits"}},
		{"rule bad date", "trace:\n  deterministic:\n" + rule("from: next tuesday"), []string{"next tuesday"}},
		{"rule ends before it starts", "trace:\n  deterministic:\n" + rule("until: 2025-01-01"), []string{"until 2025-01-01T00:00:00Z is not after from"}},
		{"rules with one name", "trace:\n  deterministic:\n" + rule("") + rule(""), []string{`deterministic rule 2: name "d" is used twice`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := config.Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error", tt.doc, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Parse(%q) error = %q, want it to contain %q", tt.doc, err, w)
				}
			}
		})
	}
}

// rule returns a valid deterministic rule as YAML list item, with one
// key replaced or added by the line override ("" for none).
func rule(override string) string {
	lines := []string{"name: d", "device: cgn-3", "inside: 100.64.0.0/22", "outside: 203.0.113.0/26", "ports_per_subscriber: 4000",
		"first_port: 1024", "from: 2026-01-01"}
	if key, _, ok := strings.Cut(override, ":"); ok {
		lines = slices.DeleteFunc(lines, func(l string) bool { return strings.HasPrefix(l, key+":") })
		lines = append(lines, override)
	}
	return "    - " + strings.Join(lines, "\n      ") + "\n"
}

func TestParseRetentionMinimum(t *testing.T) {
	// Exactly 60 days is allowed, in either unit.
	for _, v := range []string{"60d", "1440h"} {
		doc := "store:\n  retention:\n    nat: " + v + "\n"
		f, err := config.Parse([]byte(doc))
		if err != nil {
			t.Fatalf("Parse(%q): %v", doc, err)
		}
		sc, err := f.StoreConfig()
		if err != nil {
			t.Fatalf("StoreConfig() of %q: %v", doc, err)
		}
		if got := sc.RetentionFor(record.KindNAT); got != store.MinRetention {
			t.Errorf("Parse(%q) nat retention = %v, want %v", doc, got, store.MinRetention)
		}
	}
}

func TestDurationRoundTrip(t *testing.T) {
	tests := []struct {
		in       string
		want     time.Duration
		wantText string // FormatDuration(want)
	}{
		{"180d", 180 * day, "180d"},
		{"1d", day, "1d"},
		{"0d", 0, "0s"},
		{"36h", 36 * time.Hour, "36h0m0s"},
		{"48h", 2 * day, "2d"},
		{"90s", 90 * time.Second, "1m30s"},
		{"1h30m", 90 * time.Minute, "1h30m0s"},
		{"250ms", 250 * time.Millisecond, "250ms"},
		{"0s", 0, "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := config.ParseDuration(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v, want %v, nil", tt.in, got, err, tt.want)
			}
			text := config.FormatDuration(got)
			if text != tt.wantText {
				t.Errorf("FormatDuration(%v) = %q, want %q", got, text, tt.wantText)
			}
			back, err := config.ParseDuration(text)
			if err != nil || back != got {
				t.Errorf("ParseDuration(FormatDuration(%v) = %q) = %v, %v, want %v, nil", got, text, back, err, got)
			}
		})
	}
}

func TestParseDurationErrors(t *testing.T) {
	for _, in := range []string{"", "5x", "-1d", "-1s", "d", "1.5d", "1d12h", "ten days", "60"} {
		t.Run(in, func(t *testing.T) {
			got, err := config.ParseDuration(in)
			if err == nil {
				t.Fatalf("ParseDuration(%q) = %v, want error", in, got)
			}
			if want := "bad duration " + `"` + in + `"`; !strings.Contains(err.Error(), want) {
				t.Errorf("ParseDuration(%q) error = %q, want it to contain %q", in, err, want)
			}
		})
	}
}

func TestDurationYAML(t *testing.T) {
	d := config.Duration(180 * day)
	got, err := d.MarshalYAML()
	if err != nil || got != "180d" {
		t.Errorf("Duration(180d).MarshalYAML() = %v, %v, want 180d, nil", got, err)
	}
}

func TestLoad(t *testing.T) {
	t.Run("full", func(t *testing.T) {
		got, err := config.Load(filepath.Join("testdata", "full.yaml"))
		if err != nil {
			t.Fatalf("Load(testdata/full.yaml): %v", err)
		}
		if diff := cmp.Diff(fullFile, got, cmpPrefixes); diff != "" {
			t.Errorf("Load(testdata/full.yaml) mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "warden.yaml")
		got, err := config.Load(path)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Load(%q) = %+v, %v, want an error matching fs.ErrNotExist", path, got, err)
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("Load(%q) error = %q, want it to name the file", path, err)
		}
	})
	t.Run("invalid file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "warden.yaml")
		if err := os.WriteFile(path, []byte("log:\n  levle: debug\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := config.Load(path)
		if err == nil || !strings.Contains(err.Error(), "levle") {
			t.Errorf("Load(%q) = %+v, %v, want an error naming levle", path, got, err)
		}
	})
}

// TestExampleFile checks that the example configuration in the repository
// root parses and, as it promises, sets only the defaults.
func TestExampleFile(t *testing.T) {
	const path = "../../warden.example.yaml"
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the example configuration is missing: %v", err)
	}
	got, err := config.Load(path)
	if err != nil {
		t.Fatalf("Load(%q): %v", path, err)
	}
	if diff := cmp.Diff(config.Default(), got); diff != "" {
		t.Errorf("Load(%q) mismatch with Default() (-want +got):\n%s", path, diff)
	}
}
