package query

import (
	"strings"
	"testing"
	"time"
)

func TestToleranceFor(t *testing.T) {
	c := Config{SourceTolerance: map[string]time.Duration{"cgn-drifty": 30 * time.Second, "bras-exact": 0}}.withDefaults()
	for _, tt := range []struct {
		name     string
		source   string
		question time.Duration
		want     time.Duration
	}{
		{"default", "cgn-1", 0, 2 * time.Second},
		{"per source", "cgn-drifty", 0, 30 * time.Second},
		{"per source zero", "bras-exact", 0, 0},
		{"question wins over source", "cgn-drifty", 500 * time.Millisecond, 500 * time.Millisecond},
		{"question wins over default", "cgn-1", 10 * time.Second, 10 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.toleranceFor(tt.source, tt.question); got != tt.want {
				t.Errorf("toleranceFor(%q, %v) = %v, want %v", tt.source, tt.question, got, tt.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	dup := det1
	for _, tt := range []struct {
		name string
		c    Config
		want string // in the error; "" for none
	}{
		{"zero", Config{}, ""},
		{"defaults", Defaults(), ""},
		{"rules and sources", Config{SourceTolerance: map[string]time.Duration{"cgn-3": time.Minute}, Deterministic: []DeterministicRule{det1}}, ""},
		{"silence of a minute", Config{Silence: time.Minute}, ""},
		{"silence under a minute", Config{Silence: 59 * time.Second}, "minute granularity"},
		{"negative lifetime", Config{BlockLifetime: -time.Hour}, "block lifetime -1h0m0s is negative"},
		{"tolerance over an hour", Config{Tolerance: 2 * time.Hour}, "exceeds 1h"},
		{"negative source tolerance", Config{SourceTolerance: map[string]time.Duration{"cgn-3": -time.Second}}, "source cgn-3"},
		{"unnamed source", Config{SourceTolerance: map[string]time.Duration{"": time.Second}}, "names no source"},
		{"invalid rule", Config{Deterministic: []DeterministicRule{{Name: "x"}}}, "deterministic rule 1: rule x: device"},
		{"duplicate rule", Config{Deterministic: []DeterministicRule{det1, dup}}, `rule 2: name "det-1" is used twice`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
