package dialect

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

var (
	errNotHuawei       = fmt.Errorf("%w: no Huawei %%%%01SECLOG session log", ErrNotMine)
	errHuaweiNoMapping = fmt.Errorf("%w: Huawei session log without translation fields", ErrNotMine)
	errHuaweiNoXlate   = fmt.Errorf("%w: Huawei session without source translation", ErrNotMine)
	errNotH3C          = fmt.Errorf("%w: no H3C session, NAT444 or USERLOG NAT log", ErrNotMine)
	errH3CNoXlate      = fmt.Errorf("%w: H3C session without source translation", ErrNotMine)
	errH3CNoMapping    = fmt.Errorf("%w: H3C NAT444 log without a mapping (port resources exhausted)", ErrNotMine)
)

// huaweiNAT parses the session logs of Huawei USG and HiSecEngine
// firewalls in the key=value ("kv") format:
//
//	2020-09-09 10:05:11 FW-OUT-01 %%01SECLOG/6/SESSION_TEARDOWN(l):IPVer=4,Protocol=udp,SourceIP=10.123.169.167,DestinationIP=8.8.8.8,SourcePort=52451,DestinationPort=53,SourceNatIP=84.10.61.54,SourceNatPort=3711,BeginTime=1599645876,EndTime=1599645911,...,CloseReason=aged-out.
//
// SESSION_BUILT is a create and SESSION_TEARDOWN a delete, at BeginTime
// and EndTime (UTC seconds). The NAT keys appear only when NAT was
// applied; sessions without them, and the readable ("mtn") format, which
// has no translation fields, are declined with ErrNotMine.
type huaweiNAT struct{}

// h3cNAT parses the NAT logs of H3C and HPE Comware devices:
//
//	%%10session/6/SESSION_IPV4_FLOW: Protocol(1001)=TCP;...;SrcIPAddr(1003)=192.168.187.12;SrcPort(1004)=40912;NatSrcIPAddr(1005)=112.35.18.188;NatSrcPort(1006)=9460;...;BeginTime_e(1013)=12012019081543;EndTime_e(1014)=;Event(1048)=(8)Session created;
//	NAT444:userbasedA [6 100.64.0.1 - 203.0.113.1 - 1024 1279]
//	USERLOG/7/NAT: ICMP; 192.168.1.6:768--->1.1.1.1:12288; 2.2.2.2:768; [2005/07/07 04:20:03-0000/00/00 00:00:00]; Operator 8: Data flow created
//
// Comware V7 session logs are read by field code, since names vary in
// case; BeginTime_e and EndTime_e are UTC (MMDDYYYYhhmmss). Event code 8
// creates, 6 is the periodic record of an active flow, 1 to 5 and 7 end
// the session (normal end, ageing, reset, resources, table full); other
// codes are refused as unknown. NAT444 user logs in the China Telecom format
// (userbasedA, userbasedW) are port blocks: protocol, private address,
// VPN, public address, VPN, first and last port. The Comware V5 USERLOG
// times are the device's local time.
type h3cNAT struct{}

var (
	_ Parser = huaweiNAT{}
	_ Parser = h3cNAT{}
)

// Parse implements Parser.
func (huaweiNAT) Parse(m *Message) ([]*record.Record, error) {
	s := m.Text
	i := strings.Index(s, "SECLOG/")
	if i < 4 || s[i-4] != '%' || s[i-3] != '%' {
		return nil, errNotHuawei
	}
	at := i - 4
	hdr := s[i+len("SECLOG/"):]
	_, hdr, _ = strings.Cut(hdr, "/") // severity
	colon := strings.IndexByte(hdr, ':')
	if colon < 0 {
		return nil, errNotHuawei
	}
	tag, body := hdr[:colon], hdr[colon+1:]
	if i := strings.IndexByte(tag, '('); i >= 0 {
		tag = tag[:i]
	}
	var n record.NAT
	switch tag {
	case "SESSION_BUILT":
		n.Event = record.NATCreate
	case "SESSION_TEARDOWN":
		n.Event = record.NATDelete
	default:
		return nil, errHuaweiNoMapping
	}
	r, err := huaweiRecord(m, s[:at], body, &n)
	if err != nil {
		if errors.Is(err, ErrNotMine) {
			return nil, err
		}
		return nil, fmt.Errorf("huawei %s: %w", tag, err)
	}
	return []*record.Record{r}, nil
}

