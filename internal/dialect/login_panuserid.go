package dialect

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/warden-ops/warden/internal/record"
)

// panUserIDParser reads Palo Alto Networks PAN-OS User-ID logs (type
// USERID, subtypes login and logout), the firewall's mapping of users to
// addresses from GlobalProtect, Active Directory, captive portal and the
// other User-ID sources. The line is CSV after a BSD syslog header:
//
//	FUTURE_USE, Receive Time, Serial, USERID, login|logout, FUTURE_USE,
//	Generated Time, vsys, Source IP, User, Data Source Name, Event ID,
//	Repeat Count, Timeout, Source Port, Destination Port, Data Source,
//	Data Source Type, Sequence Number, Action Flags, DG 1-4, vsys Name,
//	Device Name, vsys ID, Factor Type, Factor Completion Time,
//	Factor Number, User Group Flags, User by Source, Tag Name,
//	High Resolution Timestamp, ...
//
// login is a login and logout a logout: Account is User (as written,
// "domain\user"), Addr the Source IP, the address the user is mapped to
// (a GlobalProtect client's tunnel address, a workstation's address). The
// event time is the High Resolution Timestamp (PAN-OS 10.0 and later,
// with its zone), else the Generated Time read in the device's zone. The
// data source, the timeout, and the port range a terminal-server agent
// maps are not kept (a session record has no fields for them); the line
// carries no session ID and no NAS address.
//
// Other USERID subtypes (register-tag, unregister-tag) and other log types
// are turned down with ErrNotMine.
type panUserIDParser struct{}

// newPANUserID returns a parser of PAN-OS User-ID logs.
func newPANUserID() Parser { return panUserIDParser{} }

var (
	errPANOther   = loginNotMine("paloalto-userid", "not a PAN-OS USERID log")
	errPANNoEvent = loginNotMine("paloalto-userid", "PAN-OS USERID log that is neither login nor logout")
)

// panUserIDFields is the number of columns the parser reads, from the
// subtype (column 5) to the High Resolution Timestamp (column 34).
const panUserIDFields = 30

// Columns, counted from the subtype (column 5) as 0.
const (
	panSubtype   = 0  // column 5
	panGenerated = 2  // column 7
	panSourceIP  = 4  // column 9
	panUser      = 5  // column 10
	panHighRes   = 29 // column 34
)

// Parse implements Parser.
func (panUserIDParser) Parse(m *Message) ([]*record.Record, error) {
	s := m.Text
	i := strings.Index(s, ",USERID,")
	if i < 0 || !panReceiveTimeBefore(s[:i]) {
		return nil, errPANOther
	}
	var buf [panUserIDFields]string
	f, err := panSplit(s[i+len(",USERID,"):], buf[:0])
	if err != nil {
		return nil, fmt.Errorf("parse PAN-OS USERID log: %w", err)
	}
	var ev record.SessionEvent
	switch f[panSubtype] {
	case "login":
		ev = record.SessionLogin
	case "logout":
		ev = record.SessionLogout
	default:
		return nil, errPANNoEvent
	}
	if len(f) <= panUser {
		return nil, fmt.Errorf("parse PAN-OS USERID log: %d columns, want at least %d", len(f)+4, panUser+5)
	}
	r, err := panUserIDRecord(m, ev, f)
	if err != nil {
		return nil, fmt.Errorf("parse PAN-OS USERID log: %w", err)
	}
	return []*record.Record{r}, nil
}

// panReceiveTimeBefore reports whether s, the line before ",USERID,", ends
// with ",<receive time>,<serial>" as a PAN-OS log does, so that a rule or
// user named USERID in another log type is not taken for the type column.
func panReceiveTimeBefore(s string) bool {
	q := strings.LastIndexByte(s, ',')
	if q < 0 || strings.ContainsAny(s[q+1:], " \"") {
		return false
	}
	recv := s[strings.LastIndexByte(s[:q], ',')+1 : q]
	return len(recv) == len("2006/01/02 15:04:05") && recv[4] == '/' && recv[7] == '/' && recv[10] == ' '
}

// panUserIDRecord maps the columns of a login or logout.
func panUserIDRecord(m *Message, ev record.SessionEvent, f []string) (*record.Record, error) {
	var t time.Time
	var err error
	if len(f) > panHighRes && f[panHighRes] != "" {
		if t, err = time.Parse(time.RFC3339Nano, f[panHighRes]); err != nil {
			return nil, fmt.Errorf("read high resolution timestamp: %w", err)
		}
	} else if t, err = m.LocalTime("2006/01/02 15:04:05", f[panGenerated]); err != nil {
		return nil, fmt.Errorf("read generated time: %w", err)
	}
	if y := t.Add(m.Offset).UTC().Year(); y < 1970 || y >= 2200 {
		return nil, fmt.Errorf("read time: %s is outside 1970-2199", t.Format(time.RFC3339))
	}
	if f[panUser] == "" {
		return nil, errors.New("read user: empty")
	}
	r := newRecord(record.KindSession, m, t)
	r.Session.Event = ev
	if r.Session.Account, err = loginString("user", f[panUser]); err != nil {
		return nil, err
	}
	if r.Session.Addr, err = loginAddr(f[panSourceIP]); err != nil {
		return nil, fmt.Errorf("read source IP: %w", err)
	}
	return r, nil
}

// panSplit splits CSV s into dst, at most cap(dst) fields; the rest of the
// line is dropped. PAN-OS quotes a field that holds a comma, doubling a
// quote inside it.
func panSplit(s string, dst []string) ([]string, error) {
	for len(dst) < cap(dst) {
		if !strings.HasPrefix(s, `"`) {
			f, rest, more := strings.Cut(s, ",")
			dst = append(dst, f)
			if !more {
				return dst, nil
			}
			s = rest
			continue
		}
		end, quotes := 1, false
		for {
			k := strings.IndexByte(s[end:], '"')
			if k < 0 {
				return dst, errors.New("split columns: unterminated quoted field")
			}
			end += k
			if end+1 < len(s) && s[end+1] == '"' {
				end, quotes = end+2, true
				continue
			}
			break
		}
		f := s[1:end]
		if quotes {
			f = strings.ReplaceAll(f, `""`, `"`)
		}
		dst = append(dst, f)
		s = s[end+1:]
		if s == "" {
			return dst, nil
		}
		if s[0] != ',' {
			return dst, errors.New("split columns: text after a quoted field")
		}
		s = s[1:]
	}
	return dst, nil
}
