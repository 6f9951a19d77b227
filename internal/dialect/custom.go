package dialect

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// Custom describes a log format in the configuration, for a device no
// built-in format reads. A line matches when it contains Match (if set)
// and Pattern matches it; the record's fields are then filled from
// Pattern's named groups. docs/formats.md explains it with examples.
type Custom struct {
	// Name is what sources refer to the format by. It must not be the
	// name of a built-in format.
	Name string `yaml:"name"`
	// Match is a substring every line of the format contains. It is
	// optional, and makes turning other lines down cheap: Pattern runs
	// only on lines that contain it.
	Match string `yaml:"match"`
	// Pattern is a Go regular expression (RE2 syntax) with named groups,
	// (?P<name>...), matched against the message text after the syslog
	// header.
	Pattern string `yaml:"pattern"`
	// Kind is the kind of record a line gives: nat, session or event.
	Kind string `yaml:"kind"`
	// Fields maps record fields, by their JSON names (inside_addr,
	// outside_port, account, ...), to templates: text in which {group}
	// stands for what the named group matched, like "{src}", or a
	// literal, like "tcp". {{ and }} stand for { and }. A field whose
	// template comes out empty (an optional group that did not match)
	// stays unset.
	Fields map[string]string `yaml:"fields"`
	// Events maps what the event field's template gives to an event name
	// (create, delete, block-alloc, block-release, interim for nat;
	// start, interim, stop, login, logout, failed for session), like
	// {"ALLOC": "block-alloc"}. Text not in the map must be an event
	// name itself.
	Events map[string]string `yaml:"events"`
	// Time says where the event time is. Without it, the time is the
	// syslog header's, else the receive time.
	Time CustomTime `yaml:"time"`
}

// CustomTime locates a custom format's event time in the line.
type CustomTime struct {
	// Group is the named group that holds the time.
	Group string `yaml:"group"`
	// Layout is how the time is written: a Go time layout such as
	// "2006-01-02 15:04:05" (a time without a zone is read in the
	// source's zone; one without a year gets the year that puts it
	// nearest before the receive time), or unix (seconds, with an
	// optional fraction), unixms (milliseconds) or rfc3339.
	Layout string `yaml:"layout"`
}

// setter sets one record field from text.
type setter func(r *record.Record, v string) error

// customFields lists, per kind, the fields a custom format may set, under
// their JSON names, and how each parses its text.
var customFields = map[record.Kind]map[string]setter{
	record.KindNAT: {
		"event":            func(r *record.Record, v string) error { return r.NAT.Event.UnmarshalText([]byte(v)) },
		"proto":            func(r *record.Record, v string) error { return r.NAT.Protocol.UnmarshalText([]byte(v)) },
		"inside_addr":      addrSetter(func(r *record.Record) *netip.Addr { return &r.NAT.InsideAddr }),
		"inside_port":      portSetter(func(r *record.Record) *uint16 { return &r.NAT.InsidePort }),
		"outside_addr":     addrSetter(func(r *record.Record) *netip.Addr { return &r.NAT.OutsideAddr }),
		"outside_port":     portSetter(func(r *record.Record) *uint16 { return &r.NAT.OutsidePort }),
		"outside_port_end": portSetter(func(r *record.Record) *uint16 { return &r.NAT.OutsidePortEnd }),
		"dest_addr":        addrSetter(func(r *record.Record) *netip.Addr { return &r.NAT.DestAddr }),
		"dest_port":        portSetter(func(r *record.Record) *uint16 { return &r.NAT.DestPort }),
		"device":           stringSetter(func(r *record.Record) *string { return &r.NAT.Device }),
		"vrf":              stringSetter(func(r *record.Record) *string { return &r.NAT.VRF }),
		"pool":             stringSetter(func(r *record.Record) *string { return &r.NAT.Pool }),
	},
	record.KindSession: {
		"event":              func(r *record.Record, v string) error { return r.Session.Event.UnmarshalText([]byte(v)) },
		"account":            stringSetter(func(r *record.Record) *string { return &r.Session.Account }),
		"calling_station_id": stringSetter(func(r *record.Record) *string { return &r.Session.CallingStationID }),
		"addr":               addrSetter(func(r *record.Record) *netip.Addr { return &r.Session.Addr }),
		"ipv6_prefix":        prefixSetter(func(r *record.Record) *netip.Prefix { return &r.Session.IPv6Prefix }),
		"delegated_prefix":   prefixSetter(func(r *record.Record) *netip.Prefix { return &r.Session.DelegatedPrefix }),
		"nas_addr":           addrSetter(func(r *record.Record) *netip.Addr { return &r.Session.NASAddr }),
		"nas_port_id":        stringSetter(func(r *record.Record) *string { return &r.Session.NASPortID }),
		"session_id":         stringSetter(func(r *record.Record) *string { return &r.Session.SessionID }),
		"input_octets":       uint64Setter(func(r *record.Record) *uint64 { return &r.Session.InputOctets }),
		"output_octets":      uint64Setter(func(r *record.Record) *uint64 { return &r.Session.OutputOctets }),
		"terminate_cause":    stringSetter(func(r *record.Record) *string { return &r.Session.TerminateCause }),
	},
	record.KindEvent: {
		"rule":     stringSetter(func(r *record.Record) *string { return &r.Event.Rule }),
		"severity": func(r *record.Record, v string) error { return r.Event.Severity.UnmarshalText([]byte(v)) },
		"src_addr": addrSetter(func(r *record.Record) *netip.Addr { return &r.Event.SrcAddr }),
		"src_port": portSetter(func(r *record.Record) *uint16 { return &r.Event.SrcPort }),
		"dst_addr": addrSetter(func(r *record.Record) *netip.Addr { return &r.Event.DstAddr }),
		"dst_port": portSetter(func(r *record.Record) *uint16 { return &r.Event.DstPort }),
		"account":  stringSetter(func(r *record.Record) *string { return &r.Event.Account }),
		"detail":   stringSetter(func(r *record.Record) *string { return &r.Event.Detail }),
	},
}

