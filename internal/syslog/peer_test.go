package syslog

// Tests against real syslog senders from Debian: util-linux's logger and
// rsyslog (with rsyslog-gnutls for TLS). They run by default and fail when
// the programs are missing, since a parser only tested against itself
// proves little.

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// requirePeer returns the path of a program the real-peer tests run. It
// fails the test, rather than skipping it, when the program is missing.
func requirePeer(t *testing.T, name string) string {
	t.Helper()
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		path := filepath.Join(dir, name)
		if fi, err := os.Stat(path); err == nil && fi.Mode()&0o111 != 0 {
			return path
		}
	}
	t.Fatalf("%s not found: the real-peer syslog tests need logger (Debian bsdutils) and rsyslog with rsyslog-gnutls; run scripts/setup to install them", name)
	return ""
}

// requireGnuTLS fails the test if rsyslog's TLS driver is missing.
func requireGnuTLS(t *testing.T) {
	t.Helper()
	if m, _ := filepath.Glob("/usr/lib/*/rsyslog/lmnsd_gtls.so"); len(m) == 0 {
		if m, _ = filepath.Glob("/usr/lib*/rsyslog/lmnsd_gtls.so"); len(m) == 0 {
			t.Fatal("rsyslog's TLS driver lmnsd_gtls.so not found: run scripts/setup to install rsyslog-gnutls")
		}
	}
}

// checkOnce checks that each id in want arrived exactly once among msgs
// (matched by the id at the end of Text), and that nothing else did.
func checkOnce(t *testing.T, msgs []got, want []string) map[string]got {
	t.Helper()
	byID := make(map[string]got)
	counts := make(map[string]int)
	for _, m := range msgs {
		id := m.Msg.Text[strings.LastIndexByte(m.Msg.Text, ' ')+1:]
		counts[id]++
		byID[id] = m
	}
	for _, id := range want {
		if counts[id] != 1 {
			t.Errorf("message %s arrived %d times, want once", id, counts[id])
		}
		delete(counts, id)
	}
	for id, n := range counts {
		t.Errorf("unexpected message %q arrived %d times: %+v", id, n, byID[id])
	}
	return byID
}

func TestLoggerPeer(t *testing.T) {
	logger := requirePeer(t, "logger")
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	if i := strings.IndexByte(host, '.'); i > 0 {
		host = host[:i] // logger sends the short name
	}
	tests := []struct {
		name      string
		transport string
		args      []string
		msgID     string
		sdid      string
		params    map[string]string
	}{
		{"udp rfc5424 with structured data", "udp", []string{"-d", "--rfc5424=notq", "--msgid", "NAT", "--sd-id", "junos@2636", "--sd-param", `nat-source-port="40001"`},
			"NAT", "junos@2636", map[string]string{"nat-source-port": "40001"}},
		{"udp rfc3164", "udp", []string{"-d", "--rfc3164"}, "", "", nil},
		{"tcp lines rfc5424", "tcp", []string{"-T", "--rfc5424=notq", "--msgid", "M1"}, "M1", "", nil},
		{"tcp octet counting rfc5424", "tcp", []string{"-T", "--octet-count"}, "", "timeQuality", nil},
		{"tcp octet counting rfc3164", "tcp", []string{"-T", "--octet-count", "--rfc3164"}, "", "", nil},
	}
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCollector()
			s := startServer(t, Config{UDP: "127.0.0.1:0", TCP: "127.0.0.1:0", Loc: func(netip.Addr) *time.Location { return time.Local }}, c)
			udpAddr, tcpAddr, _ := s.Addrs()
			addr := udpAddr
			if tt.transport == "tcp" {
				addr = tcpAddr
			}
			_, port, _ := net.SplitHostPort(addr.String())
			tag := fmt.Sprintf("warden-test%d", n)
			var lines, ids []string
			for i := range 50 {
				id := fmt.Sprintf("id=%d-%03d", n, i)
				ids = append(ids, id)
				lines = append(lines, "NAT session from 10.0.0.1 to 198.51.100.7 "+id)
			}
			file := filepath.Join(t.TempDir(), "lines")
			if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			args := append([]string{"-n", "127.0.0.1", "-P", port, "-t", tag, "-f", file}, tt.args...)
			if out, err := exec.Command(logger, args...).CombinedOutput(); err != nil {
				t.Fatalf("logger %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			c.waitCount(t, len(ids))
			waitStats(t, s, "connections closed", func(st Stats) bool { return st.TCP.ConnsOpen == 0 })
			byID := checkOnce(t, c.messages(), ids)
			for _, id := range ids {
				m := byID[id]
				if m.HeaderErr != nil || m.Msg.App != tag || m.Msg.Host != host || m.Msg.MsgID != tt.msgID || m.Msg.SDID != tt.sdid ||
					m.Transport != tt.transport || m.Msg.Text != "NAT session from 10.0.0.1 to 198.51.100.7 "+id {
					t.Fatalf("message %s = %+v; want App %q, Host %q, MsgID %q, SDID %q over %s", id, m, tag, host, tt.msgID, tt.sdid, tt.transport)
				}
				if tt.params != nil && fmt.Sprint(m.Msg.Params) != fmt.Sprint(tt.params) {
					t.Errorf("message %s: Params %v, want %v", id, m.Msg.Params, tt.params)
				}
				if d := m.Msg.Time.Sub(start); d < -2*time.Second || d > time.Minute {
					t.Errorf("message %s: Time %v, sent at %v", id, m.Msg.Time, start)
				}
			}
			if st := s.Stats(); st.UDP.KernelDrops+st.UDP.Dropped+st.TCP.FramingErrors != 0 {
				t.Errorf("stats %+v, want no drops or framing errors", st)
			}
		})
	}
}

