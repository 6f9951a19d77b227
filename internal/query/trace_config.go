package query

import (
	"errors"
	"fmt"
	"time"
)

// MinSilence is the shortest Silence the engine accepts: it finds a
// source's pauses at minute granularity, so a shorter one would report
// gaps it cannot see.
const MinSilence = time.Minute

// MaxTolerance bounds every clock-skew tolerance. A device more than an
// hour off is misconfigured; a wider window would join mappings and
// sessions that never overlapped. The HTTP API bounds a question's
// tolerance the same way.
const MaxTolerance = time.Hour

// Defaults returns the configuration an engine uses for every field left
// zero.
func Defaults() Config { return Config{}.withDefaults() }

// Validate reports the first problem with c. Zero durations stand for
// their defaults.
func (c Config) Validate() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"mapping lifetime", c.MappingLifetime}, {"block lifetime", c.BlockLifetime}, {"session lifetime", c.SessionLifetime},
		{"tolerance", c.Tolerance}, {"silence", c.Silence}} {
		if d.v < 0 {
			return fmt.Errorf("trace: %s %s is negative", d.name, d.v)
		}
	}
	if c.Tolerance > MaxTolerance {
		return fmt.Errorf("trace: tolerance %s exceeds %s", c.Tolerance, MaxTolerance)
	}
	if c.Silence != 0 && c.Silence < MinSilence {
		return fmt.Errorf("trace: silence %s is under %s: gaps are found at minute granularity", c.Silence, MinSilence)
	}
	for src, d := range c.SourceTolerance {
		if src == "" {
			return errors.New("trace: a source tolerance names no source")
		}
		if d < 0 || d > MaxTolerance {
			return fmt.Errorf("trace: tolerance of source %s is %s: want 0 to %s", src, d, MaxTolerance)
		}
	}
	names := map[string]bool{}
	for i, r := range c.Deterministic {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("trace: deterministic rule %d: %w", i+1, err)
		}
		if names[r.Name] {
			return fmt.Errorf("trace: deterministic rule %d: name %q is used twice", i+1, r.Name)
		}
		names[r.Name] = true
	}
	return nil
}

// toleranceFor returns the clock skew allowed between a question with
// tolerance questionTol (zero if it set none) and the records of source:
// the question's own tolerance wins, then the source's, then the
// engine's default.
func (c Config) toleranceFor(source string, questionTol time.Duration) time.Duration {
	if questionTol > 0 {
		return questionTol
	}
	if d, ok := c.SourceTolerance[source]; ok {
		return d
	}
	return c.Tolerance
}
