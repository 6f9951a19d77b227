package radius

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"
	"layeh.com/radius/rfc2869"
	"layeh.com/radius/rfc3162"
	"layeh.com/radius/rfc4818"

	"github.com/warden-ops/warden/internal/record"
)

// fuzzSeeds returns well-formed requests of every kind, as seeds.
func fuzzSeeds(f *testing.F) [][]byte {
	user := func(p *radius.Packet) { must(f, rfc2865.UserName_AddString(p, "alice")) }
	return [][]byte{
		acct(f, testSecret, rfc2866.AcctStatusType_Value_Start, func(p *radius.Packet) {
			user(p)
			must(f, rfc2865.FramedIPAddress_Add(p, net.ParseIP("100.64.1.2")))
			must(f, rfc3162.FramedIPv6Prefix_Add(p, ipnet("2001:db8:1::/64")))
			must(f, rfc4818.DelegatedIPv6Prefix_Add(p, ipnet("2001:db8:2::/56")))
			must(f, rfc2869.EventTimestamp_Add(p, testRecv))
		}),
		acct(f, testSecret, rfc2866.AcctStatusType_Value_InterimUpdate, func(p *radius.Packet) {
			user(p)
			must(f, rfc2866.AcctInputOctets_Add(p, 7))
			must(f, rfc2869.AcctInputGigawords_Add(p, 2))
		}),
		acct(f, testSecret, rfc2866.AcctStatusType_Value_Stop, func(p *radius.Packet) {
			user(p)
			must(f, rfc2866.AcctTerminateCause_Add(p, rfc2866.AcctTerminateCause_Value_IdleTimeout))
			must(f, rfc2866.AcctDelayTime_Add(p, 3))
			vsa(f, p, vendorHuawei, sub(153, []byte("00e0-fc00-0001")), sub(158, net.ParseIP("2001:db8::1").To16()))
			vsa(f, p, vendorH3C, sub(60, []byte("10.0.0.1 00:11:22:33:44:55")))
		}),
		acct(f, testSecret, rfc2866.AcctStatusType_Value_AccountingOn, nil),
		acct(f, testSecret, 9, user),
		acct(f, "wrong", rfc2866.AcctStatusType_Value_Start, user),
	}
}

// sign makes b an authentic Accounting-Request for secret: code 4, a
// Length that fits, and the Request Authenticator of RFC 2866 §3.
func sign(b []byte, secret string) []byte {
	if len(b) < 20 {
		return b
	}
	b = append([]byte(nil), b[:min(len(b), radius.MaxPacketLength)]...)
	b[0] = byte(radius.CodeAccountingRequest)
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
	clear(b[4:20])
	sum := md5.Sum(append(append([]byte(nil), b...), secret...))
	copy(b[4:20], sum[:])
	return b
}

// FuzzHandlePacket hands arbitrary datagrams to the packet handler, as
// they are and signed with the client's secret. Properties: no panic; a
// packet whose Request Authenticator is wrong gets no record and no
// answer; an authentic one gets at most one record, which validates, and
// an answer only if it got a record.
func FuzzHandlePacket(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte{4, 1, 0, 20}, true)
	sink := &recordingSink{}
	cfg := testConfig()
	cfg.Dictionaries = []string{"testdata/dict/dictionary"}
	s := newTestServer(f, cfg, sink)
	f.Fuzz(func(t *testing.T, b []byte, signIt bool) {
		if signIt {
			b = sign(b, testSecret)
		} else {
			b = bytes.Clone(b) // the handler keeps b in raw records
		}
		authentic := checkHeader(b) == "" && radius.Code(b[0]) == radius.CodeAccountingRequest &&
			radius.IsAuthenticRequest(b[:binary.BigEndian.Uint16(b[2:4])], []byte(testSecret))
		sink.mu.Lock()
		sink.recs = sink.recs[:0] // keep the corpus run linear
		sink.mu.Unlock()
		resp := s.handlePacket(t.Context(), b, bng1Addr, testRecv)
		recs := sink.records()
		if !authentic {
			if len(recs) != 0 || resp != nil {
				t.Fatalf("bad authenticator: %d records, response %x", len(recs), resp)
			}
			return
		}
		if len(recs) > 1 {
			t.Fatalf("%d records from one packet", len(recs))
		}
		for _, r := range recs {
			if err := r.Validate(); err != nil {
				t.Fatalf("record does not validate: %v\n%+v", err, r)
			}
		}
		if resp != nil && !isResponseTo(resp, b, testSecret) {
			t.Fatalf("response %x is not an Accounting-Response to the request", resp)
		}
	})
}

