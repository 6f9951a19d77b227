package dialect

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/warden-ops/warden/internal/record"
)

// Juniper logs come in two families.
//
// RT_FLOW and RT_NAT messages (SRX, and MX-SPC3 with the _USF tags) are
// sent structured, as RFC 5424 structured data with the SD-ID
// junos@2636.1.1.1.2.N, or unstructured, as BSD syslog text:
//
//	RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.40 source-address="10.0.0.1" ... nat-source-address="203.0.113.1" ...]
//	RT_FLOW: RT_FLOW_SESSION_CREATE: session created 10.0.0.1/1234->8.8.8.8/53 junos-dns-udp 203.0.113.1/4321->8.8.8.8/53 ...
//	RT_NAT - RT_SRC_NAT_PBA_ALLOC [internal-ip="100.64.0.1" ... block-port-low="1024" block-port-high="1279" reflexive-ip="203.0.113.1" ...]
//	RT_NAT: RT_SRC_NAT_PBA_ALLOC: Subscriber 100.64.0.1 used/maximum [1/4] blocks, allocates port block [1024-1279] from 203.0.113.1 in source pool P lsys_id: 0 epoch 0x6a44007a
//
// The MX services cards (MS-MPC, MS-MIC, MS-PIC) log under a service set:
//
//	2024-01-02 10:00:00: cgn1{sset}[jservices-nat]: JSERVICES_NAT_PORT_BLOCK_ALLOC: 100.64.0.1 -> 203.0.113.1:1024-1279 0x65941c20
//	{sset}MSVCS_LOG_SESSION_OPEN: App:none, ge-1/0/0.0#012 100.64.0.1:1234 [203.0.113.1:4321] -> 8.8.8.8:53 (UDP)
//	(FPC Slot 1, PIC Slot 0) {sset}[FWNAT]: ASP_SFW_CREATE_ACCEPT_FLOW: proto 6 (TCP) application: any, ge-1/0/0.0:100.64.0.1:1234 -> 8.8.8.8:80, creating forward or watch flow ; source address and port translate to 203.0.113.1:4321
//
// A flow is a NAT record only when its source was translated; the
// destination kept is the translated one, the peer as the outside saw it.
// Flows without source translation, denied sessions, rule-match logs and
// pool alarms hold no mapping: the parsers decline them with ErrNotMine so
// that the caller keeps them raw.

// juniperSRX parses the RT_FLOW session logs and RT_NAT port block logs of
// SRX Series firewalls.
type juniperSRX struct{}

// juniperMX parses the NAT logs of MX routers: the services cards'
// jservices-nat and FWNAT logs, and the RT_FLOW and RT_NAT logs of the
// MX-SPC3.
type juniperMX struct{}

var (
	_ Parser = juniperSRX{}
	_ Parser = juniperMX{}
)

var (
	errNotJunos        = fmt.Errorf("%w: no Juniper RT_FLOW or RT_NAT tag", ErrNotMine)
	errNotJunosMX      = fmt.Errorf("%w: no Juniper RT_FLOW, RT_NAT or services-card tag", ErrNotMine)
	errJunosNoXlate    = fmt.Errorf("%w: Juniper flow without source translation", ErrNotMine)
	errJunosDenied     = fmt.Errorf("%w: Juniper denied session (no translation)", ErrNotMine)
	errJunosNoMapping  = fmt.Errorf("%w: Juniper NAT message without a mapping", ErrNotMine)
	errJunosAppTrack   = fmt.Errorf("%w: unstructured Juniper APPTRACK message (no translation fields)", ErrNotMine)
	errJunosOtherFlow  = fmt.Errorf("%w: Juniper RT_FLOW message other than a session log", ErrNotMine)
	errJunosOtherSvcs  = fmt.Errorf("%w: Juniper services-card message without a mapping", ErrNotMine)
	errJunosBadEnding  = errors.New("structured data does not end with ']'")
	errJunosBadQuoting = errors.New("unterminated quoted value in structured data")
)

// Parse implements Parser.
func (juniperSRX) Parse(m *Message) ([]*record.Record, error) {
	recs, found, err := parseJunosRT(m)
	if !found {
		return nil, errNotJunos
	}
	return recs, err
}

