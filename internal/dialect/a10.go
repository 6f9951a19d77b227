package dialect

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

var (
	errNotA10       = fmt.Errorf("%w: no A10 CEF or NAT- message", ErrNotMine)
	errA10OtherCEF  = fmt.Errorf("%w: CEF message from a vendor other than A10", ErrNotMine)
	errA10NoMapping = fmt.Errorf("%w: A10 message without a mapping", ErrNotMine)
)

// a10CGN parses the carrier-grade NAT logs of A10 Thunder (ACOS) in CEF
// and in ASCII:
//
//	CEF:0|A10|CFW|6.0.0-P1|CGN 100|Nat Port Allocated|5|proto=ICMP src=100.65.161.0 spt=48856 sourceTranslatedAddress=99.99.99.13 sourceTranslatedPort=48856 dst=8.8.8.8 dpt=0
//	CEF:0|A10|CFW|6.0.0-P1|CGN 106|Nat Port Batch Pool Allocated|5|proto=UDP src=100.65.140.73 sourceTranslatedAddress=99.99.99.12 sourceTranslatedPort=22016 cn3=22271 cn3Label=Last Nat Port
//	NAT-TCP-C: 10.0.0.1:1234<-->203.0.113.1:4321 to 8.8.8.8:53
//	NAT-TCP-C: 10.0.0.1:1234<->8.8.8.8:53, 203.0.113.1:4321<-->8.8.8.8:53
//	FIXED-NAT-PORTS 10.0.0.1->203.0.113.1:3000-4000
//
// CEF events are read by name (Allocated or Created, Freed, Deleted or
// Released); a batch, whose cn3 is labelled "Last Nat Port", is a port
// block. ASCII event letters C and B create, D and F delete, U updates.
// A fixed-NAT line is the subscriber's deterministic block, kept as an
// allocation.
type a10CGN struct{}

var _ Parser = a10CGN{}

// Parse implements Parser.
func (a10CGN) Parse(m *Message) ([]*record.Record, error) {
	s := m.Text
	var (
		r   *record.Record
		err error
	)
	if m.App == "CEF" && strings.HasPrefix(s, "0|") {
		// The collector took "CEF:" for the syslog tag.
		r, err = a10CEF(m, "", s)
	} else if i := strings.Index(s, "CEF:"); i >= 0 {
		r, err = a10CEF(m, s[:i], s[i+len("CEF:"):])
	} else if i, j := a10FindASCII(s); i >= 0 {
		r, err = a10ASCII(m, s[:i], s[i:j], s[j:])
	} else {
		return nil, errNotA10
	}
	if err != nil {
		if errors.Is(err, ErrNotMine) {
			return nil, err
		}
		return nil, fmt.Errorf("a10: %w", err)
	}
	return []*record.Record{r}, nil
}

// a10FindASCII finds "NAT-TCP-C:" or "FIXED-NAT-PORTS" and returns the
// tag's start and end, or -1.
func a10FindASCII(s string) (int, int) {
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "NAT-")
		if j < 0 {
			break
		}
		j += i
		i = j + 4
		if j >= 6 && s[j-6:j] == "FIXED-" && strings.HasPrefix(s[j:], "NAT-PORTS ") {
			return j - 6, j + len("NAT-PORTS")
		}
		if j > 0 && s[j-1] != ' ' {
			continue
		}
		k := strings.IndexByte(s[j:], ':')
		if k < len("NAT-X-C") || k > 16 {
			continue
		}
		if tag := s[j : j+k]; strings.Count(tag, "-") == 2 && tag[len(tag)-2] == '-' {
			return j, j + k + 1
		}
	}
	return -1, -1
}

// a10CEFFields holds the CEF extensions the parser uses.
type a10CEFFields struct {
	proto, src, spt, dst, dpt     string
	xsrc, xspt, xdst, xdpt        string
	last, lastLabel, rt, hostname string
}

func (f *a10CEFFields) set(k, v string) {
	switch k {
	case "proto":
		f.proto = v
	case "src":
		f.src = v
	case "spt":
		f.spt = v
	case "dst":
		f.dst = v
	case "dpt":
		f.dpt = v
	case "sourceTranslatedAddress":
		f.xsrc = v
	case "sourceTranslatedPort":
		f.xspt = v
	case "destinationTranslatedAddress":
		f.xdst = v
	case "destinationTranslatedPort":
		f.xdpt = v
	case "cn3":
		f.last = v
	case "cn3Label":
		f.lastLabel = v
	case "rt":
		f.rt = v
	case "dvchost":
		f.hostname = v
	}
}

