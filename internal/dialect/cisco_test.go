package dialect

import (
	"strconv"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// Published Cisco ASA samples: the SAM project's importer test
// (asaBuild*, asaTeardown*, asaICMP*), layer-3-communications/cisco-asa-syslog
// (asaXlateTeardown, asaInbound, asaUDPTeardownOther), the Sekoia.io ASA
// documentation (asaXlateBuilt), a Java log handler test (asaRelayed) and a
// published log excerpt (asaDeviceID).
const (
	asaBuild7777     = `<166>%ASA-6-302013: Built outbound TCP connection 7777 for outside:104.31.70.170/80 (104.31.70.170/80) to inside:192.168.1.5/44292 (192.168.10.176/13840)`
	asaBuild7779     = `<166>%ASA-6-302013: Built outbound TCP connection 7779 for outside:104.31.70.170/80 (104.31.70.170/80) to inside:192.168.1.5/44296 (192.168.10.176/13081)`
	asaTeardown7779  = `<166>%ASA-6-302014: Teardown TCP connection 7779 for outside:104.31.70.170/80 to inside:192.168.1.5/44296 duration 0:00:46 bytes 816971 TCP FINs`
	asaTeardown7777  = `<166>%ASA-6-302014: Teardown TCP connection 7777 for outside :104.31.70.170 /80 (idfw_user1) to inside :192.168.1.5 /44292 (idfw_user2) duration 11:22:33 bytes 767157 TCP FINs`
	asaTeardown7765  = `<166>%ASA-6-302014: Teardown TCP connection 7765 for outside:216.58.193.69/443 to inside:192.168.1.5/37904 duration 0:02:51 bytes 5670 TCP FINs`
	asaBuildUDP      = `<166>%ASA-6-302015: Built outbound UDP connection 7881 for outside:158.69.125.231/123 (158.69.125.231/123) to inside:192.168.1.8/59776 (192.168.10.176/22202)`
	asaTeardownUDP   = `<166>%ASA-6-302016: Teardown UDP connection 7881 for outside:158.69.125.231/123 to inside:192.168.1.8/59776 duration 0:02:01 bytes 96`
	asaInboundNoNAT  = `<166>%ASA-6-302015: Built inbound UDP connection 8179 for inside:192.168.1.6/68 (192.168.1.6/68) to identity:192.168.1.1/67 (192.168.1.1/67)`
	asaTeardownNoNAT = `<166>%ASA-6-302016: Teardown UDP connection 8179 for inside:192.168.1.7/68 to identity:192.168.1.1/67 duration 0:02:01 bytes 601`
	asaICMPBuilt     = `<166>%ASA-6-302020: Built outbound ICMP connection for faddr 216.58.216.174/0 gaddr 192.168.10.176/39510 laddr 192.168.1.5/27819`
	asaICMPTeardown  = `<166>%ASA-6-302021: Teardown ICMP connection for faddr 216.58.216.174/0 gaddr 192.168.10.176/39510 laddr 192.168.1.5/27819`
	asaXlateBuilt    = `%ASA-6-305011: Built dynamic TCP translation from interco_pa_asa:2.2.2.2/35928 to dmz-gce:1.1.1.1/35928`
	asaXlateTeardown = `%ASA-6-305012: Teardown dynamic UDP translation from traffic:10.67.101.21/12395 to outside:192.0.2.201/12395 duration 0:00:00`
	asaInbound       = `%ASA-6-302013: Built inbound TCP connection 142561430 for traffic:192.0.2.33/53716 (192.0.2.59/53716) to inside1:192.0.2.98/55443 (192.0.2.163/55443)`
	asaRelayed       = `Nov 11 06:54:58 Nov 11 2014 06:47:11 EXCELIAN-F01-LONDON : %ASA-6-305011: Built dynamic TCP translation from EXCELIAN-INSIDE:10.28.0.73/53063 to EXCELIAN-OUTSIDE:217.20.25.200/53063`
	asaDeviceID      = `Mar 02 2015 08:54:14 asa : %ASA-6-302015: Built outbound UDP connection 1956246 for outside:8.8.8.8/53 (8.8.8.8/53) to wifi:10.20.0.100/43965 (52.1.119.182/43965)`
	asaNoMapped      = `<166>May 17 2023 03:04:28: %ASA-6-302013: Built outbound TCP connection 1 for outside:192.0.2.1/80 to inside:198.51.100.2/1024`
	// The 305009 template of Cisco's ASA syslog reference.
	asaXlateNoPort = `%ASA-6-305009: Built dynamic translation from inside:10.1.1.1 to outside:203.0.113.1`
)

func TestCiscoASA(t *testing.T) {
	at := time.Date(2026, 11, 21, 11, 0, 0, 0, time.UTC)
	msg := func(text string) Message {
		m := natMsg(text)
		m.Time = at
		return m
	}
	conn7777 := record.NAT{
		Protocol:   record.ProtoTCP,
		InsideAddr: natAddrT("192.168.1.5"), InsidePort: 44292,
		OutsideAddr: natAddrT("192.168.10.176"), OutsidePort: 13840,
		DestAddr: natAddrT("104.31.70.170"), DestPort: 80,
	}
	conn7779 := conn7777
	conn7779.InsidePort, conn7779.OutsidePort = 44296, 13081
	udp := record.NAT{
		Protocol:   record.ProtoUDP,
		InsideAddr: natAddrT("192.168.1.8"), InsidePort: 59776,
		OutsideAddr: natAddrT("192.168.10.176"), OutsidePort: 22202,
		DestAddr: natAddrT("158.69.125.231"), DestPort: 123,
	}
	icmp := record.NAT{
		Protocol:   record.ProtoICMP,
		InsideAddr: natAddrT("192.168.1.5"), InsidePort: 27819,
		OutsideAddr: natAddrT("192.168.10.176"), OutsidePort: 39510,
		DestAddr: natAddrT("216.58.216.174"), DestPort: 0,
	}
	with := func(n record.NAT, ev record.NATEvent) record.NAT { n.Event = ev; return n }
	rfc5424 := msg("%ASA-6-302015: Built outbound UDP connection 1956246 for outside:8.8.8.8/53 (8.8.8.8/53) to wifi:10.20.0.100/43965 (52.1.119.182/43965)")
	rfc5424.Host = "asa-fw1"
	// One parser for all cases, in order: teardowns join earlier builds.
	cases := []natCase{
		{name: "build 7777", msg: msg(asaBuild7777), want: []*record.Record{natWant(at, with(conn7777, record.NATCreate))}},
		{name: "build 7779", msg: msg(asaBuild7779), want: []*record.Record{natWant(at, with(conn7779, record.NATCreate))}},
		{name: "teardown joins build 7779", msg: msg(asaTeardown7779), want: []*record.Record{natWant(at, with(conn7779, record.NATDelete))}},
		{name: "teardown 7779 again", msg: msg(asaTeardown7779), notMine: true},
		{name: "teardown with spaced endpoints joins build 7777", msg: msg(asaTeardown7777), want: []*record.Record{natWant(at, with(conn7777, record.NATDelete))}},
		{name: "teardown without its build", msg: msg(asaTeardown7765), notMine: true},
		{name: "udp build", msg: msg(asaBuildUDP), want: []*record.Record{natWant(at, with(udp, record.NATCreate))}},
		{name: "udp teardown", msg: msg(asaTeardownUDP), want: []*record.Record{natWant(at, with(udp, record.NATDelete))}},
		{name: "untranslated build", msg: msg(asaInboundNoNAT), notMine: true},
		{name: "untranslated teardown", msg: msg(asaTeardownNoNAT), notMine: true},
		{name: "icmp build", msg: msg(asaICMPBuilt), want: []*record.Record{natWant(at, with(icmp, record.NATCreate))}},
		{name: "icmp teardown", msg: msg(asaICMPTeardown), want: []*record.Record{natWant(at, with(icmp, record.NATDelete))}},
		{name: "xlate built", msg: msg(asaXlateBuilt), want: []*record.Record{natWant(at, record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoTCP,
			InsideAddr: natAddrT("2.2.2.2"), InsidePort: 35928, OutsideAddr: natAddrT("1.1.1.1"), OutsidePort: 35928,
		})}},
		{name: "xlate teardown", msg: msg(asaXlateTeardown), want: []*record.Record{natWant(at, record.NAT{
			Event: record.NATDelete, Protocol: record.ProtoUDP,
			InsideAddr: natAddrT("10.67.101.21"), InsidePort: 12395, OutsideAddr: natAddrT("192.0.2.201"), OutsidePort: 12395,
		})}},
		{name: "address-only xlate", msg: msg(asaXlateNoPort), want: []*record.Record{natWant(at, record.NAT{
			Event: record.NATCreate, InsideAddr: natAddrT("10.1.1.1"), OutsideAddr: natAddrT("203.0.113.1"),
		})}},
		{name: "inbound build maps the local server", msg: msg(asaInbound), want: []*record.Record{natWant(at, record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoTCP,
			InsideAddr: natAddrT("192.0.2.98"), InsidePort: 55443, OutsideAddr: natAddrT("192.0.2.163"), OutsidePort: 55443,
			DestAddr: natAddrT("192.0.2.33"), DestPort: 53716,
		})}},
		{name: "relayed, device time and name", msg: natMsg(asaRelayed), want: []*record.Record{natWant(time.Date(2014, 11, 11, 6, 47, 11, 0, time.UTC), record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoTCP,
			InsideAddr: natAddrT("10.28.0.73"), InsidePort: 53063, OutsideAddr: natAddrT("217.20.25.200"), OutsidePort: 53063,
			Device: "EXCELIAN-F01-LONDON",
		})}},
		{name: "device id", msg: natMsg(asaDeviceID), want: []*record.Record{natWant(time.Date(2015, 3, 2, 8, 54, 14, 0, time.UTC), record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoUDP,
			InsideAddr: natAddrT("10.20.0.100"), InsidePort: 43965, OutsideAddr: natAddrT("52.1.119.182"), OutsidePort: 43965,
			DestAddr: natAddrT("8.8.8.8"), DestPort: 53, Device: "asa",
		})}},
		{name: "header parsed by the collector", msg: rfc5424, want: []*record.Record{natWant(at, record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoUDP,
			InsideAddr: natAddrT("10.20.0.100"), InsidePort: 43965, OutsideAddr: natAddrT("52.1.119.182"), OutsidePort: 43965,
			DestAddr: natAddrT("8.8.8.8"), DestPort: 53, Device: "asa-fw1",
		})}},
		{name: "FTD", msg: msg("%FTD-6-305011: Built dynamic TCP translation from inside:10.0.0.8/51000 to outside:203.0.113.8/32000"),
			want: []*record.Record{natWant(at, record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoTCP,
				InsideAddr: natAddrT("10.0.0.8"), InsidePort: 51000, OutsideAddr: natAddrT("203.0.113.8"), OutsidePort: 32000,
			})}},
		{name: "no mapped address", msg: natMsg(asaNoMapped), notMine: true},
		{name: "acl deny", msg: msg(`%ASA-4-106023: Deny tcp src outside:1.2.3.4/5 dst inside:10.0.0.1/22 by access-group "outside_in" [0x0, 0x0]`), notMine: true},
		{name: "bad real address", msg: msg(`%ASA-6-305011: Built dynamic TCP translation from inside:10.0.0.999/1 to outside:1.1.1.1/2`), errHas: "bad real address"},
		{name: "bad connection id", msg: msg(`%ASA-6-302013: Built outbound TCP connection x1 for outside:1.1.1.1/80 (1.1.1.1/80) to inside:10.0.0.1/1 (2.2.2.2/3)`), errHas: "bad connection ID"},
		{name: "bad icmp", msg: msg(`%ASA-6-302020: Built outbound ICMP connection for faddr 1.1.1.1/0 gaddr 2.2.2.2/1`), errHas: "no laddr"},
		{name: "bad verb", msg: msg(`%ASA-6-305011: Made dynamic TCP translation from inside:10.0.0.9/1 to outside:1.1.1.1/2`), errHas: "unknown action"},
	}
	cases = append(cases, natOtherCases("asa")...)
	runNATCases(t, func() Parser { return newASANAT(asaNATConns) }, true, cases)
}

