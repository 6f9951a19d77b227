package dialect

import (
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// VPP samples: vppDoc is the example in FD.io VPP's syslog documentation
// (src/vnet/syslog), vppReal the line a user reported to
// syslog-rfc5424-parser (issue 10), trailing text and all. The napmap,
// DS-Lite and NAT64 lines follow src/plugins/nat/lib/nat_syslog.c.
const (
	vppDoc   = `<134>1 2018-11-12T11:25:30.252715Z 172.16.4.1 NAT 5901 SADD [nsess SSUBIX="0" SVLAN="0" IATYP="IPv4" ISADDR="172.16.1.2" ISPORT="6303" XATYP="IPv4" XSADDR="10.0.0.3" XSPORT="16253" PROTO="6"]`
	vppReal  = `<134>1 2019-01-20T23:43:41.087236Z 172.16.3.1 NAT 15634 SADD [nsess SSUBIX="0" SVLAN="0" IATYP="IPv4" ISADDR="172.16.1.2" ISPORT="6303" XATYP="IPv4" XSADDR="10.0.0.3" XSPORT="16253" PROTO="6" XDADDR="172.16.2.2" XDPORT="80"] <type 'str'>`
	vppAPM   = `<134>1 2026-11-20T09:59:59.5Z cgn-1 NAT 77 APMADD [napmap SSUBIX="0" SVLAN="10" IATYP="IPv4" ISADDR="100.64.0.5" ISPORT="5000" XATYP="IPv4" XSADDR="203.0.113.7" XSPORT="1025" PROTO="17"]`
	vppDSLit = `<134>1 2026-11-20T09:59:59Z cgn-1 NAT 77 APMDEL [napmap SSUBIX="1" SV6ENC="2001:db8:1::2" IATYP="IPv4" ISADDR="192.0.0.2" ISPORT="1234" XATYP="IPv4" XSADDR="203.0.113.7" XSPORT="2048" PROTO="6"]`
	vpp64    = `<134>1 2026-11-20T09:59:59Z cgn-1 NAT 77 SDEL [nsess SVLAN="0" IATYP="IPv6" ISADDR="2001:db8::5" ISPORT="40000" XATYP="IPv4" XSADDR="203.0.113.7" XSPORT="40001" PROTO="6" XDADDR="198.51.100.80" XDPORT="443"]`
)

func TestVPPParse(t *testing.T) {
	docTime := time.Date(2018, 11, 12, 11, 25, 30, 252715000, time.UTC)
	// parsed is the doc sample as a collector that parsed the RFC 5424
	// header hands it over.
	parsed := nmMsg("")
	parsed.Time, parsed.Host, parsed.App, parsed.MsgID, parsed.SDID = docTime, "172.16.4.1", "NAT", "SADD", "nsess"
	parsed.Params = map[string]string{
		"SSUBIX": "0", "SVLAN": "0", "IATYP": "IPv4", "ISADDR": "172.16.1.2", "ISPORT": "6303",
		"XATYP": "IPv4", "XSADDR": "10.0.0.3", "XSPORT": "16253", "PROTO": "6",
	}
	missing := parsed
	missing.Params = map[string]string{"ISADDR": "172.16.1.2", "PROTO": "6"}
	docNAT := record.NAT{
		Event: record.NATCreate, Protocol: record.ProtoTCP,
		InsideAddr: nmIP("172.16.1.2"), InsidePort: 6303,
		OutsideAddr: nmIP("10.0.0.3"), OutsidePort: 16253, VRF: "0",
	}
	realNAT := docNAT
	realNAT.DestAddr, realNAT.DestPort = nmIP("172.16.2.2"), 80
	other := nmMsg("")
	other.SDID, other.Params = "timeQuality", map[string]string{"tzKnown": "1"}
	cases := []nmCase{
		{name: "header parsed by the collector", msg: parsed, want: []*record.Record{nmNAT(docTime, docNAT)}},
		{name: "whole line in the text", msg: nmMsg(vppDoc), want: []*record.Record{nmNAT(docTime, docNAT)}},
		{
			name: "destination and trailing text",
			msg:  nmMsg(vppReal),
			want: []*record.Record{nmNAT(time.Date(2019, 1, 20, 23, 43, 41, 87236000, time.UTC), realNAT)},
		},
		{
			name: "address and port mapping added",
			msg:  nmMsg(vppAPM),
			want: []*record.Record{nmNAT(time.Date(2026, 11, 20, 9, 59, 59, 5e8, time.UTC), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoUDP,
				InsideAddr: nmIP("100.64.0.5"), InsidePort: 5000,
				OutsideAddr: nmIP("203.0.113.7"), OutsidePort: 1025, VRF: "10",
			})},
		},
		{
			name: "DS-Lite: the B4 address is the inside",
			msg:  nmMsg(vppDSLit),
			want: []*record.Record{nmNAT(time.Date(2026, 11, 20, 9, 59, 59, 0, time.UTC), record.NAT{
				Event: record.NATDelete, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("2001:db8:1::2"), InsidePort: 1234,
				OutsideAddr: nmIP("203.0.113.7"), OutsidePort: 2048,
			})},
		},
		{
			name: "NAT64 session deleted",
			msg:  nmMsg(vpp64),
			want: []*record.Record{nmNAT(time.Date(2026, 11, 20, 9, 59, 59, 0, time.UTC), record.NAT{
				Event: record.NATDelete, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("2001:db8::5"), InsidePort: 40000,
				OutsideAddr: nmIP("203.0.113.7"), OutsidePort: 40001,
				DestAddr: nmIP("198.51.100.80"), DestPort: 443, VRF: "0",
			})},
		},
		{
			name: "body only: receive time",
			msg:  nmMsg(`SADD [nsess SSUBIX="0" SVLAN="0" IATYP="IPv4" ISADDR="172.16.1.2" ISPORT="6303" XATYP="IPv4" XSADDR="10.0.0.3" XSPORT="16253" PROTO="6"]`),
			want: []*record.Record{nmNAT(nmReceived, docNAT)},
		},
		{name: "other structured data", msg: other, notMine: true},
		{name: "unknown MSGID", msg: nmMsg(`SMOD [nsess ISADDR="172.16.1.2" XSADDR="10.0.0.3" PROTO="6"]`), wantErr: "MSGID"},
		{name: "bad inside address", msg: nmMsg(`SADD [nsess ISADDR="172.16.1" XSADDR="10.0.0.3" PROTO="6"]`), wantErr: "ISADDR"},
		{name: "bad port", msg: nmMsg(`SADD [nsess ISADDR="172.16.1.2" ISPORT="x" XSADDR="10.0.0.3" PROTO="6"]`), wantErr: "ISPORT"},
		{name: "bad protocol", msg: nmMsg(`SADD [nsess ISADDR="172.16.1.2" XSADDR="10.0.0.3" PROTO="999"]`), wantErr: "PROTO"},
		{name: "unterminated value", msg: nmMsg(`SADD [nsess ISADDR="172.16.1.2`), wantErr: "structured data"},
		{name: "parameter without quotes", msg: nmMsg(`SADD [nsess ISADDR=172.16.1.2]`), wantErr: "structured data"},
		{name: "parsed header without outside address", msg: missing, wantErr: "XSADDR"},
	}
	for _, o := range nmOtherFormats {
		cases = append(cases, nmCase{name: "other format " + o.name, msg: nmMsg(o.text), notMine: true})
	}
	nmRun(t, func() Parser { return new(vppNAT) }, cases)
}

func FuzzVPPParse(f *testing.F) {
	nmFuzz(f, func() Parser { return new(vppNAT) }, []string{
		vppDoc, vppReal, vppAPM, vppDSLit, vpp64, `SADD [nsess ISADDR="\"" XSADDR="1.2.3.4"]`,
	})
}

func BenchmarkVPPParse(b *testing.B) {
	m := nmMsg("")
	m.Time, m.MsgID, m.SDID = time.Date(2019, 1, 20, 23, 43, 41, 0, time.UTC), "SADD", "nsess"
	m.Params = map[string]string{
		"SSUBIX": "0", "SVLAN": "0", "IATYP": "IPv4", "ISADDR": "172.16.1.2", "ISPORT": "6303",
		"XATYP": "IPv4", "XSADDR": "10.0.0.3", "XSPORT": "16253", "PROTO": "6", "XDADDR": "172.16.2.2", "XDPORT": "80",
	}
	nmBench(b, new(vppNAT), m)
}

func BenchmarkVPPParseText(b *testing.B) {
	nmBench(b, new(vppNAT), nmMsg(vppReal))
}

func BenchmarkVPPDecline(b *testing.B) {
	nmBenchDecline(b, new(vppNAT), fortiClose)
}