// a10CEF reads "0|A10|CFW|6.0.0-P1|CGN 100|Nat Port Allocated|5|ext".
func a10CEF(m *Message, head, s string) (*record.Record, error) {
	var hdr [7]string
	for i := range hdr {
		j := strings.IndexByte(s, '|')
		if j < 0 {
			if i <= 1 || hdr[1] != "A10" {
				return nil, errA10OtherCEF
			}
			return nil, errors.New("CEF header has fewer than 8 fields")
		}
		hdr[i], s = s[:j], s[j+1:]
	}
	if hdr[1] != "A10" {
		return nil, errA10OtherCEF
	}
	var f a10CEFFields
	for s != "" {
		var k, v string
		k, v, s = a10CEFNext(s)
		f.set(k, v)
	}
	r, err := a10CEFRecord(m, head, hdr[5], &f)
	if err != nil && !errors.Is(err, ErrNotMine) {
		return nil, fmt.Errorf("%s: %w", hdr[4], err)
	}
	return r, err
}

// a10CEFRecord builds the record of a CEF event called name.
func a10CEFRecord(m *Message, head, name string, f *a10CEFFields) (*record.Record, error) {
	block := f.last != "" && strings.EqualFold(f.lastLabel, "Last Nat Port")
	var n record.NAT
	switch {
	case a10Has(name, "Allocated", "allocated") || a10Has(name, "Created", "created"):
		n.Event = record.NATCreate
		if block {
			n.Event = record.NATBlockAlloc
		}
	case a10Has(name, "Freed", "freed") || a10Has(name, "Deleted", "deleted") || a10Has(name, "Released", "released"):
		n.Event = record.NATDelete
		if block {
			n.Event = record.NATBlockRelease
		}
	default:
		return nil, errA10NoMapping
	}
	// A block has no inside port; its last port is cn3.
	flow := natFlow{src: f.src, natSrc: f.xsrc, natSport: f.xspt, proto: f.proto,
		dst: f.dst, dport: f.dpt, natDst: f.xdst, natDport: f.xdpt}
	if !block {
		flow.sport = f.spt
	}
	if f.src == "" {
		return nil, errA10NoMapping
	}
	if err := flow.fill(&n, errA10NoMapping); err != nil {
		return nil, err
	}
	if block {
		var ok bool
		if n.OutsidePortEnd, ok = parseNATPort(f.last); !ok {
			return nil, fmt.Errorf("bad last port %q", f.last)
		}
	}
	n.Device = f.hostname
	if n.Device == "" {
		n.Device = natHostBefore(m, head)
	}
	t := natEventTime(m, head)
	if f.rt != "" {
		// rt is milliseconds since 1970 UTC.
		ms, ok := parseNATUint(f.rt)
		if ok {
			t = time.UnixMilli(int64(ms)).UTC()
			ok = ms < 1<<50 && natTimeOK(t)
		}
		if !ok {
			return nil, fmt.Errorf("bad rt %q", f.rt)
		}
	}
	return newNATRecord(m, t, &n)
}

// a10Has reports whether the event name holds the word, capitalised or not.
func a10Has(name, title, lower string) bool {
	return strings.Contains(name, title) || strings.Contains(name, lower)
}

// a10CEFNext reads one CEF extension "key=value": the value runs to the
// space before the next "key=", so it may hold spaces.
func a10CEFNext(s string) (key, val, rest string) {
	s = strings.TrimLeft(s, " ")
	eq := strings.IndexByte(s, '=')
	if eq < 0 {
		return "", "", ""
	}
	key = s[:eq]
	v0 := eq + 1
	for j := v0; ; {
		sp := strings.IndexByte(s[j:], ' ')
		if sp < 0 {
			return key, s[v0:], ""
		}
		sp += j
		k := sp + 1
		for k < len(s) && (s[k] >= 'a' && s[k] <= 'z' || s[k] >= 'A' && s[k] <= 'Z' || s[k] >= '0' && s[k] <= '9' || s[k] == '_') {
			k++
		}
		if k > sp+1 && k < len(s) && s[k] == '=' && s[k-1] != '\\' {
			return key, s[v0:sp], s[sp+1:]
		}
		j = sp + 1
	}
}