// deviceLine is a message a device sends to rsyslog, and what the server
// must make of it once rsyslog has forwarded it in RFC 5424 or in its
// traditional (RFC 3164) format. Rsyslog loses some of it: it writes
// zone-less device times with its own zone (UTC here) in RFC 5424, cuts
// APP-NAME at the first slash, and mangles timestamps it cannot parse;
// the server recovers what is left.
type deviceLine struct {
	line                string // with %s for the message id
	host                string
	app5424, app3164    string
	time5424, time3164  string // "2006-01-02 15:04:05.000 -07:00", with YYYY for an inferred year
	text5424, text3164  string // with %s for the message id
	msgID5424, sdid5424 string
	paramsString5424    string
}

var deviceLines = []deviceLine{
	{
		line: `<14>1 2026-10-11T22:14:15.123+08:00 srx-01 RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.40 source-address="10.0.0.1" nat-source-port="40001"] session created %s`,
		host: "srx-01", app5424: "RT_FLOW", app3164: "",
		time5424: "2026-10-11 22:14:15.123 +08:00", time3164: "YYYY-10-11 22:14:15.000 +08:00",
		text5424: "session created %s", text3164: "RT_FLOW session created %s",
		msgID5424: "RT_FLOW_SESSION_CREATE", sdid5424: "junos@2636.1.1.1.2.40",
		paramsString5424: "map[nat-source-port:40001 source-address:10.0.0.1]",
	},
	{
		line: "<38>Oct 11 22:14:15 bastion sshd[1234]: Accepted password for alice from 10.0.0.1 port 5555 ssh2 %s",
		host: "bastion", app5424: "sshd", app3164: "sshd",
		time5424: "YYYY-10-11 22:14:15.000 +00:00", time3164: "YYYY-10-11 22:14:15.000 +08:00",
		text5424: "Accepted password for alice from 10.0.0.1 port 5555 ssh2 %s", text3164: "Accepted password for alice from 10.0.0.1 port 5555 ssh2 %s",
	},
	{
		line: "<187>Oct 11 2026 22:14:15 BRAS-01 %%%%01SHELL/5/LOGINFAIL(l):Failed to login %s",
		host: "BRAS-01", app5424: "%%01SHELL", app3164: "%%01SHELL/5/LOGINFAIL(l)",
		time5424: "2026-10-11 22:14:15.000 +00:00", time3164: "YYYY-10-11 22:14:15.000 +08:00",
		text5424: "Failed to login %s", text3164: "Failed to login %s",
	},
	{
		line: "<166>Oct 11 2026 22:14:15: %%ASA-6-305011: Built dynamic TCP translation from inside:10.0.0.1/5 to outside:198.51.100.1/6 %s",
		host: "127.0.0.1", app5424: "%ASA-6-305011", app3164: "%ASA-6-305011",
		time5424: "2026-10-11 22:14:15.000 +00:00", time3164: "YYYY-10-11 22:14:15.000 +08:00",
		text5424: "Built dynamic TCP translation from inside:10.0.0.1/5 to outside:198.51.100.1/6 %s",
		text3164: "Built dynamic TCP translation from inside:10.0.0.1/5 to outside:198.51.100.1/6 %s",
	},
	{
		line: "<190>2026-10-11 22:14:15 USG6000 %%%%01SECLOG/6/SESSION_BUILT(l):IPVer=4,Protocol=tcp,SourceIP=10.0.0.1. %s",
		host: "USG6000", app5424: "%%01SECLOG/6/SESSION_BUILT(l)", app3164: "%%01SECLOG/6/SESSION_BUILT(l)",
		time5424: "2026-10-11 22:14:15.000 +08:00", time3164: "2026-10-11 22:14:15.000 +08:00",
		text5424: "IPVer=4,Protocol=tcp,SourceIP=10.0.0.1. %s", text3164: "IPVer=4,Protocol=tcp,SourceIP=10.0.0.1. %s",
	},
	{
		line: "<190>Oct 11 22:14:15:708 2026 F1050 %%%%10session/6/SESSION_IPV4_FLOW: Protocol(1001)=TCP;SrcIPAddr(1003)=10.0.0.1; %s",
		host: "F1050", app5424: "%%10session/6/SESSION_IPV4_FLOW", app3164: "%%10session/6/SESSION_IPV4_FLOW",
		time5424: "2026-10-11 22:14:15.708 +08:00", time3164: "2026-10-11 22:14:15.708 +08:00",
		text5424: "Protocol(1001)=TCP;SrcIPAddr(1003)=10.0.0.1; %s", text3164: "Protocol(1001)=TCP;SrcIPAddr(1003)=10.0.0.1; %s",
	},
}

