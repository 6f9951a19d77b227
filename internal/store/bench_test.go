package store

import (
	"log/slog"
	"testing"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/synth"
)

// BenchmarkAppendSealed measures the write path end to end: Append in
// batches of 8192, then sealing, per record.
func BenchmarkAppendSealed(b *testing.B) {
	g := synth.NewCGNAT(synth.DefaultCGNAT)
	batches := make([][]*record.Record, 32)
	for i := range batches {
		batches[i] = natBatch(g, 8192)
	}
	s, err := Open(Config{Dir: b.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		batch := batches[n%len(batches)]
		// Records are owned by the store after Append: give it copies.
		cp := make([]*record.Record, len(batch))
		for i, r := range batch {
			c := *r
			nat := *r.NAT
			c.NAT = &nat
			cp[i] = &c
		}
		for {
			if _, err := s.Append(cp); err == nil {
				break
			} else if err != ErrBackpressure {
				b.Fatal(err)
			}
		}
		n++
	}
	if err := s.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n*8192)/b.Elapsed().Seconds(), "records/s")
}
