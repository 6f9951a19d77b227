package dialect

import (
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// Huawei samples: a USG teardown and URL log through an rsyslog relay, as
// quoted in a public parser; the SESSION_BUILT line follows the field
// list of Huawei's "Meanings of Log Fields" with a captured header.
const (
	hwTeardown = `Sep 9 11:56:41 10.123.169.1 2020-09-09 10:05:11 FW-OUT-01 %%01SECLOG/6/SESSION_TEARDOWN(l):IPVer=4,Protocol=udp,SourceIP=10.123.169.167,DestinationIP=8.8.8.8,SourcePort=52451,DestinationPort=53,SourceNatIP=84.10.61.54,SourceNatPort=3711,BeginTime=1599645876,EndTime=1599645911,SendPkts=1,SendBytes=74,RcvPkts=1,RcvBytes=120,SourceVpnID=0,DestinationVpnID=0,SourceZone=untrust,DestinationZone=untrust,PolicyName=Permit_all,UserName=jakub.gawinkowski,CloseReason=aged-out.`
	hwURL      = `Jun 19 17:42:29 10.123.169.1 2020-06-19 15:43:30 FW-OUT-01 %%01SECLOG/6/SESSION_URL(l):IPVer=4,Protocol=tcp,SourceIP=10.123.169.152,DestinationIP=34.196.179.197,SourcePort=52858,DestinationPort=80,SourceNatIP=84.10.61.54,SourceNatPort=2465,BeginTime=1592581410,EndTime=1592581410,SourceVpnID=0,DestinationVpnID=0,Page=/pulse?authon&user=5E2F338FF5DDACBC577C29D2515B0CF9&url_ecommerce=20,0,2382,2579,0&catalog_lookup_counts_304=150,0,0,0,0&db_conn=1,0,0,0,0,Host=heartbeat.dm.origin.com.`
	hwBuilt    = `<190>2023-10-11 20:38:20 USG-01 %%01SECLOG/6/SESSION_BUILT(l):IPVer=4,Protocol=tcp,SourceIP=192.168.1.10,DestinationIP=198.51.100.80,SourcePort=50000,DestinationPort=443,SourceNatIP=203.0.113.30,SourceNatPort=2048,DestinationNatIP=198.51.100.81,DestinationNatPort=8443,BeginTime=1697027900,EndTime=1697027900,SendPkts=1,SendBytes=60,RcvPkts=0,RcvBytes=0,SourceVpnID=0,DestinationVpnID=0,SourceZone=trust,DestinationZone=untrust,PolicyName=nat_out,UserName=,CloseReason=.`
	hwNoNAT    = `<190>2023-10-11 20:38:20 USG-01 %%01SECLOG/6/SESSION_TEARDOWN(l):IPVer=4,Protocol=udp,SourceIP=192.168.1.10,DestinationIP=192.168.2.1,SourcePort=5353,DestinationPort=53,BeginTime=1697027900,EndTime=1697027901,SourceVpnID=0,DestinationVpnID=0,CloseReason=aged-out.`
	hwReadable = `<190>2023-10-11 20:38:20 USG-01 %%01SECLOG/6/SESSION_BUILT(l):Built an tcp session, 192.168.1.10:50000 (trust) to 198.51.100.80:443 (untrust).`
)

func TestHuawei(t *testing.T) {
	teardown := record.NAT{
		Event: record.NATDelete, Protocol: record.ProtoUDP,
		InsideAddr: natAddrT("10.123.169.167"), InsidePort: 52451, OutsideAddr: natAddrT("84.10.61.54"), OutsidePort: 3711,
		DestAddr: natAddrT("8.8.8.8"), DestPort: 53, Device: "FW-OUT-01", VRF: "0",
	}
	relayed := natMsg(`2020-09-09 10:05:11 FW-OUT-01 %%01SECLOG/6/SESSION_TEARDOWN(l):IPVer=4,Protocol=udp,SourceIP=10.123.169.167,DestinationIP=8.8.8.8,SourcePort=52451,DestinationPort=53,SourceNatIP=84.10.61.54,SourceNatPort=3711,BeginTime=1599645876,EndTime=1599645911,SourceVpnID=0,CloseReason=aged-out.`)
	relayed.Host, relayed.Time = "10.123.169.1", time.Date(2026, 9, 9, 11, 56, 41, 0, time.UTC)
	noTimes := natMsg(`<190>2023-10-11 20:38:20 USG-01 %%01SECLOG/6/SESSION_BUILT(l):IPVer=4,Protocol=6,SourceIP=192.168.1.10,DestinationIP=198.51.100.80,SourcePort=50000,DestinationPort=443,SourceNatIP=203.0.113.30,SourceNatPort=2048.`)
	noTimes.Loc = time.FixedZone("CST", 8*3600)
	cases := []natCase{
		{name: "teardown through a relay", msg: natMsg(hwTeardown), want: []*record.Record{natWant(time.Date(2020, 9, 9, 10, 5, 11, 0, time.UTC), teardown)}},
		{name: "relay header parsed by the collector", msg: relayed, want: []*record.Record{natWant(time.Date(2020, 9, 9, 10, 5, 11, 0, time.UTC), teardown)}},
		{name: "built with destination NAT", msg: natMsg(hwBuilt), want: []*record.Record{natWant(time.Date(2023, 10, 11, 12, 38, 20, 0, time.UTC), record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoTCP,
			InsideAddr: natAddrT("192.168.1.10"), InsidePort: 50000, OutsideAddr: natAddrT("203.0.113.30"), OutsidePort: 2048,
			DestAddr: natAddrT("198.51.100.81"), DestPort: 8443, Device: "USG-01", VRF: "0",
		})}},
		{name: "no body times: header in the device zone", msg: noTimes, want: []*record.Record{natWant(time.Date(2023, 10, 11, 12, 38, 20, 0, time.UTC), record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoTCP,
			InsideAddr: natAddrT("192.168.1.10"), InsidePort: 50000, OutsideAddr: natAddrT("203.0.113.30"), OutsidePort: 2048,
			DestAddr: natAddrT("198.51.100.80"), DestPort: 443, Device: "USG-01",
		})}},
		{name: "URL log", msg: natMsg(hwURL), notMine: true},
		{name: "session without NAT", msg: natMsg(hwNoNAT), notMine: true},
		{name: "readable format", msg: natMsg(hwReadable), notMine: true},
		{name: "policy log", msg: natMsg(`<190>Jan 19 2023 08:53:29 USG6630E-01-DC %%01POLICY/6/POLICYPERMIT(l):vsys=public, protocol=9, source-ip=10.0.0.1, rule-name=zone1-zone2.`), notMine: true},
		{name: "bad NAT address", msg: natMsg(`%%01SECLOG/6/SESSION_BUILT(l):IPVer=4,Protocol=tcp,SourceIP=192.168.1.10,SourcePort=1,SourceNatIP=203.0.113,SourceNatPort=2.`), errHas: "bad translated source address"},
		{name: "bad begin time", msg: natMsg(`%%01SECLOG/6/SESSION_BUILT(l):IPVer=4,Protocol=tcp,SourceIP=192.168.1.10,SourcePort=1,SourceNatIP=203.0.113.1,SourceNatPort=2,BeginTime=99999999999999.`), errHas: "bad session time"},
	}
	cases = append(cases, natOtherCases("huawei")...)
	runNATCases(t, func() Parser { return huaweiNAT{} }, false, cases)
}

