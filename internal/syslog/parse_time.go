package syslog

import "time"

// stamp is a header time as written: its wall-clock fields, and a year and
// a zone only if the header carried them. resolve turns it into a
// time.Time once the receive time and the device's zone are known, so
// parsing stays a pure function of the bytes.
type stamp struct {
	year, month, day     int
	hour, minute, second int
	nsec                 int
	offset               int // seconds east of UTC, if hasZone
	set                  bool
	hasYear, hasZone     bool
}

// resolve returns the time st denotes. A stamp without a zone is read in
// loc. A stamp without a year gets the latest year that does not put it
// more than yearSlack after recv: messages describe the past, so
// "Dec 31 23:59:59" received on January 1st is last year's, and "Jan  1
// 00:00:05" from a clock running a little fast on December 31st is next
// year's. zones caches fixed zones by offset.
func (st *stamp) resolve(recv time.Time, loc *time.Location, zones map[int]*time.Location) time.Time {
	if !st.set {
		return time.Time{}
	}
	if st.hasZone {
		loc = fixedZone(st.offset, zones)
	} else if loc == nil {
		loc = time.UTC
	}
	if st.hasYear {
		return time.Date(st.year, time.Month(st.month), st.day, st.hour, st.minute, st.second, st.nsec, loc)
	}
	latest := recv.Add(yearSlack)
	t := time.Date(latest.In(loc).Year(), time.Month(st.month), st.day, st.hour, st.minute, st.second, st.nsec, loc)
	if t.After(latest) {
		t = t.AddDate(-1, 0, 0)
	}
	return t
}

// yearSlack is how far after its receipt a year-less header time may lie
// and still be taken as this year's. It covers device clocks that run
// fast or sit in the wrong zone (hours, perhaps days); a time further
// ahead is read as last year's, which suits relays replaying a backlog.
const yearSlack = 30 * 24 * time.Hour

// fixedZone returns a zone offset seconds east of UTC, reusing earlier ones:
// time.FixedZone allocates, and a device writes the same offset in every
// message.
func fixedZone(offset int, zones map[int]*time.Location) *time.Location {
	if offset == 0 {
		return time.UTC
	}
	if z, ok := zones[offset]; ok {
		return z
	}
	z := time.FixedZone("", offset)
	if zones != nil && len(zones) < maxCachedZones {
		zones[offset] = z
	}
	return z
}

// maxCachedZones bounds the zone cache of one parser: real offsets number
// about 40, so a sender that writes random ones cannot grow it further.
const maxCachedZones = 64

// parseStamp reads a header timestamp at s[i:] in any of the forms devices
// send, and returns it with the index just after it:
//
//	Oct 11 22:14:15[.fff]              RFC 3164 (day may be " 1", "1" or "01")
//	Oct 11 22:14:15[.fff] 2026         H3C Comware (also "22:14:15:708 2026")
//	Oct 11 2026 22:14:15[.fff]         Huawei VRP, Cisco ASA
//	2026-10-11T22:14:15[.ffffff]Z      RFC 3339 (also with a space for T)
//
// Each may carry an attached offset ("Z", "+08:00", "+0800") or a zone
// name before a colon ("22:14:15 UTC:", Cisco IOS); only UTC and GMT are
// understood, other names are ambiguous (CST) and leave the stamp zone-less.
func parseStamp(s string, i int) (st stamp, next int, ok bool) {
	if i < len(s) && isDigit(s[i]) {
		return parseISOStamp(s, i)
	}
	if st.month = monthAt(s, i); st.month == 0 {
		return stamp{}, i, false
	}
	j := skipSpaces(s, i+3, 2)
	if j == i+3 {
		return stamp{}, i, false
	}
	// Day: "1", "01" or "11".
	n := digitsAt(s, j, 2)
	if n == 0 {
		return stamp{}, i, false
	}
	st.day = atoi(s[j : j+n])
	j += n
	k := skipSpaces(s, j, 2)
	if k == j {
		return stamp{}, i, false
	}
	j = k
	// Huawei and ASA put the year before the time.
	if digitsAt(s, j, 4) == 4 && j+4 < len(s) && s[j+4] == ' ' {
		st.year, st.hasYear = atoi(s[j:j+4]), true
		j += 5
	}
	if j, ok = parseClock(s, j, &st); !ok {
		return stamp{}, i, false
	}
	j = parseOffset(s, j, &st)
	// H3C puts the year after the time.
	if !st.hasYear && j+5 <= len(s) && s[j] == ' ' && digitsAt(s, j+1, 4) == 4 &&
		(j+5 == len(s) || s[j+5] == ' ' || s[j+5] == ':') {
		st.year, st.hasYear = atoi(s[j+1:j+5]), true
		j += 5
	}
	j = parseZoneName(s, j, &st)
	if !st.valid() {
		return stamp{}, i, false
	}
	return st, j, true
}

