package dialect

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// This file holds the small text helpers the NAT parsers of Fortinet, Palo
// Alto, MikroTik, Linux, VPP, 6WIND, NFWare and the custom formats share.

// decline is an ErrNotMine with a fixed reason. Parsers keep one per
// reason as a package variable, so that turning a line down, which happens
// for nearly every line a parser sees, allocates nothing.
type decline struct{ format, reason string }

func (d *decline) Error() string { return ErrNotMine.Error() + ": " + d.format + ": " + d.reason }

// Unwrap makes errors.Is(err, ErrNotMine) hold.
func (d *decline) Unwrap() error { return ErrNotMine }

// declinef returns an ErrNotMine whose reason depends on the line; it is
// for the rarer declines, of lines that are in the format but carry no
// mapping.
func declinef(format, f string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrNotMine, format, fmt.Sprintf(f, args...))
}

// Time range a record may carry (see record.Validate); parsers refuse
// times outside it rather than return a record that cannot be stored.
var (
	minEventTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxEventTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func checkTime(t time.Time) (time.Time, error) {
	if t.Before(minEventTime) || !t.Before(maxEventTime) {
		return time.Time{}, fmt.Errorf("time %s is outside 1970-2199", t.Format(time.RFC3339))
	}
	return t, nil
}

// parseAddr parses an IP address, unmapping IPv4-mapped IPv6 addresses.
// A zone is refused: records cannot keep one.
func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("address %q has a zone", s)
	}
	return a.Unmap(), nil
}

// parsePort parses a decimal port number.
func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("bad port %q", s)
	}
	return uint16(n), nil
}

// parseAddrPort parses "addr:port", "[addr]:port", or an IPv6 address
// written without brackets and followed by ":port" (the port is after the
// last colon).
func parseAddrPort(s string) (netip.Addr, uint16, error) {
	var host, port string
	if strings.HasPrefix(s, "[") {
		i := strings.Index(s, "]:")
		if i < 0 {
			return netip.Addr{}, 0, fmt.Errorf("bad address and port %q", s)
		}
		host, port = s[1:i], s[i+2:]
	} else {
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			return netip.Addr{}, 0, fmt.Errorf("bad address and port %q: no port", s)
		}
		host, port = s[:i], s[i+1:]
	}
	a, err := parseAddr(host)
	if err != nil {
		return netip.Addr{}, 0, err
	}
	p, err := parsePort(port)
	if err != nil {
		return netip.Addr{}, 0, err
	}
	return a, p, nil
}

// parseEndpoint parses an address followed, if withPort, by a port.
func parseEndpoint(s string, withPort bool) (netip.Addr, uint16, error) {
	if withPort {
		return parseAddrPort(s)
	}
	a, err := parseAddr(s)
	return a, 0, err
}

// parseProtocol parses a protocol name or number; an empty value is the
// unknown protocol.
func parseProtocol(s string) (record.Protocol, error) {
	if s == "" {
		return 0, nil
	}
	return record.ParseProtocol(s)
}

// hasPorts reports whether protocol p has port numbers in its tuples.
func hasPorts(p record.Protocol) bool {
	switch p {
	case record.ProtoTCP, record.ProtoUDP, record.ProtoSCTP, 33 /* DCCP */, 136 /* UDP-Lite */ :
		return true
	}
	return false
}

// epochTime parses a Unix time written as an integer, telling its unit by
// its number of digits: seconds up to 11 digits, then milliseconds,
// microseconds and nanoseconds (FortiGate writes seconds or nanoseconds in
// the same field). A fraction after a dot is allowed for seconds.
func epochTime(s string) (time.Time, error) {
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("bad epoch time %q", s)
	}
	var t time.Time
	switch d := len(sec); {
	case frac != "" || d <= 11:
		t = time.Unix(n, 0)
		if frac != "" {
			if len(frac) > 9 {
				frac = frac[:9]
			}
			f, err := strconv.ParseUint(frac, 10, 32)
			if err != nil {
				return time.Time{}, fmt.Errorf("bad epoch time %q", s)
			}
			for range 9 - len(frac) {
				f *= 10
			}
			t = t.Add(time.Duration(f))
		}
	case d <= 14:
		t = time.UnixMilli(n)
	case d <= 17:
		t = time.UnixMicro(n)
	default:
		t = time.Unix(0, n)
	}
	return checkTime(t.UTC())
}