// customRequired lists the fields each kind must have a template for.
var customRequired = map[record.Kind][]string{
	record.KindNAT:     {"event", "inside_addr", "outside_addr"},
	record.KindSession: {"event", "account"},
	record.KindEvent:   {"rule", "severity"},
}

func addrSetter(f func(*record.Record) *netip.Addr) setter {
	return func(r *record.Record, v string) (err error) {
		*f(r), err = parseAddr(v)
		return err
	}
}

func portSetter(f func(*record.Record) *uint16) setter {
	return func(r *record.Record, v string) (err error) {
		*f(r), err = parsePort(v)
		return err
	}
}

func prefixSetter(f func(*record.Record) *netip.Prefix) setter {
	return func(r *record.Record, v string) error {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return err
		}
		*f(r) = netip.PrefixFrom(p.Addr().Unmap(), p.Bits())
		return nil
	}
}

func uint64Setter(f func(*record.Record) *uint64) setter {
	return func(r *record.Record, v string) error {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("bad number %q", v)
		}
		*f(r) = n
		return nil
	}
}

func stringSetter(f func(*record.Record) *string) setter {
	return func(r *record.Record, v string) error {
		if err := checkString("value", v); err != nil {
			return err
		}
		*f(r) = v
		return nil
	}
}

// tplPart is a literal, or the text of group (when group > 0).
type tplPart struct {
	lit   string
	group int
}

// customField is one compiled field template.
type customField struct {
	name  string
	parts []tplPart
	set   setter
	// events maps the template's result for the event field.
	events map[string]string
}

// customParser is a compiled Custom.
type customParser struct {
	name      string
	kind      record.Kind
	match     string
	re        *regexp.Regexp
	fields    []customField
	timeGroup int // 0: no time in the line
	layout    string
	errNoMark error // the line lacks Match
	errNoRe   error // the pattern does not match
}

// Custom time layouts that are not Go layouts.
const (
	layoutUnix   = "unix"
	layoutUnixMS = "unixms"
	layoutRFC    = "rfc3339"
)