// TestRsyslogPeer runs rsyslogd as a relay: devices' lines go in over TCP
// and rsyslog forwards them to the server over TCP (octet-counted RFC 5424,
// and its traditional format in lines), UDP, and TLS with a client
// certificate.
func TestRsyslogPeer(t *testing.T) {
	rsyslogd := requirePeer(t, "rsyslogd")
	tests := []struct {
		name      string
		transport string
		omfwd     string
		rfc5424   bool
	}{
		{"tcp octet-counted rfc5424", "tcp", `protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"`, true},
		{"tcp traditional lines", "tcp", `protocol="tcp"`, false},
		{"udp traditional", "udp", `protocol="udp"`, false},
		{"tls x509 client certificate", "tls", `protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
			StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="localhost"`, true},
	}
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.transport == "tls" {
				requireGnuTLS(t)
			}
			dir := t.TempDir()
			pki := newTestPKI(t)
			c := newCollector()
			s := startServer(t, Config{
				UDP: "127.0.0.1:0", TCP: "127.0.0.1:0", TLS: "127.0.0.1:0",
				TLSCert: pki.serverCert, TLSKey: pki.serverKey, TLSClientCA: pki.caFile, Loc: cstLoc,
			}, c)
			udpAddr, tcpAddr, tlsAddr := s.Addrs()
			target := map[string]net.Addr{"udp": udpAddr, "tcp": tcpAddr, "tls": tlsAddr}[tt.transport]
			_, port, _ := net.SplitHostPort(target.String())
			conf := fmt.Sprintf(`global(workDirectory=%q net.enableDNS="off"
  DefaultNetstreamDriverCAFile=%q DefaultNetstreamDriverCertFile=%q DefaultNetstreamDriverKeyFile=%q)
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName=%q ruleset="relay")
ruleset(name="relay") {
  action(type="omfwd" target="127.0.0.1" port=%q %s)
}
`, dir, pki.caFile, pki.clientCert, pki.clientKey, filepath.Join(dir, "port"), port, tt.omfwd)
			confFile := filepath.Join(dir, "rsyslog.conf")
			if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			cmd := exec.Command(rsyslogd, "-n", "-f", confFile, "-i", filepath.Join(dir, "rsyslogd.pid"))
			cmd.Env = append(os.Environ(), "TZ=UTC")
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			stop := sync.OnceFunc(func() {
				cmd.Process.Signal(syscall.SIGTERM) // it may have exited already
				select {
				case <-exited:
				case <-time.After(10 * time.Second):
					cmd.Process.Kill()
					<-exited
				}
			})
			defer func() {
				stop() // before reading what it wrote
				if t.Failed() {
					t.Logf("rsyslogd output:\n%s", out.String())
				}
			}()

			var ids []string
			var in strings.Builder
			for i := range 10 {
				for j, d := range deviceLines {
					id := fmt.Sprintf("id=%d-%d-%d", n, j, i)
					ids = append(ids, id)
					fmt.Fprintf(&in, d.line+"\n", id)
				}
			}
			sendWhenUp(t, filepath.Join(dir, "port"), in.String(), exited)
			c.waitCount(t, len(ids))
			stop()
			waitStats(t, s, "rsyslog's connection closed", func(st Stats) bool {
				return st.TCP.ConnsOpen+st.TLS.ConnsOpen == 0
			})
			byID := checkOnce(t, c.messages(), ids)
			for i := range 10 {
				for j, d := range deviceLines {
					id := fmt.Sprintf("id=%d-%d-%d", n, j, i)
					checkDevice(t, byID[id], d, tt.rfc5424, tt.transport, id)
				}
			}
			st := s.Stats()
			if tt.transport == "tls" && (st.TLS.Messages != uint64(len(ids)) || st.TLS.HandshakeErrors != 0) {
				t.Errorf("TLS stats %+v, want %d messages and no handshake errors", st.TLS, len(ids))
			}
			if st.UDP.KernelDrops+st.UDP.Dropped != 0 {
				t.Errorf("UDP stats %+v, want no drops", st.UDP)
			}
		})
	}
}

