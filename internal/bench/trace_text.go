package bench

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/synth"
)

// The baselines' data, one file of each a day: the NAT devices' syslog
// text and the BRASes' RADIUS accounting as text, gzip'd as logrotate
// leaves them (for zgrep), and the PostgreSQL COPY data of the nat and
// sessions tables (gzip'd at the fastest level: it is only carried to
// the loader).
const (
	fileNATText    = "nat-%s.log.gz"
	fileRADIUSText = "radius-%s.log.gz"
	fileNATCopy    = "nat-%s.tsv.gz"
	fileSessCopy   = "sessions-%s.tsv.gz"
)

func (c *TraceConfig) textDir() string { return filepath.Join(c.Dir, "text") }
func (c *TraceConfig) copyDir() string { return filepath.Join(c.Dir, "copy") }

// dayFile returns the path of one day's file of the given pattern.
func (c *TraceConfig) dayFile(pattern string, day int) string {
	start := c.Start
	if start.IsZero() {
		start = c.withDefaults().Start
	}
	dir := c.textDir()
	if pattern == fileNATCopy || pattern == fileSessCopy {
		dir = c.copyDir()
	}
	return filepath.Join(dir, fmt.Sprintf(pattern, start.AddDate(0, 0, day).Format("2006-01-02")))
}

// textBatch is a batch of one day's records for the text writer.
type textBatch struct {
	day  int
	recs []*record.Record
}

// textWriter writes each day's text and COPY files. Not safe for
// concurrent use.
type textWriter struct {
	c     TraceConfig
	day   int
	files [4]*gzFile // NAT text, RADIUS text, NAT COPY, sessions COPY
	line  []byte
}

func newTextWriter(c TraceConfig) (*textWriter, error) {
	for _, d := range []string{c.textDir(), c.copyDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("create text dir: %w", err)
		}
	}
	return &textWriter{c: c, day: -1}, nil
}

// gzFile is a buffered gzip file.
type gzFile struct {
	f *os.File
	z *gzip.Writer
	w *bufio.Writer
}

func createGz(path string, level int) (*gzFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	z, err := gzip.NewWriterLevel(f, level)
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return &gzFile{f: f, z: z, w: bufio.NewWriterSize(z, 1<<20)}, nil
}

func (g *gzFile) close() error {
	return errors.Join(g.w.Flush(), g.z.Close(), g.f.Close())
}

// write appends b's records to its day's files, opening them (and
// closing the day before's) at a new day.
func (t *textWriter) write(b textBatch) error {
	if b.day != t.day {
		if err := t.closeDay(); err != nil {
			return err
		}
		for i, p := range []string{fileNATText, fileRADIUSText, fileNATCopy, fileSessCopy} {
			level := gzip.DefaultCompression
			if i >= 2 {
				level = gzip.BestSpeed
			}
			f, err := createGz(t.c.dayFile(p, b.day), level)
			if err != nil {
				return fmt.Errorf("create day file: %w", err)
			}
			t.files[i] = f
		}
		t.day = b.day
	}
	for _, r := range b.recs {
		text, cp := t.files[0], t.files[2]
		if r.Kind == record.KindSession {
			text, cp = t.files[1], t.files[3]
		}
		t.line = appendTextLine(t.line[:0], r)
		if _, err := text.w.Write(t.line); err != nil {
			return err
		}
		t.line = appendCopyRow(t.line[:0], r)
		if _, err := cp.w.Write(t.line); err != nil {
			return err
		}
	}
	return nil
}

func (t *textWriter) closeDay() error {
	var errs []error
	for i, f := range t.files {
		if f != nil {
			errs = append(errs, f.close())
			t.files[i] = nil
		}
	}
	return errors.Join(errs...)
}

func (t *textWriter) close() error { return t.closeDay() }

// sizes returns the bytes of the text and of the COPY data written.
func (t *textWriter) sizes() (text, cp int64) {
	return dirSize(t.c.textDir()), dirSize(t.c.copyDir())
}