func TestCiscoASABounded(t *testing.T) {
	build := func(id, port string) Message {
		return natMsg("%ASA-6-302013: Built outbound TCP connection " + id + " for outside:8.8.8.8/443 (8.8.8.8/443) to inside:10.0.0.1/" + port + " (203.0.113.1/" + port + ")")
	}
	teardown := func(id, port string) Message {
		return natMsg("%ASA-6-302014: Teardown TCP connection " + id + " for outside:8.8.8.8/443 to inside:10.0.0.1/" + port + " duration 0:00:01 bytes 1 TCP FINs")
	}
	conn := func(ev record.NATEvent, port uint16) record.NAT {
		return record.NAT{
			Event: ev, Protocol: record.ProtoTCP,
			InsideAddr: natAddrT("10.0.0.1"), InsidePort: port, OutsideAddr: natAddrT("203.0.113.1"), OutsidePort: port,
			DestAddr: natAddrT("8.8.8.8"), DestPort: 443,
		}
	}
	cases := []natCase{
		{name: "build 1", msg: build("1", "1001"), want: []*record.Record{natWant(natTestReceived, conn(record.NATCreate, 1001))}},
		{name: "build 2", msg: build("2", "1002"), want: []*record.Record{natWant(natTestReceived, conn(record.NATCreate, 1002))}},
		{name: "build 3 forgets 1", msg: build("3", "1003"), want: []*record.Record{natWant(natTestReceived, conn(record.NATCreate, 1003))}},
		{name: "teardown 1 was forgotten", msg: teardown("1", "1001"), notMine: true},
		{name: "teardown 3", msg: teardown("3", "1003"), want: []*record.Record{natWant(natTestReceived, conn(record.NATDelete, 1003))}},
		{name: "teardown 2", msg: teardown("2", "1002"), want: []*record.Record{natWant(natTestReceived, conn(record.NATDelete, 1002))}},
		{name: "build 4", msg: build("4", "1004"), want: []*record.Record{natWant(natTestReceived, conn(record.NATCreate, 1004))}},
		{name: "build 5", msg: build("5", "1005"), want: []*record.Record{natWant(natTestReceived, conn(record.NATCreate, 1005))}},
		{name: "build 6 forgets 4", msg: build("6", "1006"), want: []*record.Record{natWant(natTestReceived, conn(record.NATCreate, 1006))}},
		{name: "teardown 4 was forgotten", msg: teardown("4", "1004"), notMine: true},
		{name: "reused id after a restart", msg: teardown("5", "2222"), notMine: true},
		{name: "teardown 5 after the mismatch", msg: teardown("5", "1005"), notMine: true},
		{name: "teardown 6", msg: teardown("6", "1006"), want: []*record.Record{natWant(natTestReceived, conn(record.NATDelete, 1006))}},
	}
	p := newASANAT(2)
	runNATCases(t, func() Parser { return p }, true, cases)
	for i := range 1000 {
		m := build(strconv.Itoa(100+i), "1")
		if _, err := p.Parse(&m); err != nil {
			t.Fatal(err)
		}
	}
	if len(p.conns) > 2 || p.size > 2 {
		t.Errorf("after 1000 builds the parser holds %d connections and %d slots, want at most 2", len(p.conns), p.size)
	}
}

