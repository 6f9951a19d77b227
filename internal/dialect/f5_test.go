package dialect

import (
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// F5 samples. No verbatim BIG-IP LSN line has been published: the NAPT
// lines follow veesix-networks/cgn-ec-consumer's fake-syslog generator and
// parser regex; the port block lines follow the event names F5's
// "Using PBA Mode to Reduce CGNAT Logging" reports, with the layout
// read leniently.
const (
	f5Add       = `test LSN_ADD 100.64.23.122%0:40000 6 194.15.97.34%0:50000 93.184.216.34 443`
	f5Delete    = `Nov 21 11:59:59 bigip1 tmm[12345]: LSN_DELETE 100.64.23.122%2:40000 17 194.15.97.34%0:50000 8.8.8.8 53`
	f5Inbound   = `LSN_INBOUND_ADD 100.64.23.122%0:40000 6 194.15.97.34%0:50000 198.51.100.9 51515`
	f5PBAlloc   = `LSN_PB_ALLOCATED 100.64.23.122%0 194.15.97.34%0:1024-1087`
	f5PBRelease = `LSN_PB_RELEASED 100.64.23.122%0 17 194.15.97.34%0:1024-1087`
)

func TestF5(t *testing.T) {
	block := record.NAT{
		InsideAddr: natAddrT("100.64.23.122"), OutsideAddr: natAddrT("194.15.97.34"),
		OutsidePort: 1024, OutsidePortEnd: 1087, VRF: "0",
	}
	alloc, release := block, block
	alloc.Event, release.Event, release.Protocol = record.NATBlockAlloc, record.NATBlockRelease, record.ProtoUDP
	parsed := natMsg(`LSN_ADD 100.64.23.122:40000 6 194.15.97.34:50000 93.184.216.34 443`)
	parsed.Host, parsed.Time = "bigip2", time.Date(2026, 11, 21, 11, 0, 0, 0, time.UTC)
	cases := []natCase{
		{name: "add", msg: natMsg(f5Add), want: []*record.Record{natWant(natTestReceived, record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoTCP,
			InsideAddr: natAddrT("100.64.23.122"), InsidePort: 40000, OutsideAddr: natAddrT("194.15.97.34"), OutsidePort: 50000,
			DestAddr: natAddrT("93.184.216.34"), DestPort: 443, Device: "test", VRF: "0",
		})}},
		{name: "delete with syslog header", msg: natMsg(f5Delete), want: []*record.Record{natWant(time.Date(2026, 11, 21, 11, 59, 59, 0, time.UTC), record.NAT{
			Event: record.NATDelete, Protocol: record.ProtoUDP,
			InsideAddr: natAddrT("100.64.23.122"), InsidePort: 40000, OutsideAddr: natAddrT("194.15.97.34"), OutsidePort: 50000,
			DestAddr: natAddrT("8.8.8.8"), DestPort: 53, Device: "bigip1", VRF: "2",
		})}},
		{name: "inbound add", msg: natMsg(f5Inbound), want: []*record.Record{natWant(natTestReceived, record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoTCP,
			InsideAddr: natAddrT("100.64.23.122"), InsidePort: 40000, OutsideAddr: natAddrT("194.15.97.34"), OutsidePort: 50000,
			DestAddr: natAddrT("198.51.100.9"), DestPort: 51515, VRF: "0",
		})}},
		{name: "without route domains, header parsed", msg: parsed, want: []*record.Record{natWant(parsed.Time, record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoTCP,
			InsideAddr: natAddrT("100.64.23.122"), InsidePort: 40000, OutsideAddr: natAddrT("194.15.97.34"), OutsidePort: 50000,
			DestAddr: natAddrT("93.184.216.34"), DestPort: 443, Device: "bigip2",
		})}},
		{name: "port block allocated", msg: natMsg(f5PBAlloc), want: []*record.Record{natWant(natTestReceived, alloc)}},
		{name: "port block released", msg: natMsg(f5PBRelease), want: []*record.Record{natWant(natTestReceived, release)}},
		{name: "other LSN event", msg: natMsg(`LSN_PB_ALLOC_FAILED 100.64.23.122%0`), notMine: true},
		{name: "too few fields", msg: natMsg(`LSN_ADD 100.64.23.122%0:40000 6 194.15.97.34%0:50000`), errHas: "fewer than 5 fields"},
		{name: "bad client", msg: natMsg(`LSN_ADD 100.64.23%0:40000 6 194.15.97.34%0:50000 8.8.8.8 53`), errHas: "bad client"},
		{name: "bad route domain", msg: natMsg(`LSN_ADD 100.64.23.1%x:40000 6 194.15.97.34%0:50000 8.8.8.8 53`), errHas: "bad client"},
		{name: "port block without range", msg: natMsg(`LSN_PB_ALLOCATED 100.64.23.122%0 194.15.97.34%0`), errHas: "no translation with a port range"},
		{name: "word containing LSN_", msg: natMsg(`FOO_LSN_ADD something`), notMine: true},
	}
	cases = append(cases, natOtherCases("f5")...)
	runNATCases(t, func() Parser { return f5LSN{} }, false, cases)
}

func FuzzF5(f *testing.F) {
	natFuzz(f, func() Parser { return f5LSN{} }, []string{f5Add, f5Delete, f5Inbound, f5PBAlloc, f5PBRelease})
}

func BenchmarkF5(b *testing.B) {
	natBench(b, func() Parser { return f5LSN{} }, []string{f5Add, f5Delete, f5PBAlloc}, natOtherLines["juniper"])
}