// H3C samples: Comware V7 session logs of an F1050 quoted in a public
// SOC parser (the second joined from its wrapped lines); NAT444 lines
// follow HPE's "Configuring NAT444 user logging" template; the USERLOG
// lines are the 3Com Switch 8800 guide's example, joined from wrapped
// lines.
const (
	h3cCreated = `<6> Dec 01 16:15:43 2019 GB-ZWY-HLWQ-J1J2-S-FW-F1050-1&2 %%10session/6/SESSION_IPV4_FLOW: Protocol(1001)=TCP;Application(1002)=http;SrcIPAddr(1003)=192.168.187.12;SrcPort(1004)=40912;NatSrcIPAddr(1005)=112.35.18.188;NatSrcPort(1006)=9460;DstIPAddr(1007)=47.95.12.238;DstPort(1008)=80;NatDstIPAddr(1009)=47.95.12.238;NatDstPort(1010)=80;InitPktCount(1044)=1;InitByteCount(1046)=60;RplyPktCount(1045)=0;RplyByteCount(1047)=0;RcvVPNInstance(1042)=;SndVPNInstance(1043)=;RcvDSLiteTunnelPeer(1040)=;SndDSLiteTunnelPeer(1041)=;BeginTime_e(1013)=12012019081543;EndTime_e(1014)=;Event(1048)=(8)Session created;`
	h3cOver    = `<6> Dec 01 16:15:43 2019 GB-ZWY-HLWQ-J1J2-S-FW-F1050-1&2 %%10session/6/SESSION_IPV4_FLOW: Protocol(1001)=TCP;Application(1002)=http;SrcIPAddr(1003)=192.168.187.20;SrcPort(1004)=32926;NatSrcIPAddr(1005)=112.35.18.188;NatSrcPort(1006)=60295;DstIPAddr(1007)=59.252.162.151;DstPort(1008)=80;NatDstIPAddr(1009)=59.252.162.151;NatDstPort(1010)=80;InitPktCount(1044)=6;InitByteCount(1046)=920;RplyPktCount(1045)=9;RplyByteCount(1047)=3477;RcvVPNInstance(1042)=;SndVPNInstance(1043)=;RcvDSLiteTunnelPeer(1040)=;SndDSLiteTunnelPeer(1041)=;BeginTime_e(1013)=12012019081051;EndTime_e(1014)=12012019081543;Event(1048)=(1)Normal over;`
	h3cActive  = `<6> Jan 13 10:33:37 2020 FW-F1050 %%10session/6/SESSION_IPV4_FLOW: Protocol(1001)=UDP;SrcIPAddr(1003)=192.168.183.14;SrcPort(1004)=15447;NatSrcIPAddr(1005)=112.35.18.188;NatSrcPort(1006)=58971;DstIPAddr(1007)=117.161.25.21;DstPort(1008)=8200;RcvVPNInstance(1042)=vpn-a;BeginTime_e(1013)=01132020023338;EndTime_e(1014)=;Event(1048)=(6)Active data flow timeout;`
	h3cNames   = `%%10SESSION/6/SESSION_IPV4_FLOW: Protocol=UDP; SrcIPAddr=10.0.0.5; SrcPort=5000; NATSrcIPAddr=203.0.113.5; NATSrcPort=6000; DstIPAddr=8.8.8.8; DstPort=53; BeginTime_e=01132020023338; Event=(8)Session created;`
	h3cNoNAT   = `<6> Dec 01 16:15:43 2019 FW-F1050 %%10session/6/SESSION_IPV4_FLOW: Protocol(1001)=TCP;SrcIPAddr(1003)=192.168.187.12;SrcPort(1004)=40912;DstIPAddr(1007)=47.95.12.238;DstPort(1008)=80;BeginTime_e(1013)=12012019081543;EndTime_e(1014)=;Event(1048)=(8)Session created;`
	h3cPBA     = `<134>1 Nov 21 10:00:00 192.0.2.1 H3C-BRAS - NAT444:userbasedA [6 100.64.1.2 vpn1 203.0.113.50 vpn2 10240 10495]`
	h3cPBAW    = `NAT444:userbasedW [6 100.64.1.2 203.0.113.50 10240 10495]`
	h3cV5Open  = `%@250005%Jul 7 04:20:04:72 2005 Sysname USERLOG/7/NAT: ICMP; 192.168.1.6:768--->1.1.1.1:12288; 2.2.2.2:768; [2005/07/07 04:20:03-0000/00/00 00:00:00]; Operator 8: Data flow created`
	h3cV5Over  = `%@250006%Jul 7 04:20:10:72 2005 Sysname USERLOG/7/NAT: ICMP; 192.168.1.6:768--->1.1.1.1:12288; 2.2.2.2:768; [2005/07/07 04:20:03-2005/07/07 04:20:09]; Operator 1: Normal over`
)