// Cisco IOS samples: the rsyslog testbench's IOS-XE line; the classic
// lines follow the template of ipSpace.net's "NAT translation logging".
const (
	iosXE      = `<14>123456789: HOSTNAME: May 21 12:00:01.123 gmt: %IOSXE-6-PLATFORM: F0: cpp_cp: QFP:0.0 Thread:105 TS:00000000000000 %NAT-6-LOG_TRANSLATION: Created Translation UDP 192.168.0.11:44593 192.168.0.11:21129 192.168.0.11:53 192.168.0.11:53 0................`
	iosCreated = `*Mar  1 00:01:23.456: %IPNAT-6-NAT_CREATED: Created tcp 10.1.1.10:1025 203.0.113.2:1025 198.51.100.5:80 198.51.100.5:80`
	iosDeleted = `%IPNAT-6-NAT_DELETED: Deleted tcp 10.1.1.10:1025 203.0.113.2:1025 198.51.100.5:80 198.51.100.5:80`
	iosOutside = `%IPNAT-6-NAT_CREATED: Created udp 10.1.1.10:53 10.1.1.10:53 192.168.5.5:53 198.51.100.53:53`
)

func TestCiscoIOS(t *testing.T) {
	parsed := natMsg(iosDeleted)
	parsed.Host, parsed.Time = "rtr1", time.Date(2026, 3, 1, 0, 5, 0, 0, time.UTC)
	tcp := record.NAT{
		Protocol:   record.ProtoTCP,
		InsideAddr: natAddrT("10.1.1.10"), InsidePort: 1025, OutsideAddr: natAddrT("203.0.113.2"), OutsidePort: 1025,
		DestAddr: natAddrT("198.51.100.5"), DestPort: 80,
	}
	created, deleted := tcp, tcp
	created.Event, deleted.Event, deleted.Device = record.NATCreate, record.NATDelete, "rtr1"
	cases := []natCase{
		{name: "IOS-XE", msg: natMsg(iosXE), want: []*record.Record{natWant(time.Date(2026, 5, 21, 12, 0, 1, 123e6, time.UTC), record.NAT{
			Event: record.NATCreate, Protocol: record.ProtoUDP,
			InsideAddr: natAddrT("192.168.0.11"), InsidePort: 44593, OutsideAddr: natAddrT("192.168.0.11"), OutsidePort: 21129,
			DestAddr: natAddrT("192.168.0.11"), DestPort: 53, Device: "HOSTNAME", VRF: "0",
		})}},
		{name: "classic created", msg: natMsg(iosCreated), want: []*record.Record{natWant(time.Date(2026, 3, 1, 0, 1, 23, 456e6, time.UTC), created)}},
		{name: "classic deleted, header parsed", msg: parsed, want: []*record.Record{natWant(parsed.Time, deleted)}},
		{name: "outside NAT only", msg: natMsg(iosOutside), notMine: true},
		{name: "other NAT message", msg: natMsg(`%IPNAT-4-ADDR_ALLOC_FAILURE: Address allocation failed; pool 1 may be exhausted`), notMine: true},
		{name: "bad inside global", msg: natMsg(`%IPNAT-6-NAT_CREATED: Created tcp 10.1.1.10:1025 203.0.113:1025 198.51.100.5:80 198.51.100.5:80`), errHas: "bad inside global"},
		{name: "bad protocol", msg: natMsg(`%NAT-6-LOG_TRANSLATION: Created Translation XYZ 1.1.1.1:1 2.2.2.2:2 3.3.3.3:3 3.3.3.3:3 0`), errHas: "bad protocol"},
		{name: "no event", msg: natMsg(`%NAT-6-LOG_TRANSLATION: Translation UDP 1.1.1.1:1 2.2.2.2:2 3.3.3.3:3 3.3.3.3:3 0`), errHas: "no Created or Deleted"},
	}
	cases = append(cases, natOtherCases("ios")...)
	runNATCases(t, func() Parser { return iosNAT{} }, false, cases)
}