// parseISOStamp reads "YYYY-MM-DD" then "T", "t" or a space, then the
// clock, fraction and offset.
func parseISOStamp(s string, i int) (st stamp, next int, ok bool) {
	if len(s)-i < 19 || digitsAt(s, i, 4) != 4 || s[i+4] != '-' || digitsAt(s, i+5, 2) != 2 ||
		s[i+7] != '-' || digitsAt(s, i+8, 2) != 2 {
		return stamp{}, i, false
	}
	if c := s[i+10]; c != 'T' && c != 't' && c != ' ' {
		return stamp{}, i, false
	}
	st.year, st.hasYear = atoi(s[i:i+4]), true
	st.month = atoi(s[i+5 : i+7])
	st.day = atoi(s[i+8 : i+10])
	j, ok := parseClock(s, i+11, &st)
	if !ok && s[i+10] == ' ' && len(s)-i >= 20 && s[i+13] == ':' && s[i+14] == ' ' {
		// rsyslog's traditional forward format turns "2026-10-11
		// 22:14:15" into "2026-10-11 22: 14:15": it took "22:" for a TAG
		// and put a space after it.
		var clock [8]byte
		copy(clock[:3], s[i+11:i+14])
		copy(clock[3:], s[i+15:])
		if _, ok = parseClock(string(clock[:]), 0, &st); ok {
			j = i + 20
		}
	}
	if !ok {
		return stamp{}, i, false
	}
	j = parseOffset(s, j, &st)
	j = parseZoneName(s, j, &st)
	if !st.valid() {
		return stamp{}, i, false
	}
	return st, j, true
}

// parseClock reads "hh:mm:ss" and an optional fraction: ".fff" or ",fff"
// (up to nine digits), or H3C's ":cc"/":xxx" (two or three digits).
func parseClock(s string, i int, st *stamp) (int, bool) {
	if len(s)-i < 8 || digitsAt(s, i, 2) != 2 || s[i+2] != ':' || digitsAt(s, i+3, 2) != 2 ||
		s[i+5] != ':' || digitsAt(s, i+6, 2) != 2 {
		return i, false
	}
	st.hour, st.minute, st.second = atoi(s[i:i+2]), atoi(s[i+3:i+5]), atoi(s[i+6:i+8])
	st.set = true
	j := i + 8
	if j+1 < len(s) && (s[j] == '.' || s[j] == ',' || s[j] == ':') {
		n := digitsAt(s, j+1, 9)
		if s[j] == ':' && (n < 2 || n > 3) {
			return j, true // Cisco's colon after the time, not a fraction
		}
		if n > 0 {
			frac := atoi(s[j+1 : j+1+n])
			for range 9 - n {
				frac *= 10
			}
			st.nsec = frac
			j += 1 + n
		}
	}
	return j, true
}

