package ipfix

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
)

// Header sizes (RFC 7011 §3.1, RFC 3954 §5.1) and the raw formats.
const (
	ipfixHeaderLen = 16
	nfv9HeaderLen  = 20
	setHeaderLen   = 4

	// formatPacket is the Format of raw records holding packet or set
	// bytes; formatFields of raw records holding a data record's fields
	// as text (see appendFields).
	formatPacket = "ipfix"
	formatFields = "ipfix-fields"
)

// message is the header of the message being decoded.
type message struct {
	version uint16
	domain  uint32 // observation domain (IPFIX) or source ID (NetFlow v9)
	// export is the header's export time, or the receive time when the
	// exporter sent zero (a clock that was never set).
	export time.Time
	uptime uint32 // NetFlow v9 sysUpTime at export, ms
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

// parseHeader reads a message header. It returns the sets and, for a
// packet that is no message, the reason.
func parseHeader(pkt []byte, now time.Time) (m message, sets []byte, reason string) {
	if len(pkt) < 2 {
		return m, nil, fmt.Sprintf("packet of %d bytes has no version", len(pkt))
	}
	m.version = be16(pkt)
	var exportSecs uint32
	switch m.version {
	case 10:
		if len(pkt) < ipfixHeaderLen {
			return m, nil, fmt.Sprintf("IPFIX packet of %d bytes is shorter than a header", len(pkt))
		}
		if n := int(be16(pkt[2:])); n != len(pkt) {
			return m, nil, fmt.Sprintf("IPFIX message length %d in a packet of %d bytes", n, len(pkt))
		}
		exportSecs, m.domain, sets = be32(pkt[4:]), be32(pkt[12:]), pkt[ipfixHeaderLen:]
	case 9:
		if len(pkt) < nfv9HeaderLen {
			return m, nil, fmt.Sprintf("NetFlow v9 packet of %d bytes is shorter than a header", len(pkt))
		}
		m.uptime, exportSecs, m.domain, sets = be32(pkt[4:]), be32(pkt[8:]), be32(pkt[16:]), pkt[nfv9HeaderLen:]
	default:
		return m, nil, fmt.Sprintf("version %d is neither IPFIX (10) nor NetFlow v9", m.version)
	}
	m.export = time.Unix(int64(exportSecs), 0).UTC()
	if exportSecs == 0 {
		m.export = now
	}
	return m, sets, ""
}

// maxRawPerPacket bounds the raw records one packet makes, set by set;
// past it the rest of the packet is kept as one. A 64 KB packet could
// otherwise hold 16,000 bad sets, each a record in the store. Eight
// covers an exporter's start, when every data set's template is unknown.
const maxRawPerPacket = 8

// decodePacket decodes one datagram. What cannot be decoded is kept raw:
// the whole packet when its framing is broken, else the set or the data
// record that failed.
func (c *collector) decodePacket(s *session, pkt []byte, now time.Time, t *tally) {
	m, sets, reason := parseHeader(pkt, now)
	rawBefore := t.unknownTemplate + t.decodeErrors
	for off := len(pkt) - len(sets); reason == "" && off < len(pkt); {
		rest := pkt[off:]
		if t.unknownTemplate+t.decodeErrors-rawBefore >= maxRawPerPacket {
			t.decodeErrors++
			c.emitRaw(s, now, t, fmt.Sprintf("ipfix: %d sets of this packet failed; the %d bytes from offset %d are kept whole, from exporter %s",
				maxRawPerPacket, len(rest), off, s.addr), formatPacket, rest)
			return
		}
		if len(rest) < setHeaderLen {
			// NetFlow v9 has no message length; some exporters pad the
			// datagram to 32 bits after the last set.
			if m.version == 9 && allZero(rest) {
				break
			}
			reason = fmt.Sprintf("%d bytes after the last set at offset %d", len(rest), off)
			break
		}
		id, n := be16(rest), int(be16(rest[2:]))
		if n < setHeaderLen || n > len(rest) {
			reason = fmt.Sprintf("set %d at offset %d has length %d with %d bytes left", id, off, n, len(rest))
			break
		}
		c.decodeSet(s, &m, rest[:n], now, t)
		off += n
	}
	if reason != "" {
		t.decodeErrors++
		c.emitRaw(s, now, t, "ipfix: "+reason+" from exporter "+s.addr.String(), formatPacket, pkt)
	}
}

// decodeSet decodes one set with goflow2: template sets go to the
// session's template system, data sets become records.
func (c *collector) decodeSet(s *session, m *message, set []byte, now time.Time, t *tally) {
	id := be16(set)
	switch {
	case m.version == 10 && id == 3 && len(set) >= setHeaderLen+4 && be16(set[setHeaderLen+2:]) == 0:
		if err := withdrawOptions(s.tmpl, m.domain, set[setHeaderLen:]); err != nil {
			t.decodeErrors++
			c.emitRaw(s, now, t, c.setReason(s, m, id, err), formatPacket, set)
		}
	case id < 256:
		// Template and options template sets; goflow2 refuses the IDs
		// that are neither.
		err := checkTemplateSet(m.version, id, set[setHeaderLen:])
		if err == nil {
			_, err = netflow.DecodeMessageCommonFlowSet(bytes.NewBuffer(set), s.tmpl, m.domain, m.version)
		}
		if err != nil {
			t.decodeErrors++
			c.emitRaw(s, now, t, c.setReason(s, m, id, err), formatPacket, set)
		}
	default:
		c.dataSet(s, m, set, now, t)
	}
}

// dataSet decodes a data set record by record with goflow2, so that the
// records before a bad one are kept and the set's padding is recognised.
func (c *collector) dataSet(s *session, m *message, set []byte, now time.Time, t *tally) {
	id := be16(set)
	tmpl, err := s.tmpl.GetTemplate(m.version, m.domain, id)
	if err != nil {
		t.unknownTemplate++
		c.emitRaw(s, now, t, fmt.Sprintf("ipfix: data set for unknown template %d from exporter %s (version %d, domain %d)",
			id, s.addr, m.version, m.domain), formatPacket, set)
		return
	}
	var fields [][]netflow.Field
	switch tr := tmpl.(type) {
	case netflow.TemplateRecord:
		fields = [][]netflow.Field{tr.Fields}
	case netflow.IPFIXOptionsTemplateRecord:
		fields = [][]netflow.Field{tr.Scopes, tr.Options}
	case netflow.NFv9OptionsTemplateRecord:
		fields = [][]netflow.Field{tr.Scopes, tr.Options}
	}
	// RFC 7011 §3.3.1: padding is shorter than the shortest record.
	// Templates with fields of length 0 were refused, so each record
	// takes at least a byte per field.
	shortest := 0
	for _, fs := range fields {
		for _, f := range fs {
			if f.Length == VarLen {
				shortest++ // the length byte
			} else {
				shortest += int(f.Length)
			}
		}
	}
	buf := bytes.NewBuffer(set[setHeaderLen:])
	for n := 0; buf.Len() >= shortest; n++ {
		var values []netflow.DataField
		for _, fs := range fields {
			// goflow2 reads what is left of the set for a field that
			// runs past it: check the record fits first.
			err := fits(buf.Bytes(), fs)
			var vs []netflow.DataField
			if err == nil {
				vs, err = netflow.DecodeDataSetUsingFields(m.version, buf, fs)
			}
			if err != nil {
				t.decodeErrors++
				c.emitRaw(s, now, t, c.setReason(s, m, id, fmt.Errorf("record %d: %w", n, err)), formatPacket, set)
				return
			}
			if values == nil {
				values = vs
			} else {
				values = append(values[:len(values):len(values)], vs...)
			}
		}
		t.records++
		if len(fields) > 1 {
			t.nonNAT++ // options data
			continue
		}
		c.dataRecord(s, m, id, values, now, t)
	}
}

func (c *collector) setReason(s *session, m *message, id uint16, err error) string {
	return fmt.Sprintf("ipfix: decode set %d from exporter %s (version %d, domain %d): %v", id, s.addr, m.version, m.domain, err)
}

// withdrawOptions applies an IPFIX options template withdrawal set
// (RFC 7011 §8.1): records of a template ID and a zero field count, which
// goflow2 would read as options templates.
func withdrawOptions(ts *templates, domain uint32, b []byte) error {
	for ; len(b) >= 4; b = b[4:] {
		if be16(b[2:]) != 0 {
			return fmt.Errorf("options template %d defined in a withdrawal set", be16(b))
		}
		ts.withdraw(10, domain, be16(b), true)
	}
	return nil
}

// dataRecord turns one data record into a record.
func (c *collector) dataRecord(s *session, m *message, id uint16, values []netflow.DataField, now time.Time, t *tally) {
	var v ieValues
	for j := range values {
		if !values[j].PenProvided {
			b, _ := values[j].Value.([]byte)
			v.set(values[j].Type, b)
		}
	}
	r, out, reason := convert(&v, s.exp.events, m)
	switch out {
	case outSkip:
		t.nonNAT++
	case outEvent:
		d := appendFields(append([]byte(r.Event.Detail), ": "...), values)
		r.Event.Detail = truncate(string(d))
		fallthrough
	case outNAT:
		if c.emit(s, r, now, t) {
			t.natEvents++
		}
	case outBad:
		t.decodeErrors++
		head := "version=" + strconv.Itoa(int(m.version)) + " domain=" + strconv.FormatUint(uint64(m.domain), 10) +
			" template=" + strconv.Itoa(int(id)) + " "
		c.emitRaw(s, now, t, fmt.Sprintf("ipfix: %s in template %d from exporter %s", reason, id, s.addr),
			formatFields, appendFields([]byte(head), values))
	}
}

// fits checks that a record of fields fits in b.
func fits(b []byte, fields []netflow.Field) error {
	off := 0
	for _, f := range fields {
		n := int(f.Length)
		if f.Length == VarLen {
			switch {
			case off < len(b) && b[off] < 255:
				n, off = int(b[off]), off+1
			case off+3 <= len(b):
				n, off = int(be16(b[off+1:])), off+3
			default:
				return fmt.Errorf("field %d: the length of a variable-length field runs past the set", f.Type)
			}
		}
		if off+n > len(b) {
			return fmt.Errorf("field %d: %d bytes run past the set", f.Type, n)
		}
		off += n
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
