package dialect

import (
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// Linux samples. conntrack -E lines published in code and articles:
// ctDestroyUDP (a Python test), ctWeave (weaveworks/scope
// probe/endpoint/conntrack.go), ctDNAT (a blog post's conntrack -E -o
// extended,id output), ctNoNAT (a Go exporter's doc comment), ctStamped (a
// design note's -o timestamp,extended,id example). ulogd2 published no
// output line: the printflow lines follow util/printflow.c and the JSON
// lines output/ulogd_output_JSON.c with the NFCT and IP2STR key names.
// The UPDATE, table dump and ICMP lines follow conntrack(8).
const (
	ctDestroyUDP = `[DESTROY] udp      17 src=192.168.88.62 dst=8.8.4.4 sport=52725 dport=53 packets=1 bytes=86 src=8.8.4.4 dst=10.70.136.192 sport=53 dport=52725 packets=1 bytes=134 mark=512`
	ctWeave      = ` [DESTROY] tcp      6 src=172.17.0.1 dst=172.17.0.1 sport=34078 dport=53 src=172.17.0.1 dst=10.0.2.15 sport=53 dport=34078 id=3668417984`
	ctDNAT       = `   [NEW] ipv4     2 tcp      6 120 SYN_SENT src=192.168.137.248 dst=192.168.137.250 sport=55094 dport=5000 [UNREPLIED] src=172.18.0.4 dst=192.168.137.248 sport=5000 dport=55094 id=1952199411`
	ctNoNAT      = "[1656942980.634473        ]\t    [DESTROY] tcp      6 src=10.0.0.5 dst=142.250.72.14 sport=48388 dport=443 packets=18 bytes=2214 src=142.250.72.14 dst=10.0.0.5 sport=443 dport=48388 packets=16 bytes=8102 [ASSURED] delta-time=32 id=3735928559"
	ctStamped    = "[1790253007.123456]\t    [NEW] ipv4     2 tcp      6 120 SYN_SENT src=10.50.0.23 dst=142.250.187.110 sport=51234 dport=443 [UNREPLIED] src=142.250.187.110 dst=192.168.1.10 sport=443 dport=40123 id=3301452"
	ctUpdate     = ` [UPDATE] tcp      6 60 SYN_RECV src=192.168.1.100 dst=93.184.216.34 sport=45000 dport=443 src=93.184.216.34 dst=203.0.113.9 sport=443 dport=45000`
	ctDump       = `tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=198.51.100.9 sport=40000 dport=22 src=198.51.100.9 dst=203.0.113.4 sport=22 dport=40000 [ASSURED] mark=0 use=1`
	ctICMP       = `    [NEW] icmp     1 30 src=10.0.0.2 dst=8.8.8.8 type=8 code=0 id=1234 [UNREPLIED] src=8.8.8.8 dst=203.0.113.4 type=0 code=0 id=1234`
	ulogdFlow    = `[NEW] ORIG: SRC=10.0.0.2 DST=198.51.100.9 PROTO=TCP SPT=40000 DPT=22 PKTS=1 BYTES=60 , REPLY: SRC=198.51.100.9 DST=203.0.113.4 PROTO=TCP SPT=22 DPT=40000 PKTS=0 BYTES=0 `
	ulogdJSONEnd = `{"timestamp": "2026-11-20T17:59:58", "dvc": "Netfilter", "orig.ip.protocol": 6, "orig.l4.sport": 40000, "orig.l4.dport": 22, "reply.l4.sport": 22, "reply.l4.dport": 40000, "ct.event": 4, "flow.start.sec": 1795168700, "flow.start.usec": 0, "flow.end.sec": 1795168798, "flow.end.usec": 250000, "orig.ip.saddr.str": "10.0.0.2", "orig.ip.daddr.str": "198.51.100.9", "reply.ip.saddr.str": "198.51.100.9", "reply.ip.daddr.str": "203.0.113.4"}`
	nfLogPacket  = `IN=eth0 OUT=eth1 MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=10.0.0.2 DST=198.51.100.9 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=54321 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0`
)

func TestLinuxConntrackParse(t *testing.T) {
	at := time.Date(2026, 11, 20, 17, 59, 59, 0, nmCST)
	header := func(text string) Message { m := nmMsg(text); m.Time = at; m.Loc = nmCST; return m }
	ssh := record.NAT{
		Protocol:   record.ProtoTCP,
		InsideAddr: nmIP("10.0.0.2"), InsidePort: 40000,
		OutsideAddr: nmIP("203.0.113.4"), OutsidePort: 40000,
		DestAddr: nmIP("198.51.100.9"), DestPort: 22,
	}
	with := func(n record.NAT, ev record.NATEvent) record.NAT { n.Event = ev; return n }
	cases := []nmCase{
		{
			name: "destroy with source NAT and counters",
			msg:  header(ctDestroyUDP),
			want: []*record.Record{nmNAT(at.UTC(), record.NAT{
				Event: record.NATDelete, Protocol: record.ProtoUDP,
				InsideAddr: nmIP("192.168.88.62"), InsidePort: 52725,
				OutsideAddr: nmIP("10.70.136.192"), OutsidePort: 52725,
				DestAddr: nmIP("8.8.4.4"), DestPort: 53,
			})},
		},
		{
			name: "destroy with source NAT and id",
			msg:  header(ctWeave),
			want: []*record.Record{nmNAT(at.UTC(), record.NAT{
				Event: record.NATDelete, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("172.17.0.1"), InsidePort: 34078,
				OutsideAddr: nmIP("10.0.2.15"), OutsidePort: 34078,
				DestAddr: nmIP("172.17.0.1"), DestPort: 53,
			})},
		},
		{
			name: "syslog header left in",
			msg:  nmMsg("Nov 20 17:59:58 gw conntrack-logger[812]: " + ctDestroyUDP),
			want: []*record.Record{nmNAT(nmReceived, record.NAT{
				Event: record.NATDelete, Protocol: record.ProtoUDP,
				InsideAddr: nmIP("192.168.88.62"), InsidePort: 52725,
				OutsideAddr: nmIP("10.70.136.192"), OutsidePort: 52725,
				DestAddr: nmIP("8.8.4.4"), DestPort: 53,
			})},
		},
		{
			name: "destination NAT, extended output: the server is the inside",
			msg:  header(ctDNAT),
			want: []*record.Record{nmNAT(at.UTC(), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("172.18.0.4"), InsidePort: 5000,
				OutsideAddr: nmIP("192.168.137.250"), OutsidePort: 5000,
				DestAddr: nmIP("192.168.137.248"), DestPort: 55094,
			})},
		},
		{
			name: "timestamp prefix beats the header time; port changed by NAT",
			msg:  header(ctStamped),
			want: []*record.Record{nmNAT(time.Unix(1790253007, 123456000).UTC(), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("10.50.0.23"), InsidePort: 51234,
				OutsideAddr: nmIP("192.168.1.10"), OutsidePort: 40123,
				DestAddr: nmIP("142.250.187.110"), DestPort: 443,
			})},
		},
		{
			name: "update is interim",
			msg:  header(ctUpdate),
			want: []*record.Record{nmNAT(at.UTC(), record.NAT{
				Event: record.NATInterim, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("192.168.1.100"), InsidePort: 45000,
				OutsideAddr: nmIP("203.0.113.9"), OutsidePort: 45000,
				DestAddr: nmIP("93.184.216.34"), DestPort: 443,
			})},
		},
		{
			name: "table dump line is interim",
			msg:  header(ctDump),
			want: []*record.Record{nmNAT(at.UTC(), with(ssh, record.NATInterim))},
		},
		{
			name: "ICMP has no ports",
			msg:  header(ctICMP),
			want: []*record.Record{nmNAT(at.UTC(), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoICMP,
				InsideAddr: nmIP("10.0.0.2"), OutsideAddr: nmIP("203.0.113.4"), DestAddr: nmIP("8.8.8.8"),
			})},
		},
		{
			name: "IPv6",
			msg:  header(`[NEW] ipv6     10 udp      17 30 src=fd00::2 dst=2001:db8::53 sport=5000 dport=53 [UNREPLIED] src=2001:db8::53 dst=2001:db8:ffff::1 sport=53 dport=6000`),
			want: []*record.Record{nmNAT(at.UTC(), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoUDP,
				InsideAddr: nmIP("fd00::2"), InsidePort: 5000,
				OutsideAddr: nmIP("2001:db8:ffff::1"), OutsidePort: 6000,
				DestAddr: nmIP("2001:db8::53"), DestPort: 53,
			})},
		},
		{
			name: "ulogd2 printflow",
			msg:  header(ulogdFlow),
			want: []*record.Record{nmNAT(at.UTC(), with(ssh, record.NATCreate))},
		},
		{
			name: "ulogd2 LOGEMU file line with its stamp",
			msg:  header("Nov 20 17:59:58 gw [DESTROY] " + ulogdFlow[len("[NEW] "):]),
			want: []*record.Record{nmNAT(time.Date(2026, 11, 20, 9, 59, 58, 0, time.UTC), with(ssh, record.NATDelete))},
		},
		{
			name: "ulogd2 JSON destroy: flow end time",
			msg:  header(ulogdJSONEnd),
			want: []*record.Record{nmNAT(time.Unix(1795168798, 250000000).UTC(), with(ssh, record.NATDelete))},
		},
		{
			name: "ulogd2 JSON new: flow start time",
			msg:  header(`{"orig.ip.protocol": 6, "orig.l4.sport": 40000, "orig.l4.dport": 22, "reply.l4.sport": 22, "reply.l4.dport": 40000, "ct.event": 1, "flow.start.sec": 1795168700, "orig.ip.saddr.str": "10.0.0.2", "orig.ip.daddr.str": "198.51.100.9", "reply.ip.saddr.str": "198.51.100.9", "reply.ip.daddr.str": "203.0.113.4"}`),
			want: []*record.Record{nmNAT(time.Unix(1795168700, 0).UTC(), with(ssh, record.NATCreate))},
		},
		{
			name: "ulogd2 JSON update: local timestamp",
			msg:  header(`{"timestamp": "2026-11-20T17:59:58.500000", "orig.ip.protocol": 6, "orig.l4.sport": 40000, "orig.l4.dport": 22, "reply.l4.sport": 22, "reply.l4.dport": 40000, "ct.event": 2, "orig.ip.saddr": "10.0.0.2", "orig.ip.daddr": "198.51.100.9", "reply.ip.saddr": "198.51.100.9", "reply.ip.daddr": "203.0.113.4"}`),
			want: []*record.Record{nmNAT(time.Date(2026, 11, 20, 9, 59, 58, 5e8, time.UTC), with(ssh, record.NATInterim))},
		},
		{name: "no NAT", msg: header(ctNoNAT), notMine: true},
		{name: "kernel packet log", msg: header(nfLogPacket), notMine: true},
		{name: "untagged line that is not a dump line", msg: header(`CEF:0|Fortinet|Fortigate|v5.6.0|00013|traffic:forward close|3|src=192.168.1.183 spt=45719 dst=192.168.70.184 dpt=80`), notMine: true},
		{name: "bad address", msg: header(`[NEW] tcp      6 120 SYN_SENT src=10.0.0.999 dst=198.51.100.9 sport=1 dport=2 src=198.51.100.9 dst=203.0.113.4 sport=2 dport=1`), wantErr: "src"},
		{name: "bad port", msg: header(`[NEW] tcp      6 120 SYN_SENT src=10.0.0.2 dst=198.51.100.9 sport=1 dport=99999 src=198.51.100.9 dst=203.0.113.4 sport=2 dport=1`), wantErr: "dport"},
		{name: "one tuple", msg: header(`[NEW] tcp      6 120 SYN_SENT src=10.0.0.2 dst=198.51.100.9 sport=1 dport=2`), wantErr: "reply tuple"},
		{name: "tuple without destination", msg: header(`[NEW] tcp      6 120 SYN_SENT src=10.0.0.2 sport=1 dport=2 src=198.51.100.9 dst=203.0.113.4 sport=2 dport=1`), wantErr: "lacks an address"},
		{name: "no protocol", msg: header(`[NEW] src=10.0.0.2 dst=198.51.100.9 src=198.51.100.9 dst=203.0.113.4`), wantErr: "no protocol"},
		{name: "bad timestamp", msg: header(`[12x.5] [NEW] tcp      6 src=10.0.0.2 dst=198.51.100.9 src=198.51.100.9 dst=203.0.113.4`), wantErr: "timestamp"},
		{name: "printflow without tag", msg: header(ulogdFlow[len("[NEW] "):]), wantErr: "no event tag"},
		{name: "printflow bad address", msg: header(`[NEW] ORIG: SRC=10.0.0.2 DST=x PROTO=TCP , REPLY: SRC=198.51.100.9 DST=203.0.113.4`), wantErr: "DST"},
		{name: "JSON malformed", msg: header(`{"orig.ip.saddr.str": 1}`), wantErr: "JSON"},
		{name: "JSON unknown event", msg: header(`{"ct.event": 8, "orig.ip.saddr.str": "10.0.0.2"}`), wantErr: "ct.event"},
		{name: "JSON without event", msg: header(`{"orig.ip.saddr.str": "10.0.0.2"}`), wantErr: "ct.event"},
	}
	for _, o := range nmOtherFormats {
		cases = append(cases, nmCase{name: "other format " + o.name, msg: header(o.text), notMine: true})
	}
	nmRun(t, func() Parser { return new(linuxCT) }, cases)
}

func FuzzLinuxConntrackParse(f *testing.F) {
	nmFuzz(f, func() Parser { return new(linuxCT) }, []string{
		ctDestroyUDP, ctWeave, ctDNAT, ctNoNAT, ctStamped, ctUpdate, ctDump, ctICMP, ulogdFlow, ulogdJSONEnd, nfLogPacket,
		"Nov 20 17:59:58 gw [DESTROY] ORIG: SRC=1.1.1.1 , REPLY: DST=2.2.2.2",
	})
}

func BenchmarkLinuxConntrackParse(b *testing.B) {
	nmBench(b, new(linuxCT), nmMsg(ctStamped))
}

func BenchmarkLinuxConntrackDecline(b *testing.B) {
	nmBenchDecline(b, new(linuxCT), fortiClose)
}