type huaweiFields struct {
	natFlow
	begin, end, vpn string
}

func (f *huaweiFields) set(k, v string) {
	switch k {
	case "SourceIP":
		f.src = v
	case "SourcePort":
		f.sport = v
	case "DestinationIP":
		f.dst = v
	case "DestinationPort":
		f.dport = v
	case "SourceNatIP":
		f.natSrc = v
	case "SourceNatPort":
		f.natSport = v
	case "DestinationNatIP":
		f.natDst = v
	case "DestinationNatPort":
		f.natDport = v
	case "Protocol":
		f.proto = v
	case "BeginTime":
		f.begin = v
	case "EndTime":
		f.end = v
	case "SourceVpnID":
		f.vpn = v
	}
}

func huaweiRecord(m *Message, head, body string, n *record.NAT) (*record.Record, error) {
	if strings.IndexByte(body, '=') < 0 {
		return nil, errHuaweiNoMapping
	}
	var f huaweiFields
	for body != "" {
		var kv string
		kv, body, _ = strings.Cut(body, ",")
		if body == "" {
			kv = strings.TrimRight(kv, ". ") // the body ends with a full stop
		}
		k, v, _ := strings.Cut(kv, "=")
		f.set(strings.TrimSpace(k), v)
	}
	if err := f.fill(n, errHuaweiNoXlate); err != nil {
		return nil, err
	}
	n.VRF = f.vpn
	n.Device = natHostBefore(m, head)
	at := f.begin
	if n.Event == record.NATDelete {
		at = f.end
	}
	t := natEventTime(m, head)
	if at != "" {
		sec, ok := parseNATUint(at)
		if ok {
			t, ok = natEpoch(sec)
		}
		if !ok {
			return nil, fmt.Errorf("bad session time %q", at)
		}
	}
	return newNATRecord(m, t, n)
}

// Parse implements Parser.
func (h3cNAT) Parse(m *Message) ([]*record.Record, error) {
	s := m.Text
	var (
		r   *record.Record
		err error
		tag string
	)
	if at := strings.Index(s, "%%"); at >= 0 {
		_, after, _ := strings.Cut(s[at:], "/")
		_, after, _ = strings.Cut(after, "/")
		var body string
		var ok bool
		if tag, body, ok = strings.Cut(after, ":"); !ok || tag != "SESSION_IPV4_FLOW" && tag != "SESSION_IPV6_FLOW" {
			return nil, errNotH3C
		}
		r, err = h3cSessionLog(m, s[:at], body)
	} else if at := strings.Index(s, "NAT444:"); at >= 0 {
		tag = "NAT444"
		r, err = h3cNAT444(m, s[:at], s[at+len("NAT444:"):])
	} else if at := strings.Index(s, "USERLOG/"); at >= 0 {
		_, body, ok := strings.Cut(s[at:], "/NAT:")
		if !ok {
			return nil, errNotH3C
		}
		tag = "USERLOG NAT"
		r, err = h3cUserlog(m, s[:at], body)
	} else {
		return nil, errNotH3C
	}
	if err != nil {
		if errors.Is(err, ErrNotMine) {
			return nil, err
		}
		return nil, fmt.Errorf("h3c %s: %w", tag, err)
	}
	return []*record.Record{r}, nil
}

// h3cSessionFields holds the values of the session log fields used.
type h3cSessionFields struct {
	natFlow
	vpn, begin, end, event string
}

// set stores v under the field with code (or, with no code, name).
func (f *h3cSessionFields) set(name, code, v string) {
	if code == "" {
		code = h3cFieldCode(name)
	}
	switch code {
	case "1001":
		f.proto = v
	case "1003":
		f.src = v
	case "1004":
		f.sport = v
	case "1005":
		f.natSrc = v
	case "1006":
		f.natSport = v
	case "1007":
		f.dst = v
	case "1008":
		f.dport = v
	case "1009":
		f.natDst = v
	case "1010":
		f.natDport = v
	case "1042":
		f.vpn = v
	case "1013":
		f.begin = v
	case "1014":
		f.end = v
	case "1048":
		f.event = v
	}
}