// Parse implements Parser.
func (juniperMX) Parse(m *Message) ([]*record.Record, error) {
	recs, found, err := parseJunosRT(m)
	if found {
		return recs, err
	}
	return parseJunosServices(m)
}

// junosKind is what a Juniper tag says happened.
type junosKind uint8

const (
	junosOther junosKind = iota
	junosCreate
	junosClose
	junosDeny
	junosUpdate
	junosBlockAlloc
	junosBlockRelease
	junosBlockInterim
	junosNoMapping
)

// junosTagKind classifies an RT_FLOW or RT_NAT tag. Logical-system (_LS)
// and Next Gen Services (_USF) variants share their base tag's meaning.
func junosTagKind(tag string) junosKind {
	var rest string
	switch {
	case strings.HasPrefix(tag, "RT_FLOW_SESSION_"):
		rest = tag[len("RT_FLOW_SESSION_"):]
	case strings.HasPrefix(tag, "APPTRACK_SESSION_"):
		rest = tag[len("APPTRACK_SESSION_"):]
	case strings.HasPrefix(tag, "RT_SRC_NAT_PBA_"):
		switch rest = tag[len("RT_SRC_NAT_PBA_"):]; {
		case strings.HasPrefix(rest, "ALLOC"):
			return junosBlockAlloc
		case strings.HasPrefix(rest, "RELEASE"):
			return junosBlockRelease
		case strings.HasPrefix(rest, "INTERIM"):
			return junosBlockInterim
		}
		return junosNoMapping
	case strings.HasPrefix(tag, "RT_NAT_"), strings.HasPrefix(tag, "RT_SRC_NAT_"), strings.HasPrefix(tag, "RT_DST_NAT_"):
		return junosNoMapping
	default:
		return junosOther
	}
	switch {
	case strings.HasPrefix(rest, "CREATE"):
		return junosCreate
	case strings.HasPrefix(rest, "CLOSE"):
		return junosClose
	case strings.HasPrefix(rest, "DENY"):
		return junosDeny
	case strings.HasPrefix(rest, "VOL_UPDATE"), strings.HasPrefix(rest, "ROUTE_UPDATE"):
		return junosUpdate
	}
	return junosOther
}

// junosFields holds the values of the keys the parsers use. Keys come and
// go between Junos releases, so values are found by key, never by place.
type junosFields struct {
	natFlow
	vrf                            string
	internal, reflexive, low, high string
	pool, epoch                    string
}

func (f *junosFields) set(k, v string) {
	switch k {
	case "source-address":
		f.src = v
	case "source-port":
		f.sport = v
	case "destination-address":
		f.dst = v
	case "destination-port":
		f.dport = v
	case "nat-source-address":
		f.natSrc = v
	case "nat-source-port":
		f.natSport = v
	case "nat-destination-address":
		f.natDst = v
	case "nat-destination-port":
		f.natDport = v
	case "protocol-id":
		f.proto = v
	case "routing-instance":
		f.vrf = v
	case "internal-ip":
		f.internal = v
	case "reflexive-ip":
		f.reflexive = v
	case "block-port-low":
		f.low = v
	case "block-port-high":
		f.high = v
	case "nat-pool-name":
		f.pool = v
	case "epoch-time-64":
		f.epoch = v
	}
}

// findJunosTag finds an RT_FLOW, APPTRACK or RT_NAT tag in s and returns
// it with its start, or -1.
func findJunosTag(s string) (tag string, at int) {
	at = -1
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "RT_")
		if j < 0 {
			break
		}
		j += i
		if (j == 0 || s[j-1] == ' ' || s[j-1] == ':') && junosTagStart(s[j:]) {
			at = j
			break
		}
		i = j + 3
	}
	if at < 0 {
		if at = strings.Index(s, "APPTRACK_SESSION_"); at < 0 {
			return "", -1
		}
	}
	end := at
	for end < len(s) && (s[end] >= 'A' && s[end] <= 'Z' || s[end] >= '0' && s[end] <= '9' || s[end] == '_') {
		end++
	}
	return s[at:end], at
}

func junosTagStart(s string) bool {
	return strings.HasPrefix(s, "RT_FLOW_SESSION_") || strings.HasPrefix(s, "RT_SRC_NAT_") ||
		strings.HasPrefix(s, "RT_NAT_") || strings.HasPrefix(s, "RT_DST_NAT_")
}