// NewCustom checks c and returns a parser for its format. Every mistake
// the configuration can hold is reported here rather than line by line:
// an unknown kind or field name, a bad pattern, a template that names a
// group the pattern lacks, a literal or event that does not parse, a bad
// time layout.
func NewCustom(c Custom) (Parser, error) {
	errs := func(f string, args ...any) error {
		return fmt.Errorf("custom log format %q: "+f, append([]any{c.Name}, args...)...)
	}
	if c.Name == "" {
		return nil, errors.New("custom log format: name is required")
	}
	for _, f := range Formats() {
		if f.Name == c.Name {
			return nil, errs("the name is taken by a built-in format")
		}
	}
	kind, err := record.ParseKind(c.Kind)
	if err != nil || customFields[kind] == nil {
		return nil, errs("kind %q: want nat, session or event", c.Kind)
	}
	if c.Pattern == "" {
		return nil, errs("pattern is required")
	}
	re, err := regexp.Compile(c.Pattern)
	if err != nil {
		return nil, errs("compile pattern: %w", err)
	}
	p := &customParser{
		name: c.Name, kind: kind, match: c.Match, re: re,
		errNoMark: &decline{c.Name, fmt.Sprintf("no %q in the line", c.Match)},
		errNoRe:   &decline{c.Name, "the pattern does not match"},
	}
	groups := groupNames(re)
	if len(c.Events) > 0 && kind == record.KindEvent {
		return nil, errs("events: event records have no event field (set severity instead)")
	}
	for k, v := range c.Events {
		if err := customFields[kind]["event"](scratch(kind), v); err != nil {
			return nil, errs("events: %q maps to %w", k, err)
		}
	}
	names := make([]string, 0, len(c.Fields))
	for name := range c.Fields {
		names = append(names, name)
	}
	slices.Sort(names) // a stable order for errors and for setting
	for _, name := range names {
		set, ok := customFields[kind][name]
		if !ok {
			return nil, errs("fields: %s records have no field %q (they have %s)", c.Kind, name, fieldList(kind))
		}
		parts, err := compileTemplate(c.Fields[name], re, groups)
		if err != nil {
			return nil, errs("fields: %s: %w", name, err)
		}
		f := customField{name: name, parts: parts, set: set}
		if name == "event" {
			f.events = c.Events
		}
		if literal(parts) {
			if err := f.apply(scratch(kind), parts[0].lit); err != nil {
				return nil, errs("fields: %s: %w", name, err)
			}
		}
		p.fields = append(p.fields, f)
	}
	for _, name := range customRequired[kind] {
		if _, ok := c.Fields[name]; !ok {
			return nil, errs("fields: %s records need %s", c.Kind, name)
		}
	}
	if err := p.compileTime(c.Time, groups); err != nil {
		return nil, errs("time: %w", err)
	}
	return p, nil
}

// scratch returns an empty record to try a setter on.
func scratch(k record.Kind) *record.Record {
	r := new(record.Record)
	r.Init(k)
	return r
}