// h3cFieldCode maps a field name without a code to its code.
func h3cFieldCode(name string) string {
	for _, c := range h3cFieldNames {
		if strings.EqualFold(name, c.name) {
			return c.code
		}
	}
	return ""
}

var h3cFieldNames = [...]struct{ name, code string }{
	{"Protocol", "1001"}, {"SrcIPAddr", "1003"}, {"SrcPort", "1004"}, {"NatSrcIPAddr", "1005"},
	{"NatSrcPort", "1006"}, {"DstIPAddr", "1007"}, {"DstPort", "1008"}, {"NatDstIPAddr", "1009"},
	{"NatDstPort", "1010"}, {"RcvVPNInstance", "1042"}, {"BeginTime_e", "1013"}, {"EndTime_e", "1014"},
	{"Event", "1048"},
}

// h3cSessionLog reads "Name(code)=value;" fields.
func h3cSessionLog(m *Message, head, body string) (*record.Record, error) {
	var f h3cSessionFields
	for body != "" {
		var kv string
		kv, body, _ = strings.Cut(body, ";")
		k, v, ok := strings.Cut(strings.TrimLeft(kv, " "), "=")
		if !ok {
			continue
		}
		name, code := k, ""
		if i := strings.IndexByte(k, '('); i >= 0 && strings.HasSuffix(k, ")") {
			name, code = k[:i], k[i+1:len(k)-1]
		}
		f.set(name, code, v)
	}
	var n record.NAT
	if err := f.fill(&n, errH3CNoXlate); err != nil {
		return nil, err
	}
	n.VRF = f.vpn
	code, ok := h3cEventCode(f.event)
	if !ok {
		return nil, fmt.Errorf("bad Event %q", f.event)
	}
	var at string
	switch code {
	case 8:
		n.Event, at = record.NATCreate, f.begin
	case 6:
		n.Event = record.NATInterim
	case 1, 2, 3, 4, 5, 7:
		n.Event, at = record.NATDelete, f.end
	default:
		return nil, fmt.Errorf("unknown Event code %d", code)
	}
	t := natEventTime(m, head)
	if at != "" {
		var ok bool
		if t, ok = h3cUTC(at); !ok {
			return nil, fmt.Errorf("bad session time %q", at)
		}
	}
	n.Device = natHostBefore(m, head)
	return newNATRecord(m, t, &n)
}

// h3cEventCode reads the code of "(8)Session created".
func h3cEventCode(s string) (uint64, bool) {
	if !strings.HasPrefix(s, "(") {
		return 0, false
	}
	code, _, ok := strings.Cut(s[1:], ")")
	if !ok {
		return 0, false
	}
	return parseNATUint(code)
}

// h3cUTC reads a BeginTime_e or EndTime_e value, MMDDYYYYhhmmss in UTC.
func h3cUTC(s string) (time.Time, bool) {
	if len(s) != 14 {
		return time.Time{}, false
	}
	var v [6]int
	for i, w := range [...]int{2, 2, 4, 2, 2, 2} {
		n, ok := parseNATUint(s[:w])
		if !ok {
			return time.Time{}, false
		}
		v[i], s = int(n), s[w:]
	}
	t := time.Date(v[2], time.Month(v[0]), v[1], v[3], v[4], v[5], 0, time.UTC)
	if v[0] < 1 || v[0] > 12 || t.Day() != v[1] || v[3] > 23 || v[4] > 59 || v[5] > 60 || !natTimeOK(t) {
		return time.Time{}, false
	}
	return t, true
}

