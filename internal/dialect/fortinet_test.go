package dialect

import (
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// FortiGate samples. Sources: elastic/integrations
// packages/fortinet_fortigate/data_stream/log/_dev/test/pipeline
// (test-fortinet-7-4.log, test-fortinet.log), the FortiOS 5.6 Log Message
// Reference "Traffic log support for CEF", and the FortiGate 7.2
// Hyperscale Firewall Guide "Hardware logging". The port block events have
// no published sample; their lines are built from the Log Message
// Reference field lists of logids 22015, 22016 and 22024.
const (
	fortiClose = `date=2019-05-10 time=11:37:47 logid="0000000013" type="traffic" subtype="forward" level="notice" vd="vdom1" eventtime=1557513467369913239 srcip=10.1.100.11 srcport=58012 srcintf="port12" srcintfrole="undefined" dstip=81.2.69.142 dstport=80 dstintf="port11" dstintfrole="undefined" srcuuid="ae28f494-5735-51e9-f247-d1d2ce663f4b" dstuuid="ae28f494-5735-51e9-f247-d1d2ce663f4b" poluuid="ccb269e0-5735-51e9-a218-a397dd08b7eb" sessionid=105048 proto=6 action="close" policyid=1 policytype="policy" service="HTTP" dstcountry="Canada" srccountry="Reserved" trandisp="snat" transip=172.16.200.2 transport=58012 appid=34050 app="HTTP.BROWSER_Firefox" appcat="Web.Client" apprisk="elevated" applist="g-default" duration=116 sentbyte=1188 rcvdbyte=1224 sentpkt=17 rcvdpkt=16 utmaction="allow" countapp=1 osname="Ubuntu" mastersrcmac="a2:e9:00:ec:40:01" srcmac="a2:e9:00:ec:40:01" srcserver=0 utmref=65500-742`
	fortiStat  = `<189>date=2020-04-23 time=12:11:51 devname="newfirewall" devid="newrouterid" logid="0000000020" type="traffic" subtype="forward" level="notice" vd="root" eventtime=1587229911390385486 tz="-0500" srcip=192.168.10.10 srcport=6000 srcintf="port1" srcintfrole="lan" dstip=67.43.156.13 dstport=6000 dstintf="wan1" dstintfrole="wan" sessionid=4352 proto=17 action="accept" policyid=3426 policytype="policy" poluuid="1765de8-5a13-765da73fdsfa1c" policyname="newruleelastic" service="portname" dstcountry="Netherlands" srccountry="Reserved" trandisp="snat" transip=67.43.156.14 transport=60964 appcat="unknown" applist="policylist" duration=5462 sentbyte=438650 rcvdbyte=65446 sentpkt=723417 rcvdpkt=1045601 vwlid=0 sentdelta=576 rcvddelta=728`
	fortiOld   = `date=2016-02-12 time=11:11:29 logid=0000000013 type=traffic subtype=forward level=notice vd=vdom1 srcip=192.168.1.183 srcname="192.168.1.183" srcport=45719 srcintf="port15" dstip=192.168.70.184 dstname="192.168.70.184" dstport=80 dstintf="port19" poluuid=61c4243a-34ba-51e5-c32a-3859389a5162 sessionid=56633 proto=6 action=close policyid=10 dstcountry="Reserved" srccountry="Reserved" trandisp=snat transip=192.168.70.214 transport=45719 service="HTTP" appid=38783 app="Wget.Like" appcat="General.Interest" apprisk=low applist="default" appact=detected duration=7 sentbyte=398 rcvdbyte=1605 sentpkt=5 rcvdpkt=5 utmaction=block countav=1 countapp=1 crscore=50 craction=2 utmref=65502-0`
	fortiCEF   = `CEF:0|Fortinet|Fortigate|v5.6.0|00013|traffic:forward close|3|FTNTFGTlogid=0000000013 cat=traffic:forward FTNTFGTsubtype=forward FTNTFGTlevel=notice FTNTFGTvd=vdom1 src=192.168.1.183 shost=192.168.1.183 spt=45719 deviceInboundInterface=port15 dst=192.168.70.184 dhost=192.168.70.184 dpt=80 deviceOutboundInterface=port19 FTNTFGTpoluuid=61c4243a-34ba-51e5-c32a-3859389a5162 externalId=56633 proto=6 act=close cs5=10 cs5Label=Policy Id FTNTFGTdstcountry=Reserved FTNTFGTsrccountry=Reserved FTNTFGTtrandisp=snat sourceTranslatedAddress=192.168.70.214 sourceTranslatedPort=45719 app=HTTP FTNTFGTappid=38783`
	fortiHWOn  = `date=2022-10-06 time=02:29:32 sn=F2K61FTK21900840 vd=cgn-hw1 pid=805306369 type=sess act=start tran=snat proto=6 ipold=v4 ipnew=v4 sip=10.1.100.11 dip=172.16.200.155 sport=40836 dport=80 nsip=172.16.201.182 ndip=172.16.200.155 nsport=8117 ndport=80 sentp=0 sentb=0 rcvdp=0 rcvdb=0`
	fortiHWOff = `date=2022-10-06 time=02:29:35 sn=F2K61FTK21900840 vd=cgn-hw1 pid=805306369 type=sess act=end tran=snat proto=6 ipold=v4 ipnew=v4 sip=10.1.100.11 dip=172.16.200.155 sport=40836 dport=80 nsip=172.16.201.182 ndip=172.16.200.155 nsport=8117 ndport=80 dur=2936 sentp=6 sentb=398 rcvdp=4 rcvdb=1307`
	fortiPBA   = `date=2023-03-01 time=10:00:00 logid="0100022015" type="event" subtype="system" level="notice" devid="FG4H1FTB21900123" vd="cgn" eventtime=1677636000 tz="+0800" logdesc="IP pool PBA created" saddr="100.64.1.5" nat=203.0.113.9 portbegin=5117 portend=5564 poolname="cgn-pool"`
	// Declined: a sniffer log whose snat went nowhere, local traffic, a
	// denied session, a web filter log, an admin login.
	fortiSniffer = `date=2019-05-10 time=14:18:54 logid="0004000017" type="traffic" subtype="sniffer" level="notice" vd="root" eventtime=1557523134021045897 srcip=216.160.83.56 srcport=50463 srcintf="port1" srcintfrole="undefined" dstip=81.2.69.142 dstport=443 dstintf="port1" dstintfrole="undefined" sessionid=2193276 proto=6 action="accept" policyid=3 policytype="sniffer" service="HTTPS" dstcountry="United States" srccountry="Canada" trandisp="snat" transip=0.0.0.0 transport=0 duration=10 sentbyte=0 rcvdbyte=0 sentpkt=0 rcvdpkt=0 appcat="unscanned" utmaction="allow" countips=1 crscore=5 craction=32768 sentdelta=0 rcvddelta=0 utmref=65162-7772`
	fortiLocal   = `date=2019-05-10 time=11:50:48 logid="0001000014" type="traffic" subtype="local" level="notice" vd="vdom1" eventtime=1557514248379911176 srcip=172.16.200.254 srcport=62024 srcintf="port11" srcintfrole="undefined" dstip=172.16.200.2 dstport=443 dstintf="vdom1" dstintfrole="undefined" sessionid=107478 proto=6 action="server-rst" policyid=0 policytype="local-in-policy" service="HTTPS" dstcountry="Reserved" srccountry="Reserved" trandisp="noop" app="Web Management(HTTPS)" duration=5 sentbyte=1247 rcvdbyte=1719 sentpkt=5 rcvdpkt=6 appcat="unscanned"`
	fortiDeny    = `<189>date=2020-04-23 time=01:16:08 devname="testswitch1" devid="somerouterid" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="OPERATIONAL" eventtime=1592961368 srcip=10.10.10.10 srcport=60899 srcintf="srcintfname" srcintfrole="lan" dstip=67.43.156.13 dstport=161 dstintf="dstintfname" dstintfrole="lan" sessionid=155313 proto=17 action="deny" policyid=0 policytype="policy" service="SNMP" dstcountry="Reserved" srccountry="Reserved" trandisp="noop" duration=0 sentbyte=0 rcvdbyte=0 sentpkt=0 appcat="unscanned" crscore=30 craction=131072 crlevel="high"`
	fortiUTM     = `<188>date=2020-04-23 time=12:17:48 devname="testswitch1" devid="somerouterid" logid="0316013056" type="utm" subtype="webfilter" eventtype="ftgd_blk" level="warning" vd="root" eventtime=1587230269052907555 tz="-0500" policyid=100602 sessionid=1234 user="elasticuser" srcip=192.168.2.1 srcport=61930 dstip=67.43.156.13 dstport=443 proto=6 action="blocked" msg="URL belongs to a denied category in policy"`
	fortiAdmin   = `date=2019-05-13 time=11:20:54 logid="0100032001" type="event" subtype="system" level="information" vd="vdom1" eventtime=1557771654587081441 logdesc="Admin login successful" sn="1557771654" user="admin" ui="ssh(172.16.200.254)" method="ssh" srcip=172.16.200.254 dstip=172.16.200.2 action="login" status="success" reason="none" profile="super_admin" msg="Administrator admin logged in successfully from ssh(172.16.200.254)"`
)

// nmCST is the device zone of the tests (China Standard Time, no DST).
var nmCST = time.FixedZone("CST", 8*3600)

func fortiMsg(text string) Message {
	m := nmMsg(text)
	m.Loc = nmCST
	return m
}

func TestFortiGateParse(t *testing.T) {
	withTime := func(text string, at time.Time) Message { m := fortiMsg(text); m.Time = at; return m }
	header := time.Date(2016, 2, 12, 11, 11, 30, 0, nmCST)
	cases := []nmCase{
		{
			name: "traffic close snat, nanosecond eventtime",
			msg:  fortiMsg(fortiClose),
			want: []*record.Record{nmNAT(time.Unix(0, 1557513467369913239).UTC(), record.NAT{
				Event: record.NATDelete, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("10.1.100.11"), InsidePort: 58012,
				OutsideAddr: nmIP("172.16.200.2"), OutsidePort: 58012,
				DestAddr: nmIP("81.2.69.142"), DestPort: 80, VRF: "vdom1",
			})},
		},
		{
			name: "long session statistics is interim, header PRI left in",
			msg:  fortiMsg(fortiStat),
			want: []*record.Record{nmNAT(time.Unix(0, 1587229911390385486).UTC(), record.NAT{
				Event: record.NATInterim, Protocol: record.ProtoUDP,
				InsideAddr: nmIP("192.168.10.10"), InsidePort: 6000,
				OutsideAddr: nmIP("67.43.156.14"), OutsidePort: 60964,
				DestAddr: nmIP("67.43.156.13"), DestPort: 6000, Device: "newfirewall", VRF: "root",
			})},
		},
		{
			name: "FortiOS 5.6 without eventtime: local date and time",
			msg:  fortiMsg(fortiOld),
			want: []*record.Record{nmNAT(time.Date(2016, 2, 12, 3, 11, 29, 0, time.UTC), record.NAT{
				Event: record.NATDelete, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("192.168.1.183"), InsidePort: 45719,
				OutsideAddr: nmIP("192.168.70.214"), OutsidePort: 45719,
				DestAddr: nmIP("192.168.70.184"), DestPort: 80, VRF: "vdom1",
			})},
		},
		{
			name: "date and time with tz",
			msg:  fortiMsg(`date=2016-02-12 time=11:11:29 tz="-0800" logid=0000000015 type=traffic subtype=forward vd=root srcip=10.0.0.5 srcport=1000 dstip=198.51.100.7 dstport=53 proto=17 action=start trandisp=snat transip=203.0.113.1 transport=2000`),
			want: []*record.Record{nmNAT(time.Date(2016, 2, 12, 19, 11, 29, 0, time.UTC), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoUDP,
				InsideAddr: nmIP("10.0.0.5"), InsidePort: 1000,
				OutsideAddr: nmIP("203.0.113.1"), OutsidePort: 2000,
				DestAddr: nmIP("198.51.100.7"), DestPort: 53, VRF: "root",
			})},
		},
		{
			name: "CEF, time from the header",
			msg:  withTime(fortiCEF, header),
			want: []*record.Record{nmNAT(header.UTC(), record.NAT{
				Event: record.NATDelete, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("192.168.1.183"), InsidePort: 45719,
				OutsideAddr: nmIP("192.168.70.214"), OutsidePort: 45719,
				DestAddr: nmIP("192.168.70.184"), DestPort: 80, VRF: "vdom1",
			})},
		},
		{
			name: "CEF with the header left in the text",
			msg:  withTime("Feb 12 11:11:30 syslog-800c "+fortiCEF, header),
			want: []*record.Record{nmNAT(header.UTC(), record.NAT{
				Event: record.NATDelete, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("192.168.1.183"), InsidePort: 45719,
				OutsideAddr: nmIP("192.168.70.214"), OutsidePort: 45719,
				DestAddr: nmIP("192.168.70.184"), DestPort: 80, VRF: "vdom1",
			})},
		},
		{
			name: "destination NAT: the server is the inside",
			msg:  fortiMsg(`date=2024-01-02 time=03:04:05 devname="fw1" logid="0000000013" type="traffic" subtype="forward" vd="root" eventtime=1704135845 srcip=198.51.100.20 srcport=55000 dstip=203.0.113.10 dstport=443 proto=6 action="close" trandisp="dnat" tranip=192.168.1.10 tranport=8443`),
			want: []*record.Record{nmNAT(time.Unix(1704135845, 0).UTC(), record.NAT{
				Event: record.NATDelete, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("192.168.1.10"), InsidePort: 8443,
				OutsideAddr: nmIP("203.0.113.10"), OutsidePort: 443,
				DestAddr: nmIP("198.51.100.20"), DestPort: 55000, Device: "fw1", VRF: "root",
			})},
		},
		{
			name: "snat+dnat: the peer is the DNAT target",
			msg:  fortiMsg(`logid="0000000013" type="traffic" subtype="forward" eventtime=1704135845 srcip=10.0.0.9 srcport=40000 dstip=203.0.113.10 dstport=443 proto=6 action="close" trandisp="snat+dnat" transip=203.0.113.10 transport=61000 tranip=10.0.0.20 tranport=443`),
			want: []*record.Record{nmNAT(time.Unix(1704135845, 0).UTC(), record.NAT{
				Event: record.NATDelete, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("10.0.0.9"), InsidePort: 40000,
				OutsideAddr: nmIP("203.0.113.10"), OutsidePort: 61000,
				DestAddr: nmIP("10.0.0.20"), DestPort: 443,
			})},
		},
		{
			name: "hyperscale hardware session start",
			msg:  fortiMsg(fortiHWOn),
			want: []*record.Record{nmNAT(time.Date(2022, 10, 5, 18, 29, 32, 0, time.UTC), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("10.1.100.11"), InsidePort: 40836,
				OutsideAddr: nmIP("172.16.201.182"), OutsidePort: 8117,
				DestAddr: nmIP("172.16.200.155"), DestPort: 80, Device: "F2K61FTK21900840", VRF: "cgn-hw1",
			})},
		},
		{
			name: "hyperscale hardware session end",
			msg:  fortiMsg(fortiHWOff),
			want: []*record.Record{nmNAT(time.Date(2022, 10, 5, 18, 29, 35, 0, time.UTC), record.NAT{
				Event: record.NATDelete, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("10.1.100.11"), InsidePort: 40836,
				OutsideAddr: nmIP("172.16.201.182"), OutsidePort: 8117,
				DestAddr: nmIP("172.16.200.155"), DestPort: 80, Device: "F2K61FTK21900840", VRF: "cgn-hw1",
			})},
		},
		{
			name: "IP pool port block created",
			msg:  fortiMsg(fortiPBA),
			want: []*record.Record{nmNAT(time.Unix(1677636000, 0).UTC(), record.NAT{
				Event: record.NATBlockAlloc, InsideAddr: nmIP("100.64.1.5"),
				OutsideAddr: nmIP("203.0.113.9"), OutsidePort: 5117, OutsidePortEnd: 5564,
				Device: "FG4H1FTB21900123", VRF: "cgn", Pool: "cgn-pool",
			})},
		},
		{
			name: "IP pool port block deallocated",
			msg:  fortiMsg(`logid="0100022016" type="event" subtype="system" eventtime=1677639600 saddr="100.64.1.5" nat=203.0.113.9 portbegin=5117 portend=5564 poolname="cgn-pool" duration=3600`),
			want: []*record.Record{nmNAT(time.Unix(1677639600, 0).UTC(), record.NAT{
				Event: record.NATBlockRelease, InsideAddr: nmIP("100.64.1.5"),
				OutsideAddr: nmIP("203.0.113.9"), OutsidePort: 5117, OutsidePortEnd: 5564, Pool: "cgn-pool",
			})},
		},
		{
			name: "IP pool port block interim",
			msg:  fortiMsg(`logid="0100022024" type="event" subtype="system" eventtime=1677637800 saddr="100.64.1.5" nat=203.0.113.9 portbegin=5117 portend=5564 poolname="cgn-pool" duration=1800`),
			want: []*record.Record{nmNAT(time.Unix(1677637800, 0).UTC(), record.NAT{
				Event: record.NATInterim, InsideAddr: nmIP("100.64.1.5"),
				OutsideAddr: nmIP("203.0.113.9"), OutsidePort: 5117, OutsidePortEnd: 5564, Pool: "cgn-pool",
			})},
		},
		{
			name: "IPv4-mapped addresses are unmapped",
			msg:  fortiMsg(`logid="0000000013" type="traffic" eventtime=1704135845 srcip=::ffff:10.0.0.9 srcport=1 dstip=198.51.100.1 dstport=2 proto=6 action="close" trandisp="snat" transip=::ffff:203.0.113.1 transport=3`),
			want: []*record.Record{nmNAT(time.Unix(1704135845, 0).UTC(), record.NAT{
				Event: record.NATDelete, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("10.0.0.9"), InsidePort: 1,
				OutsideAddr: nmIP("203.0.113.1"), OutsidePort: 3,
				DestAddr: nmIP("198.51.100.1"), DestPort: 2,
			})},
		},
		{name: "sniffer snat to 0.0.0.0", msg: fortiMsg(fortiSniffer), notMine: true},
		{name: "local traffic noop", msg: fortiMsg(fortiLocal), notMine: true},
		{name: "denied session", msg: fortiMsg(fortiDeny), notMine: true},
		{name: "web filter log", msg: fortiMsg(fortiUTM), notMine: true},
		{name: "admin login event", msg: fortiMsg(fortiAdmin), notMine: true},
		{name: "bad transip", msg: fortiMsg(`logid="0000000013" type="traffic" srcip=10.0.0.1 srcport=1 dstip=198.51.100.1 dstport=2 proto=6 action="close" trandisp="snat" transip=300.1.1.1 transport=3`), wantErr: "transip"},
		{name: "snat without transip", msg: fortiMsg(`logid="0000000013" type="traffic" srcip=10.0.0.1 srcport=1 dstip=198.51.100.1 dstport=2 proto=6 action="close" trandisp="snat"`), wantErr: "without transip"},
		{name: "bad eventtime", msg: fortiMsg(`logid="0000000013" type="traffic" eventtime=soon srcip=10.0.0.1 srcport=1 dstip=198.51.100.1 dstport=2 proto=6 action="close" trandisp="snat" transip=203.0.113.1 transport=3`), wantErr: "eventtime"},
		{name: "bad port", msg: fortiMsg(`logid="0000000013" type="traffic" srcip=10.0.0.1 srcport=70000 dstip=198.51.100.1 dstport=2 proto=6 action="close" trandisp="snat" transip=203.0.113.1 transport=3`), wantErr: "src port"},
		{name: "bad date", msg: fortiMsg(`date=2016-13-45 time=11:11:29 logid="0000000013" type="traffic" srcip=10.0.0.1 srcport=1 dstip=198.51.100.1 dstport=2 proto=6 action="close" trandisp="snat" transip=203.0.113.1 transport=3`), wantErr: "date and time"},
		{name: "port block range reversed", msg: fortiMsg(`logid="0100022015" type="event" saddr="100.64.1.5" nat=203.0.113.9 portbegin=5564 portend=5117`), wantErr: "ends before it starts"},
		{name: "port block without saddr", msg: fortiMsg(`logid="0100022015" type="event" nat=203.0.113.9 portbegin=5117 portend=5564`), wantErr: "saddr"},
		{name: "hardware log with unknown act", msg: fortiMsg(`type=sess act=pause tran=snat proto=6 sip=10.0.0.1 sport=1 dip=198.51.100.1 dport=2 nsip=203.0.113.1 nsport=3`), wantErr: "unknown act"},
		{name: "short CEF header", msg: fortiMsg(`CEF:0|Fortinet|Fortigate|v6`), wantErr: "CEF"},
	}
	for _, o := range nmOtherFormats {
		cases = append(cases, nmCase{name: "other format " + o.name, msg: fortiMsg(o.text), notMine: true})
	}
	nmRun(t, func() Parser { return new(fortiGate) }, cases)
}

func FuzzFortiGateParse(f *testing.F) {
	nmFuzz(f, func() Parser { return new(fortiGate) }, []string{
		fortiClose, fortiStat, fortiOld, fortiCEF, fortiHWOn, fortiHWOff, fortiPBA, fortiSniffer, fortiDeny,
		`logid= type=traffic trandisp=snat+dnat`, `type=sess act=start tran=dnat`,
	})
}

func BenchmarkFortiGateParse(b *testing.B) {
	nmBench(b, new(fortiGate), fortiMsg(fortiClose))
}

func BenchmarkFortiGateDecline(b *testing.B) {
	nmBenchDecline(b, new(fortiGate), nmOtherFormats[1].text)
}
