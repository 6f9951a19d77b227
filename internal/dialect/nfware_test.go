package dialect

import (
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// NFWare samples: the four message forms as veesix-networks/cgn-ec-consumer
// tests them (tests/handlers/syslog/test_handlers_syslog_nfware.py), after
// the NFWare 6.3 documentation, nat/logging.html "Message format". NFWare
// published no captured line.
const (
	nfSession = `A VRF 0 6 INT 10.0.0.1:57938 EXT 100.64.0.1:28475 DST 185.165.123.206:443 DIR OUT`
	nfAddress = `A VRF 0 INT 10.0.0.1 EXT 100.64.0.1`
	nfPort    = `A VRF 0 6 INT 10.0.0.1:57938 EXT 100.64.0.1:28475`
	nfBlock   = `A VRF 0 INT 10.0.0.1 EXT 100.64.0.1:1024-1535`
)

func TestNFWareParse(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 59, 59, 0, time.UTC)
	header := func(text string) Message { m := nmMsg(text); m.Time = at; return m }
	port := record.NAT{
		Protocol:   record.ProtoTCP,
		InsideAddr: nmIP("10.0.0.1"), InsidePort: 57938,
		OutsideAddr: nmIP("100.64.0.1"), OutsidePort: 28475, VRF: "0",
	}
	session := port
	session.DestAddr, session.DestPort = nmIP("185.165.123.206"), 443
	with := func(n record.NAT, ev record.NATEvent) record.NAT { n.Event = ev; return n }
	block := record.NAT{InsideAddr: nmIP("10.0.0.1"), OutsideAddr: nmIP("100.64.0.1"), OutsidePort: 1024, OutsidePortEnd: 1535, VRF: "0"}
	address := record.NAT{InsideAddr: nmIP("10.0.0.1"), OutsideAddr: nmIP("100.64.0.1"), VRF: "0"}
	cases := []nmCase{
		{name: "session", msg: header(nfSession), want: []*record.Record{nmNAT(at, with(session, record.NATCreate))}},
		{name: "session released", msg: header("D" + nfSession[1:]), want: []*record.Record{nmNAT(at, with(session, record.NATDelete))}},
		{name: "inbound session", msg: header(nfSession[:len(nfSession)-3] + "IN"), want: []*record.Record{nmNAT(at, with(session, record.NATCreate))}},
		{name: "address mapping", msg: header(nfAddress), want: []*record.Record{nmNAT(at, with(address, record.NATCreate))}},
		{name: "port mapping", msg: header(nfPort), want: []*record.Record{nmNAT(at, with(port, record.NATCreate))}},
		{name: "port block", msg: header(nfBlock), want: []*record.Record{nmNAT(at, with(block, record.NATBlockAlloc))}},
		{name: "port block released", msg: header("D" + nfBlock[1:]), want: []*record.Record{nmNAT(at, with(block, record.NATBlockRelease))}},
		{
			name: "header left in the text, no header time",
			msg:  nmMsg(`<134>1 2026-11-20T09:59:59Z nfw-1 nfware - - - D VRF 3 17 INT [2001:db8::7]:5000 EXT 100.64.0.1:6000`),
			want: []*record.Record{nmNAT(nmReceived, record.NAT{
				Event: record.NATDelete, Protocol: record.ProtoUDP,
				InsideAddr: nmIP("2001:db8::7"), InsidePort: 5000,
				OutsideAddr: nmIP("100.64.0.1"), OutsidePort: 6000, VRF: "3",
			})},
		},
		{name: "VRF in another sentence", msg: header(`interface Gi0/0 in VRF 1 is up`), notMine: true},
		{name: "digit before VRF", msg: header(`1 VRF 2 INT 10.0.0.1 EXT 100.64.0.1`), notMine: true},
		{name: "VRF name, not id", msg: header(`A VRF blue INT 10.0.0.1 EXT 100.64.0.1`), notMine: true},
		{name: "unknown event letter", msg: header(`I VRF 0 INT 10.0.0.1 EXT 100.64.0.1:1024-1535`), wantErr: "event letter"},
		{name: "port missing", msg: header(`A VRF 0 6 INT 10.0.0.1 EXT 100.64.0.1:28475`), wantErr: "INT"},
		{name: "reversed block", msg: header(`A VRF 0 INT 10.0.0.1 EXT 100.64.0.1:2000-1000`), wantErr: "ends before it starts"},
		{name: "bad direction", msg: header(`A VRF 0 6 INT 10.0.0.1:1 EXT 100.64.0.1:2 DST 198.51.100.1:3 DIR SIDEWAYS`), wantErr: "DIR"},
		{name: "bad protocol", msg: header(`A VRF 0 tcpx INT 10.0.0.1:1 EXT 100.64.0.1:2`), wantErr: "protocol"},
		{name: "no EXT", msg: header(`A VRF 0 INT 10.0.0.1 NAT 100.64.0.1`), wantErr: "want EXT"},
		{name: "destination without ports", msg: header(`A VRF 0 INT 10.0.0.1 EXT 100.64.0.1 DST 198.51.100.1:3 DIR OUT`), wantErr: "after EXT"},
		{name: "bad outside", msg: header(`A VRF 0 INT 10.0.0.1 EXT 100.64.0`), wantErr: "EXT"},
	}
	for _, o := range nmOtherFormats {
		cases = append(cases, nmCase{name: "other format " + o.name, msg: header(o.text), notMine: true})
	}
	nmRun(t, func() Parser { return new(nfWare) }, cases)
}

func FuzzNFWareParse(f *testing.F) {
	nmFuzz(f, func() Parser { return new(nfWare) }, []string{
		nfSession, nfAddress, nfPort, nfBlock, `D VRF 1 17 INT [::1]:1 EXT 1.2.3.4:5 DST [::2]:3 DIR IN`, `A VRF 0 INT 1.1.1.1 EXT 2.2.2.2:1-`,
	})
}

func BenchmarkNFWareParse(b *testing.B) {
	nmBench(b, new(nfWare), nmMsg(nfSession))
}

func BenchmarkNFWareDecline(b *testing.B) {
	nmBenchDecline(b, new(nfWare), fortiClose)
}
