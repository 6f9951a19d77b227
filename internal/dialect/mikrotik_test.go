package dialect

import (
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// RouterOS samples. Real lines published in parser code:
// mtForward (a Ruby Logstash filter comment), mtUDP (a Go test fixture,
// with its syslog header), mtPPPoE (imrankhan-coder/ipdr-cgnat-compliance
// scripts/mikrotik_parser.py), mtEstablished (a C# test). The ICMP,
// destination NAT and hairpin lines follow the template of
// log-formats.md §8.1.
const (
	mtForward     = `firewall,info 0-Napbiotec: forward: in:vlan20-office out:pppoe-tot, src-mac b4:0f:b3:1d:63:4b, proto TCP (ACK,FIN,PSH), 192.168.20.171:43996->47.241.18.42:443, NAT (192.168.20.171:43996->125.25.69.110:43996)->47.241.18.42:443, len 71`
	mtUDP         = `<134>Oct  1 12:00:00 gw firewall,info forward: in:bridge out:ether1, proto UDP, 192.168.88.7:40000->129.6.15.28:123, NAT (192.168.88.7:40000->203.0.113.5:40000)->129.6.15.28:123, len 76`
	mtPPPoE       = `in:<pppoe-b162> out:1sfp-WAN, connection-state:new,snat proto TCP (SYN), 100.64.0.10:54124->69.29.87.37:21001, NAT (100.64.0.10:54124->203.0.113.10:54124)->69.29.87.37:21001, len 60`
	mtEstablished = `firewall,info pca-accept: pca-accept forward: in:wireguard1 out:Inspira Fibre Uplink, connection-state:established,snat proto TCP (ACK,PSH), 192.168.5.50:57922->52.123.139.72:443, NAT (192.168.5.50:57922->46.102.221.224:57922)->52.123.139.72:443, len 97`
	mtICMP        = `forward: in:bridge out:ether1, connection-state:new,snat proto ICMP (type 8, code 0), 192.168.88.7->129.6.15.28, NAT (192.168.88.7->203.0.113.5)->129.6.15.28, len 84`
	mtDNAT        = `dstnat: in:ether1 out:(unknown 0), connection-state:new,dnat src-mac 00:0c:29:aa:bb:cc, proto TCP (SYN), 198.51.100.7:51000->203.0.113.5:8080, NAT 198.51.100.7:51000->(203.0.113.5:8080->192.168.88.10:80), len 60`
	mtHairpin     = `forward: in:bridge out:bridge, connection-state:new,snat,dnat proto TCP (SYN), 192.168.88.20:50000->203.0.113.5:80, NAT (192.168.88.20:50000->203.0.113.5:50000)->(203.0.113.5:80->192.168.88.10:80), len 60`
	// mtNoNAT is a srcnat-chain line from a MikroTik forum packet-flow
	// walk-through: logged before the translation, it has no NAT section.
	mtNoNAT = `srcnat srcnat: in:(none) out:Bridge-PC, src-mac d4:ca:6d:33:b5:ef, proto ICMP (type 8, code 0), 172.16.2.100->192.168.3.2, len 60`
)

func TestMikroTikParse(t *testing.T) {
	at := time.Date(2026, 7, 8, 14, 19, 18, 0, nmCST)
	header := func(text string) Message { m := nmMsg(text); m.Time = at; return m }
	cases := []nmCase{
		{
			name: "packet of a live connection is interim",
			msg:  header(mtForward),
			want: []*record.Record{nmNAT(at.UTC(), record.NAT{
				Event: record.NATInterim, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("192.168.20.171"), InsidePort: 43996,
				OutsideAddr: nmIP("125.25.69.110"), OutsidePort: 43996,
				DestAddr: nmIP("47.241.18.42"), DestPort: 443,
			})},
		},
		{
			name: "header left in, no header time: receive time",
			msg:  nmMsg(mtUDP),
			want: []*record.Record{nmNAT(nmReceived, record.NAT{
				Event: record.NATInterim, Protocol: record.ProtoUDP,
				InsideAddr: nmIP("192.168.88.7"), InsidePort: 40000,
				OutsideAddr: nmIP("203.0.113.5"), OutsidePort: 40000,
				DestAddr: nmIP("129.6.15.28"), DestPort: 123,
			})},
		},
		{
			name: "first packet of a PPPoE subscriber's connection is create",
			msg:  header(mtPPPoE),
			want: []*record.Record{nmNAT(at.UTC(), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("100.64.0.10"), InsidePort: 54124,
				OutsideAddr: nmIP("203.0.113.10"), OutsidePort: 54124,
				DestAddr: nmIP("69.29.87.37"), DestPort: 21001,
			})},
		},
		{
			name: "established, interface name with spaces",
			msg:  header(mtEstablished),
			want: []*record.Record{nmNAT(at.UTC(), record.NAT{
				Event: record.NATInterim, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("192.168.5.50"), InsidePort: 57922,
				OutsideAddr: nmIP("46.102.221.224"), OutsidePort: 57922,
				DestAddr: nmIP("52.123.139.72"), DestPort: 443,
			})},
		},
		{
			name: "ICMP has no ports",
			msg:  header(mtICMP),
			want: []*record.Record{nmNAT(at.UTC(), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoICMP,
				InsideAddr: nmIP("192.168.88.7"), OutsideAddr: nmIP("203.0.113.5"), DestAddr: nmIP("129.6.15.28"),
			})},
		},
		{
			name: "destination NAT: the server is the inside",
			msg:  header(mtDNAT),
			want: []*record.Record{nmNAT(at.UTC(), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("192.168.88.10"), InsidePort: 80,
				OutsideAddr: nmIP("203.0.113.5"), OutsidePort: 8080,
				DestAddr: nmIP("198.51.100.7"), DestPort: 51000,
			})},
		},
		{
			name: "hairpin, both translations: the peer is the real server",
			msg:  header(mtHairpin),
			want: []*record.Record{nmNAT(at.UTC(), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("192.168.88.20"), InsidePort: 50000,
				OutsideAddr: nmIP("203.0.113.5"), OutsidePort: 50000,
				DestAddr: nmIP("192.168.88.10"), DestPort: 80,
			})},
		},
		{
			name: "protocol by number",
			msg:  header(`forward: in:bridge out:ether1, proto 47, 192.168.88.7->198.51.100.1, NAT (192.168.88.7->203.0.113.5)->198.51.100.1, len 100`),
			want: []*record.Record{nmNAT(at.UTC(), record.NAT{
				Event: record.NATInterim, Protocol: record.ProtoGRE,
				InsideAddr: nmIP("192.168.88.7"), OutsideAddr: nmIP("203.0.113.5"), DestAddr: nmIP("198.51.100.1"),
			})},
		},
		{name: "srcnat line before translation", msg: header(mtNoNAT), notMine: true},
		{name: "PPP login", msg: header(`pppoe,ppp,info,account b162 logged in, 100.64.0.10 from 00:11:22:33:44:55`), notMine: true},
		{name: "unclosed bracket", msg: header(`forward: in:bridge out:ether1, proto UDP, 192.168.88.7:40000->129.6.15.28:123, NAT (192.168.88.7:40000->203.0.113.5:40000->129.6.15.28:123, len 76`), wantErr: "NAT section"},
		{name: "bad public address", msg: header(`forward: in:bridge out:ether1, proto UDP, 192.168.88.7:40000->129.6.15.28:123, NAT (192.168.88.7:40000->203.0.113.500:40000)->129.6.15.28:123, len 76`), wantErr: "NAT section"},
		{name: "port missing for TCP", msg: header(`forward: in:bridge out:ether1, proto TCP, 192.168.88.7->129.6.15.28, NAT (192.168.88.7->203.0.113.5)->129.6.15.28, len 76`), wantErr: "no port"},
		{name: "destination NAT without arrow", msg: header(`dstnat: in:ether1 out:x, proto TCP, a, NAT 198.51.100.7:1 (203.0.113.5:8080), len 60`), wantErr: "NAT section"},
	}
	for _, o := range nmOtherFormats {
		cases = append(cases, nmCase{name: "other format " + o.name, msg: header(o.text), notMine: true})
	}
	nmRun(t, func() Parser { return new(mikroTik) }, cases)
}

func FuzzMikroTikParse(f *testing.F) {
	nmFuzz(f, func() Parser { return new(mikroTik) }, []string{
		mtForward, mtUDP, mtPPPoE, mtEstablished, mtICMP, mtDNAT, mtHairpin, mtNoNAT,
		` out: proto , NAT ()->`, ` out: proto TCP, NAT a->(b->c)`,
	})
}

func BenchmarkMikroTikParse(b *testing.B) {
	nmBench(b, new(mikroTik), nmMsg(mtForward))
}

func BenchmarkMikroTikDecline(b *testing.B) {
	nmBenchDecline(b, new(mikroTik), fortiClose)
}
