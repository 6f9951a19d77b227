package record_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

func ExampleAppendCanonical() {
	t := time.Date(2026, 11, 1, 10, 0, 0, 0, time.FixedZone("+08", 8*3600))
	r := new(record.Record)
	r.Init(record.KindNAT)
	r.EventTime, r.ReceiveTime, r.Source = t, t.Add(40*time.Millisecond), "cgn-1"
	*r.NAT = record.NAT{
		Event: record.NATCreate, Protocol: record.ProtoTCP,
		InsideAddr: netip.MustParseAddr("100.64.0.7"), InsidePort: 51234,
		OutsideAddr: netip.MustParseAddr("203.0.113.7"), OutsidePort: 40001,
	}
	if err := r.Validate(); err != nil {
		fmt.Println("invalid:", err)
		return
	}

	b := record.AppendCanonical(nil, r)
	fmt.Printf("version %d, kind %s, %d bytes\n", b[0], record.Kind(b[1]), len(b))

	got, err := record.DecodeCanonical(b)
	if err != nil {
		fmt.Println("decode:", err)
		return
	}
	n := got.NAT
	fmt.Println(got.Kind, got.EventTime, got.Source)
	fmt.Printf("%s %s %v:%d -> %v:%d\n", n.Event, n.Protocol, n.InsideAddr, n.InsidePort, n.OutsideAddr, n.OutsidePort)

	_, err = record.DecodeCanonical(b[:len(b)-1])
	fmt.Println(err)
	// Output:
	// version 1, kind nat, 48 bytes
	// nat 2026-11-01 02:00:00 +0000 UTC cgn-1
	// create tcp 100.64.0.7:51234 -> 203.0.113.7:40001
	// decode nat record: bad uvarint
}
