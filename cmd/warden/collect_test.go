package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/ipfix"
	"github.com/warden-ops/warden/internal/synth"
)

// TestCollectorsEndToEnd runs warden serve with every collector on and
// feeds it with real clients: logger (util-linux) for syslog over TCP and
// UDP, radclient (FreeRADIUS) for accounting, and IPFIX packets from the
// project's encoder. The records must come out of the API's search with
// their fields, and what no parser understood must be kept raw and
// counted.
func TestCollectorsEndToEnd(t *testing.T) {
	for _, tool := range []string{"logger", "radclient"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: run scripts/setup", tool)
		}
	}
	dir, tmp := t.TempDir(), t.TempDir()
	cfg := filepath.Join(tmp, "warden.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`http:
  listen: 127.0.0.1:0
syslog:
  udp: 127.0.0.1:0
  tcp: 127.0.0.1:0
radius:
  listen: 127.0.0.1:0
  clients:
    - name: bras-1
      addresses: [127.0.0.1]
      secret: testing123
ipfix:
  listen: 127.0.0.1:0
  exporters:
    - name: cgn-2
      addresses: [127.0.0.1]
privacy:
  key_dir: %s
sources:
  accept_unknown: false
  list:
    - name: cgn-1
      addresses: [127.0.0.1, "::1"]
      formats: [juniper-srx, openssh]
store:
  block_age: 50ms
`, filepath.Join(tmp, "keys"))), 0o600)
	cmd := exec.Command(os.Args[0], "serve", "-config", cfg, "-data", dir)
	cmd.Env = append(os.Environ(), "WARDEN_TEST_MAIN=1")
	addrs := startCollectors(t, cmd)
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	base := "http://" + addrs["http"]
	setupIngestToken(t, base, dir) // creates the administrator "admin"
	inspector := userToken(t, base, "officer", "inspector")

	t0 := time.Now().UTC().Truncate(time.Second)
	// Syslog: a Juniper NAT line over TCP (LF-framed), an sshd login with
	// logger over TCP, and a line nobody parses with logger over UDP.
	g := synth.NewCGNAT(synth.DefaultCGNAT)
	nat := g.Next()
	nat.EventTime = t0
	conn, err := net.Dial("tcp", addrs["syslog-tcp"])
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(conn, synth.Syslog(nat))
	conn.Close()
	_, sport, _ := net.SplitHostPort(addrs["syslog-tcp"])
	_, uport, _ := net.SplitHostPort(addrs["syslog-udp"])
	runTool(t, "logger", "-n", "127.0.0.1", "-P", sport, "-T", "--rfc3164", "-t", "sshd[4242]", "Accepted password for alice from 203.0.113.5 port 51234 ssh2")
	runTool(t, "logger", "-n", "127.0.0.1", "-P", uport, "-d", "--rfc5424", "an unparseable line from nowhere")
	// RADIUS: Start for bob.
	_, rport, _ := net.SplitHostPort(addrs["radius"])
	radclient := exec.Command("radclient", "-x", "-t", "2", "-r", "2", "127.0.0.1:"+rport, "acct", "testing123")
	// bob's session holds the inside address of the Juniper mapping, from
	// a minute before it.
	radclient.Stdin = strings.NewReader(fmt.Sprintf(`Acct-Status-Type = Start, User-Name = "bob", Acct-Session-Id = "s-1", Framed-IP-Address = %s, Calling-Station-Id = "00-11-22-33-44-55", NAS-IP-Address = 192.0.2.1, Event-Timestamp = %d`,
		nat.NAT.InsideAddr, t0.Unix()-60) + "\n")
	if out, err := radclient.CombinedOutput(); err != nil || !strings.Contains(string(out), "Accounting-Response") {
		t.Fatalf("radclient: %v\n%s", err, out)
	}
	// IPFIX: one NAT44 session create.
	var enc ipfix.Encoder
	tmpl := ipfix.Template{ID: 256, Fields: ipfix.NAT44SessionFields()}
	pkt, err := enc.AppendEvents(nil, t0, tmpl, ipfix.Event{Time: t0, NATEvent: 4, Protocol: 6,
		Inside: netip.MustParseAddrPort("100.64.7.7:40000"), Outside: netip.MustParseAddrPort("198.51.100.77:1025"),
		Dest: netip.MustParseAddrPort("93.184.216.34:443")})
	if err != nil {
		t.Fatal(err)
	}
	u, err := net.Dial("udp", addrs["ipfix"])
	if err != nil {
		t.Fatal(err)
	}
	u.Write(pkt)
	u.Close()

	window := "&from=" + url.QueryEscape(t0.Add(-time.Hour).Format(time.RFC3339)) + "&to=" + url.QueryEscape(t0.Add(time.Hour).Format(time.RFC3339))
	want := []struct {
		query string
		check func(r map[string]any) bool
	}{
		{"kind=nat&outside_addr=" + nat.NAT.OutsideAddr.String() + "&port=" + fmt.Sprint(nat.NAT.OutsidePort), func(r map[string]any) bool {
			return r["source"] == "cgn-1" && r["inside_addr"] == nat.NAT.InsideAddr.String() && r["event"] == "create"
		}},
		{"kind=session&account=alice", func(r map[string]any) bool {
			return r["source"] == "cgn-1" && r["event"] == "login" && r["addr"] == "203.0.113.5"
		}},
		{"kind=session&account=bob", func(r map[string]any) bool {
			return r["source"] == "bras-1" && r["event"] == "start" && r["addr"] == nat.NAT.InsideAddr.String() && r["calling_station_id"] == "00-11-22-33-44-55"
		}},
		{"kind=nat&outside_addr=198.51.100.77&port=1025", func(r map[string]any) bool {
			return r["source"] == "cgn-2" && r["inside_addr"] == "100.64.7.7" && r["dest_addr"] == "93.184.216.34"
		}},
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, w := range want {
		for {
			recs := search(t, base, inspector, w.query+window)
			if len(recs) == 1 && w.check(recs[0]) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("search %s = %v, want one matching record", w.query, recs)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Trace-back joins the Juniper syslog NAT record to the RADIUS session.
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/trace?addr=%s&port=%d&at=%s", base, nat.NAT.OutsideAddr, nat.NAT.OutsidePort,
		url.QueryEscape(t0.Format(time.RFC3339))), nil)
	req.Header.Set("Authorization", "Bearer "+inspector)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ans struct {
		Candidates []struct {
			Account string
			Reason  string
		}
	}
	json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	if len(ans.Candidates) == 0 || ans.Candidates[0].Account != "bob" {
		t.Errorf("trace %s:%d at %s = %+v, want bob", nat.NAT.OutsideAddr, nat.NAT.OutsidePort, t0, ans)
	}

	// The unparseable UDP line came from 127.0.0.1, a configured source:
	// it is kept raw and counted as rejected.
	var st struct {
		Sources []struct {
			Name     string
			Received uint64
			Parsed   uint64
			Rejected uint64
		}
	}
	adminGet(t, base, "/api/v1/sources", &st)
	found := false
	for _, s := range st.Sources {
		if s.Name == "cgn-1" {
			found = s.Received == 3 && s.Parsed == 2 && s.Rejected == 1
			if !found {
				t.Errorf("cgn-1 counters %+v, want 3 received, 2 parsed, 1 rejected", s)
			}
		}
	}
	if !found {
		t.Errorf("no cgn-1 in %+v", st)
	}

}

var listenLines = map[string]*regexp.Regexp{
	"http":   regexp.MustCompile(`msg="http listening" addr=(\S+)`),
	"syslog": regexp.MustCompile(`msg="syslog listening" udp=(\S+) tcp=(\S+)`),
	"radius": regexp.MustCompile(`msg="radius accounting listening" addr=(\S+)`),
	"ipfix":  regexp.MustCompile(`msg="ipfix listening" addr=(\S+)`),
}

func startCollectors(t *testing.T, cmd *exec.Cmd) map[string]string {
	t.Helper()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	got := make(chan map[string]string, 1)
	go func() {
		m := map[string]string{}
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			for k, re := range listenLines {
				if s := re.FindStringSubmatch(sc.Text()); s != nil {
					if k == "syslog" {
						m["syslog-udp"], m["syslog-tcp"] = s[1], s[2]
					} else {
						m[k] = s[1]
					}
				}
			}
			if len(m) == 5 {
				got <- m
				io.Copy(io.Discard, stderr)
				return
			}
		}
	}()
	select {
	case m := <-got:
		return m
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("warden serve did not report its listeners")
		return nil
	}
}

func runTool(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// userToken signs in as the administrator, creates a user with role and
// returns a token for him.
func userToken(t *testing.T, base, name, role string) string {
	t.Helper()
	c := adminClient(t, base)
	for _, step := range []struct{ path, body string }{
		{"/api/v1/users", `{"name":"` + name + `","roles":["` + role + `"]}`},
	} {
		resp, err := c.Post(base+step.path, "application/json", strings.NewReader(step.body))
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST %s: %v %v", step.path, err, resp.Status)
		}
		resp.Body.Close()
	}
	resp, err := c.Post(base+"/api/v1/users/"+name+"/tokens", "application/json", strings.NewReader(`{"name":"test"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&tok)
	return tok.Token
}

func adminClient(t *testing.T, base string) *http.Client {
	t.Helper()
	c := &http.Client{}
	c.Jar, _ = newJar()
	resp, err := c.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"name":"admin","password":"correct horse battery"}`))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("admin login: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	return c
}

func adminGet(t *testing.T, base, path string, v any) {
	t.Helper()
	resp, err := adminClient(t, base).Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func search(t *testing.T, base, token, query string) []map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/search?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("search %s: %s %s", query, resp.Status, b)
	}
	var res struct{ Records []map[string]any }
	json.Unmarshal(b, &res)
	return res.Records
}
