package dialect

import (
	"strings"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// PAN-OS samples from elastic/integrations
// packages/panw/data_stream/panos/_dev/test/pipeline/test-panw-panos-traffic-sample.log:
// PAN-OS 9 lines with the syslog header left in, and PAN-OS 10 lines that
// end in the high-resolution timestamp.
const (
	paEnd      = `Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,012801096514,TRAFFIC,end,2049,2018/11/30 16:09:07,192.168.15.207,175.16.199.1,192.168.1.63,175.16.199.1,new_outbound_from_trust,,,apple-maps,vsys1,trust,untrust,ethernet1/2,ethernet1/1,send_to_mac,2018/11/30 16:09:07,22751,1,55113,443,16418,443,0x400053,tcp,allow,7734,1758,5976,36,2018/11/30 15:59:04,586,computer-and-internet-info,0,32091112,0x0,192.168.0.0-192.168.255.255,United States,0,16,20,tcp-fin,0,0,0,0,,PA-220,from-policy,,,0,,0,,N/A,0,0,0,0`
	paPing     = `Nov 30 16:09:10 PA-220 1,2018/11/30 16:09:09,012801096514,TRAFFIC,end,2049,2018/11/30 16:09:09,192.168.15.224,175.16.199.1,192.168.1.63,175.16.199.1,new_outbound_from_trust,,,ping,vsys1,trust,untrust,ethernet1/2,ethernet1/1,send_to_mac,2018/11/30 16:09:09,24223,6,0,0,0,0,0x500019,icmp,allow,1176,588,588,12,2018/11/30 16:08:55,0,any,0,32091113,0x0,192.168.0.0-192.168.255.255,United States,0,6,6,aged-out,0,0,0,0,,PA-220,from-policy,,,0,,0,,N/A,0,0,0,0`
	paStartLog = `Nov 30 16:09:31 PA-220 1,2018/11/30 16:09:30,012801096514,TRAFFIC,start,2049,2018/11/30 16:09:30,192.168.15.224,175.16.199.1,192.168.1.63,175.16.199.1,new_outbound_from_trust,,,traps-management-service,vsys1,trust,untrust,ethernet1/2,ethernet1/1,send_to_mac,2018/11/30 16:09:30,24257,1,52454,443,12122,443,0x400053,tcp,allow,6295,1758,4537,25,2018/11/30 16:09:13,0,computer-and-internet-info,0,32091134,0x0,192.168.0.0-192.168.255.255,United States,0,13,12,tcp-fin,0,0,0,0,,PA-220,from-policy,,,0,,0,,N/A,0,0,0,0`
	paDrop     = `Nov 30 16:09:33 PA-220 1,2018/11/30 16:09:32,012801096514,TRAFFIC,drop,2049,2018/11/30 16:09:32,192.168.15.224,175.16.199.1,192.168.1.63,175.16.199.1,new_outbound_from_trust,,,incomplete,vsys1,trust,untrust,ethernet1/2,ethernet1/1,send_to_mac,2018/11/30 16:09:32,24090,1,52445,4282,49145,4282,0x400019,tcp,allow,624,624,0,8,2018/11/30 16:09:12,13,any,0,32091135,0x0,192.168.0.0-192.168.255.255,United States,0,8,0,aged-out,0,0,0,0,,PA-220,from-policy,,,0,,0,,N/A,0,0,0,0`
	pa10Start  = `1,2021/10/26 14:35:37,,TRAFFIC,start,2561,2021/10/26 14:35:37,81.2.69.193,81.2.69.193,192.168.10.111,81.2.69.193,LAn-TO-WAn,,,dns,vsys1,LAN,WAN,ethernet1/2,ethernet1/1,LFPpan,2021/10/26 14:35:37,15853,1,49674,53,24390,53,0x400000,udp,allow,120,120,0,1,2021/10/26 14:35:35,0,any,,7022390495259151743,0x0,169.254.0.0-169.254.255.255,United States,,1,0,n/a,0,0,0,0,,PA-VM,from-policy," ", , , , , , , , , , , , , , , , , , , ,,,,2021-10-26T14:35:37.811-07:00`
	pa10End    = `1,2021/10/26 14:36:07,,TRAFFIC,end,2561,2021/10/26 14:36:07,81.2.69.193,81.2.69.193,192.168.10.111,81.2.69.193,LAn-TO-WAn,,,dns,vsys1,LAN,WAN,ethernet1/2,ethernet1/1,LFPpan,2021/10/26 14:36:07,15851,1,65398,53,50412,53,0x400019,udp,allow,78,78,0,1,2021/10/26 14:35:31,0,any,,7022390495259151745,0x0,169.254.0.0-169.254.255.255,United States,,1,0,aged-out,0,0,0,0,,PA-VM,from-policy," ", , , , , , , , , , , , , , , , , , , ,,,,2021-10-26T14:36:07.814-07:00`
	pa10NoNAT  = `1,2021/10/26 14:35:42,,TRAFFIC,end,2561,2021/10/26 14:35:42,81.2.69.145,81.2.69.145,,,any allow,,,insufficient-data,vsys1,LAN,LAN,ethernet1/2,ethernet1/2,LFPpan,2021/10/26 14:35:42,15850,1,138,138,0,0,0x19,udp,allow,243,243,0,1,2021/10/26 14:35:06,0,any,,7022390495259151744,0x0,United States,United States,,1,0,aged-out,0,0,0,0,,PA-VM,from-policy," ", , , , , , , , , , , , , , , , , , , ,,,,2021-10-26T14:35:42.811-07:00`
	pa10Zero   = `1,2021/10/26 14:31:32,,TRAFFIC,start,2561,2021/10/26 14:31:32,81.2.69.193,81.2.69.193,0.0.0.0,0.0.0.0,any to Intranet DCs,intranet\\sampleuser,,dns,vsys1,LAN,WAN,ethernet1/2,ethernet1/1,LFPpan,2021/10/26 14:31:32,15844,1,64624,53,32849,53,0x400000,udp,allow,93,93,0,1,2021/10/26 14:31:31,0,any,,7022390495259151731,0x0,169.254.0.0-169.254.255.255,United States,,1,0,n/a,0,0,0,0,,PA-VM,from-policy," ", , , , , , , , , , , , , , , , , , , ,,,,2021-10-26T14:31:32.772-07:00`
)

// paWith returns paEnd without its header and with columns (counted from
// 1) replaced.
func paWith(cols map[int]string) string {
	body := paEnd[strings.Index(paEnd, "1,2018"):]
	f := strings.Split(body, ",")
	for k, v := range cols {
		f[k-1] = v
	}
	return strings.Join(f, ",")
}

func TestPaloAltoParse(t *testing.T) {
	pst := time.FixedZone("PDT", -7*3600)
	inCST := func(text string) Message { m := nmMsg(text); m.Loc = nmCST; return m }
	local := func(s string) time.Time {
		v, err := time.ParseInLocation("2006/01/02 15:04:05", s, nmCST)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	endNAT := record.NAT{
		Protocol:   record.ProtoTCP,
		InsideAddr: nmIP("192.168.15.207"), InsidePort: 55113,
		OutsideAddr: nmIP("192.168.1.63"), OutsidePort: 16418,
		DestAddr: nmIP("175.16.199.1"), DestPort: 443, Device: "PA-220", VRF: "vsys1",
	}
	created, deleted := endNAT, endNAT
	created.Event, deleted.Event = record.NATCreate, record.NATDelete
	pa10 := record.NAT{
		Protocol:   record.ProtoUDP,
		InsideAddr: nmIP("81.2.69.193"), InsidePort: 65398,
		OutsideAddr: nmIP("192.168.10.111"), OutsidePort: 50412,
		DestAddr: nmIP("81.2.69.193"), DestPort: 53, Device: "PA-VM", VRF: "vsys1",
	}
	pa10c, pa10d := pa10, pa10
	pa10c.Event, pa10d.Event = record.NATCreate, record.NATDelete
	cases := []nmCase{
		{
			name: "session end gives its start and end, header left in",
			msg:  inCST(paEnd),
			want: []*record.Record{
				nmNAT(local("2018/11/30 15:59:04"), created),
				nmNAT(local("2018/11/30 16:09:07"), deleted),
			},
		},
		{
			name: "header stripped",
			msg:  inCST(paEnd[strings.Index(paEnd, "1,2018"):]),
			want: []*record.Record{
				nmNAT(local("2018/11/30 15:59:04"), created),
				nmNAT(local("2018/11/30 16:09:07"), deleted),
			},
		},
		{
			name: "ICMP has no ports",
			msg:  inCST(paPing),
			want: []*record.Record{
				nmNAT(local("2018/11/30 16:08:55"), record.NAT{
					Event: record.NATCreate, Protocol: record.ProtoICMP,
					InsideAddr: nmIP("192.168.15.224"), OutsideAddr: nmIP("192.168.1.63"), DestAddr: nmIP("175.16.199.1"),
					Device: "PA-220", VRF: "vsys1",
				}),
				nmNAT(local("2018/11/30 16:09:09"), record.NAT{
					Event: record.NATDelete, Protocol: record.ProtoICMP,
					InsideAddr: nmIP("192.168.15.224"), OutsideAddr: nmIP("192.168.1.63"), DestAddr: nmIP("175.16.199.1"),
					Device: "PA-220", VRF: "vsys1",
				}),
			},
		},
		{
			name: "session start",
			msg:  inCST(paStartLog),
			want: []*record.Record{nmNAT(local("2018/11/30 16:09:30"), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("192.168.15.224"), InsidePort: 52454,
				OutsideAddr: nmIP("192.168.1.63"), OutsidePort: 12122,
				DestAddr: nmIP("175.16.199.1"), DestPort: 443, Device: "PA-220", VRF: "vsys1",
			})},
		},
		{
			name: "PAN-OS 10 start: high-resolution timestamp wins over the configured zone",
			msg:  inCST(pa10Start),
			want: []*record.Record{nmNAT(time.Date(2021, 10, 26, 21, 35, 37, 811e6, time.UTC), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoUDP,
				InsideAddr: nmIP("81.2.69.193"), InsidePort: 49674,
				OutsideAddr: nmIP("192.168.10.111"), OutsidePort: 24390,
				DestAddr: nmIP("81.2.69.193"), DestPort: 53, Device: "PA-VM", VRF: "vsys1",
			})},
		},
		{
			name: "PAN-OS 10 end: start time read in the timestamp's zone",
			msg:  inCST(pa10End),
			want: []*record.Record{
				nmNAT(time.Date(2021, 10, 26, 14, 35, 31, 0, pst).UTC(), pa10c),
				nmNAT(time.Date(2021, 10, 26, 21, 36, 7, 814e6, time.UTC), pa10d),
			},
		},
		{
			name: "destination NAT only: the server is the inside",
			msg: inCST(paWith(map[int]string{
				5: "start", 8: "198.51.100.9", 9: "203.0.113.5", 10: "0.0.0.0", 11: "192.168.1.20",
				25: "51000", 26: "443", 27: "0", 28: "8443",
			})),
			want: []*record.Record{nmNAT(local("2018/11/30 16:09:07"), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("192.168.1.20"), InsidePort: 8443,
				OutsideAddr: nmIP("203.0.113.5"), OutsidePort: 443,
				DestAddr: nmIP("198.51.100.9"), DestPort: 51000, Device: "PA-220", VRF: "vsys1",
			})},
		},
		{
			name: "quoted column with a comma; end without start time",
			msg:  inCST(paWith(map[int]string{5: "end", 12: `"rule, with comma"`, 36: ""})),
			want: []*record.Record{nmNAT(local("2018/11/30 16:09:07"), deleted)},
		},
		{
			name: "short log without device name",
			msg:  inCST(strings.Join(strings.Split(paWith(map[int]string{5: "start"}), ",")[:40], ",")),
			want: []*record.Record{nmNAT(local("2018/11/30 16:09:07"), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoTCP,
				InsideAddr: nmIP("192.168.15.207"), InsidePort: 55113,
				OutsideAddr: nmIP("192.168.1.63"), OutsidePort: 16418,
				DestAddr: nmIP("175.16.199.1"), DestPort: 443, VRF: "vsys1",
			})},
		},
		{name: "drop", msg: inCST(paDrop), notMine: true},
		{name: "deny", msg: inCST(strings.Replace(paDrop, ",drop,", ",deny,", 1)), notMine: true},
		{name: "no NAT, empty columns", msg: inCST(pa10NoNAT), notMine: true},
		{name: "no NAT, 0.0.0.0", msg: inCST(pa10Zero), notMine: true},
		{name: "other CSV with a TRAFFIC column", msg: inCST(`a,b,c,TRAFFIC,end,x`), notMine: true},
		{name: "THREAT log", msg: inCST(`1,2018/11/30 16:09:07,012801096514,THREAT,url,2049,2018/11/30 16:09:07,192.168.15.207,175.16.199.1`), notMine: true},
		{name: "bad NAT source IP", msg: inCST(paWith(map[int]string{10: "192.168.1.999"})), wantErr: "NAT source IP"},
		{name: "bad NAT source port", msg: inCST(paWith(map[int]string{27: "port"})), wantErr: "NAT source port"},
		{name: "bad generated time", msg: inCST(paWith(map[int]string{7: "yesterday"})), wantErr: "generated time"},
		{name: "bad start time", msg: inCST(paWith(map[int]string{36: "2018/13/01 00:00:00"})), wantErr: "start time"},
		{name: "too few columns", msg: inCST(`1,2018/11/30 16:09:07,012801096514,TRAFFIC,end,2049,2018/11/30 16:09:07`), wantErr: "columns"},
		{name: "unterminated quote", msg: inCST(paWith(map[int]string{12: `"open`})), wantErr: "quoted"},
		{name: "nothing before TRAFFIC", msg: inCST(`x,TRAFFIC,end`), notMine: true},
		{name: "bad receive time", msg: inCST(paWith(map[int]string{2: "2018/11/30 16:09:07 "})), notMine: true},
	}
	for _, o := range nmOtherFormats {
		cases = append(cases, nmCase{name: "other format " + o.name, msg: inCST(o.text), notMine: true})
	}
	nmRun(t, func() Parser { return new(paloAlto) }, cases)
}

func FuzzPaloAltoParse(f *testing.F) {
	nmFuzz(f, func() Parser { return new(paloAlto) }, []string{
		paEnd, paPing, paStartLog, paDrop, pa10Start, pa10End, pa10NoNAT, pa10Zero,
		`1,a,b,TRAFFIC,end,"x""y",z`,
	})
}

func BenchmarkPaloAltoParse(b *testing.B) {
	nmBench(b, new(paloAlto), nmMsg(pa10End))
}

func BenchmarkPaloAltoDecline(b *testing.B) {
	nmBenchDecline(b, new(paloAlto), fortiClose)
}