// withYear gives t, parsed from a stamp without a year, the year that puts
// it nearest before ref: ref's year, or the one before if that would put t
// more than a day after ref (a December stamp received in January). With
// no ref, t is returned as is and will be refused as out of range.
func withYear(t, ref time.Time) time.Time {
	if t.Year() != 0 || ref.IsZero() {
		return t
	}
	ref = ref.In(t.Location())
	y := time.Date(ref.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	if y.After(ref.Add(24 * time.Hour)) {
		y = y.AddDate(-1, 0, 0)
	}
	return y
}

// yearRef is the time a stamp without a year is placed near.
func (m *Message) yearRef() time.Time {
	if !m.Received.IsZero() {
		return m.Received
	}
	return m.Time
}

// checkString refuses a value longer than a record may keep.
func checkString(field, s string) error {
	if len(s) > record.MaxStringLen {
		return fmt.Errorf("%s is longer than %d bytes", field, record.MaxStringLen)
	}
	return nil
}

// keyChar reports whether c may appear in a key of a key=value log.
func keyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// keyAt reports whether a key followed by '=' starts at s[i].
func keyAt(s string, i int) bool {
	j := i
	for j < len(s) && keyChar(s[j]) {
		j++
	}
	return j > i && j < len(s) && s[j] == '='
}

// scanKV calls fn for each key=value pair of s. A value is either double
// quoted (a backslash escapes the next byte; the quotes are removed, the
// escapes are not) or runs to the next space that starts another key=
// pair, so an unquoted value may hold spaces, as FortiOS writes
// devtype=Home & Office. Bytes that start no key are skipped.
func scanKV(s string, fn func(k, v string)) {
	i := 0
	for i < len(s) {
		if !keyChar(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && keyChar(s[j]) {
			j++
		}
		if j >= len(s) || s[j] != '=' {
			i = j
			continue
		}
		k := s[i:j]
		j++ // '='
		if j < len(s) && s[j] == '"' {
			end := j + 1
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					end++
				}
				end++
			}
			if end > len(s) {
				end = len(s)
			}
			fn(k, s[j+1:end])
			i = end + 1
			continue
		}
		end := j
		for end < len(s) {
			if s[end] == ' ' && keyAt(s, end+1) {
				break
			}
			end++
		}
		fn(k, strings.TrimRight(s[j:end], " "))
		i = end + 1
	}
}

// splitCSV splits one CSV record into dst, at most cap(dst) fields (the
// rest of the line is dropped). A field may be double quoted, with ""
// for a quote inside. It reports a quote that is never closed.
func splitCSV(s string, dst []string) ([]string, error) {
	for len(dst) < cap(dst) {
		if strings.HasPrefix(s, `"`) {
			end := 1
			escaped := false
			for {
				k := strings.IndexByte(s[end:], '"')
				if k < 0 {
					return dst, errors.New("unterminated quoted field")
				}
				end += k
				if end+1 < len(s) && s[end+1] == '"' {
					escaped = true
					end += 2
					continue
				}
				break
			}
			f := s[1:end]
			if escaped {
				f = strings.ReplaceAll(f, `""`, `"`)
			}
			dst = append(dst, f)
			s = s[end+1:]
			if s == "" {
				return dst, nil
			}
			if s[0] != ',' {
				return dst, errors.New("text after a quoted field")
			}
			s = s[1:]
			continue
		}
		i := strings.IndexByte(s, ',')
		if i < 0 {
			return append(dst, s), nil
		}
		dst = append(dst, s[:i])
		s = s[i+1:]
	}
	return dst, nil
}

// markerWindow is how far into a line the parsers that look for a marker
// near the start of the record search for it. A record's marker follows
// at most a syslog header or two left in by relays and a short prefix;
// bounding the search keeps turning a long line of another format down
// cheap.
const markerWindow = 512

// lineHead returns the part of s a marker near the record's start can be
// in.
func lineHead(s string) string { return s[:min(len(s), markerWindow)] }

// cutWord returns s's first space-separated word and the rest after the
// spaces that follow it.
func cutWord(s string) (word, rest string) {
	s = strings.TrimLeft(s, " \t")
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}
