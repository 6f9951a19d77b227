package query_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/warden-ops/warden/internal/query"
)

func ExampleDeterministicRule() {
	r := query.DeterministicRule{Name: "det-1", Device: "cgn-3",
		InsidePrefix: netip.MustParsePrefix("100.64.0.0/22"), OutsidePrefix: netip.MustParsePrefix("203.0.113.0/26"),
		PortsPerSubscriber: 4000, FirstPort: 1024, From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := r.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r)
	out, first, last, _ := r.Outside(netip.MustParseAddr("100.64.0.17"))
	fmt.Printf("100.64.0.17 uses %s ports %d-%d\n", out, first, last)
	in, _, _, _ := r.Inside(netip.MustParseAddr("203.0.113.1"), 5100)
	fmt.Println("203.0.113.1 port 5100 is", in)

	r.PortsPerSubscriber = 4100
	fmt.Println(r.Validate())
	// Output:
	// det-1 on cgn-3: 100.64.0.0/22 onto 203.0.113.0/26, 16 subscribers per address, 4000 ports each from port 1024, from 2026-01-01T00:00:00Z with no end
	// 100.64.0.17 uses 203.0.113.1 ports 5024-9023
	// 203.0.113.1 port 5100 is 100.64.0.17
	// rule det-1: 16 subscribers per outside address (1024 inside over 64 outside) × 4100 ports = 65600 ports, but ports 1024-65535 are only 64512
}
