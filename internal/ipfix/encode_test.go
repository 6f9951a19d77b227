package ipfix

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/netsampler/goflow2/v2/decoders/netflow"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func be16b(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32b(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64b(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// goflowCase is a message and what goflow2 must read in it, written out
// by hand rather than by the encoder.
type goflowCase struct {
	name      string
	enc       *Encoder
	msg       func(*Encoder) *Message
	templates map[uint16][]netflow.Field
	// data are the data records' values by template, in order, each as
	// (pen, element) -> bytes.
	data map[uint16][]map[Element][]byte
	// options counts the options data records expected.
	options int
}

func goflowCases() []goflowCase {
	ms := be64b(uint64(t0.UnixMilli()))
	pool := strings.Repeat("p", 300) // a variable-length value with the 3-byte length
	ent := []Field{{ID: 1, Length: VarLen, Enterprise: 2636}}
	blockFields := append(PortBlockFields(), ent...)
	block := Event{Time: t0, NATEvent: 16, Inside: ap("10.1.2.3:0"), Outside: ap("203.0.113.7:0"), PortStart: 4096,
		PortEnd: 4607, VRF: 7, Pool: pool, Values: map[Element][]byte{{2636, 1}: []byte("rule-1")}}
	nf := func(fs []Field) []netflow.Field {
		var out []netflow.Field
		for _, f := range fs {
			out = append(out, netflow.Field{Type: f.ID, Length: f.Length, Pen: f.Enterprise, PenProvided: f.Enterprise != 0})
		}
		return out
	}
	session := map[Element][]byte{{0, 323}: ms, {0, 230}: {4}, {0, 8}: {10, 1, 2, 3}, {0, 225}: {203, 0, 113, 7},
		{0, 4}: {6}, {0, 7}: be16b(51000), {0, 227}: be16b(40123), {0, 12}: {198, 51, 100, 80}, {0, 11}: be16b(443),
		{0, 234}: be32b(7)}
	deleted := map[Element][]byte{}
	maps.Copy(deleted, session)
	deleted[Element{0, 230}] = []byte{5}
	nat64 := Event{Time: t0, NATEvent: 6, Protocol: 17, Inside: ap("[2001:db8::5]:5353"), Outside: ap("203.0.113.9:1024"),
		Dest: ap("[64:ff9b::c633:6450]:53"), PostDest: ap("198.51.100.80:53"), VRF: 1}
	return []goflowCase{
		{
			name: "nat44-session", enc: &Encoder{Domain: 7},
			msg: func(e *Encoder) *Message {
				return e.Message(export).Templates(tmpl44).Data(tmpl44, session44(4), session44(5))
			},
			templates: map[uint16][]netflow.Field{256: nf(NAT44SessionFields())},
			data:      map[uint16][]map[Element][]byte{256: {session, deleted}},
		},
		{
			name: "port-block", enc: &Encoder{Domain: 7},
			msg: func(e *Encoder) *Message {
				t := Template{ID: 257, Fields: blockFields}
				return e.Message(export).Templates(t).Data(t, block)
			},
			templates: map[uint16][]netflow.Field{257: nf(blockFields)},
			data: map[uint16][]map[Element][]byte{257: {{{0, 323}: ms, {0, 230}: {16}, {0, 8}: {10, 1, 2, 3},
				{0, 225}: {203, 0, 113, 7}, {0, 361}: be16b(4096), {0, 362}: be16b(4607), {0, 234}: be32b(7),
				{0, 284}: []byte(pool), {2636, 1}: []byte("rule-1")}}},
		},
		{
			name: "nat64-session", enc: &Encoder{Domain: 7},
			msg: func(e *Encoder) *Message {
				t := Template{ID: 258, Fields: NAT64SessionFields()}
				return e.Message(export).Templates(t).Data(t, nat64)
			},
			templates: map[uint16][]netflow.Field{258: nf(NAT64SessionFields())},
			data: map[uint16][]map[Element][]byte{258: {{{0, 323}: ms, {0, 230}: {6},
				{0, 27}: addr("2001:db8::5").AsSlice(), {0, 225}: {203, 0, 113, 9}, {0, 4}: {17}, {0, 7}: be16b(5353),
				{0, 227}: be16b(1024), {0, 28}: addr("64:ff9b::c633:6450").AsSlice(), {0, 226}: {198, 51, 100, 80},
				{0, 11}: be16b(53), {0, 228}: be16b(53), {0, 234}: be32b(1)}}},
		},
		{
			name: "ipfix-options", enc: &Encoder{Domain: 7},
			msg: func(e *Encoder) *Message {
				t := Template{ID: 259, Scope: 1, Fields: []Field{{149, 4, 0}, {41, 8, 0}}}
				return e.Message(export).Templates(t).Data(t, Event{}, Event{})
			},
			options: 2,
		},
		{
			name: "asa-nsel-v9", enc: &Encoder{Version: 9, Domain: 3, Boot: export.Add(-time.Hour)},
			msg: func(e *Encoder) *Message {
				t := Template{ID: 260, Fields: ASAFields()}
				o := Template{ID: 261, Scope: 1, Fields: []Field{{1, 4, 0}, {34, 4, 0}}}
				return e.Message(export).Templates(t, o).Data(t, asaEvent(1)).Data(o, Event{})
			},
			templates: map[uint16][]netflow.Field{260: nf(ASAFields())},
			data: map[uint16][]map[Element][]byte{260: {{{0, 148}: be32b(77), {0, 8}: {10, 9, 0, 5}, {0, 7}: be16b(3000),
				{0, 12}: {198, 51, 100, 53}, {0, 11}: be16b(53), {0, 4}: {17}, {0, 225}: {203, 0, 113, 50},
				{0, 227}: be16b(23000), {0, 226}: {198, 51, 100, 53}, {0, 228}: be16b(53), {0, 233}: {1},
				{0, 33002}: be16b(1001), {0, 323}: ms}}},
			options: 1,
		},
	}
}

