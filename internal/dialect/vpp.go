package dialect

import (
	"fmt"
	"strings"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// vppNAT parses the NAT logs of FD.io VPP's NAT44 and NAT64 plugins, which
// follow draft-ietf-behave-syslog-nat-logging: RFC 5424 messages with
// APP-NAME NAT whose MSGID is SADD or SDEL (session added, deleted;
// SD-ID nsess) or APMADD or APMDEL (address and port mapping; SD-ID
// napmap), and whose structured data holds
//
//	SSUBIX SVLAN IATYP ISADDR ISPORT XATYP XSADDR XSPORT PROTO [XDADDR XDPORT] [IDADDR IDPORT] [SV6ENC]
//
// Sessions and mappings both give create and delete records. SVLAN (the
// inside FIB table) is kept as the VRF. For DS-Lite the inside address
// every subscriber shares (ISADDR, usually 192.0.0.2) says nothing; the
// B4's IPv6 address (SV6ENC) is kept as the inside address instead, with
// ISPORT. The event time is the header's, which carries its zone.
//
// The structured data is read from the message when the collector parsed
// it, else from the text.
type vppNAT struct{}

const vppName = "vpp-nat"

var errVPPMarker = &decline{vppName, "no nsess or napmap structured data"}

// vppParams is the structured data the parser reads.
type vppParams struct {
	svlan, isaddr, isport, xsaddr, xsport, proto, xdaddr, xdport, sv6enc string
}

func (v *vppParams) set(k, val string) {
	switch k {
	case "SVLAN":
		v.svlan = val
	case "ISADDR":
		v.isaddr = val
	case "ISPORT":
		v.isport = val
	case "XSADDR":
		v.xsaddr = val
	case "XSPORT":
		v.xsport = val
	case "PROTO":
		v.proto = val
	case "XDADDR":
		v.xdaddr = val
	case "XDPORT":
		v.xdport = val
	case "SV6ENC":
		v.sv6enc = val
	}
}

// Parse implements Parser.
func (p *vppNAT) Parse(m *Message) ([]*record.Record, error) {
	v, msgID, t, err := vppRead(m)
	if err != nil {
		return nil, err
	}
	var n record.NAT
	switch msgID {
	case "SADD", "APMADD":
		n.Event = record.NATCreate
	case "SDEL", "APMDEL":
		n.Event = record.NATDelete
	default:
		return nil, fmt.Errorf("parse vpp NAT log: unknown MSGID %q", msgID)
	}
	if err := v.mapping(&n); err != nil {
		return nil, fmt.Errorf("parse vpp NAT log: %w", err)
	}
	if !t.IsZero() {
		if t, err = checkTime(t); err != nil {
			return nil, fmt.Errorf("parse vpp NAT log: time: %w", err)
		}
	}
	r := newRecord(record.KindNAT, m, t)
	*r.NAT = n
	return []*record.Record{r}, nil
}

// vppRead returns the message's NAT parameters, MSGID and header time:
// as the collector parsed them, or from the text when it left the header
// or the structured data there.
func vppRead(m *Message) (v vppParams, msgID string, t time.Time, err error) {
	msgID, t = m.MsgID, m.Time
	if m.SDID == "nsess" || m.SDID == "napmap" {
		for k, val := range m.Params {
			v.set(k, val)
		}
		return v, msgID, t, nil
	}
	text := m.Text
	i := strings.Index(text, "[nsess ")
	if i < 0 {
		i = strings.Index(text, "[napmap ")
	}
	if i < 0 {
		return v, "", t, errVPPMarker
	}
	if _, err := sdParams(text[i+1:], v.set); err != nil {
		return v, "", t, fmt.Errorf("parse vpp NAT log: structured data: %w", err)
	}
	// The words before the SD: a header the collector left in place ends
	// in "... <timestamp> <host> NAT <procid> <MSGID>".
	head := strings.Fields(text[:i])
	if len(head) > 0 {
		msgID = head[len(head)-1]
	}
	for _, w := range head {
		if len(w) >= 20 && w[4] == '-' && w[10] == 'T' {
			if ht, err := time.Parse(time.RFC3339Nano, w); err == nil {
				t = ht
			}
		}
	}
	return v, msgID, t, nil
}

// mapping fills n's addresses, ports, protocol and VRF.
func (v *vppParams) mapping(n *record.NAT) error {
	var err error
	if n.InsideAddr, err = parseAddr(v.isaddr); err != nil {
		return fmt.Errorf("ISADDR: %w", err)
	}
	if v.sv6enc != "" {
		if n.InsideAddr, err = parseAddr(v.sv6enc); err != nil {
			return fmt.Errorf("SV6ENC: %w", err)
		}
	}
	if n.OutsideAddr, err = parseAddr(v.xsaddr); err != nil {
		return fmt.Errorf("XSADDR: %w", err)
	}
	if v.xdaddr != "" {
		if n.DestAddr, err = parseAddr(v.xdaddr); err != nil {
			return fmt.Errorf("XDADDR: %w", err)
		}
	}
	for _, f := range [...]struct {
		name, v string
		dst     *uint16
	}{{"ISPORT", v.isport, &n.InsidePort}, {"XSPORT", v.xsport, &n.OutsidePort}, {"XDPORT", v.xdport, &n.DestPort}} {
		if f.v == "" {
			continue
		}
		if *f.dst, err = parsePort(f.v); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if n.Protocol, err = parseProtocol(v.proto); err != nil {
		return fmt.Errorf("PROTO: %w", err)
	}
	if err := checkString("SVLAN", v.svlan); err != nil {
		return err
	}
	n.VRF = v.svlan
	return nil
}

// sdParams reads one RFC 5424 SD-ELEMENT's parameters from s, which
// starts after its '[', calling fn for each; it returns the rest after the
// closing ']'. Values may escape '"', '\' and ']' with a backslash; the
// escapes are kept.
func sdParams(s string, fn func(k, v string)) (string, error) {
	_, s = cutWord(s) // SD-ID
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return "", fmt.Errorf("unterminated element")
		}
		if s[0] == ']' {
			return s[1:], nil
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			return "", fmt.Errorf("bad parameter at %q", truncate(s, 20))
		}
		k := s[:eq]
		j := eq + 2
		for j < len(s) && s[j] != '"' {
			if s[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(s) {
			return "", fmt.Errorf("unterminated value of %s", k)
		}
		fn(k, s[eq+2:j])
		s = s[j+1:]
	}
}

// truncate shortens s to n bytes for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