// parseOffset reads an offset attached to the time: "Z", "+hh:mm", "+hhmm"
// or "+hh".
func parseOffset(s string, i int, st *stamp) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case 'Z', 'z':
		st.hasZone, st.offset = true, 0
		return i + 1
	case '+', '-':
	default:
		return i
	}
	if digitsAt(s, i+1, 2) != 2 {
		return i
	}
	h, m, j := atoi(s[i+1:i+3]), 0, i+3
	switch {
	case j+3 <= len(s) && s[j] == ':' && digitsAt(s, j+1, 2) == 2:
		m, j = atoi(s[j+1:j+3]), j+3
	case digitsAt(s, j, 2) == 2 && digitsAt(s, j, 3) == 2:
		m, j = atoi(s[j:j+2]), j+2
	}
	if h > 23 || m > 59 {
		return i
	}
	st.hasZone, st.offset = true, (h*60+m)*60
	if s[i] == '-' {
		st.offset = -st.offset
	}
	return j
}

// parseZoneName reads Cisco's " UTC" before a colon. Only UTC and GMT
// set the zone; any other name is skipped, since abbreviations such as CST
// mean different zones in different countries.
func parseZoneName(s string, i int, st *stamp) int {
	if st.hasZone || i >= len(s) || s[i] != ' ' {
		return i
	}
	j := i + 1
	for j < len(s) && j-i <= 5 && s[j] >= 'A' && s[j] <= 'Z' {
		j++
	}
	if n := j - i - 1; n < 3 || n > 5 || j >= len(s) || s[j] != ':' {
		return i
	}
	if name := s[i+1 : j]; name == "UTC" || name == "GMT" {
		st.hasZone, st.offset = true, 0
	}
	return j
}

// valid reports whether the fields name a real time. A leap second (60)
// is allowed and rolls over into the next minute.
func (st *stamp) valid() bool {
	if st.month < 1 || st.month > 12 || st.day < 1 || st.hour > 23 || st.minute > 59 || st.second > 60 {
		return false
	}
	year := st.year
	if !st.hasYear {
		year = 2000 // a leap year, so "Feb 29" passes
	}
	return st.day <= daysIn(st.month, year)
}

func daysIn(month, year int) int {
	if month == 2 {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	if month == 4 || month == 6 || month == 9 || month == 11 {
		return 30
	}
	return 31
}

// monthAt returns the month named by the three letters at s[i:] (any
// case), or 0.
func monthAt(s string, i int) int {
	if len(s)-i < 3 {
		return 0
	}
	key := uint32(s[i]|0x20)<<16 | uint32(s[i+1]|0x20)<<8 | uint32(s[i+2]|0x20)
	for m, name := range monthKeys {
		if name == key {
			return m + 1
		}
	}
	return 0
}

// monthKeys are the lower-case month abbreviations packed as monthAt packs
// its input.
var monthKeys = [12]uint32{
	'j'<<16 | 'a'<<8 | 'n', 'f'<<16 | 'e'<<8 | 'b', 'm'<<16 | 'a'<<8 | 'r',
	'a'<<16 | 'p'<<8 | 'r', 'm'<<16 | 'a'<<8 | 'y', 'j'<<16 | 'u'<<8 | 'n',
	'j'<<16 | 'u'<<8 | 'l', 'a'<<16 | 'u'<<8 | 'g', 's'<<16 | 'e'<<8 | 'p',
	'o'<<16 | 'c'<<8 | 't', 'n'<<16 | 'o'<<8 | 'v', 'd'<<16 | 'e'<<8 | 'c',
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digitsAt returns how many digits, at most limit, start at s[i].
func digitsAt(s string, i, limit int) int {
	n := 0
	for i+n < len(s) && n < limit && isDigit(s[i+n]) {
		n++
	}
	return n
}

// atoi converts a short run of digits already checked by digitsAt.
func atoi(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

// skipSpaces skips at most limit spaces.
func skipSpaces(s string, i, limit int) int {
	for n := 0; i < len(s) && s[i] == ' ' && n < limit; n++ {
		i++
	}
	return i
}