// TestEncoderGoflow2 decodes the encoder's messages with goflow2's
// decoder and template system, not ours, and checks every header field,
// template field and value.
func TestEncoderGoflow2(t *testing.T) {
	for _, tt := range goflowCases() {
		t.Run(tt.name, func(t *testing.T) {
			pkt := encode(t, tt.msg(tt.enc))
			var v9 netflow.NFv9Packet
			var v10 netflow.IPFIXPacket
			if err := netflow.DecodeMessageVersion(bytes.NewBuffer(pkt), netflow.CreateTemplateSystem(), &v9, &v10); err != nil {
				t.Fatalf("goflow2: %v", err)
			}
			sets := v10.FlowSets
			if tt.enc.Version == 9 {
				sets = v9.FlowSets
				if v9.Version != 9 || v9.SourceId != tt.enc.Domain || v9.UnixSeconds != uint32(export.Unix()) ||
					v9.SystemUptime != uint32(time.Hour.Milliseconds()) || int(v9.Count) != countRecords(tt) {
					t.Errorf("v9 header %+v", v9)
				}
			} else if v10.Version != 10 || int(v10.Length) != len(pkt) || v10.ObservationDomainId != tt.enc.Domain ||
				v10.ExportTime != uint32(export.Unix()) || v10.SequenceNumber != 0 {
				t.Errorf("IPFIX header %+v", v10)
			}
			gotTemplates := map[uint16][]netflow.Field{}
			gotData := map[uint16][]map[Element][]byte{}
			options := 0
			for _, fs := range sets {
				switch fs := fs.(type) {
				case netflow.TemplateFlowSet:
					for _, r := range fs.Records {
						gotTemplates[r.TemplateId] = r.Fields
					}
				case netflow.DataFlowSet:
					for _, r := range fs.Records {
						vals := map[Element][]byte{}
						for _, v := range r.Values {
							vals[Element{v.Pen, v.Type}] = v.Value.([]byte)
						}
						gotData[fs.Id] = append(gotData[fs.Id], vals)
					}
				case netflow.OptionsDataFlowSet:
					options += len(fs.Records)
				case netflow.IPFIXOptionsTemplateFlowSet, netflow.NFv9OptionsTemplateFlowSet:
				default:
					t.Errorf("unexpected set %T", fs)
				}
			}
			if diff := cmp.Diff(tt.templates, gotTemplates, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("templates (-want +goflow2):\n%s", diff)
			}
			if diff := cmp.Diff(tt.data, gotData, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("data (-want +goflow2):\n%s", diff)
			}
			if options != tt.options {
				t.Errorf("%d options data records, want %d", options, tt.options)
			}
		})
	}
}

func countRecords(tt goflowCase) int {
	n := len(tt.templates) + tt.options
	for _, d := range tt.data {
		n += len(d)
	}
	if tt.options > 0 {
		n++ // the options template
	}
	return n
}

