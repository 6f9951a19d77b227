package radius

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strings"

	"layeh.com/radius"
	"layeh.com/radius/dictionary"
)

// vendorField says which record field a vendor attribute fills.
type vendorField uint8

const (
	// fieldAddr is an address attribute: Session.Addr.
	fieldAddr vendorField = iota + 1
	// fieldCallingStationID is a string: Session.CallingStationID.
	fieldCallingStationID
	// fieldNASPortID is a string: Session.NASPortID.
	fieldNASPortID
	// fieldIPHost is a string "A.B.C.D hh:hh:hh:hh:hh:hh" (the user's
	// address and MAC): Session.Addr and Session.CallingStationID.
	fieldIPHost
)

// vendorRule names a vendor attribute, as the FreeRADIUS dictionaries
// spell it, whose value fills a field that the standard attribute would
// fill had the NAS sent it. The number, type and VSA layout come from the
// loaded dictionary; a rule whose attribute no loaded dictionary defines
// with the expected type does nothing.
type vendorRule struct {
	vendor, attr string
	typ          dictionary.AttributeType
	field        vendorField
}

// vendorRules lists the vendor attributes read, after the vendors'
// RADIUS attribute references. ZTE is absent on purpose: FreeRADIUS's
// dictionary.zte defines no attribute carrying an account, address or
// port, and ZTE BNGs send the standard ones. No vendor here documents an
// account outside User-Name, so the account always comes from User-Name.
var vendorRules = []vendorRule{
	// HW-Framed-IPv6-Address (26-2011-158): the user's IPv6 address, for
	// NASes that do not send RFC 6911's Framed-IPv6-Address.
	{"Huawei", "Huawei-Framed-IPv6-Address", dictionary.AttributeIPv6Addr, fieldAddr},
	// HW-IP-Host-Address (26-2011-60): the user's IP and MAC addresses.
	{"Huawei", "Huawei-IPHost-Addr", dictionary.AttributeString, fieldIPHost},
	// HW-User-Mac (26-2011-153): the user's MAC (or DHCP option 61),
	// in access and accounting requests.
	{"Huawei", "Huawei-User-Mac", dictionary.AttributeString, fieldCallingStationID},
	// Ip-Host-Addr (26-25506-60): "A.B.C.D hh:hh:hh:hh:hh:hh", the user's
	// IP and MAC addresses, in access and accounting requests.
	{"H3C", "H3C-Ip-Host-Addr", dictionary.AttributeString, fieldIPHost},
	// NAS-Port-Name (26-25506-230): the interface the user is on.
	{"H3C", "H3C-NAS-Port-Name", dictionary.AttributeString, fieldNASPortID},
	// Cisco-NAS-Port (26-9-2): the port as text ("Virtual-Access2.1").
	{"Cisco", "Cisco-NAS-Port", dictionary.AttributeString, fieldNASPortID},
}

// vendorTable is what the loaded dictionaries say about the vendors the
// rules name: how their VSAs are laid out and which sub-attributes fill
// which field. It is read-only once built.
type vendorTable struct {
	// byID maps a vendor number to its layout and fields.
	byID map[uint32]*vendorInfo
	// names maps a lowercased vendor name from any loaded dictionary,
	// with or without rules, to its number, to check Client.Vendor.
	names map[string]uint32
}

// vendorInfo is one vendor's part of a vendorTable.
type vendorInfo struct {
	name string
	// typeOctets and lenOctets are the sizes of a sub-attribute's type
	// and length fields (the dictionary's VENDOR format=t,l; 1,1 if unset).
	typeOctets, lenOctets int
	// fields maps a sub-attribute number to the rule it satisfies.
	fields map[uint32]vendorRule
	// attrs names the mapped attributes in rule order, for logs and tests.
	attrs []string
}

// loadDictionaries parses the FreeRADIUS dictionaries at paths and builds
// the vendor table from them.
func loadDictionaries(paths []string, log *slog.Logger) (*vendorTable, error) {
	t := &vendorTable{byID: map[uint32]*vendorInfo{}, names: map[string]uint32{}}
	for _, path := range paths {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("load dictionary %s: %w", path, err)
		}
		p := dictionary.Parser{
			Opener:                    &dictionary.FileSystemOpener{Root: filepath.Dir(abs)},
			IgnoreIdenticalAttributes: true,
		}
		d, err := p.ParseFile(abs)
		if err != nil {
			return nil, fmt.Errorf("load dictionary %s: %w", path, err)
		}
		for _, v := range d.Vendors {
			if err := t.add(v); err != nil {
				return nil, fmt.Errorf("load dictionary %s: %w", path, err)
			}
		}
	}
	for _, v := range t.byID {
		log.Info("radius: vendor attributes loaded", "vendor", v.name, "attributes", strings.Join(v.attrs, ","))
	}
	return t, nil
}

