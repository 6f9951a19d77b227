package ipfix

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
)

// Template limits. They bound the memory that exporters, or anyone who can
// send UDP to the collector, can make it hold. A template costs its field
// count plus templateOverhead units; a unit is about the 12 bytes of one
// goflow2 Field, so the whole cache stays near 12 MiB plus map overhead.
const (
	// templateOverhead is what a template costs beyond its fields: the
	// map entry and slice header, about 8 fields' worth.
	templateOverhead = 8
	// maxSessionUnits bounds one exporter session's templates. Real NAT
	// exporters define a handful of templates of 5-20 fields; a full
	// flow exporter sharing the port may define a few hundred of up to 50.
	// 16384 units fits either with room to spare.
	maxSessionUnits = 1 << 14
	// maxTotalUnits bounds all sessions together: 64 fully loaded
	// sessions, or some hundreds of ordinary ones.
	maxTotalUnits = 1 << 20
	// maxFields bounds one template's fields. NAT templates have 5 to 20;
	// full flow templates rarely pass 100. goflow2 allocates a record's
	// values at once, so a template of thousands of one-byte fields
	// would make each small record cost a large allocation.
	maxFields = 512
)

var (
	errTemplateID       = errors.New("template ID below 256")
	errZeroLength       = errors.New("a field of length 0")
	errSessionTemplates = fmt.Errorf("exporter holds more than %d units of templates", maxSessionUnits)
	errTotalTemplates   = fmt.Errorf("all exporters together hold more than %d units of templates", maxTotalUnits)
)

// templatePool accounts for the templates of all sessions.
type templatePool struct {
	// units is the total cost held. Only the reading goroutine touches it.
	units int
	// count is the number of templates held, for Stats.
	count atomic.Int64
}

// templates is one exporter session's template cache. It implements
// goflow2's netflow.NetFlowTemplateSystem with the same key, (version,
// observation domain, template ID); one instance per exporter transport
// address keeps two exporters that reuse a template ID apart. A template
// whose record count is zero is a withdrawal (RFC 7011 §8.1). It is not
// safe for concurrent use: only the collector's reading goroutine uses it.
type templates struct {
	m     map[uint64]templateEntry
	units int // cost held by this session
	pool  *templatePool
}

type templateEntry struct {
	tmpl    any // netflow.TemplateRecord, IPFIXOptionsTemplateRecord or NFv9OptionsTemplateRecord
	units   int
	options bool
}

var _ netflow.NetFlowTemplateSystem = (*templates)(nil)

func newTemplates(pool *templatePool) *templates {
	return &templates{m: map[uint64]templateEntry{}, pool: pool}
}

// templateKey is goflow2's key layout: version, domain and ID do not overlap.
func templateKey(version uint16, domain uint32, id uint16) uint64 {
	return uint64(version)<<48 | uint64(domain)<<16 | uint64(id)
}

// AddTemplate stores, replaces or, for a template without fields,
// withdraws a template. It refuses templates that could not decode a
// record, or that would pass the session's or the pool's limit.
func (t *templates) AddTemplate(version uint16, domain uint32, id uint16, tmpl any) error {
	var fields [][]netflow.Field
	options := true
	switch tr := tmpl.(type) {
	case netflow.TemplateRecord:
		fields, options = [][]netflow.Field{tr.Fields}, false
	case netflow.IPFIXOptionsTemplateRecord:
		fields = [][]netflow.Field{tr.Scopes, tr.Options}
	case netflow.NFv9OptionsTemplateRecord:
		fields = [][]netflow.Field{tr.Scopes, tr.Options}
	default:
		return fmt.Errorf("template %d: unexpected type %T", id, tmpl)
	}
	n := 0
	for _, fs := range fields {
		n += len(fs)
	}
	switch {
	case n == 0:
		t.withdraw(version, domain, id, options)
		return nil
	case n > maxFields:
		return fmt.Errorf("template %d: %d fields, more than %d", id, n, maxFields)
	}
	// Every field must take a byte of the record: a record of no bytes
	// would be read forever, and fields of none would let one byte cost a
	// decoded value each.
	for _, fs := range fields {
		for _, f := range fs {
			if f.Length == 0 {
				return fmt.Errorf("template %d: element %d: %w", id, f.Type, errZeroLength)
			}
		}
	}
	if id < 256 {
		return fmt.Errorf("template %d: %w", id, errTemplateID)
	}
	key := templateKey(version, domain, id)
	units := n + templateOverhead
	delta := units - t.m[key].units
	if t.units+delta > maxSessionUnits {
		return fmt.Errorf("template %d: %w", id, errSessionTemplates)
	}
	if t.pool.units+delta > maxTotalUnits {
		return fmt.Errorf("template %d: %w", id, errTotalTemplates)
	}
	if _, ok := t.m[key]; !ok {
		t.pool.count.Add(1)
	}
	t.m[key] = templateEntry{tmpl: tmpl, units: units, options: options}
	t.units += delta
	t.pool.units += delta
	return nil
}