// IOS-XR CGN lines follow the syntax and example of Cisco's "Carrier
// Grade NAT Configuration Guide for the Cisco CRS Router" (OL-32659-01);
// no capture has been published.
const (
	xrUserA  = `<134>1 2011 May 31 10:30:45 cgn-xr1 - - NAT44 - [UserbasedA - 10.0.0.1 Broadband - 100.1.1.1 - 2048 3071]`
	xrTwo    = `<134>1 2011 May 31 10:30:46 cgn-xr1 - - NAT44 - [UserbasedW - 10.0.0.1 Broadband - 100.1.1.1 - 2048 3071][SessionbasedAD TCP 10.0.0.2 Broadband - 100.1.1.1 1234 5000 - 8.8.8.8 443]`
	xrDSLite = `<134>1 2011 May 31 10:30:47 cgn-xr1 - - DSLITE - [UserbasedA - 192.0.0.2 - 2001:db8::1 100.1.1.2 - 1024 2047]`
	xrRunout = `<134>1 2011 May 31 10:30:48 cgn-xr1 - - NAT44 - [Portblockrunout - 10.0.0.1 Broadband - 100.1.1.1 - - -]`
)

func TestCiscoIOSXR(t *testing.T) {
	at := time.Date(2011, 5, 31, 10, 30, 45, 0, time.UTC)
	block := record.NAT{
		InsideAddr: natAddrT("10.0.0.1"), OutsideAddr: natAddrT("100.1.1.1"), OutsidePort: 2048, OutsidePortEnd: 3071,
		Device: "cgn-xr1", VRF: "Broadband",
	}
	alloc, release := block, block
	alloc.Event, release.Event = record.NATBlockAlloc, record.NATBlockRelease
	parsed := natMsg(`[UserbasedA - 10.0.0.1 Broadband - 100.1.1.1 - 2048 3071]`)
	parsed.Host, parsed.App, parsed.MsgID, parsed.Time = "cgn-xr1", "-", "NAT44", at
	cases := []natCase{
		{name: "port block", msg: natMsg(xrUserA), want: []*record.Record{natWant(at, alloc)}},
		{name: "header parsed by the collector", msg: parsed, want: []*record.Record{natWant(at, alloc)}},
		{name: "two records", msg: natMsg(xrTwo), want: []*record.Record{
			natWant(at.Add(time.Second), release),
			natWant(at.Add(time.Second), record.NAT{
				Event: record.NATCreate, Protocol: record.ProtoTCP,
				InsideAddr: natAddrT("10.0.0.2"), InsidePort: 1234, OutsideAddr: natAddrT("100.1.1.1"), OutsidePort: 5000,
				DestAddr: natAddrT("8.8.8.8"), DestPort: 443, Device: "cgn-xr1", VRF: "Broadband",
			}),
		}},
		{name: "DS-Lite keeps the softwire address", msg: natMsg(xrDSLite), want: []*record.Record{natWant(at.Add(2*time.Second), record.NAT{
			Event: record.NATBlockAlloc, InsideAddr: natAddrT("2001:db8::1"), OutsideAddr: natAddrT("100.1.1.2"),
			OutsidePort: 1024, OutsidePortEnd: 2047, Device: "cgn-xr1",
		})}},
		{name: "run-out alarm", msg: natMsg(xrRunout), notMine: true},
		{name: "too few fields", msg: natMsg(`- - NAT44 - [UserbasedA - 10.0.0.1 - 100.1.1.1 2048 3071]`), errHas: "want 9 or 11"},
		{name: "unknown event", msg: natMsg(`- - NAT44 - [Userbased - 10.0.0.1 - - 100.1.1.1 - 2048 3071]`), errHas: "unknown event"},
		{name: "unterminated", msg: natMsg(`- - NAT44 - [UserbasedA - 10.0.0.1 - - 100.1.1.1 - 2048 3071`), errHas: "does not end"},
		{name: "block ends before it starts", msg: natMsg(`- - NAT44 - [UserbasedA - 10.0.0.1 - - 100.1.1.1 - 3071 2048]`), errHas: "ends before it starts"},
	}
	cases = append(cases, natOtherCases("xr")...)
	runNATCases(t, func() Parser { return xrCGN{} }, false, cases)
}

