package syslog

import "strings"

// maxSDParams bounds how many parameters of the first SD element are kept,
// so a hostile message cannot make one map of millions of entries. Juniper
// RT_FLOW, the largest real element seen, has about 40.
const maxSDParams = 256

// bom is the UTF-8 byte order mark RFC 5424 puts before a UTF-8 MSG.
const bom = "\xef\xbb\xbf"

// sdNameChars are the bytes of an SD-NAME (RFC 5424 §6.3.2): printable
// US-ASCII but "=", space, "]" and the double quote.
var sdNameChars = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = c != '=' && c != ']' && c != '"'
	}
	return t
}()

// parse5424 parses the rest of an RFC 5424 header at s[i:], after
// "<PRI>VERSION ":
//
//	TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]
//
// It returns false if a header field before the structured data is
// missing or malformed. Malformed structured data is not a failure: SDID
// and Params stay empty and Text starts at the structured data, so a
// format parser can still read it.
func (p *parser) parse5424(s string, i int) (f fields, ok bool) {
	if i < len(s) && s[i] == '-' {
		i++
	} else {
		if f.stamp, i, ok = parseISOStamp(s, i); !ok {
			return fields{}, false
		}
	}
	var tokens [4]string // HOSTNAME, APP-NAME, PROCID, MSGID
	for n := range tokens {
		if i >= len(s) || s[i] != ' ' {
			return fields{}, false
		}
		i++
		sp := strings.IndexByte(s[i:], ' ')
		if sp < 0 {
			sp = len(s) - i
		}
		if sp == 0 {
			return fields{}, false
		}
		if t := s[i : i+sp]; t != "-" {
			tokens[n] = t
		}
		i += sp
	}
	f.host, f.app, f.msgID = tokens[0], tokens[1], tokens[3]
	if i == len(s) {
		return f, true // no STRUCTURED-DATA: tolerated
	}
	noSD := i+2 <= len(s) && s[i+1] == '-' && (i+2 == len(s) || s[i+2] == ' ')
	i++ // the space before STRUCTURED-DATA
	switch {
	case i < len(s) && s[i] == '-':
		i++
	case i < len(s) && s[i] == '[':
		end, ok := p.parseSD(s, i)
		if !ok {
			f.text = s[i:]
			return f, true
		}
		f.sdid, f.params = p.takeSD()
		i = end
	default:
		f.text = s[i:]
		return f, true
	}
	f.text = strings.TrimLeft(strings.TrimPrefix(strings.TrimLeft(s[i:], " "), bom), " ")
	if noSD && tokens[2] == "" && f.msgID == "" {
		f.split = splitStamp(f.host, f.app, f.text)
	}
	return f, true
}

// splitStamp rejoins a device timestamp that rsyslog, failing to parse it,
// split into HOSTNAME and TAG and then forwarded as RFC 5424 HOSTNAME and
// APP-NAME: "Oct" "11" and "22:14:15:708 2026 F1050 %%10session/...", or
// "2026-10-11" "22" (the TAG was "22:") and "14:15 USG %%01SECLOG/...". It
// returns "" when host and app are not such halves.
func splitStamp(host, app, text string) string {
	if n := len(app); n == 0 || n > 2 || digitsAt(app, 0, 2) != n {
		return ""
	}
	switch {
	case len(host) == 3 && monthAt(host, 0) != 0:
		return host + " " + app + " " + text
	case len(host) == 10 && digitsAt(host, 0, 4) == 4 && host[4] == '-' && host[7] == '-':
		return host + " " + app + ":" + text
	}
	return ""
}

// parseSD parses the SD-ELEMENTs at s[i:] and returns the index after the
// last. It keeps the first element's ID and parameters in p.pairs (ID
// first, with an empty value) for takeSD; later elements are checked and
// skipped.
//
// It is lenient where devices are: a parameter value without quotes runs
// to the next space or "]" (Juniper has been seen sending typographic
// quotes), and an unescaped "]" inside quotes is part of the value.
func (p *parser) parseSD(s string, i int) (int, bool) {
	p.pairs = p.pairs[:0]
	for first := true; i < len(s) && s[i] == '['; first = false {
		i++
		id := i
		for i < len(s) && sdNameChars[s[i]] {
			i++
		}
		if i == id {
			return i, false
		}
		if first {
			p.pairs = append(p.pairs, sdParam{name: s[id:i]})
		}
		for {
			for i < len(s) && s[i] == ' ' {
				i++
			}
			if i >= len(s) {
				return i, false
			}
			if s[i] == ']' {
				i++
				break
			}
			name := i
			for i < len(s) && sdNameChars[s[i]] {
				i++
			}
			if i == name || i >= len(s) || s[i] != '=' {
				return i, false
			}
			value, next, ok := sdValue(s, i+1)
			if !ok {
				return next, false
			}
			if first && len(p.pairs) <= maxSDParams {
				p.pairs = append(p.pairs, sdParam{name: s[name:i], value: value})
			}
			i = next
		}
	}
	return i, true
}

// sdValue reads a PARAM-VALUE at s[i:]: a quoted string with \" \\ \]
// escapes (other backslashes are kept, as RFC 5424 says), or, leniently,
// an unquoted run up to a space or "]".
func sdValue(s string, i int) (value string, next int, ok bool) {
	if i >= len(s) {
		return "", i, false
	}
	if s[i] != '"' {
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != ']' {
			j++
		}
		return s[i:j], j, true
	}
	i++
	// Most values are short and have no backslash.
	for j := i; j < len(s) && s[j] != '\\'; j++ {
		if s[j] == '"' {
			return s[i:j], j + 1, true
		}
	}
	escaped := false
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\' || s[j+1] == ']') {
				escaped = true
				j++
			}
		case '"':
			if !escaped {
				return s[i:j], j + 1, true
			}
			return unescapeSD(s[i:j]), j + 1, true
		}
	}
	return "", len(s), false
}

// unescapeSD removes the backslash of \" \\ and \].
func unescapeSD(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for j := 0; j < len(v); j++ {
		if v[j] == '\\' && j+1 < len(v) && (v[j+1] == '"' || v[j+1] == '\\' || v[j+1] == ']') {
			j++
		}
		b.WriteByte(v[j])
	}
	return b.String()
}

// takeSD returns the first element's ID and its parameters. The map is the
// parser's own, reused for the next message: building a new one for every
// message cost a tenth of the ingest path's CPU.
func (p *parser) takeSD() (string, map[string]string) {
	if len(p.pairs) == 0 {
		return "", nil
	}
	id := p.pairs[0].name
	if p.params == nil {
		p.params = make(map[string]string, len(p.pairs)-1)
	}
	clear(p.params)
	params := p.params
	for _, kv := range p.pairs[1:] {
		params[kv.name] = kv.value
	}
	clear(p.pairs)
	p.pairs = p.pairs[:0]
	return id, params
}
