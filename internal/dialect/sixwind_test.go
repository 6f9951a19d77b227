package dialect

import (
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// 6WIND samples, from 6WIND's documentation: the Turbo Router user
// guide's CG-NAT events (as quoted by veesix-networks/cgn-ec-consumer
// handlers/sixwind.py; its DESTROY CONN back tuple disagrees with the
// forward one), the Turbo Router 3.0 and vRouter CG-NAT deployment guides'
// logging pages (NAT444 and NAT64).
const (
	swNewConn     = `NEW CONN: fwd proto 6 10.100.0.1:4241 -> 10.200.0.1:33815, back proto 6 10.200.0.1:33815 --> 10.175.0.3:10752`
	swDestroyConn = `Jun 14 12:19:04 dut-vm fp-cgnat[2484]: DESTROY CONN: fwd proto 6 10.100.0.1:4241 -> 10.200.0.1:33815, back proto 6 10.200.0.1:33915 -> 10.175.0.3:10753`
	swNewBlock    = `USER 100.64.0.1 (matching rule 1): NEW BLOCK (pool "mypool", ip public 192.0.2.33, proto 6, port 1 - 512)`
	swBlockAt     = `USER 100.64.0.1 (matching rule 1): NEW BLOCK (pool "mypool", ip public 32.96.119.1, proto 6, port 1024 - 1536) at Tue Jun 11 08:03:09 2019`
	swVRFBlock    = `Jun 11 08:07:30 vrouter fp-cgnat-logd@main[4269]: USER 100.64.0.1 (matching rule 1): DESTROY BLOCK (ip public 32.96.119.1, proto 6, port 1024 - 1536) at Tue Jun 11 08:07:30 2019`
	sw64Block     = `USER 2001:db8:200::1 (matching rule 1): NEW BLOCK (ip public 32.96.119.1, proto 6, port 1024 - 1536) at Tue Jun 11 08:03:09 2020`
	// swNoPublic is how the vRouter NAT64 guide renders the same line:
	// the public address is missing.
	swNoPublic = `USER 2001:db8:200::1 (matching rule 1): NEW BLOCK (ip public, proto 6, port 1024 - 1536) at Tue Jun 11 08:03:09 2020`
)

func TestSixWindParse(t *testing.T) {
	at := time.Date(2026, 6, 14, 12, 17, 35, 0, nmCST)
	header := func(app, text string) Message {
		m := nmMsg(text)
		m.Time, m.App, m.Loc = at, app, nmCST
		return m
	}
	conn := record.NAT{
		Protocol:   record.ProtoTCP,
		InsideAddr: nmIP("10.100.0.1"), InsidePort: 4241,
		OutsideAddr: nmIP("10.175.0.3"), OutsidePort: 10752,
		DestAddr: nmIP("10.200.0.1"), DestPort: 33815,
	}
	created, deleted := conn, conn
	created.Event = record.NATCreate
	deleted.Event, deleted.OutsidePort = record.NATDelete, 10753
	cases := []nmCase{
		{name: "new connection", msg: header("fp-cgnat", swNewConn), want: []*record.Record{nmNAT(at.UTC(), created)}},
		{
			name: "destroyed connection, header left in, back source disagreeing",
			msg:  nmMsg(swDestroyConn),
			want: []*record.Record{nmNAT(nmReceived, deleted)},
		},
		{
			name: "new block with pool, no time in the line",
			msg:  header("fp-cgnat", swNewBlock),
			want: []*record.Record{nmNAT(at.UTC(), record.NAT{
				Event: record.NATBlockAlloc, Protocol: record.ProtoTCP, InsideAddr: nmIP("100.64.0.1"),
				OutsideAddr: nmIP("192.0.2.33"), OutsidePort: 1, OutsidePortEnd: 512, Pool: "mypool",
			})},
		},
		{
			name: "time after at, in the device zone",
			msg:  header("fp-cgnat-logd", swBlockAt),
			want: []*record.Record{nmNAT(time.Date(2019, 6, 11, 0, 3, 9, 0, time.UTC), record.NAT{
				Event: record.NATBlockAlloc, Protocol: record.ProtoTCP, InsideAddr: nmIP("100.64.0.1"),
				OutsideAddr: nmIP("32.96.119.1"), OutsidePort: 1024, OutsidePortEnd: 1536, Pool: "mypool",
			})},
		},
		{
			name: "VRF from the daemon name in the text",
			msg:  nmMsg(swVRFBlock),
			want: []*record.Record{nmNAT(time.Date(2019, 6, 11, 8, 7, 30, 0, time.UTC), record.NAT{
				Event: record.NATBlockRelease, Protocol: record.ProtoTCP, InsideAddr: nmIP("100.64.0.1"),
				OutsideAddr: nmIP("32.96.119.1"), OutsidePort: 1024, OutsidePortEnd: 1536, VRF: "main",
			})},
		},
		{
			name: "NAT64 user, VRF from the header, weekday wrong in the doc",
			msg:  header("fp-cgnat-logd@main", sw64Block),
			want: []*record.Record{nmNAT(time.Date(2020, 6, 11, 0, 3, 9, 0, time.UTC), record.NAT{
				Event: record.NATBlockAlloc, Protocol: record.ProtoTCP, InsideAddr: nmIP("2001:db8:200::1"),
				OutsideAddr: nmIP("32.96.119.1"), OutsidePort: 1024, OutsidePortEnd: 1536, VRF: "main",
			})},
		},
		{
			name: "NAT64 connection",
			msg:  header("fp-cgnat", `NEW CONN: fwd proto 17 2001:db8:200::1:5353 -> 64:ff9b::c633:6401:53, back proto 17 198.51.100.1:53 --> 32.96.119.1:2000`),
			want: []*record.Record{nmNAT(at.UTC(), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoUDP,
				InsideAddr: nmIP("2001:db8:200::1"), InsidePort: 5353,
				OutsideAddr: nmIP("32.96.119.1"), OutsidePort: 2000,
				DestAddr: nmIP("64:ff9b::c633:6401"), DestPort: 53,
			})},
		},
		{name: "daemon start", msg: nmMsg(`CGNAT Log listen on 5001`), notMine: true},
		{name: "systemd", msg: nmMsg(`Started Fast Path cgnat log daemon.`), notMine: true},
		{name: "block without public address", msg: header("fp-cgnat-logd@main", swNoPublic), wantErr: "no public address"},
		{name: "unknown connection event", msg: header("fp-cgnat", `UPDATE CONN: fwd proto 6 10.100.0.1:4241 -> 10.200.0.1:33815, back proto 6 10.200.0.1:33815 --> 10.175.0.3:10752`), wantErr: "unknown event"},
		{name: "unknown block event", msg: header("fp-cgnat", `USER 100.64.0.1 (matching rule 1): RENEW BLOCK (ip public 192.0.2.33, proto 6, port 1 - 512)`), wantErr: "unknown event"},
		{name: "no back tuple", msg: header("fp-cgnat", `NEW CONN: fwd proto 6 10.100.0.1:4241 -> 10.200.0.1:33815`), wantErr: "back tuple"},
		{name: "bad inside", msg: header("fp-cgnat", `NEW CONN: fwd proto 6 10.100.0.1 -> 10.200.0.1:33815, back proto 6 10.200.0.1:33815 --> 10.175.0.3:10752`), wantErr: "forward source"},
		{name: "bad protocol", msg: header("fp-cgnat", `NEW CONN: fwd proto tcpx 10.100.0.1:1 -> 10.200.0.1:2, back proto 6 10.200.0.1:2 --> 10.175.0.3:3`), wantErr: "protocol"},
		{name: "reversed port range", msg: header("fp-cgnat", `USER 100.64.0.1 (matching rule 1): NEW BLOCK (ip public 192.0.2.33, proto 6, port 512 - 1)`), wantErr: "ends before it starts"},
		{name: "no port range", msg: header("fp-cgnat", `USER 100.64.0.1 (matching rule 1): NEW BLOCK (ip public 192.0.2.33, proto 6)`), wantErr: "no port range"},
		{name: "bad time after at", msg: header("fp-cgnat", swNewBlock+` at yesterday`), wantErr: "time after at"},
		{name: "bad user", msg: header("fp-cgnat", `USER alice (matching rule 1): NEW BLOCK (ip public 192.0.2.33, proto 6, port 1 - 512)`), wantErr: "user"},
	}
	for _, o := range nmOtherFormats {
		cases = append(cases, nmCase{name: "other format " + o.name, msg: nmMsg(o.text), notMine: true})
	}
	nmRun(t, func() Parser { return new(sixWind) }, cases)
}

func FuzzSixWindParse(f *testing.F) {
	nmFuzz(f, func() Parser { return new(sixWind) }, []string{
		swNewConn, swDestroyConn, swNewBlock, swBlockAt, swVRFBlock, sw64Block, swNoPublic,
		`USER  BLOCK (pool "`, `NEW CONN: fwd proto , back proto -> `,
	})
}

func BenchmarkSixWindParse(b *testing.B) {
	nmBench(b, new(sixWind), nmMsg(swBlockAt))
}

func BenchmarkSixWindDecline(b *testing.B) {
	nmBenchDecline(b, new(sixWind), fortiClose)
}