func FuzzCiscoASA(f *testing.F) {
	natFuzz(f, func() Parser { return newASANAT(4) }, []string{
		asaBuild7777 + "\n" + asaTeardown7777, asaBuild7779 + "\n" + asaTeardown7779, asaTeardown7765,
		asaBuildUDP + "\n" + asaTeardownUDP, asaInboundNoNAT, asaTeardownNoNAT, asaICMPBuilt, asaICMPTeardown,
		asaXlateBuilt, asaXlateTeardown, asaInbound, asaRelayed, asaDeviceID, asaNoMapped, asaXlateNoPort,
	})
}

func FuzzCiscoIOS(f *testing.F) {
	natFuzz(f, func() Parser { return iosNAT{} }, []string{iosXE, iosCreated, iosDeleted, iosOutside})
}

func FuzzCiscoIOSXR(f *testing.F) {
	natFuzz(f, func() Parser { return xrCGN{} }, []string{xrUserA, xrTwo, xrDSLite, xrRunout})
}

func BenchmarkCiscoASA(b *testing.B) {
	natBench(b, func() Parser { return newASANAT(asaNATConns) },
		[]string{asaBuild7777, asaTeardown7777, asaXlateBuilt, asaICMPBuilt}, natOtherLines["juniper"])
}

func BenchmarkCiscoIOS(b *testing.B) {
	natBench(b, func() Parser { return iosNAT{} }, []string{iosXE, iosCreated}, natOtherLines["juniper"])
}

func BenchmarkCiscoIOSXR(b *testing.B) {
	natBench(b, func() Parser { return xrCGN{} }, []string{xrUserA, xrTwo}, natOtherLines["juniper"])
}