// GetTemplate returns a stored template or netflow.ErrorTemplateNotFound.
func (t *templates) GetTemplate(version uint16, domain uint32, id uint16) (any, error) {
	if e, ok := t.m[templateKey(version, domain, id)]; ok {
		return e.tmpl, nil
	}
	return nil, netflow.ErrorTemplateNotFound
}

// RemoveTemplate removes a template and returns it.
func (t *templates) RemoveTemplate(version uint16, domain uint32, id uint16) (any, error) {
	key := templateKey(version, domain, id)
	e, ok := t.m[key]
	if !ok {
		return nil, netflow.ErrorTemplateNotFound
	}
	t.remove(key, e)
	return e.tmpl, nil
}

// GetTemplates returns a copy of every stored template by key.
func (t *templates) GetTemplates() netflow.FlowBaseTemplateSet {
	out := make(netflow.FlowBaseTemplateSet, len(t.m))
	for k, e := range t.m {
		out[k] = e.tmpl
	}
	return out
}

// withdraw removes template id, or, when id is the set ID of its kind (2
// for templates, 3 for options templates, IPFIX only), every template of
// that kind in the domain (RFC 7011 §8.1).
func (t *templates) withdraw(version uint16, domain uint32, id uint16, options bool) {
	all := version == 10 && (id == 2 && !options || id == 3 && options)
	if !all {
		if e, ok := t.m[templateKey(version, domain, id)]; ok {
			t.remove(templateKey(version, domain, id), e)
		}
		return
	}
	lo, hi := templateKey(version, domain, 0), templateKey(version, domain, 0xffff)
	for k, e := range t.m { // deleting while ranging is allowed
		if k >= lo && k <= hi && e.options == options {
			t.remove(k, e)
		}
	}
}

func (t *templates) remove(key uint64, e templateEntry) {
	delete(t.m, key)
	t.units -= e.units
	t.pool.units -= e.units
	t.pool.count.Add(-1)
}

// release gives back everything the session holds, when it is dropped.
func (t *templates) release() {
	t.pool.units -= t.units
	t.pool.count.Add(-int64(len(t.m)))
	t.m, t.units = nil, 0
}

// checkTemplateSet checks that every template record of a template or
// options template set fits in the set, before goflow2 reads it: goflow2
// allocates as many fields as a record claims before it reads them, so a
// small set claiming 65,535 fields would cost 786 KB.
func checkTemplateSet(version, setID uint16, b []byte) error {
	options := setID == 1 || setID == 3
	for len(b) >= 4 {
		id, count := be16(b), int(be16(b[2:]))
		switch {
		case options && version == 9:
			if len(b) < 6 {
				return fmt.Errorf("options template %d: header runs past the set", id)
			}
			// Scope and option lengths are in bytes of field specifiers.
			count, b = (count+int(be16(b[4:])))/4, b[6:]
		case options:
			if len(b) < 6 {
				return fmt.Errorf("options template %d: header runs past the set", id)
			}
			if int(be16(b[4:])) > count {
				return fmt.Errorf("options template %d: %d scope fields of %d", id, be16(b[4:]), count)
			}
			b = b[6:]
		default:
			b = b[4:]
		}
		for i := range count {
			if len(b) < 4 {
				return fmt.Errorf("template %d: field %d of %d runs past the set", id, i, count)
			}
			n := 4
			if version == 10 && b[0]&0x80 != 0 {
				n = 8 // the enterprise number
			}
			if len(b) < n {
				return fmt.Errorf("template %d: field %d of %d runs past the set", id, i, count)
			}
			b = b[n:]
		}
	}
	return nil
}
