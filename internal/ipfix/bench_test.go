package ipfix

import (
	"testing"

	"github.com/warden-ops/warden/internal/record"
)

// countSink takes every record and keeps none.
type countSink struct{ n int }

func (s *countSink) TryAdd(*record.Record) bool { s.n++; return true }

// BenchmarkDecode measures the packet handler on full-size packets of
// NAT events, the templates already known: records/s is the figure to
// compare with an exporter's event rate.
func BenchmarkDecode(b *testing.B) {
	blockT := Template{ID: 257, Fields: PortBlockFields()}
	asaT := Template{ID: 260, Fields: ASAFields()}
	blockEv := Event{Time: t0, NATEvent: 16, Inside: ap("10.1.2.3:0"), Outside: ap("203.0.113.7:0"),
		PortStart: 4096, PortEnd: 4607, VRF: 7, Pool: "pool-a"}
	cases := []struct {
		name string
		from any
		enc  *Encoder
		t    Template
		ev   Event
		n    int // records in a packet of about 1,400 bytes
	}{
		{"nat44-ipfix", exporterA, &Encoder{}, tmpl44, session44(4), 43},
		{"port-block-ipfix", exporterA, &Encoder{}, blockT, blockEv, 42},
		{"asa-nsel-v9", exporterC, &Encoder{Version: 9}, asaT, asaEvent(1), 34},
	}
	for _, tt := range cases {
		b.Run(tt.name, func(b *testing.B) {
			cfg := Config{Addr: "127.0.0.1:0", Exporters: testExporters()}
			sink := &countSink{}
			c := newCollector(cfg, sink, quietLog())
			from := exporterA
			if tt.name == "asa-nsel-v9" {
				from = exporterC
			}
			c.handle(encode(b, tt.enc.Message(export).Templates(tt.t)), from, recvAt)
			evs := make([]Event, tt.n)
			for i := range evs {
				evs[i] = tt.ev
			}
			pkt := encode(b, tt.enc.Message(export).Data(tt.t, evs...))
			b.SetBytes(int64(len(pkt)))
			b.ReportAllocs()
			for b.Loop() {
				c.handle(pkt, from, recvAt)
			}
			if sink.n != tt.n*(b.N) {
				b.Fatalf("%d records from %d packets of %d", sink.n, b.N, tt.n)
			}
			b.ReportMetric(float64(sink.n)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(sink.n), "ns/record")
		})
	}
}