// parseJunosRT parses an RT_FLOW or RT_NAT message. found is false when m
// holds none.
func parseJunosRT(m *Message) (recs []*record.Record, found bool, err error) {
	var f junosFields
	if m.Params != nil && (strings.HasPrefix(m.SDID, "junos@") || junosTagKind(m.MsgID) != junosOther) {
		// The collector parsed the structured data.
		kind := junosTagKind(m.MsgID)
		if kind == junosOther {
			return nil, true, errJunosOtherFlow
		}
		for k, v := range m.Params {
			f.set(k, v)
		}
		recs, err := junosRecord(m, kind, m.MsgID, &f, "")
		return recs, true, err
	}
	s := m.Text
	if kind := junosTagKind(m.MsgID); kind != junosOther && strings.HasPrefix(s, "[") {
		// The collector parsed the header but left the structured data.
		if kind == junosNoMapping {
			return nil, true, errJunosNoMapping
		}
		if _, err := scanJunosSD(s[1:], &f); err != nil {
			return nil, true, fmt.Errorf("juniper %s: %w", m.MsgID, err)
		}
		recs, err = junosRecord(m, kind, m.MsgID, &f, "")
		return recs, true, err
	}
	tag, at := findJunosTag(s)
	if at < 0 {
		return nil, false, nil
	}
	kind := junosTagKind(tag)
	head := junosHead(s[:at])
	rest := s[at+len(tag):]
	if strings.HasPrefix(rest, ":") {
		recs, err := junosText(m, kind, tag, rest[1:], head)
		return recs, true, err
	}
	rest = strings.TrimLeft(rest, " ")
	if !strings.HasPrefix(rest, "[") {
		if kind == junosOther || kind == junosNoMapping {
			return nil, true, errJunosNoMapping
		}
		return nil, true, fmt.Errorf("juniper %s: no structured data or text after the tag", tag)
	}
	if kind == junosOther {
		return nil, true, errJunosOtherFlow
	}
	if _, err := scanJunosSD(rest[1:], &f); err != nil {
		return nil, true, fmt.Errorf("juniper %s: %w", tag, err)
	}
	recs, err = junosRecord(m, kind, tag, &f, head)
	return recs, true, err
}

// junosHead trims the application name (RT_FLOW, RT_NAT) and the RFC 5424
// PROCID and MSGID placeholders off the text before a tag, leaving the
// header that carries the time and host.
func junosHead(head string) string {
	head = strings.TrimRight(head, " -:")
	for _, app := range [...]string{"RT_FLOW", "RT_NAT"} {
		if strings.HasSuffix(head, app) {
			return head[:len(head)-len(app)]
		}
	}
	return head
}

// scanJunosSD reads key="value" pairs up to the closing ']' of an RFC 5424
// structured-data element (the SD-ID, a word without '=', is skipped) and
// returns what follows. Quoted values may hold \" \\ and \] escapes; some
// published lines quote with typographic quotes, which are read too.
func scanJunosSD(s string, f *junosFields) (string, error) {
	const lq, rq = "“", "”"
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return "", errJunosBadEnding
		}
		if s[0] == ']' {
			return s[1:], nil
		}
		k := 0
		for k < len(s) && s[k] != '=' && s[k] != ' ' && s[k] != ']' {
			k++
		}
		if k == len(s) {
			return "", errJunosBadEnding
		}
		if s[k] != '=' {
			s = s[k:] // the SD-ID
			continue
		}
		key := s[:k]
		s = s[k+1:]
		var v string
		switch {
		case strings.HasPrefix(s, `"`):
			j := strings.IndexByte(s[1:], '"') + 1
			if j == 0 {
				return "", errJunosBadQuoting
			}
			if strings.IndexByte(s[1:j], '\\') < 0 {
				v, s = s[1:j], s[j+1:]
				break
			}
			// Escapes: find the quote that is not escaped.
			for j = 1; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' {
					j++
				}
			}
			if j >= len(s) {
				return "", errJunosBadQuoting
			}
			v, s = unescapeJunosSD(s[1:j]), s[j+1:]
		case strings.HasPrefix(s, rq), strings.HasPrefix(s, lq):
			t := s[len(rq):]
			j := strings.Index(t, rq)
			if j < 0 {
				return "", errJunosBadQuoting
			}
			v, s = t[:j], t[j+len(rq):]
		default:
			j := strings.IndexAny(s, " ]")
			if j < 0 {
				return "", errJunosBadEnding
			}
			v, s = s[:j], s[j:]
		}
		f.set(key, v)
	}
}

