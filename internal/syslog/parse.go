package syslog

import (
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/warden-ops/warden/internal/dialect"
)

// Header errors. Callers do not branch on them: Received.HeaderErr only
// says why the message has no parsed header, and is kept with the raw
// record.
var (
	errNoHeader = errors.New("no syslog header: no PRI, timestamp or relay prefix at start of message")
	errBadPRI   = errors.New("no syslog header: PRI is not <0> to <191>")
)

// maxNested bounds how many relay headers are peeled off one message: a
// device header inside a relay's header inside another relay's.
const maxNested = 3

// maxTag is the longest RFC 3164 TAG taken as one. RFC 3164 says 32;
// Huawei's "%%01SECLOG/6/SESSION_TEARDOWN(l)" needs 33 and Ubiquiti
// sends 48, so allow some room.
const maxTag = 64

// fields is one parsed header. Text is a suffix of the parsed message,
// and the other strings are substrings of it, except SD parameter values
// that had escapes and the fields of a split header.
type fields struct {
	stamp  stamp
	host   string
	app    string
	msgID  string
	sdid   string
	params map[string]string
	text   string
	split  string // the device header rejoined, see splitStamp
}

// parser parses message headers. It keeps scratch space between
// messages, so each connection or UDP reader has its own.
type parser struct {
	zones map[int]*time.Location // fixed zones by offset, see fixedZone
	pairs []sdParam              // scratch for the first SD element
	// params is the first SD element's parameters, reused from message to
	// message: a handler may read Msg.Params only during Handle.
	params map[string]string
}

type sdParam struct{ name, value string }

func newParser() *parser {
	return &parser{zones: make(map[int]*time.Location)}
}

// decode parses one message (without framing or trailing newline) into m,
// received at recv from peer. A header time without a zone is read in
// loc(peer), called only then; nil means UTC. The error says why no header
// was found; m.Text is then all of msg.
func (p *parser) decode(m *dialect.Message, msg []byte, recv time.Time, loc func(netip.Addr) *time.Location, peer netip.Addr) error {
	f, err := p.parse(string(msg))
	*m = dialect.Message{
		Received: recv,
		Host:     f.host,
		App:      f.app,
		MsgID:    f.msgID,
		SDID:     f.sdid,
		Params:   f.params,
		Text:     f.text,
	}
	if f.stamp.set {
		var zone *time.Location
		if !f.stamp.hasZone && loc != nil {
			zone = loc(peer)
		}
		m.Time = f.stamp.resolve(recv, zone, p.zones)
	}
	return err
}

// parse parses the header of one message (without framing or trailing
// newline). Text is always a suffix of s; when no header is found the error
// says why and Text is all of s.
//
// A relay that could not parse the device's header prepends its own, so
// when the body after a header has no TAG and starts with a PRI or a
// timestamp, or starts with a relay prefix ("10.10.0.254:514 :
// local4.info"), the inner header is parsed too and its time, host, tag and
// text win.
func (p *parser) parse(s string) (fields, error) {
	f, err := p.parseOne(s)
	if err != nil {
		if host, j, ok := parseRelayPrefix(s, 0); ok {
			f = fields{host: host}
			f.app, f.text = parseTag(s, j)
			return f, nil
		}
		return fields{text: s}, err
	}
	for range maxNested - 1 {
		in, ok := p.parseInner(f)
		if !ok {
			break
		}
		if in.stamp.set {
			f.stamp = in.stamp
		}
		if in.host != "" {
			f.host = in.host
		}
		f.app, f.msgID, f.sdid, f.params, f.text, f.split = in.app, in.msgID, in.sdid, in.params, in.text, in.split
	}
	return f, nil
}

// parseInner parses a header found at the start of outer's text.
func (p *parser) parseInner(outer fields) (fields, bool) {
	if outer.split != "" {
		return p.parseSplit(outer)
	}
	t := outer.text
	if len(t) == 0 {
		return fields{}, false
	}
	if t[0] == '<' {
		in, err := p.parseOne(t)
		return in, err == nil
	}
	if host, j, ok := parseRelayPrefix(t, 0); ok {
		in := fields{host: host}
		in.app, in.text = parseTag(t, j)
		return in, true
	}
	// A body that starts with a timestamp after a TAG is the program's
	// own business ("app: 2026-10-11 12:00:00 INFO ..."); without a TAG
	// it is a device header a relay did not understand.
	if outer.app != "" || outer.sdid != "" {
		return fields{}, false
	}
	if _, _, ok := parseStamp(t, 0); !ok {
		return fields{}, false
	}
	return p.parseBSD(t, 0, false, true)
}