// TestEncoderGolden keeps the encoder's bytes in testdata; they also seed
// FuzzDecode. go test -run TestEncoderGolden -update rewrites them.
func TestEncoderGolden(t *testing.T) {
	for _, tt := range goflowCases() {
		t.Run(tt.name, func(t *testing.T) {
			pkt := encode(t, tt.msg(tt.enc))
			path := filepath.Join("testdata", tt.name+".hex")
			if *update {
				if err := os.WriteFile(path, []byte(hexLines(pkt)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := readHex(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pkt, want) {
				t.Errorf("encoding changed:\n got %x\nwant %x", pkt, want)
			}
		})
	}
}

// hexLines writes b in hex, 32 bytes a line.
func hexLines(b []byte) string {
	var s strings.Builder
	for len(b) > 0 {
		n := min(len(b), 32)
		s.WriteString(hex.EncodeToString(b[:n]))
		s.WriteByte('\n')
		b = b[n:]
	}
	return s.String()
}

func readHex(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(strings.Join(strings.Fields(string(b)), ""))
}

// TestEncoderSequence: IPFIX counts data records, NetFlow v9 packets.
func TestEncoderSequence(t *testing.T) {
	seq := func(b []byte, off int) uint32 { return binary.BigEndian.Uint32(b[off:]) }
	e := &Encoder{}
	a := encode(t, e.Message(export).Templates(tmpl44).Data(tmpl44, session44(4), session44(4)))
	b := encode(t, e.Message(export).Data(tmpl44, session44(5)))
	c := encode(t, e.Message(export).Templates(tmpl44))
	if got := []uint32{seq(a, 8), seq(b, 8), seq(c, 8)}; !cmp.Equal(got, []uint32{0, 2, 3}) {
		t.Errorf("IPFIX sequence numbers %v, want [0 2 3]", got)
	}
	e9 := &Encoder{Version: 9}
	a = encode(t, e9.Message(export).Templates(tmpl44).Data(tmpl44, session44(4), session44(4)))
	b = encode(t, e9.Message(export).Templates(tmpl44))
	if got := []uint32{seq(a, 12), seq(b, 12)}; !cmp.Equal(got, []uint32{0, 1}) {
		t.Errorf("v9 sequence numbers %v, want [0 1]", got)
	}
	if got := binary.BigEndian.Uint16(a[2:]); got != 3 {
		t.Errorf("v9 count %d, want 3", got)
	}
}

// TestEncoderErrors: the encoder refuses what it cannot write faithfully.
func TestEncoderErrors(t *testing.T) {
	v4in6 := Template{ID: 256, Fields: []Field{{ieSrcIPv6, 16, 0}}}
	tests := []struct {
		name string
		m    *Message
		want string
	}{
		{"ipv4 in an ipv6 field", (&Encoder{}).Message(export).Data(v4in6, Event{Inside: ap("10.0.0.1:1")}), "address 10.0.0.1 in a field of 16 bytes"},
		{"value too large", (&Encoder{}).Message(export).Data(Template{ID: 256, Fields: []Field{{ieIngressVRFID, 1, 0}}}, Event{VRF: 256}),
			"256 does not fit in 1 bytes"},
		{"string too long", (&Encoder{}).Message(export).Data(Template{ID: 256, Fields: []Field{{ieNATPoolName, 2, 0}}}, Event{Pool: "abc"}),
			"3 bytes in a field of 2"},
		{"template ID", (&Encoder{}).Message(export).Templates(Template{ID: 255, Fields: NAT44SessionFields()}), "template ID 255"},
		{"no fields", (&Encoder{}).Message(export).Templates(Template{ID: 256}), "0 fields"},
		{"v9 enterprise", (&Encoder{Version: 9}).Message(export).Templates(Template{ID: 256, Fields: []Field{{1, 4, 9}}}),
			"NetFlow v9 has no enterprise"},
		{"v9 withdrawal", (&Encoder{Version: 9}).Message(export).Withdraw(256), "NetFlow v9 has no template withdrawal"},
		{"ipfix element above 32767", (&Encoder{}).Message(export).Templates(Template{ID: 256, Fields: []Field{{40001, 4, 0}}}),
			"element 40001 above 32767"},
		{"version 5", (&Encoder{Version: 5}).Message(export), "version 5"},
		{"too long", (&Encoder{}).Message(export).Set(300, make([]byte, 40000)).Set(300, make([]byte, 40000)), "message of 80024 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.m.Append(nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Append() error = %v, want %q", err, tt.want)
			}
		})
	}
}