func unescapeJunosSD(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && (v[i+1] == '"' || v[i+1] == '\\' || v[i+1] == ']') {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// junosRecord builds the record of a message whose fields are in f.
func junosRecord(m *Message, kind junosKind, tag string, f *junosFields, head string) ([]*record.Record, error) {
	var (
		r   *record.Record
		err error
	)
	switch kind {
	case junosCreate, junosClose, junosUpdate:
		r, err = junosFlowRecord(m, kind, f, head)
	case junosDeny:
		return nil, errJunosDenied
	case junosBlockAlloc, junosBlockRelease, junosBlockInterim:
		r, err = junosBlockRecord(m, kind, f, head)
	case junosNoMapping:
		return nil, errJunosNoMapping
	default:
		return nil, errJunosOtherFlow
	}
	if err != nil {
		if errors.Is(err, ErrNotMine) {
			return nil, err
		}
		return nil, fmt.Errorf("juniper %s: %w", tag, err)
	}
	return []*record.Record{r}, nil
}

var junosFlowEvents = [...]record.NATEvent{junosCreate: record.NATCreate, junosClose: record.NATDelete, junosUpdate: record.NATInterim}

func junosFlowRecord(m *Message, kind junosKind, f *junosFields, head string) (*record.Record, error) {
	n := record.NAT{Event: junosFlowEvents[kind]}
	if err := f.fill(&n, errJunosNoXlate); err != nil {
		return nil, err
	}
	if f.vrf != "" && f.vrf != "N/A" {
		n.VRF = f.vrf
	}
	n.Device = natHostBefore(m, head)
	return newNATRecord(m, natEventTime(m, head), &n)
}

var junosBlockEvents = [...]record.NATEvent{junosBlockAlloc: record.NATBlockAlloc, junosBlockRelease: record.NATBlockRelease, junosBlockInterim: record.NATInterim}

func junosBlockRecord(m *Message, kind junosKind, f *junosFields, head string) (*record.Record, error) {
	n := record.NAT{Event: junosBlockEvents[kind], Pool: f.pool}
	var ok bool
	if n.InsideAddr, ok = parseNATAddr(f.internal); !ok {
		return nil, fmt.Errorf("bad subscriber address %q", f.internal)
	}
	if n.OutsideAddr, ok = parseNATAddr(f.reflexive); !ok {
		return nil, fmt.Errorf("bad public address %q", f.reflexive)
	}
	if n.OutsidePort, ok = parseNATPort(f.low); !ok {
		return nil, fmt.Errorf("bad first port of the block %q", f.low)
	}
	if n.OutsidePortEnd, ok = parseNATPort(f.high); !ok {
		return nil, fmt.Errorf("bad last port of the block %q", f.high)
	}
	t := natEventTime(m, head)
	if f.epoch != "" {
		// epoch-time-64 is hex seconds, UTC; it beats the header time.
		sec, err := strconv.ParseUint(strings.TrimPrefix(f.epoch, "0x"), 16, 64)
		var ok bool
		if err == nil {
			t, ok = natEpoch(sec)
		}
		if !ok {
			return nil, fmt.Errorf("bad epoch time %q", f.epoch)
		}
	}
	n.Device = natHostBefore(m, head)
	return newNATRecord(m, t, &n)
}

// junosText parses the unstructured (BSD syslog) form of a message: body
// is what follows "TAG:".
func junosText(m *Message, kind junosKind, tag, body, head string) ([]*record.Record, error) {
	body = strings.TrimLeft(body, " ")
	var f junosFields
	switch kind {
	case junosCreate, junosClose:
		if strings.HasPrefix(tag, "APPTRACK") {
			return nil, errJunosAppTrack
		}
		if err := junosFlowText(kind, body, &f); err != nil {
			return nil, fmt.Errorf("juniper %s: %w", tag, err)
		}
	case junosDeny:
		return nil, errJunosDenied
	case junosBlockAlloc, junosBlockRelease, junosBlockInterim:
		if err := junosBlockText(body, &f); err != nil {
			return nil, fmt.Errorf("juniper %s: %w", tag, err)
		}
	case junosUpdate:
		return nil, errJunosAppTrack
	case junosNoMapping:
		return nil, errJunosNoMapping
	default:
		return nil, errJunosOtherFlow
	}
	return junosRecord(m, kind, tag, &f, head)
}

// junosFlowText reads the positional session-log text:
//
//	session created SRC/SPORT->DST/DPORT [0xTAG] SERVICE NATSRC/NSPORT->NATDST/NDPORT [0xTAG] [TYPE] SRCRULE [TYPE] DSTRULE PROTO POLICY ...
//	session closed REASON: SRC/SPORT->... (the rest as above)
//
// Newer releases add the connection tags and the rule types; a rule type
// is "N/A" or two words ending in "rule".
func junosFlowText(kind junosKind, body string, f *junosFields) error {
	var ok bool
	if kind == junosCreate {
		if body, ok = strings.CutPrefix(body, "session created "); !ok {
			return errors.New(`no "session created"`)
		}
	} else {
		if body, ok = strings.CutPrefix(body, "session closed "); !ok {
			return errors.New(`no "session closed"`)
		}
		i := strings.Index(body, ": ")
		if i < 0 {
			return errors.New("no close reason")
		}
		body = body[i+2:]
	}
	tuple, rest := nextNATField(body)
	if !junosTuple(tuple, &f.src, &f.sport, &f.dst, &f.dport) {
		return fmt.Errorf("bad address pair %q", tuple)
	}
	tagged := false
	for range 3 {
		var tok string
		tok, rest = nextNATField(rest)
		if strings.HasPrefix(tok, "0x") {
			tagged = true
		}
		if strings.Contains(tok, "->") {
			if !junosTuple(tok, &f.natSrc, &f.natSport, &f.natDst, &f.natDport) {
				return fmt.Errorf("bad translated address pair %q", tok)
			}
			break
		}
	}
	if f.natSrc == "" {
		return errors.New("no translated address pair")
	}
	var toks [8]string
	n := 0
	for n < len(toks) && rest != "" {
		toks[n], rest = nextNATField(rest)
		if n == 0 && strings.HasPrefix(toks[0], "0x") {
			tagged = true
			continue
		}
		n++
	}
	f.proto = junosTextProto(toks[:n], tagged)
	return nil
}

// junosTuple parses "a/p->b/q".
func junosTuple(s string, a, p, b, q *string) bool {
	l, r, ok := strings.Cut(s, "->")
	if !ok {
		return false
	}
	i, j := strings.LastIndexByte(l, '/'), strings.LastIndexByte(r, '/')
	if i < 0 || j < 0 {
		return false
	}
	*a, *p, *b, *q = l[:i], l[i+1:], r[:j], r[j+1:]
	return true
}

// junosTextProto finds the protocol number after the NAT rule fields,
// with rule types (newer releases) or without; it returns "" when neither
// reading gives a number.
func junosTextProto(toks []string, tagged bool) string {
	typeLen := func(i int) int {
		switch {
		case i < len(toks) && toks[i] == "N/A":
			return 1
		case i+1 < len(toks) && toks[i+1] == "rule":
			return 2
		}
		return 0
	}
	isProto := func(i int) bool {
		if i >= len(toks) {
			return false
		}
		n, ok := parseNATUint(toks[i])
		return ok && n <= 255
	}
	withTypes := ""
	if a := typeLen(0); a > 0 {
		if b := typeLen(a + 1); b > 0 && isProto(a+b+2) {
			withTypes = toks[a+b+2]
		}
	}
	without := ""
	if isProto(2) {
		without = toks[2]
	}
	switch {
	case withTypes != "" && (without == "" || tagged):
		return withTypes
	default:
		return without
	}
}

// junosBlockText reads the text of a port block message:
//
//	Subscriber 100.64.0.1 used/maximum [1/4] blocks, allocates port block [1024-1279] from 203.0.113.1 in source pool P lsys_id: 0 epoch 0x6a44007a
func junosBlockText(body string, f *junosFields) error {
	i := strings.Index(body, "Subscriber ")
	if i < 0 {
		return errors.New("no subscriber")
	}
	f.internal, _ = nextNATField(body[i+len("Subscriber "):])
	i = strings.Index(body, "port block [")
	if i < 0 {
		return errors.New("no port block")
	}
	block := body[i+len("port block ["):]
	j := strings.IndexByte(block, ']')
	if j < 0 {
		return errors.New("no end to the port block")
	}
	f.low, f.high, _ = strings.Cut(block[:j], "-")
	k := strings.Index(block, " from ")
	if k < 0 {
		return errors.New("no public address")
	}
	f.reflexive, _ = nextNATField(block[k+len(" from "):])
	if k := strings.Index(block, " source pool "); k >= 0 {
		f.pool, _ = nextNATField(block[k+len(" source pool "):])
	}
	if k := strings.Index(block, " epoch "); k >= 0 {
		f.epoch, _ = nextNATField(block[k+len(" epoch "):])
	}
	return nil
}

// parseJunosServices parses the logs of the MX services cards, which
// follow "{service-set}" and, for NAT and stateful firewall, a facility
// in brackets.
func parseJunosServices(m *Message) ([]*record.Record, error) {
	s := m.Text
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return nil, errNotJunosMX
	}
	j := strings.IndexByte(s[i:], '}')
	if j < 0 {
		return nil, errNotJunosMX
	}
	rest := s[i+j+1:]
	if strings.HasPrefix(rest, "[") {
		k := strings.IndexByte(rest, ']')
		if k < 0 {
			return nil, errNotJunosMX
		}
		rest = strings.TrimLeft(strings.TrimPrefix(rest[k+1:], ":"), " ")
	}
	tag, body, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, errNotJunosMX
	}
	// The host is glued to the service set: "cgn1{sset}".
	head := s[:i]
	hostStart := strings.LastIndexByte(head, ' ') + 1
	host := head[hostStart:]
	head = head[:hostStart]
	device := m.Host
	if natLooksLikeHost(host) {
		device = host
	} else if device == "-" {
		device = ""
	}
	n := record.NAT{Device: device}
	if err := junosServicesBody(tag, body, &n); err != nil {
		if errors.Is(err, ErrNotMine) {
			return nil, err
		}
		return nil, fmt.Errorf("juniper %s: %w", tag, err)
	}
	r, err := newNATRecord(m, natEventTime(m, head), &n)
	if err != nil {
		return nil, fmt.Errorf("juniper %s: %w", tag, err)
	}
	return []*record.Record{r}, nil
}