func TestH3C(t *testing.T) {
	v5 := record.NAT{
		Protocol:   record.ProtoICMP,
		InsideAddr: natAddrT("192.168.1.6"), InsidePort: 768, OutsideAddr: natAddrT("1.1.1.1"), OutsidePort: 12288,
		DestAddr: natAddrT("2.2.2.2"), DestPort: 768, Device: "Sysname",
	}
	v5Open, v5Over := v5, v5
	v5Open.Event, v5Over.Event = record.NATCreate, record.NATDelete
	active := natMsg(h3cActive)
	active.Loc = time.FixedZone("CST", 8*3600)
	cases := []natCase{
		{name: "session created", msg: natMsg(h3cCreated), want: []*record.Record{natWant(time.Date(2019, 12, 1, 8, 15, 43, 0, time.UTC), record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoTCP,
			InsideAddr: natAddrT("192.168.187.12"), InsidePort: 40912, OutsideAddr: natAddrT("112.35.18.188"), OutsidePort: 9460,
			DestAddr: natAddrT("47.95.12.238"), DestPort: 80, Device: "GB-ZWY-HLWQ-J1J2-S-FW-F1050-1&2",
		})}},
		{name: "session over", msg: natMsg(h3cOver), want: []*record.Record{natWant(time.Date(2019, 12, 1, 8, 15, 43, 0, time.UTC), record.NAT{
			Event: record.NATDelete, Protocol: record.ProtoTCP,
			InsideAddr: natAddrT("192.168.187.20"), InsidePort: 32926, OutsideAddr: natAddrT("112.35.18.188"), OutsidePort: 60295,
			DestAddr: natAddrT("59.252.162.151"), DestPort: 80, Device: "GB-ZWY-HLWQ-J1J2-S-FW-F1050-1&2",
		})}},
		{name: "active flow: header time in the device zone", msg: active, want: []*record.Record{natWant(time.Date(2020, 1, 13, 2, 33, 37, 0, time.UTC), record.NAT{
			Event: record.NATInterim, Protocol: record.ProtoUDP,
			InsideAddr: natAddrT("192.168.183.14"), InsidePort: 15447, OutsideAddr: natAddrT("112.35.18.188"), OutsidePort: 58971,
			DestAddr: natAddrT("117.161.25.21"), DestPort: 8200, Device: "FW-F1050", VRF: "vpn-a",
		})}},
		{name: "names without codes, in another case", msg: natMsg(h3cNames), want: []*record.Record{natWant(time.Date(2020, 1, 13, 2, 33, 38, 0, time.UTC), record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoUDP,
			InsideAddr: natAddrT("10.0.0.5"), InsidePort: 5000, OutsideAddr: natAddrT("203.0.113.5"), OutsidePort: 6000,
			DestAddr: natAddrT("8.8.8.8"), DestPort: 53,
		})}},
		{name: "NAT444 port block", msg: natMsg(h3cPBA), want: []*record.Record{natWant(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC), record.NAT{
			Event: record.NATBlockAlloc, Protocol: record.ProtoTCP,
			InsideAddr: natAddrT("100.64.1.2"), OutsideAddr: natAddrT("203.0.113.50"), OutsidePort: 10240, OutsidePortEnd: 10495,
			Device: "H3C-BRAS", VRF: "vpn1",
		})}},
		{name: "NAT444 withdrawal without VPN fields", msg: natMsg(h3cPBAW), want: []*record.Record{natWant(natTestReceived, record.NAT{
			Event: record.NATBlockRelease, Protocol: record.ProtoTCP,
			InsideAddr: natAddrT("100.64.1.2"), OutsideAddr: natAddrT("203.0.113.50"), OutsidePort: 10240, OutsidePortEnd: 10495,
		})}},
		{name: "V5 flow created", msg: natMsg(h3cV5Open), want: []*record.Record{natWant(time.Date(2005, 7, 7, 4, 20, 3, 0, time.UTC), v5Open)}},
		{name: "V5 flow over", msg: natMsg(h3cV5Over), want: []*record.Record{natWant(time.Date(2005, 7, 7, 4, 20, 9, 0, time.UTC), v5Over)}},
		{name: "session without NAT", msg: natMsg(h3cNoNAT), notMine: true},
		{name: "NAT444 resources exhausted", msg: natMsg(`NAT444:userbasedF [6 100.64.1.2 - 203.0.113.50 - 0 0]`), notMine: true},
		{name: "other Comware module", msg: natMsg(`<189>Dec  4 17:43:06 2019 H3C %%10SHELL/5/SHELL_LOGIN: admgbzwy@system(@context10) logged in from vty1.`), notMine: true},
		{name: "unsupported NAT444 type", msg: natMsg(`NAT444: SessionA[6 100.64.1.2 203.0.113.50 10240 8.8.8.8 53]`), errHas: "unsupported log type"},
		{name: "NAT444 wrong field count", msg: natMsg(`NAT444:userbasedA [6 100.64.1.2 203.0.113.50 10240]`), errHas: "want 7"},
		{name: "bad event code", msg: natMsg(`%%10session/6/SESSION_IPV4_FLOW: SrcIPAddr(1003)=10.0.0.1;SrcPort(1004)=1;NatSrcIPAddr(1005)=203.0.113.1;NatSrcPort(1006)=2;Event(1048)=(42)Unknown;`), errHas: "unknown Event code"},
		{name: "missing event", msg: natMsg(`%%10session/6/SESSION_IPV4_FLOW: SrcIPAddr(1003)=10.0.0.1;SrcPort(1004)=1;NatSrcIPAddr(1005)=203.0.113.1;NatSrcPort(1006)=2;`), errHas: "bad Event"},
		{name: "bad begin time", msg: natMsg(`%%10session/6/SESSION_IPV4_FLOW: SrcIPAddr(1003)=10.0.0.1;SrcPort(1004)=1;NatSrcIPAddr(1005)=203.0.113.1;NatSrcPort(1006)=2;BeginTime_e(1013)=13012019081543;Event(1048)=(8)Session created;`), errHas: "bad session time"},
		{name: "V5 bad operator", msg: natMsg(`Sysname USERLOG/7/NAT: TCP; 10.0.0.1:1--->203.0.113.1:2; 8.8.8.8:53; [2005/07/07 04:20:03-0000/00/00 00:00:00]; Operator x: ?`), errHas: "bad Operator"},
	}
	cases = append(cases, natOtherCases("h3c")...)
	runNATCases(t, func() Parser { return h3cNAT{} }, false, cases)
}

func FuzzHuawei(f *testing.F) {
	natFuzz(f, func() Parser { return huaweiNAT{} }, []string{hwTeardown, hwURL, hwBuilt, hwNoNAT, hwReadable})
}

func FuzzH3C(f *testing.F) {
	natFuzz(f, func() Parser { return h3cNAT{} }, []string{h3cCreated, h3cOver, h3cActive, h3cNames, h3cNoNAT, h3cPBA, h3cPBAW, h3cV5Open, h3cV5Over})
}

func BenchmarkHuawei(b *testing.B) {
	natBench(b, func() Parser { return huaweiNAT{} }, []string{hwTeardown, hwBuilt}, natOtherLines["juniper"])
}

func BenchmarkH3C(b *testing.B) {
	natBench(b, func() Parser { return h3cNAT{} }, []string{h3cCreated, h3cPBA, h3cV5Open}, natOtherLines["juniper"])
}
