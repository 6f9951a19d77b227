package dialect

import (
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// A10 samples. The CEF lines are from veesix-networks/cgn-ec-consumer,
// captured from a demo box (its fake-syslog script gives the header); the
// ASCII lines follow the templates in its patterns and handler comments,
// from A10's CGN guide; no ASCII capture has been published.
const (
	a10CEFPort    = `<135> May  7 00:00:00.00 cgn0.thn2/cgn-demo CEF:0|A10|CFW|6.0.0-P1|CGN 100|Nat Port Allocated|5|proto=ICMP src=100.65.161.0 spt=48856 sourceTranslatedAddress=99.99.99.13 sourceTranslatedPort=48856 dst=8.8.8.8 dpt=0`
	a10CEFBatch   = `CEF:0|A10|CFW|6.0.0-P1|CGN 106|Nat Port Batch Pool Allocated|5|proto=UDP src=100.65.140.73 sourceTranslatedAddress=99.99.99.12 sourceTranslatedPort=22016 cn3=22271 cn3Label=Last Nat Port`
	a10CEFFreed   = `CEF:0|A10|CFW|6.0.0-P1|CGN 107|Nat Port Batch Pool Freed|5|proto=UDP src=100.65.140.73 sourceTranslatedAddress=99.99.99.12 sourceTranslatedPort=22016 cn3=22271 cn3Label=Last Nat Port`
	a10CEFSession = `0|A10|ADC|6.0.7|CGN 102|Nat Session Created|5|proto=UDP src=10.44.55.100 spt=38951 dst=142.250.179.238 dpt=443 sourceTranslatedAddress=99.99.99.13 sourceTranslatedPort=38951 destinationTranslatedAddress=142.250.179.238 destinationTranslatedPort=443`
	a10ASCIIPort  = `Jan 10 10:00:00 a10-cgn1 NAT-UDP-C: 10.1.1.1:5000<-->203.0.113.1:6000 to 8.8.8.8:53`
	a10ASCIISess  = `NAT-TCP-D: 10.1.1.1:5000<->93.184.216.34:443, 203.0.113.1:6000<-->93.184.216.34:443`
	a10ASCIIGuide = `NAT-UDP-C: 100.100.100.100:10000 -> 150.150.150.150: 10000`
	a10Fixed      = `FIXED-NAT-PORTS 10.10.10.172->192.168.9.173:3000-4000`
)

func TestA10(t *testing.T) {
	session := natMsg(a10CEFSession)
	session.App, session.Host = "CEF", "cgn0.thn2/cgn-demo"
	batch := record.NAT{
		Protocol:   record.ProtoUDP,
		InsideAddr: natAddrT("100.65.140.73"), OutsideAddr: natAddrT("99.99.99.12"), OutsidePort: 22016, OutsidePortEnd: 22271,
	}
	alloc, freed := batch, batch
	alloc.Event, freed.Event = record.NATBlockAlloc, record.NATBlockRelease
	withRT := natMsg(a10CEFBatch + " rt=1715040000123")
	cases := []natCase{
		{name: "CEF port allocated", msg: natMsg(a10CEFPort), want: []*record.Record{natWant(time.Date(2026, 5, 7, 0, 0, 0, 0, time.UTC), record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoICMP,
			InsideAddr: natAddrT("100.65.161.0"), InsidePort: 48856, OutsideAddr: natAddrT("99.99.99.13"), OutsidePort: 48856,
			DestAddr: natAddrT("8.8.8.8"), DestPort: 0, Device: "cgn0.thn2/cgn-demo",
		})}},
		{name: "CEF batch allocated", msg: natMsg(a10CEFBatch), want: []*record.Record{natWant(natTestReceived, alloc)}},
		{name: "CEF batch freed", msg: natMsg(a10CEFFreed), want: []*record.Record{natWant(natTestReceived, freed)}},
		{name: "CEF receipt time", msg: withRT, want: []*record.Record{natWant(time.Date(2024, 5, 7, 0, 0, 0, 123e6, time.UTC), alloc)}},
		{name: "CEF session, tag taken by the collector", msg: session, want: []*record.Record{natWant(natTestReceived, record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoUDP,
			InsideAddr: natAddrT("10.44.55.100"), InsidePort: 38951, OutsideAddr: natAddrT("99.99.99.13"), OutsidePort: 38951,
			DestAddr: natAddrT("142.250.179.238"), DestPort: 443, Device: "cgn0.thn2/cgn-demo",
		})}},
		{name: "ASCII port mapping", msg: natMsg(a10ASCIIPort), want: []*record.Record{natWant(time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC), record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoUDP,
			InsideAddr: natAddrT("10.1.1.1"), InsidePort: 5000, OutsideAddr: natAddrT("203.0.113.1"), OutsidePort: 6000,
			DestAddr: natAddrT("8.8.8.8"), DestPort: 53, Device: "a10-cgn1",
		})}},
		{name: "ASCII session", msg: natMsg(a10ASCIISess), want: []*record.Record{natWant(natTestReceived, record.NAT{
			Event: record.NATDelete, Protocol: record.ProtoTCP,
			InsideAddr: natAddrT("10.1.1.1"), InsidePort: 5000, OutsideAddr: natAddrT("203.0.113.1"), OutsidePort: 6000,
			DestAddr: natAddrT("93.184.216.34"), DestPort: 443,
		})}},
		{name: "ASCII guide form", msg: natMsg(a10ASCIIGuide), want: []*record.Record{natWant(natTestReceived, record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoUDP,
			InsideAddr: natAddrT("100.100.100.100"), InsidePort: 10000, OutsideAddr: natAddrT("150.150.150.150"), OutsidePort: 10000,
		})}},
		{name: "fixed NAT", msg: natMsg(a10Fixed), want: []*record.Record{natWant(natTestReceived, record.NAT{
			Event: record.NATBlockAlloc, InsideAddr: natAddrT("10.10.10.172"), OutsideAddr: natAddrT("192.168.9.173"),
			OutsidePort: 3000, OutsidePortEnd: 4000,
		})}},
		{name: "other vendor's CEF", msg: natMsg(`CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Accept|Accept|Unknown|act=Accept dst=52.173.84.157 src=192.168.101.100`), notMine: true},
		{name: "CEF event without mapping", msg: natMsg(`CEF:0|A10|CFW|6.0.0|CGN 300|Nat Pool Usage High|5|cs1=pool1`), notMine: true},
		{name: "CEF bad src", msg: natMsg(`CEF:0|A10|CFW|6.0.0-P1|CGN 100|Nat Port Allocated|5|proto=TCP src=100.65.161 spt=1 sourceTranslatedAddress=99.99.99.13 sourceTranslatedPort=2`), errHas: "bad source address"},
		{name: "CEF short header", msg: natMsg(`CEF:0|A10|CFW|6.0.0-P1|CGN 100`), errHas: "fewer than 8 fields"},
		{name: "ASCII unknown event", msg: natMsg(`NAT-TCP-X: 10.1.1.1:5000<-->203.0.113.1:6000 to 8.8.8.8:53`), errHas: "unknown event letter"},
		{name: "ASCII bad address", msg: natMsg(`NAT-TCP-C: 10.1.1:5000<-->203.0.113.1:6000 to 8.8.8.8:53`), errHas: "bad inside address"},
		{name: "tag without protocol", msg: natMsg(`NAT--:0`), notMine: true},
		{name: "fixed NAT without range", msg: natMsg(`FIXED-NAT-PORTS 10.10.10.172->192.168.9.173:3000`), errHas: "bad port range"},
	}
	cases = append(cases, natOtherCases("a10")...)
	runNATCases(t, func() Parser { return a10CGN{} }, false, cases)
}

func FuzzA10(f *testing.F) {
	natFuzz(f, func() Parser { return a10CGN{} }, []string{
		a10CEFPort, a10CEFBatch, a10CEFFreed, "CEF:" + a10CEFSession, a10ASCIIPort, a10ASCIISess, a10ASCIIGuide, a10Fixed, "NAT--:0",
	})
}

func BenchmarkA10(b *testing.B) {
	natBench(b, func() Parser { return a10CGN{} }, []string{a10CEFPort, a10CEFBatch, a10ASCIIPort}, natOtherLines["juniper"])
}
