package syslog

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/rfc5424"
	"github.com/warden-ops/warden/internal/dialect"
)

// seedMessages start the parser's fuzz corpus: one of each dialect.
var seedMessages = []string{
	`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event log entry...`,
	`<14>1 2026-10-11T22:14:15.123+08:00 srx-01 RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.40 source-address="10.0.0.1" nat-source-port="40001"] session created`,
	"<13>1 - - - - - [a@1 b=\"c\\\"d\\]e\\\\f\"] \xef\xbb\xbfbody",
	"<38>Oct 11 22:14:15 bastion sshd[1234]: Accepted password for alice from 10.0.0.1 port 5555 ssh2",
	"<22>Oct  1 22:14:15 mail dovecot: imap-login: Login: user=<bob>",
	"<13>2026-10-11T22:14:15.123456+08:00 host tag: x",
	"<189>269614: 000104: myhostname: *Apr 11 10:02:08.123 UTC: %SYS-5-CONFIG_I: Configured",
	"<166>Oct 11 2026 22:14:15 fw01 : %ASA-6-302013: Built outbound TCP connection 1",
	"<187>Oct 11 2026 22:14:15+08:00 BRAS-01 %%01SHELL/5/CMDRECORD(s)[5]:Failed to login.",
	"2026-10-11 22:14:15 USG6000 %%01SECLOG/6/SESSION_TEARDOWN(l):IPVer=4.",
	"<190>%@123%Oct  1 08:00:00:12 2026 MSR USERLOG/7/NAT: TCP; 10.0.0.1:1",
	"<134>1 Oct 11 22:14:15 10.1.1.1 NAT-GW - NAT444:userbasedA [6 10.0.0.1 0 198.51.100.1 0 1024 2047]",
	"<190>Sep  9 11:56:41 10.123.169.1 Sep 9 2026 11:56:40 HUAWEI %%01SECLOG/6/SESSION_BUILT(l):IPVer=4.",
	"10.10.0.254:514 : local4.info %ASA-6-305011: Built dynamic TCP translation",
	"<190>1 2026-11-01T07:59:58.858394+00:00 Oct 11 - - -  22:14:15:708 2026 F1050 %%10session/6/X: P=1;",
	"<190>1 2026-11-01T07:59:58Z 2026-10-11 22 - - - 14:15 USG6000 %%01SECLOG/6/SESSION_BUILT(l):IPVer=4.",
	"<190>Nov  1 07:59:58 2026-10-11 22: 14:15 USG6000 %%01SECLOG/6/SESSION_BUILT(l):IPVer=4.",
	"<13>Oct 11 22:14:16 relay01 <14>1 2026-10-11T22:14:15Z srx RT_FLOW - X [junos@2636 reason=\"TCP FIN\"] closed",
	"just text", "<999>x", "<13>", "",
}

// FuzzParseMessage checks that the header parser never panics, that Text
// is always a suffix of the message (all of it when there is no header),
// and that whatever go-syslog's RFC 5424 parser accepts, this parser reads
// the same way.
func FuzzParseMessage(f *testing.F) {
	for _, s := range seedMessages {
		f.Add(s)
	}
	lib := rfc5424.NewMachine()
	f.Fuzz(func(t *testing.T, s string) {
		p := newParser()
		got, err := p.parse(s)
		if !strings.HasSuffix(s, got.text) {
			t.Fatalf("parse(%q).text = %q, not a suffix", s, got.text)
		}
		if err != nil && got.text != s {
			t.Fatalf("parse(%q) failed (%v) but text = %q, not the whole message", s, err, got.text)
		}
		if got.stamp.set {
			if !got.stamp.valid() {
				t.Fatalf("parse(%q) gave an impossible time %+v", s, got.stamp)
			}
			got.stamp.resolve(testRecv, cst, p.zones)
		}
		if len(p.zones) > maxCachedZones {
			t.Fatalf("zone cache grew to %d", len(p.zones))
		}
		for _, field := range []string{got.host, got.app, got.msgID, got.sdid} {
			if strings.ContainsAny(field, " ") {
				t.Fatalf("parse(%q): field %q has a space", s, field)
			}
		}
		var m dialect.Message
		if p.decode(&m, []byte(s), testRecv, cstLoc, testPeer) != nil && m.Text != s {
			t.Fatalf("decode(%q) failed but Text = %q", s, m.Text)
		}
		compareWithGoSyslog(t, lib, s)
	})
}