// add records vendor v and the rules its attributes satisfy.
func (t *vendorTable) add(v *dictionary.Vendor) error {
	if v.Number < 0 || int64(v.Number) > 1<<32-1 {
		return fmt.Errorf("vendor %s: number %d out of range", v.Name, v.Number)
	}
	id := uint32(v.Number)
	lower := strings.ToLower(v.Name)
	if other, ok := t.names[lower]; ok && other != id {
		return fmt.Errorf("vendor %s: number %d, but another dictionary gave it %d", v.Name, id, other)
	}
	t.names[lower] = id
	for _, r := range vendorRules {
		if !strings.EqualFold(r.vendor, v.Name) {
			continue
		}
		a := dictionary.AttributeByName(v.Attributes, r.attr)
		if a == nil || len(a.OID) != 1 || a.Type != r.typ {
			continue
		}
		info := t.byID[id]
		if info == nil {
			info = &vendorInfo{name: v.Name, typeOctets: v.GetTypeOctets(), lenOctets: v.GetLengthOctets(),
				fields: map[uint32]vendorRule{}}
			t.byID[id] = info
		}
		if _, ok := info.fields[uint32(a.OID[0])]; !ok {
			info.fields[uint32(a.OID[0])] = r
			info.attrs = append(info.attrs, r.attr)
		}
	}
	return nil
}

// vendorID returns the number of the vendor named name, in any case.
func (t *vendorTable) vendorID(name string) (uint32, bool) {
	id, ok := t.names[strings.ToLower(name)]
	return id, ok
}

// vendorValues are the values vendor attributes gave, before they are
// weighed against the standard attributes.
type vendorValues struct {
	addr             netip.Addr
	callingStationID string
	nasPortID        string
}

// read collects the values of the packet's VSAs that the table maps. If
// only is non-zero, VSAs of other vendors are ignored. A VSA that the
// table maps but that is malformed is skipped: the standard attributes
// still make a record.
func (t *vendorTable) read(p *radius.Packet, only uint32) vendorValues {
	var out vendorValues
	if t == nil || len(t.byID) == 0 {
		return out
	}
	for _, avp := range p.Attributes {
		if avp.Type != 26 || len(avp.Attribute) < 4 {
			continue
		}
		id := binary.BigEndian.Uint32(avp.Attribute)
		info := t.byID[id]
		if info == nil || (only != 0 && id != only) {
			continue
		}
		info.walk(avp.Attribute[4:], func(typ uint32, v []byte) {
			if r, ok := info.fields[typ]; ok {
				out.apply(r, v)
			}
		})
	}
	return out
}

// walk calls fn for each sub-attribute of a VSA value laid out with the
// vendor's type and length sizes (RFC 2865 §5.26's suggested layout when
// both are 1). It stops at the first sub-attribute that does not fit.
func (v *vendorInfo) walk(b []byte, fn func(typ uint32, val []byte)) {
	head := v.typeOctets + v.lenOctets
	for len(b) >= head && head > 0 {
		typ := uintN(b[:v.typeOctets])
		if v.lenOctets == 0 {
			// No length field: the one sub-attribute fills the VSA.
			fn(typ, b[head:])
			return
		}
		n := int(uintN(b[v.typeOctets:head]))
		if n < head || n > len(b) {
			return
		}
		fn(typ, b[head:n])
		b = b[n:]
	}
}

// uintN reads a 1, 2 or 4 byte big-endian number.
func uintN(b []byte) uint32 {
	var n uint32
	for _, c := range b {
		n = n<<8 | uint32(c)
	}
	return n
}

// apply stores value v of a rule's attribute; the first of each wins.
func (out *vendorValues) apply(r vendorRule, v []byte) {
	switch r.field {
	case fieldAddr:
		if a, ok := netip.AddrFromSlice(v); ok && !out.addr.IsValid() {
			out.addr = a.Unmap()
		}
	case fieldCallingStationID:
		if out.callingStationID == "" {
			out.callingStationID = string(v)
		}
	case fieldNASPortID:
		if out.nasPortID == "" {
			out.nasPortID = string(v)
		}
	case fieldIPHost:
		ip, mac, _ := strings.Cut(strings.TrimSpace(string(v)), " ")
		if a, err := netip.ParseAddr(ip); err == nil && a.Zone() == "" && !out.addr.IsValid() {
			out.addr = a.Unmap()
		}
		if mac = strings.TrimSpace(mac); mac != "" && out.callingStationID == "" {
			out.callingStationID = mac
		}
	}
}