// h3cNAT444 reads a NAT444 user log in the China Telecom format:
// "userbasedA [PROTO PRIV VPN PUB VPN FIRST LAST]".
func h3cNAT444(m *Message, head, body string) (*record.Record, error) {
	body = strings.TrimLeft(body, " ")
	i := strings.IndexByte(body, '[')
	if i < 0 {
		return nil, fmt.Errorf("no '[' in %q", body)
	}
	event := strings.TrimSpace(body[:i])
	var n record.NAT
	switch event {
	case "userbasedA":
		n.Event = record.NATBlockAlloc
	case "userbasedW":
		n.Event = record.NATBlockRelease
	case "userbasedF":
		return nil, errH3CNoMapping
	default:
		return nil, fmt.Errorf("unsupported log type %q", event)
	}
	fields, _, ok := strings.Cut(body[i+1:], "]")
	if !ok {
		return nil, fmt.Errorf("no ']' in %q", body)
	}
	var f [8]string
	nf := 0
	for rest := fields; nf < len(f); nf++ {
		if f[nf], rest = nextNATField(rest); f[nf] == "" {
			break
		}
	}
	// With the VPN fields (7) or without (5).
	pub, vpn, first, last := f[2], "", f[3], f[4]
	switch nf {
	case 7:
		pub, vpn, first, last = f[3], f[2], f[5], f[6]
	case 5:
	default:
		return nil, fmt.Errorf("%d fields in [%s], want 7", nf, fields)
	}
	if n.Protocol, ok = parseNATProto(f[0]); !ok {
		return nil, fmt.Errorf("bad protocol %q", f[0])
	}
	if n.InsideAddr, ok = parseNATAddr(f[1]); !ok {
		return nil, fmt.Errorf("bad private address %q", f[1])
	}
	if n.OutsideAddr, ok = parseNATAddr(pub); !ok {
		return nil, fmt.Errorf("bad public address %q", pub)
	}
	if n.OutsidePort, ok = parseNATPort(first); !ok {
		return nil, fmt.Errorf("bad first port %q", first)
	}
	if n.OutsidePortEnd, ok = parseNATPort(last); !ok {
		return nil, fmt.Errorf("bad last port %q", last)
	}
	if vpn != "-" {
		n.VRF = vpn
	}
	n.Device = natHostBefore(m, head)
	return newNATRecord(m, natEventTime(m, head), &n)
}

// h3cUserlog reads a Comware V5 NAT user log:
// "ICMP; SRC:P--->NAT:P; DST:P; [START-END]; Operator N: text".
func h3cUserlog(m *Message, head, body string) (*record.Record, error) {
	var f [5]string
	rest := body
	for i := range f {
		f[i], rest, _ = strings.Cut(rest, ";")
		f[i] = strings.TrimSpace(f[i])
	}
	var n record.NAT
	var ok bool
	if n.Protocol, ok = parseNATProto(f[0]); !ok {
		return nil, fmt.Errorf("bad protocol %q", f[0])
	}
	in, out, ok := strings.Cut(f[1], "--->")
	if !ok {
		return nil, fmt.Errorf(`no "--->" in %q`, f[1])
	}
	if n.InsideAddr, n.InsidePort, ok = splitNATAddrPort(in, ':'); !ok {
		return nil, fmt.Errorf("bad source address %q", in)
	}
	if n.OutsideAddr, n.OutsidePort, ok = splitNATAddrPort(out, ':'); !ok {
		return nil, fmt.Errorf("bad translated address %q", out)
	}
	if n.DestAddr, n.DestPort, ok = splitNATAddrPort(f[2], ':'); !ok {
		return nil, fmt.Errorf("bad destination address %q", f[2])
	}
	op, ok := strings.CutPrefix(f[4], "Operator ")
	if !ok {
		return nil, fmt.Errorf("no Operator in %q", f[4])
	}
	op, _, _ = strings.Cut(op, ":")
	code, ok := parseNATUint(op)
	if !ok {
		return nil, fmt.Errorf("bad Operator %q", op)
	}
	span := strings.TrimSuffix(strings.TrimPrefix(f[3], "["), "]")
	var at string // "2005/07/07 04:20:03-0000/00/00 00:00:00"
	switch code {
	case 8:
		n.Event = record.NATCreate
		at, _, _ = strings.Cut(span, "-")
	case 6:
		n.Event = record.NATInterim
	case 1, 2, 3, 4, 5, 7:
		n.Event = record.NATDelete
		_, at, _ = strings.Cut(span, "-")
	default:
		return nil, fmt.Errorf("unknown Operator %d", code)
	}
	t := natEventTime(m, head)
	if tt, nb := natDeviceTime(m, at); nb > 0 {
		t = tt
	}
	n.Device = natHostBefore(m, head)
	return newNATRecord(m, t, &n)
}
