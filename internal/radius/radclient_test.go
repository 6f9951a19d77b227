package radius

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"

	"github.com/warden-ops/warden/internal/ingest"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

// stack is a server writing through a real ingest pipeline into a real
// store, as `warden serve` wires them.
type stack struct {
	st  *store.Store
	srv *Server
}

func startStack(t testing.TB, cfg Config) *stack {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	st, err := store.Open(store.Config{Dir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	p := ingest.New(st, ingest.Config{Logger: log}) // the defaults, as `warden serve` uses
	pctx, pcancel := context.WithCancel(context.Background())
	pdone := make(chan error, 1)
	go func() { pdone <- p.Run(pctx) }()
	srv, err := New(cfg, p, log)
	if err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithCancel(context.Background())
	sdone := make(chan error, 1)
	go func() { sdone <- srv.Run(sctx) }()
	t.Cleanup(func() {
		scancel()
		if err := <-sdone; err != nil {
			t.Errorf("server Run: %v", err)
		}
		pcancel()
		if err := <-pdone; err != nil {
			t.Errorf("pipeline Run: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("store Close: %v", err)
		}
	})
	return &stack{st: st, srv: srv}
}

// sessions returns the stored session records with the given account.
func (s *stack) sessions(t testing.TB, account string) []*record.Record {
	t.Helper()
	var out []*record.Record
	for r, err := range s.st.Scan(t.Context(), store.Query{Kind: record.KindSession, Account: account}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// radclient sends the attribute lines in input with radclient, waiting
// one second for an answer and retrying once.
func radclient(t *testing.T, addr net.Addr, secret, input string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), needRadclient(t), "-x", "-t", "1", "-r", "1", addr.String(), "acct", secret)
	cmd.Stdin = strings.NewReader(input)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestRadclient sends Start, Interim-Update and Stop with FreeRADIUS's
// radclient, the accounting client of Debian's freeradius-utils, and
// checks the records stored in a real store, field by field.
func TestRadclient(t *testing.T) {
	needRadclient(t)
	cfg := Config{Addr: "127.0.0.1:0", Clients: []Client{{Name: "bng1", Prefix: netip.MustParsePrefix("127.0.0.0/8"),
		Secret: testSecret}}, Dictionaries: []string{needDebianDictionary(t, "huawei")}}
	s := startStack(t, cfg)

	const common = `User-Name = "alice", Acct-Session-Id = "sess-0001", Calling-Station-Id = "00-11-22-33-44-55", ` +
		`Framed-IP-Address = 100.64.1.2, Framed-IPv6-Prefix = 2001:db8:100:1::/64, ` +
		`Delegated-IPv6-Prefix = 2001:db8:200::/56, NAS-IP-Address = 192.0.2.1, NAS-Port-Id = "eth-trunk1.100:100-200"`
	start := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	interim := start.Add(5 * time.Minute)
	packets := []string{
		"Acct-Status-Type = Start, " + common + ", Event-Timestamp = " + unix(start),
		"Acct-Status-Type = Interim-Update, " + common + ", Event-Timestamp = " + unix(interim) +
			", Acct-Input-Octets = 5, Acct-Input-Gigawords = 3, Acct-Output-Octets = 4294967295, Acct-Output-Gigawords = 1",
		// No Event-Timestamp: the event time is the receive time less the
		// delay.
		"Acct-Status-Type = Stop, " + common + ", Acct-Delay-Time = 4, Acct-Terminate-Cause = NAS-Reboot" +
			", Acct-Input-Octets = 10, Acct-Input-Gigawords = 3, Acct-Output-Octets = 20, Acct-Output-Gigawords = 2",
	}
	before := time.Now()
	for _, pkt := range packets {
		if out, err := radclient(t, s.srv.Addr(), testSecret, pkt); err != nil || !strings.Contains(out, "Accounting-Response") {
			t.Fatalf("radclient: %v\n%s", err, out)
		}
	}
	after := time.Now()

	got := s.sessions(t, "alice")
	if len(got) != 3 {
		t.Fatalf("%d session records for alice, want 3: %v", len(got), got)
	}
	flow := record.Session{Account: "alice", SessionID: "sess-0001", CallingStationID: "00-11-22-33-44-55",
		Addr: netip.MustParseAddr("100.64.1.2"), IPv6Prefix: netip.MustParsePrefix("2001:db8:100:1::/64"),
		DelegatedPrefix: netip.MustParsePrefix("2001:db8:200::/56"), NASAddr: netip.MustParseAddr("192.0.2.1"),
		NASPortID: "eth-trunk1.100:100-200"}
	want := []record.Session{flow, flow, flow}
	want[0].Event = record.SessionStart
	want[1].Event, want[1].InputOctets, want[1].OutputOctets = record.SessionInterim, 3<<32+5, 1<<32+0xffffffff
	want[2].Event, want[2].InputOctets, want[2].OutputOctets = record.SessionStop, 3<<32+10, 2<<32+20
	want[2].TerminateCause = "NAS-Reboot"
	for i, r := range got {
		if diff := cmp.Diff(&want[i], r.Session, cmpAddrs); diff != "" {
			t.Errorf("record %d (%s) session (-want +got):\n%s", i, r.ID, diff)
		}
		if r.Source != "bng1" {
			t.Errorf("record %d source = %q, want bng1", i, r.Source)
		}
		if r.ReceiveTime.Before(before.Truncate(time.Second)) || r.ReceiveTime.After(after) {
			t.Errorf("record %d receive time %s outside the test's [%s, %s]", i, r.ReceiveTime, before, after)
		}
	}
	if !got[0].EventTime.Equal(start) || !got[1].EventTime.Equal(interim) {
		t.Errorf("event times %s, %s, want the Event-Timestamps %s, %s", got[0].EventTime, got[1].EventTime, start, interim)
	}
	if d := got[2].ReceiveTime.Sub(got[2].EventTime); d != 4*time.Second {
		t.Errorf("stop event time is %s before receipt, want Acct-Delay-Time's 4s", d)
	}

	// A Huawei BRAS that sends the IPv6 address only in its VSA, read
	// through Debian's dictionary.huawei.
	vsa := `Acct-Status-Type = Start, User-Name = "bob", Huawei-Framed-IPv6-Address = 2001:db8:100:1::9, ` +
		`Huawei-User-Mac = "00e0-fc12-3456"`
	if out, err := radclient(t, s.srv.Addr(), testSecret, vsa); err != nil {
		t.Fatalf("radclient: %v\n%s", err, out)
	}
	bob := s.sessions(t, "bob")
	if len(bob) != 1 || bob[0].Session.Addr != netip.MustParseAddr("2001:db8:100:1::9") ||
		bob[0].Session.CallingStationID != "00e0-fc12-3456" {
		t.Errorf("bob's sessions = %+v, want one with the Huawei address and MAC", bob)
	}

	// A wrong secret: no answer, so radclient times out (-r 1 is one try
	// in all), and nothing is stored.
	if out, err := radclient(t, s.srv.Addr(), "wrong-secret", `Acct-Status-Type = Start, User-Name = "mallory"`); err == nil ||
		!strings.Contains(out, "No reply from server") {
		t.Errorf("radclient with a wrong secret: err = %v, want a timeout; output:\n%s", err, out)
	}
	if n := len(s.sessions(t, "mallory")); n != 0 {
		t.Errorf("%d records stored from a wrong secret", n)
	}
	st := s.srv.Stats()
	if c := st.Clients["bng1"]; c != (Counters{Received: 5, Stored: 4, BadAuthenticator: 1}) {
		t.Errorf("bng1 stats = %+v, want 5 received, 4 stored, 1 bad authenticator", c)
	}
}

// unix formats t as radclient reads a date: seconds since 1970.
func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// TestRetransmissionStoredOnce sends the identical packet (same
// Identifier and Request Authenticator) twice from one socket, the way a
// NAS retransmits, into a real store.
func TestRetransmissionStoredOnce(t *testing.T) {
	s := startStack(t, testConfig())
	conn, err := net.DialUDP("udp", nil, s.srv.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	send := func(b []byte) {
		t.Helper()
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	recv := func(req []byte, wait time.Duration) bool {
		t.Helper()
		must(t, conn.SetReadDeadline(time.Now().Add(wait)))
		buf := make([]byte, 4096)
		n, err := conn.Read(buf)
		if err != nil {
			return false
		}
		if !isResponseTo(buf[:n], req, testSecret) {
			t.Fatalf("response %x is not an answer to the request", buf[:n])
		}
		return true
	}
	mk := func(account string) []byte {
		p := radius.New(radius.CodeAccountingRequest, []byte(testSecret))
		must(t, rfc2866.AcctStatusType_Add(p, rfc2866.AcctStatusType_Value_Start))
		must(t, rfc2865.UserName_AddString(p, account))
		must(t, rfc2866.AcctSessionID_AddString(p, "retx-1"))
		b, err := p.Encode()
		must(t, err)
		return b
	}

	// The retransmission comes after the answer (which the NAS lost):
	// answered again.
	req := mk("ivy")
	send(req)
	if !recv(req, 5*time.Second) {
		t.Fatal("no answer to the first copy")
	}
	send(req)
	if !recv(req, 5*time.Second) {
		t.Fatal("no answer to the retransmission")
	}
	if n := len(s.sessions(t, "ivy")); n != 1 {
		t.Errorf("%d records for ivy, want 1", n)
	}

	// The retransmission comes while the first copy is being stored: one
	// answer is enough.
	req = mk("jack")
	send(req)
	send(req)
	if !recv(req, 5*time.Second) {
		t.Fatal("no answer")
	}
	recv(req, 200*time.Millisecond) // a second answer comes if the first copy was durable already
	if n := len(s.sessions(t, "jack")); n != 1 {
		t.Errorf("%d records for jack, want 1", n)
	}
	if st := s.srv.Stats(); st.Duplicates != 2 || st.Stored != 2 {
		t.Errorf("stats = %+v, want 2 stored, 2 duplicates", st.Counters)
	}
}
