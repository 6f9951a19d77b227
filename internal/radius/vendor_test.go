package radius

import (
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"
	"layeh.com/radius/rfc2869"

	"github.com/warden-ops/warden/internal/record"
)

// Vendor numbers, from the dictionaries.
const (
	vendorHuawei = 2011
	vendorH3C    = 25506
)

// sub encodes one vendor sub-attribute with 1-byte type and length.
func sub(typ byte, v []byte) []byte { return append([]byte{typ, byte(len(v) + 2)}, v...) }

// vsa adds a Vendor-Specific attribute holding the given sub-attributes.
func vsa(t testing.TB, p *radius.Packet, vendor uint32, subs ...[]byte) {
	t.Helper()
	var v []byte
	for _, s := range subs {
		v = append(v, s...)
	}
	a, err := radius.NewVendorSpecific(vendor, v)
	must(t, err)
	p.Add(26, a)
}

func TestVendorAttributes(t *testing.T) {
	v6 := net.ParseIP("2001:db8:100:1::9").To16()
	base := func(p *radius.Packet) { must(t, rfc2865.UserName_AddString(p, "bob")) }
	tests := []struct {
		name   string
		vendor string // the client's Vendor
		attrs  func(p *radius.Packet)
		want   record.Session
	}{{
		name: "Huawei-Framed-IPv6-Address only",
		attrs: func(p *radius.Packet) {
			base(p)
			vsa(t, p, vendorHuawei, sub(158, v6))
		},
		want: record.Session{Addr: netip.MustParseAddr("2001:db8:100:1::9")},
	}, {
		name: "Framed-IP-Address wins over Huawei-Framed-IPv6-Address",
		attrs: func(p *radius.Packet) {
			base(p)
			vsa(t, p, vendorHuawei, sub(158, v6))
			must(t, rfc2865.FramedIPAddress_Add(p, net.ParseIP("100.64.0.9")))
		},
		want: record.Session{Addr: netip.MustParseAddr("100.64.0.9")},
	}, {
		name: "Huawei-IPHost-Addr gives address and MAC",
		attrs: func(p *radius.Packet) {
			base(p)
			vsa(t, p, vendorHuawei, sub(60, []byte("10.9.8.7 00:e0:fc:12:34:56")))
		},
		want: record.Session{Addr: netip.MustParseAddr("10.9.8.7"), CallingStationID: "00:e0:fc:12:34:56"},
	}, {
		name: "Huawei-User-Mac when no Calling-Station-Id, several sub-attributes in one VSA",
		attrs: func(p *radius.Packet) {
			base(p)
			vsa(t, p, vendorHuawei, sub(1, []byte{0, 0, 0, 1}), sub(153, []byte("00e0-fc12-3456")), sub(158, v6))
		},
		want: record.Session{Addr: netip.MustParseAddr("2001:db8:100:1::9"), CallingStationID: "00e0-fc12-3456"},
	}, {
		name: "Calling-Station-Id wins over Huawei-User-Mac",
		attrs: func(p *radius.Packet) {
			base(p)
			must(t, rfc2865.CallingStationID_AddString(p, "0011-2233-4455"))
			vsa(t, p, vendorHuawei, sub(153, []byte("00e0-fc12-3456")))
		},
		want: record.Session{CallingStationID: "0011-2233-4455"},
	}, {
		name: "H3C-Ip-Host-Addr and H3C-NAS-Port-Name",
		attrs: func(p *radius.Packet) {
			base(p)
			vsa(t, p, vendorH3C, sub(60, []byte("192.168.5.20 a0:b1:c2:d3:e4:f5")))
			vsa(t, p, vendorH3C, sub(230, []byte("GigabitEthernet1/0/3")))
		},
		want: record.Session{Addr: netip.MustParseAddr("192.168.5.20"), CallingStationID: "a0:b1:c2:d3:e4:f5",
			NASPortID: "GigabitEthernet1/0/3"},
	}, {
		name: "NAS-Port-Id wins over H3C-NAS-Port-Name",
		attrs: func(p *radius.Packet) {
			base(p)
			must(t, rfc2869.NASPortID_AddString(p, "slot=1;port=3"))
			vsa(t, p, vendorH3C, sub(230, []byte("GigabitEthernet1/0/3")))
		},
		want: record.Session{NASPortID: "slot=1;port=3"},
	}, {
		name:   "client vendor H3C ignores Huawei attributes",
		vendor: "h3c",
		attrs: func(p *radius.Packet) {
			base(p)
			vsa(t, p, vendorHuawei, sub(158, v6))
			vsa(t, p, vendorH3C, sub(230, []byte("GE1/0/3")))
		},
		want: record.Session{NASPortID: "GE1/0/3"},
	}, {
		name: "unmapped and unknown vendor attributes ignored",
		attrs: func(p *radius.Packet) {
			base(p)
			vsa(t, p, vendorHuawei, sub(161, []byte{203, 0, 113, 1}))
			vsa(t, p, 9, sub(2, []byte("Virtual-Access2.1"))) // Cisco: not loaded
		},
	}, {
		name: "malformed sub-attribute stops the VSA, not the record",
		attrs: func(p *radius.Packet) {
			base(p)
			vsa(t, p, vendorHuawei, sub(153, []byte("mac")), []byte{158, 40, 1, 2})
		},
		want: record.Session{CallingStationID: "mac"},
	}, {
		name: "wrong-size address and unparsable host ignored",
		attrs: func(p *radius.Packet) {
			base(p)
			vsa(t, p, vendorHuawei, sub(158, []byte{1, 2, 3}), sub(60, []byte("not-an-ip")))
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Dictionaries = []string{"testdata/dict/dictionary"}
			cfg.Clients[0].Vendor = tt.vendor
			sink := &recordingSink{}
			s := newTestServer(t, cfg, sink)
			req := acct(t, testSecret, rfc2866.AcctStatusType_Value_Start, tt.attrs)
			if resp := s.handlePacket(t.Context(), req, bng1Addr, testRecv); resp == nil {
				t.Fatal("no response")
			}
			got := sink.records()
			if len(got) != 1 || got[0].Kind != record.KindSession {
				t.Fatalf("records = %v, want one session", got)
			}
			want := tt.want
			want.Event, want.Account, want.NASAddr = record.SessionStart, "bob", bng1Addr
			if diff := cmp.Diff(&want, got[0].Session, cmpAddrs); diff != "" {
				t.Errorf("session (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVendorAttributesNeedDictionary checks that without dictionaries VSAs
// are not read.
func TestVendorAttributesNeedDictionary(t *testing.T) {
	sink := &recordingSink{}
	s := newTestServer(t, Config{}, sink)
	req := acct(t, testSecret, rfc2866.AcctStatusType_Value_Start, func(p *radius.Packet) {
		must(t, rfc2865.UserName_AddString(p, "bob"))
		vsa(t, p, vendorHuawei, sub(158, net.ParseIP("2001:db8::9").To16()))
	})
	s.handlePacket(t.Context(), req, bng1Addr, testRecv)
	if got := sink.records(); len(got) != 1 || got[0].Session.Addr.IsValid() {
		t.Errorf("records = %+v, want one session without an address", got)
	}
}

func TestLoadDictionaries(t *testing.T) {
	vt, err := loadDictionaries([]string{"testdata/dict/dictionary"}, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	got := map[uint32][]string{}
	for id, v := range vt.byID {
		got[id] = v.attrs
	}
	want := map[uint32][]string{
		vendorHuawei: {"Huawei-Framed-IPv6-Address", "Huawei-IPHost-Addr", "Huawei-User-Mac"},
		vendorH3C:    {"H3C-Ip-Host-Addr", "H3C-NAS-Port-Name"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mapped attributes (-want +got):\n%s", diff)
	}
	for _, name := range []string{"huawei", "HUAWEI", "H3C"} {
		if _, ok := vt.vendorID(name); !ok {
			t.Errorf("vendorID(%q) not found", name)
		}
	}
}

// TestDebianDictionaries loads the dictionaries Debian's freeradius-common
// installs, as a deployment would.
func TestDebianDictionaries(t *testing.T) {
	want := map[string]uint32{"huawei": vendorHuawei, "h3c": vendorH3C, "zte": 0, "cisco": 9}
	var paths []string
	for name := range want {
		paths = append(paths, needDebianDictionary(t, name))
	}
	vt, err := loadDictionaries(paths, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	for name, id := range want {
		if _, ok := vt.vendorID(name); !ok {
			t.Errorf("vendor %s not loaded", name)
		}
		if id != 0 && vt.byID[id] == nil {
			t.Errorf("vendor %s (%d): no attributes mapped", name, id)
		}
	}
	for _, r := range vendorRules {
		info := vt.byID[map[string]uint32{"Huawei": vendorHuawei, "H3C": vendorH3C, "Cisco": 9}[r.vendor]]
		if info == nil || !strings.Contains(strings.Join(info.attrs, ","), r.attr) {
			t.Errorf("rule %s: not found in Debian's dictionary with type %s", r.attr, r.typ)
		}
	}
}

func TestLoadDictionaryErrors(t *testing.T) {
	dir := t.TempDir()
	bad := dir + "/dictionary.bad"
	if err := os.WriteFile(bad, []byte("$INCLUDE dictionary.missing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir + "/nonexistent", bad} {
		cfg := testConfig()
		cfg.Dictionaries = []string{path}
		if _, err := New(cfg, &recordingSink{}, quietLog); err == nil || !strings.Contains(err.Error(), "load dictionary") {
			t.Errorf("New with dictionary %s: err = %v, want a load error", path, err)
		}
	}
	cfg := testConfig()
	cfg.Clients[0].Vendor = "Juniper"
	cfg.Dictionaries = []string{"testdata/dict/dictionary"}
	if _, err := New(cfg, &recordingSink{}, quietLog); err == nil || !strings.Contains(err.Error(), `vendor "Juniper"`) {
		t.Errorf("New with an unloaded client vendor: err = %v", err)
	}
}

func TestVendorWalkLayouts(t *testing.T) {
	type item struct {
		Typ uint32
		Val string
	}
	tests := []struct {
		name        string
		typ, length int
		b           []byte
		want        []item
	}{
		{"1,1", 1, 1, []byte{1, 3, 'a', 2, 4, 'b', 'c'}, []item{{1, "a"}, {2, "bc"}}},
		{"2,2", 2, 2, []byte{0, 1, 0, 5, 'a', 1, 0, 0, 6, 'x', 'y'}, []item{{1, "a"}, {256, "xy"}}},
		{"4,0", 4, 0, []byte{0, 0, 1, 0, 'v', 'a', 'l'}, []item{{256, "val"}}},
		{"length below header", 1, 1, []byte{1, 1, 'a'}, nil},
		{"length past end", 1, 1, []byte{1, 3, 'a', 2, 9, 'b'}, []item{{1, "a"}}},
		{"trailing byte", 1, 1, []byte{1, 2, 7}, []item{{1, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &vendorInfo{typeOctets: tt.typ, lenOctets: tt.length}
			var got []item
			v.walk(tt.b, func(typ uint32, val []byte) { got = append(got, item{typ, string(val)}) })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("walk (-want +got):\n%s", diff)
			}
		})
	}
}