// appendTextLine appends the line the device or BRAS would have logged:
// a Juniper RT_FLOW session line (synth.Syslog) for a flow, an RT_NAT
// port block line for a block, and a RADIUS accounting line, attributes
// as name="value" pairs, for a session record.
func appendTextLine(b []byte, r *record.Record) []byte {
	switch {
	case r.Kind == record.KindSession:
		return appendRADIUSLine(b, r)
	case r.NAT.Event == record.NATCreate || r.NAT.Event == record.NATDelete:
		b = append(b, synth.Syslog(r)...)
		return append(b, '\n')
	}
	n := r.NAT
	tag := "RT_SRC_NAT_PBA_ALLOC"
	switch n.Event {
	case record.NATBlockRelease:
		tag = "RT_SRC_NAT_PBA_RELEASE"
	case record.NATInterim:
		tag = "RT_SRC_NAT_PBA_INTERIM"
	}
	b = append(b, "<14>1 "...)
	b = r.EventTime.AppendFormat(b, time.RFC3339Nano)
	b = append(b, ' ')
	b = append(b, n.Device...)
	b = append(b, " RT_NAT - "...)
	b = append(b, tag...)
	b = append(b, ` [junos@2636.1.1.1.2.40 internal-ip="`...)
	b = n.InsideAddr.AppendTo(b)
	b = append(b, `" block-port-low="`...)
	b = strconv.AppendUint(b, uint64(n.OutsidePort), 10)
	b = append(b, `" block-port-high="`...)
	b = strconv.AppendUint(b, uint64(n.OutsidePortEnd), 10)
	b = append(b, `" reflexive-ip="`...)
	b = n.OutsideAddr.AppendTo(b)
	b = append(b, `" nat-pool-name="`...)
	b = append(b, n.Pool...)
	return append(b, "\" logical-system-id=\"0\"]\n"...)
}

var acctStatus = map[record.SessionEvent]string{record.SessionStart: "Start", record.SessionInterim: "Interim-Update", record.SessionStop: "Stop"}

func appendRADIUSLine(b []byte, r *record.Record) []byte {
	s := r.Session
	b = r.EventTime.AppendFormat(b, time.RFC3339Nano)
	b = append(b, ' ')
	b = append(b, r.Source...)
	attr := func(name, v string) {
		if v != "" {
			b = append(b, ' ')
			b = append(b, name...)
			b = append(b, `="`...)
			b = append(b, v...)
			b = append(b, '"')
		}
	}
	attr("Acct-Status-Type", acctStatus[s.Event])
	attr("User-Name", s.Account)
	attr("Acct-Session-Id", s.SessionID)
	attr("Framed-IP-Address", addrString(s.Addr))
	if s.DelegatedPrefix.IsValid() {
		attr("Delegated-IPv6-Prefix", s.DelegatedPrefix.String())
	}
	attr("Calling-Station-Id", s.CallingStationID)
	attr("NAS-IP-Address", addrString(s.NASAddr))
	attr("NAS-Port-Id", s.NASPortID)
	attr("Acct-Input-Octets", strconv.FormatUint(s.InputOctets, 10))
	attr("Acct-Output-Octets", strconv.FormatUint(s.OutputOctets, 10))
	attr("Acct-Terminate-Cause", s.TerminateCause)
	return append(b, '\n')
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// pgTime is how COPY rows write a time: PostgreSQL keeps microseconds.
const pgTime = "2006-01-02T15:04:05.000000Z07:00"

// appendCopyRow appends r as a row of the nat or sessions table in
// COPY's text format (tab-separated, \N for null).
func appendCopyRow(b []byte, r *record.Record) []byte {
	col := func(v string) {
		if v == "" {
			b = append(b, `\N`...)
		} else {
			b = appendCopyEscaped(b, v)
		}
		b = append(b, '\t')
	}
	num := func(v uint64) {
		b = strconv.AppendUint(b, v, 10)
		b = append(b, '\t')
	}
	if r.Kind == record.KindNAT {
		n := r.NAT
		end := n.OutsidePortEnd
		if end == 0 {
			end = n.OutsidePort
		}
		col(addrString(n.OutsideAddr))
		num(uint64(n.OutsidePort))
		num(uint64(end))
		col(addrString(n.InsideAddr))
		num(uint64(n.InsidePort))
		num(uint64(n.Protocol))
		num(uint64(n.Event))
		b = r.EventTime.UTC().AppendFormat(b, pgTime)
		b = append(b, '\t')
		b = appendCopyEscaped(b, r.Source)
		return append(b, '\n')
	}
	s := r.Session
	col(s.Account)
	col(addrString(s.Addr))
	prefix := ""
	if s.DelegatedPrefix.IsValid() {
		prefix = s.DelegatedPrefix.String()
	}
	col(prefix)
	b = r.EventTime.UTC().AppendFormat(b, pgTime)
	b = append(b, '\t')
	num(uint64(s.Event))
	col(s.SessionID)
	col(s.CallingStationID)
	col(addrString(s.NASAddr))
	col(s.NASPortID)
	b = appendCopyEscaped(b, r.Source)
	return append(b, '\n')
}

var copyEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

func appendCopyEscaped(b []byte, v string) []byte {
	if !strings.ContainsAny(v, "\\\t\n\r") {
		return append(b, v...)
	}
	return append(b, copyEscaper.Replace(v)...)
}