// junosServicesBody reads the body of a services-card message into n.
func junosServicesBody(tag, body string, n *record.NAT) error {
	switch tag {
	case "JSERVICES_NAT_PORT_BLOCK_ALLOC":
		n.Event = record.NATBlockAlloc
		return junosPortBlock(body, n)
	case "JSERVICES_NAT_PORT_BLOCK_RELEASE":
		n.Event = record.NATBlockRelease
		return junosPortBlock(body, n)
	case "JSERVICES_NAT_PORT_BLOCK_ACTIVE":
		n.Event = record.NATInterim
		return junosPortBlock(body, n)
	case "MSVCS_LOG_SESSION_OPEN", "JSERVICES_SESSION_OPEN":
		n.Event = record.NATCreate
		return junosSessionLog(body, n)
	case "MSVCS_LOG_SESSION_CLOSE", "JSERVICES_SESSION_CLOSE":
		n.Event = record.NATDelete
		return junosSessionLog(body, n)
	case "ASP_SFW_CREATE_ACCEPT_FLOW":
		n.Event = record.NATCreate
		return junosFWNATFlow(body, n)
	case "ASP_SFW_DELETE_FLOW":
		n.Event = record.NATDelete
		return junosFWNATFlow(body, n)
	}
	if strings.HasPrefix(tag, "JSERVICES_") || strings.HasPrefix(tag, "ASP_") || strings.HasPrefix(tag, "MSVCS_") {
		return errJunosOtherSvcs
	}
	return errNotJunosMX
}