// compareWithGoSyslog parses s with go-syslog's strict RFC 5424 parser
// and, if that accepts it, checks that parseOne (one header, no relay
// handling) agrees on every field.
func compareWithGoSyslog(t *testing.T, lib gosyslog.Machine, s string) {
	t.Helper()
	msg, err := lib.Parse([]byte(s))
	if err != nil || msg == nil {
		return
	}
	want := msg.(*rfc5424.SyslogMessage)
	got, gerr := newParser().parseOne(s)
	if gerr != nil {
		t.Fatalf("go-syslog parses %q, this parser fails: %v", s, gerr)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	wantText := strings.TrimLeft(strings.TrimPrefix(strings.TrimLeft(str(want.Message), " "), bom), " ")
	if got.host != str(want.Hostname) || got.app != str(want.Appname) || got.msgID != str(want.MsgID) || got.text != wantText {
		t.Fatalf("%q:\n got host %q app %q msgid %q text %q\nwant host %q app %q msgid %q text %q", s,
			got.host, got.app, got.msgID, got.text, str(want.Hostname), str(want.Appname), str(want.MsgID), wantText)
	}
	if want.Timestamp == nil {
		if got.stamp.set {
			t.Fatalf("%q: got time %+v, want none", s, got.stamp)
		}
	} else if gt := got.stamp.resolve(testRecv, nil, nil); !gt.Equal(*want.Timestamp) {
		t.Fatalf("%q: got time %v, want %v", s, gt, *want.Timestamp)
	}
	if want.StructuredData == nil {
		if got.sdid != "" {
			t.Fatalf("%q: got SD-ID %q, want none", s, got.sdid)
		}
		return
	}
	params, ok := (*want.StructuredData)[got.sdid]
	if !ok || !maps.Equal(params, got.params) && len(params)+len(got.params) > 0 {
		t.Fatalf("%q: got SD %q %v, want one of %v", s, got.sdid, got.params, *want.StructuredData)
	}
}

// FuzzOctetCounting checks the stream framing: any bytes, read in chunks of
// any size, give messages no longer than the limit, each a run of the
// input; and messages written with octet counting come back as written
// (cut to the limit, and flagged, when longer).
func FuzzOctetCounting(f *testing.F) {
	f.Add([]byte("3 abc4 defg"), uint8(1), uint16(64))
	f.Add([]byte("10 01234567893 abc"), uint8(3), uint16(4))
	f.Add([]byte("3 abcx9 hello\n2 ok"), uint8(2), uint16(64))
	f.Add([]byte("a\nb\r\nc\x00d"), uint8(1), uint16(64))
	f.Add([]byte("<13>msg one\xff<13>msg\ntwo\xff\xffthree"), uint8(5), uint16(8))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8, limit uint16) {
		max := int(limit%2048) + 1
		n := int(chunk%64) + 1
		// Any bytes.
		fr := newFrameReader(&chunkReader{data, n}, max)
		for fr.Next() {
			fm := fr.Frame()
			if len(fm) == 0 || len(fm) > max || !bytes.Contains(data, fm) {
				t.Fatalf("frame %q: empty, longer than %d, or not from the input %q", fm, max, data)
			}
		}
		if fr.bytesRead != uint64(len(data)) || fr.Err() != nil {
			t.Fatalf("read %d of %d bytes, err %v", fr.bytesRead, len(data), fr.Err())
		}
		// Round trip: the non-empty pieces between 0xFF bytes, framed.
		var stream []byte
		var want []frame
		for m := range bytes.SplitSeq(data, []byte{0xff}) {
			if len(m) == 0 {
				continue
			}
			stream = append(strconv.AppendInt(stream, int64(len(m)), 10), ' ')
			stream = append(stream, m...)
			if len(m) > max {
				want = append(want, frame{string(m[:max]), true})
			} else {
				want = append(want, frame{string(m), false})
			}
		}
		got, framingErrors, err := readFrames(&chunkReader{stream, n}, max)
		if err != nil || framingErrors != 0 || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round trip of %q (max %d, chunks %d):\n got %+v (framing errors %d, err %v)\nwant %+v",
				stream, max, n, got, framingErrors, err, want)
		}
	})
}

// testPeer is the device the parser tests receive from.
var testPeer = netip.MustParseAddr("192.0.2.1")

// TestParse5424MatchesGoSyslog generates RFC 5424 messages, with
// escapes, UTF-8, several SD elements and BOMs, and checks that this
// parser reads each as go-syslog's strict parser does.
func TestParse5424MatchesGoSyslog(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	token := func() string {
		return pick("-", "srx-01", "host.example.com", "10.0.0.1", "RT_FLOW", "a", "x@y", "2001:db8::1", "%ASA-6-1")
	}
	value := func() string {
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteString(pick("a", "10.0.0.1", " ", `\"`, `\\`, `\]`, "é", "日本", "N/A", "=", "["))
		}
		return b.String()
	}
	lib := rfc5424.NewMachine()
	compared := 0
	const n = 3000
	for range n {
		var b strings.Builder
		fmt.Fprintf(&b, "<%d>%d ", rng.IntN(192), 1+rng.IntN(3))
		switch rng.IntN(4) {
		case 0:
			b.WriteString("-")
		default:
			ts := time.Date(2000+rng.IntN(40), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), rng.IntN(1e9), time.FixedZone("", 60*(rng.IntN(28*60)-14*60)))
			b.WriteString(ts.Format(pick(time.RFC3339, "2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05.999999Z07:00")))
		}
		fmt.Fprintf(&b, " %s %s %s %s ", token(), token(), token(), pick("-", "ID47", "RT_FLOW_SESSION_CREATE"))
		if elems := rng.IntN(4); elems == 0 {
			b.WriteString("-")
		} else {
			for e := range elems {
				fmt.Fprintf(&b, "[%s%d", pick("junos@2636.1.1.1.2.40", "timeQuality", "ex@32473"), e)
				for p := range rng.IntN(6) {
					fmt.Fprintf(&b, ` %s%d="%s"`, pick("source-address", "k", "nat-source-port"), p, value())
				}
				b.WriteString("]")
			}
		}
		if rng.IntN(4) > 0 {
			b.WriteString(" " + pick("", bom) + pick("session created", "  spaced", "multi\nline", "x"))
		}
		s := b.String()
		if m, err := lib.Parse([]byte(s)); err != nil || m == nil {
			continue
		}
		compared++
		compareWithGoSyslog(t, lib, s)
	}
	t.Logf("%d of %d generated messages compared", compared, n)
	if compared < n*9/10 {
		t.Errorf("go-syslog accepted only %d of %d generated messages", compared, n)
	}
}
