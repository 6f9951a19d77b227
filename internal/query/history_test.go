package query

import (
	"net/netip"
	"testing"
)

func TestHistory(t *testing.T) {
	e := scenario(t)
	h, err := e.AccountHistory(t.Context(), "alice", at("08:00:00"), at("12:00:00"))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Sessions) != 1 || h.Sessions[0].Addr != netip.MustParseAddr("100.64.0.10") || h.Sessions[0].Interval.Open {
		t.Fatalf("alice's sessions %+v, want one closed session on 100.64.0.10", h.Sessions)
	}
	// alice's address was also used by cgn-2 at 09:50-09:58, while she held it.
	var ports []uint16
	for _, m := range h.Mappings {
		ports = append(ports, m.PortFirst)
	}
	if len(h.Mappings) != 2 {
		t.Errorf("alice's mappings on ports %v, want 40001 and 30000", ports)
	}
	// mallory held the same address before alice: none of alice's mappings
	// belong to her, and her history has none in her own window.
	hm, err := e.AccountHistory(t.Context(), "mallory", at("07:00:00"), at("12:00:00"))
	if err != nil {
		t.Fatal(err)
	}
	if len(hm.Sessions) != 1 || len(hm.Mappings) != 0 {
		t.Errorf("mallory: %d sessions, %d mappings; want 1 and 0", len(hm.Sessions), len(hm.Mappings))
	}
	ha, err := e.AddressHistory(t.Context(), netip.MustParseAddr("203.0.113.7"), at("09:00:00"), at("11:00:00"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ha.Mappings) != 4 {
		t.Errorf("203.0.113.7: %d mappings, want 4 (alice, bob's block, carol's block, frank)", len(ha.Mappings))
	}
	hd, err := e.AddressHistory(t.Context(), netip.MustParseAddr("198.51.100.50"), at("09:00:00"), at("11:00:00"))
	if err != nil {
		t.Fatal(err)
	}
	if len(hd.Sessions) != 1 || hd.Sessions[0].Account != "dave" || len(hd.Mappings) != 0 {
		t.Errorf("198.51.100.50: %+v, want dave's session and no mapping", hd)
	}
	if _, err := e.AccountHistory(t.Context(), "alice", at("12:00:00"), at("08:00:00")); err == nil {
		t.Error("a negative window was accepted")
	}
}