// checkDevice checks one forwarded message against what its device sent.
func checkDevice(t *testing.T, m got, d deviceLine, rfc5424 bool, transport, id string) {
	t.Helper()
	app, when, text := d.app3164, d.time3164, d.text3164
	msgID, sdid, params := "", "", "map[]"
	if rfc5424 {
		app, when, text = d.app5424, d.time5424, d.text5424
		msgID, sdid, params = d.msgID5424, d.sdid5424, d.paramsString5424
		if params == "" {
			params = "map[]"
		}
	}
	const layout = "2006-01-02 15:04:05.000 -07:00"
	gotWhen := m.Msg.Time.Format(layout)
	if strings.HasPrefix(when, "YYYY") {
		gotWhen = "YYYY" + gotWhen[4:] // rsyslog or the server inferred the year from today
	}
	text = fmt.Sprintf(text, id)
	if m.Transport != transport || m.HeaderErr != nil || m.Msg.Host != d.host || m.Msg.App != app || gotWhen != when ||
		m.Msg.Text != text || m.Msg.MsgID != msgID || m.Msg.SDID != sdid || fmt.Sprint(m.Msg.Params) != params {
		t.Errorf("device line %q forwarded as\n  %q\nparsed as Host %q App %q Time %s MsgID %q SDID %q Params %v Text %q (err %v)\nwant      Host %q App %q Time %s MsgID %q SDID %q Params %s Text %q",
			d.line, m.Raw, m.Msg.Host, m.Msg.App, gotWhen, m.Msg.MsgID, m.Msg.SDID, m.Msg.Params, m.Msg.Text, m.HeaderErr,
			d.host, app, when, msgID, sdid, params, text)
	}
}

// sendWhenUp waits for rsyslog to write the port it listens on (it picks a
// free one) into portFile, then connects and sends data.
func sendWhenUp(t *testing.T, portFile, data string, exited <-chan error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		port, err := os.ReadFile(portFile)
		if p := strings.TrimSpace(string(port)); err == nil && p != "" {
			conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", p))
			if err != nil {
				t.Fatalf("connect to rsyslog: %v", err)
			}
			defer conn.Close()
			if _, err := conn.Write([]byte(data)); err != nil {
				t.Fatalf("send to rsyslog: %v", err)
			}
			return
		}
		select {
		case err := <-exited:
			t.Fatalf("rsyslogd exited: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsyslogd did not write its port to %s within 15s", portFile)
		}
	}
}