// parseSplit parses the device header that an rsyslog relay split into its
// RFC 5424 HOSTNAME and APP-NAME (see splitStamp). The text must come from
// the relay's MSG, so that it stays a suffix of the message.
func (p *parser) parseSplit(outer fields) (fields, bool) {
	in, ok := p.parseBSD(outer.split, 0, false, true)
	if !ok || len(in.text) > len(outer.text) {
		return fields{}, false
	}
	in.text = outer.text[len(outer.text)-len(in.text):]
	return in, true
}

// parseOne parses one header: RFC 5424 when the PRI is followed by a
// version, else the RFC 3164 family.
func (p *parser) parseOne(s string) (fields, error) {
	i, hasPRI := 0, false
	if len(s) > 0 && s[0] == '<' {
		n := digitsAt(s, 1, 3)
		if n == 0 || 1+n >= len(s) || s[1+n] != '>' || atoi(s[1:1+n]) > 191 {
			return fields{}, errBadPRI
		}
		i, hasPRI = n+2, true
		// RFC 5424: "<PRI>VERSION SP", the version being 1 to 3 digits.
		if v := digitsAt(s, i, 3); v > 0 && s[i] != '0' && i+v < len(s) && s[i+v] == ' ' {
			if f, ok := p.parse5424(s, i+v+1); ok {
				return f, nil
			}
			// "<134>1 Oct 11 22:14:15 10.1.1.1 ..." (H3C NAT444), or a
			// broken RFC 5424 header: read the rest as RFC 3164 if it
			// has a timestamp.
			if f, ok := p.parseBSD(s, i+v+1, true, true); ok {
				return f, nil
			}
		}
	}
	if f, ok := p.parseBSD(s, i, hasPRI, !hasPRI); ok {
		return f, nil
	}
	return fields{}, errNoHeader
}

// parseBSD parses an RFC 3164 style header at s[i:], after the PRI if any:
//
//	[counter: ][sequence: ][host: ][*]TIMESTAMP[:] [HOST [:]] [TAG[[pid]]:] TEXT
//
// The prefixes before the timestamp are Cisco IOS's message counter,
// service sequence number and origin hostname, looked for only after a PRI
// (pri); "*" or "." marks an unsynchronised clock; H3C Comware V5 starts
// with "%@seq%", and H3C may put "%" right before the time. Without a
// timestamp only the TAG is looked for, unless needStamp makes that a
// failure.
func (p *parser) parseBSD(s string, i int, pri, needStamp bool) (f fields, ok bool) {
	i = skipSpaces(s, i, len(s))
	if strings.HasPrefix(s[i:], "%@") {
		if n := digitsAt(s, i+2, 20); n > 0 && i+2+n < len(s) && s[i+2+n] == '%' {
			i += 3 + n
		}
	}
	st, j, prefixHost, found := findStamp(s, i, pri)
	if !found {
		if needStamp {
			return fields{}, false
		}
		f.app, f.text = parseTag(s, i)
		return f, true
	}
	f.stamp, f.host = st, prefixHost
	switch {
	case j < len(s) && s[j] == ':':
		// Cisco: "*Jan  8 19:46:03.295: %SYS-5-CONFIG_I: ...", no HOST.
		j = skipSpaces(s, j+1, len(s))
	case j < len(s) && s[j] == ' ':
		j = skipSpaces(s, j, len(s))
		if _, _, ok := parseStamp(s, j); ok {
			// A relay's timestamp, then the device's whole header: the
			// relay took the device's month for a HOSTNAME and its day for
			// a TAG. The caller parses the inner header.
			f.text = s[j:]
			return f, true
		}
		if host, k, ok := hostAt(s, j); ok {
			f.host, j = host, k
		}
	}
	f.app, f.text = parseTag(s, j)
	return f, true
}

