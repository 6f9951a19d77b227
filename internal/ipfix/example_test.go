package ipfix_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/netip"
	"time"

	"github.com/warden-ops/warden/internal/ipfix"
	"github.com/warden-ops/warden/internal/record"
)

// chanSink hands records to a channel; *ingest.Pipeline is the real sink.
type chanSink chan *record.Record

func (c chanSink) TryAdd(r *record.Record) bool {
	select {
	case c <- r:
		return true
	default:
		return false
	}
}

// A collector for one RFC 8158 exporter receives a NAT44 session create.
func ExampleNew() {
	sink := make(chanSink, 16)
	srv, err := ipfix.New(ipfix.Config{Addr: "127.0.0.1:0", Exporters: []ipfix.Exporter{
		{Name: "cgn-1", Prefix: netip.MustParsePrefix("127.0.0.0/8")},
	}}, sink, nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Run(ctx)

	// The exporter's side: a template and one event in one message.
	at := time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC)
	tmpl := ipfix.Template{ID: 256, Fields: ipfix.NAT44SessionFields()}
	pkt, err := (&ipfix.Encoder{Domain: 1}).AppendEvents(nil, at, tmpl, ipfix.Event{
		Time: at, NATEvent: 4, Protocol: 6, VRF: 7,
		Inside:  netip.MustParseAddrPort("10.1.2.3:51000"),
		Outside: netip.MustParseAddrPort("203.0.113.7:40123"),
		Dest:    netip.MustParseAddrPort("198.51.100.80:443"),
	})
	if err != nil {
		log.Fatal(err)
	}
	conn, err := net.DialUDP("udp", nil, srv.Addr().(*net.UDPAddr))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(pkt); err != nil {
		log.Fatal(err)
	}

	r := <-sink
	n := r.NAT
	fmt.Println(r.Source, r.EventTime.Format(time.RFC3339), n.Event, n.Protocol)
	fmt.Printf("%s:%d -> %s:%d to %s:%d vrf %s\n", n.InsideAddr, n.InsidePort, n.OutsideAddr, n.OutsidePort,
		n.DestAddr, n.DestPort, n.VRF)
	// Output:
	// cgn-1 2026-11-21T08:30:00Z create tcp
	// 10.1.2.3:51000 -> 203.0.113.7:40123 to 198.51.100.80:443 vrf 7
}

// An encoder writes a port block allocation as IPFIX: a template set,
// then a data set with the pool's name in a variable-length field.
func ExampleEncoder() {
	at := time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC)
	enc := &ipfix.Encoder{Domain: 1}
	tmpl := ipfix.Template{ID: 257, Fields: ipfix.PortBlockFields()}
	pkt, err := enc.Message(at).Templates(tmpl).Data(tmpl, ipfix.Event{
		Time: at, NATEvent: 16, Inside: netip.MustParseAddrPort("10.1.2.3:0"),
		Outside: netip.MustParseAddrPort("203.0.113.7:0"), PortStart: 4096, PortEnd: 4607, Pool: "pool-a",
	}).Append(nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("version %x, %d bytes\n", pkt[:2], len(pkt))
	// Output: version 000a, 92 bytes
}
