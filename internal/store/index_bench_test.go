package store

import (
	"testing"

	"github.com/warden-ops/warden/internal/synth"
)

// BenchmarkBuildIndex measures what indexing adds to sealing a block of
// 65,536 NAT records (compare segment's BenchmarkEncodeNAT).
func BenchmarkBuildIndex(b *testing.B) {
	recs := natBatch(synth.NewCGNAT(synth.DefaultCGNAT), 65536)
	b.ReportAllocs()
	var lines []byte
	for b.Loop() {
		lines, _ = buildIndex(recs)
	}
	b.ReportMetric(float64(len(lines))/float64(len(recs)), "bytes/record")
	b.ReportMetric(float64(b.N)*float64(len(recs))/b.Elapsed().Seconds(), "records/s")
}