// a10ASCII reads an ASCII log; tag is "NAT-TCP-C:" or "FIXED-NAT-PORTS".
func a10ASCII(m *Message, head, tag, body string) (*record.Record, error) {
	var n record.NAT
	body = strings.TrimSpace(body)
	if tag == "FIXED-NAT-PORTS" {
		n.Event = record.NATBlockAlloc
		in, out, ok := strings.Cut(body, "->")
		if !ok {
			return nil, fmt.Errorf("FIXED-NAT-PORTS: no \"->\" in %q", body)
		}
		if n.InsideAddr, ok = parseNATAddr(in); !ok {
			return nil, fmt.Errorf("FIXED-NAT-PORTS: bad inside address %q", in)
		}
		out, _ = nextNATField(out)
		i := strings.LastIndexByte(out, ':')
		if i < 0 {
			return nil, fmt.Errorf("FIXED-NAT-PORTS: bad port block %q", out)
		}
		if n.OutsideAddr, ok = parseNATAddr(out[:i]); !ok {
			return nil, fmt.Errorf("FIXED-NAT-PORTS: bad NAT address %q", out[:i])
		}
		if n.OutsidePort, n.OutsidePortEnd, ok = splitNATPortRange(out[i+1:]); !ok {
			return nil, fmt.Errorf("FIXED-NAT-PORTS: bad port range %q", out[i+1:])
		}
	} else if err := a10ASCIIMapping(tag, body, &n); err != nil {
		return nil, fmt.Errorf("%s %w", tag, err)
	}
	n.Device = natHostBefore(m, head)
	r, err := newNATRecord(m, natEventTime(m, head), &n)
	if err != nil {
		return nil, fmt.Errorf("%s %w", tag, err)
	}
	return r, nil
}

// a10ASCIIMapping reads the body of "NAT-<PROTO>-<E>:".
func a10ASCIIMapping(tag, body string, n *record.NAT) error {
	proto := tag[len("NAT-") : len(tag)-3]
	var ok bool
	if n.Protocol, ok = parseNATProto(proto); !ok {
		return fmt.Errorf("bad protocol %q", proto)
	}
	switch tag[len(tag)-2] {
	case 'C', 'B':
		n.Event = record.NATCreate
	case 'D', 'F':
		n.Event = record.NATDelete
	case 'U':
		n.Event = record.NATInterim
	default:
		return fmt.Errorf("unknown event letter %q", tag[len(tag)-2])
	}
	var in, out, dst string
	switch {
	case strings.Contains(body, "<->"):
		// Session: SRC<->DST, NATSRC<-->DST
		var rest string
		in, rest, _ = strings.Cut(body, "<->")
		d, x, ok := strings.Cut(rest, ",")
		if !ok {
			return fmt.Errorf("no \",\" in %q", body)
		}
		dst = d
		out, _, _ = strings.Cut(strings.TrimSpace(x), "<-->")
	case strings.Contains(body, "<-->"):
		// Port mapping: SRC<-->NATSRC [to DST]
		var rest string
		in, rest, _ = strings.Cut(body, "<-->")
		out, rest = nextNATField(rest)
		if w, r := nextNATField(rest); w == "to" {
			dst, _ = nextNATField(r)
		}
	case strings.Contains(body, " -> "):
		// The admin guide's form: "SRC:PORT -> NATSRC: PORT".
		in, out, _ = strings.Cut(body, " -> ")
		out = strings.ReplaceAll(strings.TrimSpace(out), ": ", ":")
	default:
		return fmt.Errorf("no mapping in %q", body)
	}
	if n.InsideAddr, n.InsidePort, ok = splitNATAddrPort(strings.TrimSpace(in), ':'); !ok {
		return fmt.Errorf("bad inside address %q", in)
	}
	if n.OutsideAddr, n.OutsidePort, ok = splitNATAddrPort(strings.TrimSpace(out), ':'); !ok {
		return fmt.Errorf("bad NAT address %q", out)
	}
	if dst = strings.TrimSpace(dst); dst != "" {
		if n.DestAddr, n.DestPort, ok = splitNATAddrPort(dst, ':'); !ok {
			return fmt.Errorf("bad destination %q", dst)
		}
	}
	return nil
}