// junosPortBlock reads "100.64.0.1 -> 203.0.113.1:1024-1279 0x65941c20".
// The trailing hex number is believed to be a time but that is not
// documented, so it is not used.
func junosPortBlock(body string, n *record.NAT) error {
	in, rest := nextNATField(body)
	arrow, rest := nextNATField(rest)
	out, _ := nextNATField(rest)
	if arrow != "->" {
		return fmt.Errorf(`no "->" in %q`, body)
	}
	var ok bool
	if n.InsideAddr, ok = parseNATAddr(in); !ok {
		return fmt.Errorf("bad subscriber address %q", in)
	}
	i := strings.LastIndexByte(out, ':')
	if i < 0 {
		return fmt.Errorf("bad port block %q", out)
	}
	if n.OutsideAddr, ok = parseNATAddr(out[:i]); !ok {
		return fmt.Errorf("bad public address %q", out[:i])
	}
	if n.OutsidePort, n.OutsidePortEnd, ok = splitNATPortRange(out[i+1:]); !ok {
		return fmt.Errorf("bad port range %q", out[i+1:])
	}
	return nil
}

// junosSessionLog reads "App:none, ge-1/0/0.0#012 SRC:SPORT [NATSRC:NSPORT] -> DST:DPORT (PROTO)".
// A session without the bracketed pair was not translated.
func junosSessionLog(body string, n *record.NAT) error {
	left, right, ok := strings.Cut(body, " -> ")
	if !ok {
		return fmt.Errorf(`no " -> " in %q`, body)
	}
	left = strings.TrimRight(left, " ")
	if !strings.HasSuffix(left, "]") {
		return errJunosNoXlate
	}
	k := strings.LastIndexByte(left, '[')
	if k < 0 {
		return fmt.Errorf("bad translated address in %q", left)
	}
	if n.OutsideAddr, n.OutsidePort, ok = splitNATAddrPort(left[k+1:len(left)-1], ':'); !ok {
		return fmt.Errorf("bad translated address %q", left[k+1:len(left)-1])
	}
	src := strings.TrimRight(left[:k], " ")
	src = src[strings.LastIndexAny(src, " \n")+1:]
	if n.InsideAddr, n.InsidePort, ok = splitNATAddrPort(src, ':'); !ok {
		return fmt.Errorf("bad source address %q", src)
	}
	dst, rest := nextNATField(right)
	if n.DestAddr, n.DestPort, ok = splitNATAddrPort(dst, ':'); !ok {
		return fmt.Errorf("bad destination address %q", dst)
	}
	if i := strings.LastIndexByte(rest, '('); i >= 0 {
		if j := strings.IndexByte(rest[i:], ')'); j > 0 {
			if n.Protocol, ok = parseNATProto(rest[i+1 : i+j]); !ok {
				return fmt.Errorf("bad protocol %q", rest[i+1:i+j])
			}
		}
	}
	return nil
}

