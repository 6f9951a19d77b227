package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// AppendCanonical appends r's canonical encoding to dst: the schema version,
// the kind, then every field in visit order (docs/format/record.md). Equal
// records always encode to equal bytes; this encoding is what the Merkle
// leaves hash and what the write-ahead log stores.
func AppendCanonical(dst []byte, r *Record) []byte {
	e := rowEncoder{buf: append(dst, SchemaVersion, byte(r.Kind))}
	r.Visit(&e)
	return e.buf
}

// Appender appends canonical encodings and flow keys like AppendCanonical
// and AppendFlowKey, without allocating a visitor per call. The zero value
// is ready; an Appender is not safe for concurrent use.
type Appender struct {
	row  rowEncoder
	flow flowEncoder
}

// Canonical appends r's canonical encoding to dst.
func (a *Appender) Canonical(dst []byte, r *Record) []byte {
	a.row.buf = append(dst, SchemaVersion, byte(r.Kind))
	r.Visit(&a.row)
	b := a.row.buf
	a.row.buf = nil
	return b
}

// FlowKey appends r's flow key to dst.
func (a *Appender) FlowKey(dst []byte, r *Record) []byte {
	a.flow = flowEncoder{start: FlowStart(r.Kind), rowEncoder: rowEncoder{buf: dst}}
	r.Visit(&a.flow)
	b := a.flow.buf
	a.flow.buf = nil
	return b
}

// DecodeCanonical decodes one record encoded by [AppendCanonical]. It
// rejects unknown versions and kinds, short input and trailing bytes.
func DecodeCanonical(b []byte) (*Record, error) {
	r := new(Record)
	if err := DecodeCanonicalInto(r, b); err != nil {
		return nil, err
	}
	return r, nil
}

// DecodeCanonicalInto is [DecodeCanonical] into an existing record, whose
// previous contents are discarded.
func DecodeCanonicalInto(r *Record, b []byte) error {
	if len(b) < 2 {
		return errors.New("decode record: too short")
	}
	if b[0] != SchemaVersion {
		return fmt.Errorf("decode record: unknown schema version %d", b[0])
	}
	k := Kind(b[1])
	if !k.Valid() {
		return fmt.Errorf("decode record: unknown kind %d", b[1])
	}
	r.Init(k)
	d := RowDecoder{buf: b[2:]}
	r.Visit(&d)
	if d.err == nil && len(d.buf) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.buf))
	}
	if d.err != nil {
		return fmt.Errorf("decode %s record: %w", k, d.err)
	}
	return nil
}

// rowEncoder is the Visitor behind AppendCanonical.
type rowEncoder struct{ buf []byte }

func (e *rowEncoder) Uint8(p *uint8)          { e.buf = append(e.buf, *p) }
func (e *rowEncoder) Uint16(p *uint16, _ Key) { e.buf = binary.BigEndian.AppendUint16(e.buf, *p) }
func (e *rowEncoder) Uint64(p *uint64)        { e.buf = binary.AppendUvarint(e.buf, *p) }
func (e *rowEncoder) Time(p *time.Time) {
	e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(p.UnixNano()))
}
func (e *rowEncoder) String(p *string, _ Key) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(*p)))
	e.buf = append(e.buf, *p...)
}
func (e *rowEncoder) Bytes(p *[]byte) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(*p)))
	e.buf = append(e.buf, *p...)
}
func (e *rowEncoder) Addr(p *netip.Addr, _ Key) { e.buf = AppendAddr(e.buf, *p) }
func (e *rowEncoder) Prefix(p *netip.Prefix)    { e.buf = AppendPrefix(e.buf, *p) }
func (e *rowEncoder) Fields(p *[]Field) {
	b := AppendFields(nil, *p)
	e.Bytes(&b)
}

// AppendAddr appends an address as one length byte (0, 4 or 16) and the
// address bytes. Zones are not kept.
func AppendAddr(dst []byte, a netip.Addr) []byte {
	switch {
	case !a.IsValid():
		return append(dst, 0)
	case a.Is4():
		b := a.As4()
		return append(append(dst, 4), b[:]...)
	default:
		b := a.As16()
		return append(append(dst, 16), b[:]...)
	}
}

// AppendPrefix appends a prefix as its address ([AppendAddr]) and, for a
// valid address, one byte of prefix length.
func AppendPrefix(dst []byte, p netip.Prefix) []byte {
	dst = AppendAddr(dst, p.Addr())
	if p.Addr().IsValid() {
		dst = append(dst, byte(p.Bits()))
	}
	return dst
}

// AppendFields appends registration fields: a count, then each name and
// value, every one length-prefixed with a uvarint.
func AppendFields(dst []byte, fs []Field) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(fs)))
	for _, f := range fs {
		dst = binary.AppendUvarint(dst, uint64(len(f.Name)))
		dst = append(dst, f.Name...)
		dst = binary.AppendUvarint(dst, uint64(len(f.Value)))
		dst = append(dst, f.Value...)
	}
	return dst
}