// fieldList names kind's fields for an error message.
func fieldList(k record.Kind) string {
	var names []string
	for name := range customFields[k] {
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// groupNames lists re's named groups.
func groupNames(re *regexp.Regexp) []string {
	var names []string
	for _, n := range re.SubexpNames() {
		if n != "" {
			names = append(names, n)
		}
	}
	return names
}

// compileTemplate splits a template into literals and group references.
func compileTemplate(t string, re *regexp.Regexp, groups []string) ([]tplPart, error) {
	var parts []tplPart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, tplPart{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c == '{' && i+1 < len(t) && t[i+1] == '{':
			lit.WriteByte('{')
			i++
		case c == '}' && i+1 < len(t) && t[i+1] == '}':
			lit.WriteByte('}')
			i++
		case c == '{':
			end := strings.IndexByte(t[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("template %q: { without }", t)
			}
			name := t[i+1 : i+end]
			g := re.SubexpIndex(name)
			if g < 0 {
				return nil, fmt.Errorf("template %q: group %q is not in the pattern (it has %s)",
					t, name, strings.Join(groups, ", "))
			}
			flush()
			parts = append(parts, tplPart{group: g})
			i += end
		case c == '}':
			return nil, fmt.Errorf("template %q: } without { (write }} for a literal one)", t)
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	if len(parts) == 0 {
		return nil, fmt.Errorf("template is empty")
	}
	return parts, nil
}

// literal reports whether a template names no group.
func literal(parts []tplPart) bool { return len(parts) == 1 && parts[0].group == 0 }

// compileTime checks the time settings.
func (p *customParser) compileTime(t CustomTime, groups []string) error {
	if t.Group == "" {
		if t.Layout != "" {
			return fmt.Errorf("layout %q without a group", t.Layout)
		}
		return nil
	}
	p.timeGroup = p.re.SubexpIndex(t.Group)
	if p.timeGroup < 0 {
		return fmt.Errorf("group %q is not in the pattern (it has %s)", t.Group, strings.Join(groups, ", "))
	}
	p.layout = t.Layout
	switch t.Layout {
	case "":
		return fmt.Errorf("layout is required: a Go layout like 2006-01-02 15:04:05, or unix, unixms or rfc3339")
	case layoutUnix, layoutUnixMS, layoutRFC:
		return nil
	}
	// Any time other than the reference time shows whether the layout
	// has elements: formatted, it differs from the layout.
	ref := time.Date(2001, 2, 3, 16, 5, 6, 0, time.FixedZone("", 3*3600))
	s := ref.Format(t.Layout)
	if s == t.Layout {
		return fmt.Errorf("layout %q has no time elements: write it with Go's reference time, Mon Jan 2 15:04:05 MST 2006", t.Layout)
	}
	if _, err := time.Parse(t.Layout, s); err != nil {
		return fmt.Errorf("layout %q cannot be read back: %w", t.Layout, err)
	}
	return nil
}

// apply sets the field from its text, through the event map if it has
// one.
func (f *customField) apply(r *record.Record, v string) error {
	if e, ok := f.events[v]; ok {
		v = e
	}
	return f.set(r, v)
}

// Parse implements Parser.
func (p *customParser) Parse(m *Message) ([]*record.Record, error) {
	text := m.Text
	if p.match != "" && !strings.Contains(text, p.match) {
		return nil, p.errNoMark
	}
	sub := p.re.FindStringSubmatchIndex(text)
	if sub == nil {
		return nil, p.errNoRe
	}
	t, err := p.time(m, text, sub)
	if err != nil {
		return nil, fmt.Errorf("parse %s log: time: %w", p.name, err)
	}
	r := newRecord(p.kind, m, t)
	var b strings.Builder
	for i := range p.fields {
		f := &p.fields[i]
		v := expand(f.parts, text, sub, &b)
		if v == "" {
			continue
		}
		if err := f.apply(r, v); err != nil {
			return nil, fmt.Errorf("parse %s log: %s: %w", p.name, f.name, err)
		}
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("parse %s log: %w", p.name, err)
	}
	return []*record.Record{r}, nil
}

// expand fills a template from the submatches of text.
func expand(parts []tplPart, text string, sub []int, b *strings.Builder) string {
	group := func(g int) string {
		if sub[2*g] < 0 {
			return ""
		}
		return text[sub[2*g]:sub[2*g+1]]
	}
	if len(parts) == 1 {
		if parts[0].group == 0 {
			return parts[0].lit
		}
		return group(parts[0].group)
	}
	b.Reset()
	for _, pt := range parts {
		if pt.group == 0 {
			b.WriteString(pt.lit)
		} else {
			b.WriteString(group(pt.group))
		}
	}
	return b.String()
}

// time returns the line's event time, or the header's if the format has
// none or the group did not match.
func (p *customParser) time(m *Message, text string, sub []int) (time.Time, error) {
	if p.timeGroup == 0 || sub[2*p.timeGroup] < 0 {
		return m.Time, nil
	}
	v := text[sub[2*p.timeGroup]:sub[2*p.timeGroup+1]]
	if v == "" {
		return m.Time, nil
	}
	var t time.Time
	var err error
	switch p.layout {
	case layoutUnix:
		if strings.IndexByte(v, '.') < 0 && len(v) > 11 {
			return time.Time{}, fmt.Errorf("%q has too many digits for Unix seconds", v)
		}
		t, err = epochTime(v)
	case layoutUnixMS:
		var n int64
		if n, err = strconv.ParseInt(v, 10, 64); err == nil {
			t = time.UnixMilli(n).UTC()
		} else {
			err = fmt.Errorf("bad Unix milliseconds %q", v)
		}
	case layoutRFC:
		t, err = time.Parse(time.RFC3339Nano, v)
	default:
		if t, err = m.LocalTime(p.layout, v); err == nil {
			t = withYear(t, m.yearRef())
		}
	}
	if err != nil {
		return time.Time{}, err
	}
	return checkTime(t)
}