// FuzzSessionRoundTrip encodes session fields with layeh's client
// attributes, decodes them with the handler and checks that every field
// comes back.
func FuzzSessionRoundTrip(f *testing.F) {
	f.Add("alice", "00-11-22-33-44-55", "eth0.100", "s1", uint32(0x64400102), uint64(3<<32+5), uint64(9), uint32(11),
		uint8(64), []byte{0x20, 0x01, 0x0d, 0xb8, 0, 1}, uint32(1763726400))
	f.Add("u", "", "", "", uint32(0), uint64(0), uint64(1<<63), uint32(0), uint8(129), []byte(nil), uint32(0))
	sink := &recordingSink{}
	s := newTestServer(f, Config{}, sink)
	f.Fuzz(func(t *testing.T, account, csid, port, sessionID string, addr uint32, in, out uint64, cause uint32,
		bits uint8, prefix []byte, stamp uint32) {
		for _, v := range []string{account, csid, port, sessionID} {
			if len(v) > 253 {
				t.Skip("longer than an attribute")
			}
		}
		if account == "" {
			t.Skip("no account: a raw record, which TestUnmapped covers")
		}
		want := record.Session{Event: record.SessionInterim, Account: account, CallingStationID: csid,
			NASPortID: port, SessionID: sessionID, InputOctets: in, OutputOctets: out, NASAddr: bng1Addr}
		p := radius.New(radius.CodeAccountingRequest, []byte(testSecret))
		must(t, rfc2866.AcctStatusType_Add(p, rfc2866.AcctStatusType_Value_InterimUpdate))
		must(t, rfc2865.UserName_AddString(p, account))
		for typ, v := range map[radius.Type]string{rfc2865.CallingStationID_Type: csid,
			rfc2869.NASPortID_Type: port, rfc2866.AcctSessionID_Type: sessionID} {
			if v != "" {
				p.Add(typ, radius.Attribute(v))
			}
		}
		ip := netip.AddrFrom4([4]byte(binary.BigEndian.AppendUint32(nil, addr)))
		must(t, rfc2865.FramedIPAddress_Add(p, ip.AsSlice()))
		if addr < 0xfffffffe {
			want.Addr = ip
		}
		must(t, rfc2866.AcctInputOctets_Add(p, rfc2866.AcctInputOctets(in)))
		must(t, rfc2869.AcctInputGigawords_Add(p, rfc2869.AcctInputGigawords(in>>32)))
		must(t, rfc2866.AcctOutputOctets_Add(p, rfc2866.AcctOutputOctets(out)))
		must(t, rfc2869.AcctOutputGigawords_Add(p, rfc2869.AcctOutputGigawords(out>>32)))
		if cause != 0 {
			must(t, rfc2866.AcctTerminateCause_Add(p, rfc2866.AcctTerminateCause(cause)))
			want.TerminateCause = TerminateCauseName(cause)
		}
		bits %= 129
		prefix = prefix[:min(len(prefix), 16)]
		p.Add(rfc3162.FramedIPv6Prefix_Type, append(radius.Attribute{0, bits}, prefix...))
		var a16 [16]byte
		copy(a16[:], prefix)
		want.IPv6Prefix = netip.PrefixFrom(netip.AddrFrom16(a16), int(bits)).Masked()
		wantTime := testRecv
		if stamp != 0 {
			p.Add(rfc2869.EventTimestamp_Type, radius.NewInteger(stamp))
			wantTime = time.Unix(int64(stamp), 0).UTC()
		}
		b, err := p.Encode()
		if err != nil {
			t.Skip("too long for one packet")
		}
		s.dups = newDupCache(DefaultDuplicateWindow, maxDuplicates) // equal inputs are not retransmissions
		resp := s.handlePacket(t.Context(), b, bng1Addr, testRecv)
		if !isResponseTo(resp, b, testSecret) {
			t.Fatal("not answered")
		}
		recs := sink.records()
		r := recs[len(recs)-1]
		sink.mu.Lock()
		sink.recs = sink.recs[:0]
		sink.mu.Unlock()
		if r.Kind != record.KindSession {
			t.Fatalf("record kind %s, want session: %+v", r.Kind, r.Raw)
		}
		if diff := cmp.Diff(&want, r.Session, cmpAddrs); diff != "" {
			t.Errorf("session (-want +got):\n%s", diff)
		}
		if !r.EventTime.Equal(wantTime) {
			t.Errorf("event time %s, want %s", r.EventTime, wantTime)
		}
	})
}
