package synth

import (
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

func testDeployment() DeploymentConfig {
	start := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	return DeploymentConfig{Subscribers: 600, PublicAddrs: 16, Start: start, Duration: time.Hour, Seed: 7,
		BlockShare: 0.5, NoNATShare: 0.1, IPv6Share: 0.3, ClockSkew: 800 * time.Millisecond, LostStopRate: 0.1,
		FlowsPerMinute: 4, Gaps: []Gap{{Source: "cgn-1", From: start.Add(20 * time.Minute), To: start.Add(27 * time.Minute)}}}
}

func TestDeploymentRecords(t *testing.T) {
	cfg := testDeployment()
	d, err := NewDeployment(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var last time.Time
	kinds := map[string]int{}
	g := cfg.Gaps[0]
	err = d.Emit(func(r *record.Record) error {
		if err := r.Validate(); err != nil {
			t.Fatalf("record %+v: %v", r, err)
		}
		if r.EventTime.Before(last) {
			t.Fatalf("record at %s after one at %s", r.EventTime, last)
		}
		last = r.EventTime
		if r.Kind == record.KindNAT {
			kinds[r.NAT.Event.String()]++
			if r.Source == g.Source && !r.EventTime.Before(g.From) && r.EventTime.Before(g.To) {
				t.Errorf("%s logged at %s, inside its gap", r.Source, r.EventTime)
			}
		} else {
			kinds[r.Session.Event.String()]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"start", "interim", "stop", "create", "delete", "block-alloc", "block-release"} {
		if kinds[k] == 0 {
			t.Errorf("no %s records: %v", k, kinds)
		}
	}
	if kinds["start"] <= kinds["stop"] {
		t.Errorf("%d starts, %d stops: no stop was lost", kinds["start"], kinds["stop"])
	}
	d2, err := NewDeployment(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if d.Records() != d2.Records() || d.Sessions() != d2.Sessions() {
		t.Errorf("same seed, %d and %d records", d.Records(), d2.Records())
	}
}

func TestDeploymentQuestions(t *testing.T) {
	d, err := NewDeployment(testDeployment())
	if err != nil {
		t.Fatal(err)
	}
	qs := d.Questions(500, 1)
	byKind := map[QuestionKind]int{}
	for _, q := range qs {
		byKind[q.Kind]++
		if (q.Want == "") != (q.Kind == AskGap) {
			t.Errorf("%s: want %q", q, q.Want)
		}
		if g := testDeployment().Gaps[0]; q.Kind == AskGap && (q.Gap == nil || q.Gap.From.After(g.From) || q.Gap.To.Before(g.To)) {
			t.Errorf("%s: gap %+v does not hold the configured %+v", q, q.Gap, g)
		}
	}
	for _, k := range QuestionKinds {
		if byKind[k] == 0 {
			t.Errorf("no %s question: %v", k, byKind)
		}
	}
}

func TestDeploymentValidate(t *testing.T) {
	for name, mod := range map[string]func(*DeploymentConfig){
		"no subscribers": func(c *DeploymentConfig) { c.Subscribers = 0 },
		"too few blocks": func(c *DeploymentConfig) { c.PublicAddrs, c.BlockShare = 2, 0.9 },
		"share above 1":  func(c *DeploymentConfig) { c.LostStopRate = 1.5 },
		"skew too large": func(c *DeploymentConfig) { c.ClockSkew = time.Minute },
	} {
		c := testDeployment()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate succeeded", name)
		}
	}
}