// DecodeFields decodes what [AppendFields] wrote.
func DecodeFields(b []byte) ([]Field, error) {
	d := RowDecoder{buf: b}
	n := d.uvarint()
	if n > uint64(len(b)) {
		return nil, fmt.Errorf("decode fields: count %d exceeds input", n)
	}
	var fs []Field
	if n > 0 {
		fs = make([]Field, n)
	}
	for i := range fs {
		fs[i].Name = string(d.bytes())
		// Copy: callers keep records beyond the life of the input buffer.
		fs[i].Value = append([]byte(nil), d.bytes()...)
	}
	if d.err == nil && len(d.buf) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.buf))
	}
	if d.err != nil {
		return nil, fmt.Errorf("decode fields: %w", d.err)
	}
	return fs, nil
}

// RowDecoder reads values in the canonical row encoding. It keeps the first
// error; after it, every read returns zero values. It is the Visitor behind
// DecodeCanonical and is exported for other formats built from the same
// primitives.
type RowDecoder struct {
	buf []byte
	err error
}

// NewRowDecoder returns a decoder over b.
func NewRowDecoder(b []byte) *RowDecoder { return &RowDecoder{buf: b} }

// Err returns the first error met, if any.
func (d *RowDecoder) Err() error { return d.err }

// Len returns the number of unread bytes.
func (d *RowDecoder) Len() int { return len(d.buf) }

var errShort = errors.New("unexpected end of input")

func (d *RowDecoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.buf = nil
}

func (d *RowDecoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.buf) {
		d.fail(errShort)
		return nil
	}
	b := d.buf[:n:n]
	d.buf = d.buf[n:]
	return b
}

func (d *RowDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail(errors.New("bad uvarint"))
		return 0
	}
	if n > 1 && d.buf[n-1] == 0 {
		// A trailing zero group adds nothing: only the shortest form is
		// canonical, so equal records always have equal bytes.
		d.fail(errors.New("non-minimal uvarint"))
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

// Byte reads one byte.
func (d *RowDecoder) Byte() byte {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

// Uvarint reads a uvarint.
func (d *RowDecoder) Uvarint() uint64 { return d.uvarint() }

// Fixed64 reads a big-endian uint64.
func (d *RowDecoder) Fixed64() uint64 {
	if b := d.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// bytes reads a uvarint-length-prefixed byte string. The result aliases
// the input.
func (d *RowDecoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.buf)) {
		d.fail(errShort)
		return nil
	}
	return d.take(int(n))
}

// LenBytes reads a uvarint-length-prefixed byte string, aliasing the input.
func (d *RowDecoder) LenBytes() []byte { return d.bytes() }

// ReadAddr reads an address written by [AppendAddr].
func (d *RowDecoder) ReadAddr() netip.Addr {
	switch n := d.Byte(); n {
	case 0:
		return netip.Addr{}
	case 4:
		b := d.take(4)
		if b == nil {
			return netip.Addr{}
		}
		return netip.AddrFrom4([4]byte(b))
	case 16:
		b := d.take(16)
		if b == nil {
			return netip.Addr{}
		}
		return netip.AddrFrom16([16]byte(b))
	default:
		d.fail(fmt.Errorf("bad address length %d", n))
		return netip.Addr{}
	}
}

// Uint8 implements Visitor.
func (d *RowDecoder) Uint8(p *uint8) { *p = d.Byte() }

// Uint16 implements Visitor.
func (d *RowDecoder) Uint16(p *uint16, _ Key) {
	if b := d.take(2); b != nil {
		*p = binary.BigEndian.Uint16(b)
	}
}

// Uint64 implements Visitor.
func (d *RowDecoder) Uint64(p *uint64) { *p = d.uvarint() }

// Time implements Visitor.
func (d *RowDecoder) Time(p *time.Time) {
	if b := d.take(8); b != nil {
		*p = time.Unix(0, int64(binary.BigEndian.Uint64(b))).UTC()
	}
}

// String implements Visitor.
func (d *RowDecoder) String(p *string, _ Key) { *p = string(d.bytes()) }

// Bytes implements Visitor. The result is a copy.
func (d *RowDecoder) Bytes(p *[]byte) {
	b := d.bytes()
	if len(b) == 0 {
		*p = nil
		return
	}
	*p = append([]byte(nil), b...)
}

// Addr implements Visitor.
func (d *RowDecoder) Addr(p *netip.Addr, _ Key) { *p = d.ReadAddr() }

// Prefix implements Visitor.
func (d *RowDecoder) Prefix(p *netip.Prefix) {
	a := d.ReadAddr()
	if !a.IsValid() {
		*p = netip.Prefix{}
		return
	}
	bits := int(d.Byte())
	if bits > a.BitLen() {
		d.fail(fmt.Errorf("bad prefix length %d", bits))
		return
	}
	*p = netip.PrefixFrom(a, bits)
}

// Fields implements Visitor.
func (d *RowDecoder) Fields(p *[]Field) {
	b := d.bytes()
	if d.err != nil {
		return
	}
	fs, err := DecodeFields(b)
	if err != nil {
		d.fail(err)
		return
	}
	*p = fs
}

// Take reads n bytes, aliasing the input.
func (d *RowDecoder) Take(n int) []byte { return d.take(n) }