// findStamp finds the timestamp at s[i:], skipping a leading "*" or "."
// (Cisco's unsynchronised clock) or "%" (H3C's "%May 30 05:36:29:579
// 2003") and, if prefixes is set, up to three Cisco IOS prefixes ("237: ",
// "000485: ", "router1: ", or a bare ": "). It returns the index after the
// timestamp and the hostname prefix if there was one.
func findStamp(s string, i int, prefixes bool) (st stamp, next int, host string, ok bool) {
	tries := 1
	if prefixes {
		tries = 4
	}
	for try := range tries {
		k := i
		if k < len(s) && (s[k] == '*' || s[k] == '.' || s[k] == '%') {
			k++
		}
		// After a prefix, only Cisco's "Mmm dd" form: "app: 2026-10-11
		// 12:00:00 ..." is a TAG and a message, not a hostname prefix.
		if try == 0 || k < len(s) && !isDigit(s[k]) {
			if st, next, ok = parseStamp(s, k); ok {
				return st, next, host, true
			}
		}
		// A prefix is a word without spaces ending in ": ".
		c := strings.IndexByte(s[i:], ':')
		if c < 0 || c > 255 || strings.IndexByte(s[i:i+c], ' ') >= 0 ||
			i+c+1 >= len(s) || s[i+c+1] != ' ' {
			return stamp{}, i, "", false
		}
		if w := s[i : i+c]; w != "" && digitsAt(w, 0, len(w)) != len(w) {
			host = w
		}
		i = skipSpaces(s, i+c+1, len(s))
	}
	return stamp{}, i, "", false
}

// hostAt reads the HOSTNAME at s[i:]: a word followed by a space. A word
// ending in ":" is a TAG ("sshd[42]:"), since many senders omit the
// hostname, and a word starting with "%" is a vendor tag. After the
// hostname, Cisco ASA's device-id form puts " : " before the tag; that is
// skipped.
func hostAt(s string, i int) (string, int, bool) {
	sp := strings.IndexByte(s[i:], ' ')
	if sp <= 0 || s[i+sp-1] == ':' || s[i] == '%' {
		return "", i, false
	}
	host := s[i : i+sp]
	j := skipSpaces(s, i+sp, len(s))
	if j < len(s) && s[j] == ':' && (j+1 == len(s) || s[j+1] == ' ') {
		j = skipSpaces(s, j+1, len(s))
	}
	return host, j, true
}

// parseTag reads an RFC 3164 TAG at s[i:] and returns it and the text after
// it. A TAG is up to maxTag characters without space, colon or brackets,
// then an optional "[pid]", then ":" and a space (or the end). Vendor tags
// starting with "%" (Cisco "%ASA-6-305011:", Huawei and H3C
// "%%01SHELL/5/LOGINFAIL(l):") need no space after the colon. Without a
// TAG, the text is all of s[i:].
func parseTag(s string, i int) (tag, text string) {
	j := i
	for j < len(s) && j-i < maxTag {
		c := s[j]
		if c <= ' ' || c == ':' || c == '[' || c == ']' || c == 0x7f {
			break
		}
		j++
	}
	if j == i || j >= len(s) {
		return "", s[i:]
	}
	end := j
	if s[j] == '[' {
		k := strings.IndexByte(s[j:], ']')
		if k < 0 || k > 130 || strings.IndexByte(s[j:j+k], ' ') >= 0 {
			return "", s[i:]
		}
		j += k + 1
	}
	if j >= len(s) || s[j] != ':' {
		return "", s[i:]
	}
	j++
	if j < len(s) && s[j] != ' ' && s[i] != '%' {
		return "", s[i:]
	}
	return s[i:end], strings.TrimLeft(s[j:], " ")
}

// parseRelayPrefix reads the prefix some relays put before a Cisco ASA
// message: "10.10.0.254:514 : local4.info %ASA-6-305011: ...". It returns
// the sender's address (without port) as host, and the index of what
// follows.
func parseRelayPrefix(s string, i int) (host string, next int, ok bool) {
	sp := strings.IndexByte(s[i:], ' ')
	if sp < 7 || sp > 47 || !strings.HasPrefix(s[i+sp:], " : ") {
		return "", i, false
	}
	host = s[i : i+sp]
	if _, err := netip.ParseAddrPort(host); err == nil {
		host = strings.TrimSuffix(strings.TrimPrefix(host[:strings.LastIndexByte(host, ':')], "["), "]")
	} else if _, err := netip.ParseAddr(host); err != nil {
		return "", i, false
	}
	// facility.severity, such as "local4.info".
	j := i + sp + 3
	k := j
	for k < len(s) && (s[k] >= 'a' && s[k] <= 'z' || isDigit(s[k]) || s[k] == '.') {
		k++
	}
	dot := strings.IndexByte(s[j:k], '.')
	if dot <= 0 || dot == k-j-1 || k >= len(s) || s[k] != ' ' {
		return "", i, false
	}
	return host, k + 1, true
}