// junosFWNATFlow reads an MS-PIC flow log:
//
//	proto 6 (TCP) application: any, ge-1/0/0.0:SRC:SPORT -> DST:DPORT, creating forward or watch flow ; source address and port translate to NAT:PORT
func junosFWNATFlow(body string, n *record.NAT) error {
	i := strings.Index(body, " translate to ")
	if i < 0 {
		return errJunosNoXlate
	}
	out, _ := nextNATField(body[i+len(" translate to "):])
	var ok bool
	if n.OutsideAddr, n.OutsidePort, ok = splitNATAddrPort(strings.TrimRight(out, ",;"), ':'); !ok {
		return fmt.Errorf("bad translated address %q", out)
	}
	if p, ok := strings.CutPrefix(strings.TrimLeft(body, " "), "proto "); ok {
		num, _ := nextNATField(p)
		if n.Protocol, ok = parseNATProto(num); !ok {
			return fmt.Errorf("bad protocol %q", num)
		}
	}
	left, right, ok := strings.Cut(body[:i], " -> ")
	if !ok {
		return fmt.Errorf(`no " -> " in %q`, body)
	}
	src := left[strings.LastIndexByte(left, ' ')+1:]
	_, src, _ = strings.Cut(src, ":") // the interface
	if n.InsideAddr, n.InsidePort, ok = splitNATAddrPort(src, ':'); !ok {
		return fmt.Errorf("bad source address %q", src)
	}
	dst, _ := nextNATField(right)
	if n.DestAddr, n.DestPort, ok = splitNATAddrPort(strings.TrimRight(dst, ","), ':'); !ok {
		return fmt.Errorf("bad destination address %q", dst)
	}
	return nil
}
