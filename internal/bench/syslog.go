package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/warden-ops/warden/internal/synth"
)

// SyslogConfig sets up the syslog benchmark.
type SyslogConfig struct {
	Lines   int    // CGNAT syslog lines to send
	Conns   int    // TCP connections to send them over
	Dir     string // scratch directory
	Warden  string // the warden binary
	Timeout time.Duration
}

// SyslogResult is one receiver's figure.
type SyslogResult struct {
	Receiver string
	Lines    int
	Seconds  float64
}

// LinesPerSec returns the receiver's rate.
func (r SyslogResult) LinesPerSec() float64 { return float64(r.Lines) / r.Seconds }

// syslogLines renders the benchmark's lines once, LF-framed, split into
// one buffer per connection.
func syslogLines(c SyslogConfig) [][]byte {
	g := synth.NewCGNAT(synth.DefaultCGNAT)
	bufs := make([]bytes.Buffer, c.Conns)
	for i := range c.Lines {
		b := &bufs[i%c.Conns]
		b.WriteString(synth.Syslog(g.Next()))
		b.WriteByte('\n')
	}
	out := make([][]byte, c.Conns)
	for i := range bufs {
		out[i] = bufs[i].Bytes()
	}
	return out
}

// send writes each buffer over its own TCP connection to addr.
func send(addr string, bufs [][]byte) error {
	errc := make(chan error, len(bufs))
	for _, b := range bufs {
		go func() {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				errc <- err
				return
			}
			_, err = conn.Write(b)
			errc <- errors.Join(err, conn.Close())
		}()
	}
	var errs []error
	for range bufs {
		errs = append(errs, <-errc)
	}
	return errors.Join(errs...)
}

// RunWardenSyslog starts warden serve, sends the lines over TCP, and
// measures until the pipeline reports every line durably stored.
func RunWardenSyslog(c SyslogConfig, bufs [][]byte) (SyslogResult, error) {
	res := SyslogResult{Receiver: "warden serve (durable, sealed within block_age)", Lines: c.Lines}
	dir := filepath.Join(c.Dir, "warden")
	cfgPath := filepath.Join(c.Dir, "warden.yaml")
	cfg := fmt.Sprintf("data_dir: %s\nhttp:\n  listen: 127.0.0.1:0\nsyslog:\n  udp: ''\n  tcp: 127.0.0.1:0\nradius:\n  listen: ''\nipfix:\n  listen: ''\nprivacy:\n  key_dir: %s\nsources:\n  accept_unknown: false\n  list:\n    - name: cgn-1\n      addresses: [127.0.0.1]\n      formats: [juniper-srx]\nlog:\n  level: info\n",
		dir, filepath.Join(c.Dir, "keys"))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return res, err
	}
	cmd := exec.Command(c.Warden, "serve", "-config", cfgPath)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return res, err
	}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt) //nolint:errcheck // best effort; Wait below reaps it
		cmd.Wait()                       //nolint:errcheck // exit status of an interrupted server
	}()
	httpAddr, syslogAddr, err := waitListening(stderr, c.Timeout)
	if err != nil {
		return res, err
	}
	client, err := signIn("http://"+httpAddr, dir)
	if err != nil {
		return res, err
	}
	start := time.Now()
	if err := send(syslogAddr, bufs); err != nil {
		return res, err
	}
	deadline := start.Add(c.Timeout)
	for {
		n, err := appended(client, "http://"+httpAddr)
		if err != nil {
			return res, err
		}
		if n >= uint64(c.Lines) {
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("warden stored %d of %d lines before the timeout", n, c.Lines)
		}
		time.Sleep(5 * time.Millisecond)
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

var (
	httpRE   = regexp.MustCompile(`msg="http listening" addr=(\S+)`)
	syslogRE = regexp.MustCompile(`msg="syslog listening" udp=\S+ tcp=(\S+)`)
)

func waitListening(r io.Reader, timeout time.Duration) (httpAddr, syslogAddr string, err error) {
	found := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		var h, s string
		for sc.Scan() {
			if m := httpRE.FindStringSubmatch(sc.Text()); m != nil {
				h = m[1]
			}
			if m := syslogRE.FindStringSubmatch(sc.Text()); m != nil {
				s = m[1]
			}
			if h != "" && s != "" {
				found <- [2]string{h, s}
				h = "done"
			}
		}
	}()
	select {
	case a := <-found:
		return a[0], a[1], nil
	case <-time.After(timeout):
		return "", "", errors.New("warden serve did not start listening")
	}
}

// signIn creates the first administrator, signs in, and returns a client
// with the session. The administrator may read the sources' counters.
func signIn(base, dataDir string) (*http.Client, error) {
	tok, err := os.ReadFile(filepath.Join(dataDir, "access", "bootstrap-token"))
	if err != nil {
		return nil, err
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	for _, step := range []struct{ path, body string }{
		{"/api/v1/bootstrap", `{"token":"` + strings.TrimSpace(string(tok)) + `","name":"bench","password":"benchmark-password"}`},
		{"/api/v1/login", `{"name":"bench","password":"benchmark-password"}`},
	} {
		resp, err := c.Post(base+step.path, "application/json", strings.NewReader(step.body))
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return nil, fmt.Errorf("POST %s: %s", step.path, resp.Status)
		}
	}
	return c, nil
}

func appended(c *http.Client, base string) (uint64, error) {
	resp, err := c.Get(base + "/api/v1/sources")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var st struct {
		Pipeline struct{ Appended uint64 }
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, fmt.Errorf("sources: %w", err)
	}
	return st.Pipeline.Appended, nil
}

// RunRsyslog starts rsyslogd receiving TCP into a file, sends the same
// lines, and measures until the file holds them all.
func RunRsyslog(c SyslogConfig, bufs [][]byte) (SyslogResult, error) {
	res := SyslogResult{Receiver: "rsyslogd imtcp -> omfile (not fsynced)", Lines: c.Lines}
	dir := filepath.Join(c.Dir, "rsyslog")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return res, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	out := filepath.Join(dir, "out.log")
	conf := fmt.Sprintf(`global(workDirectory=%q maxMessageSize="64k")
module(load="imtcp" MaxSessions="64")
input(type="imtcp" port="%d" address="127.0.0.1")
template(name="raw" type="string" string="%%rawmsg%%\n")
action(type="omfile" file=%q template="raw")
`, dir, port, out)
	confPath := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		return res, err
	}
	cmd := exec.Command("rsyslogd", "-n", "-f", confPath, "-i", filepath.Join(dir, "rsyslog.pid"))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("start rsyslogd (scripts/setup installs it): %w", err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // best effort
		cmd.Wait()                          //nolint:errcheck // exit status of a stopped daemon
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			break
		}
		if i > 200 {
			return res, fmt.Errorf("rsyslogd did not listen on %s", addr)
		}
		time.Sleep(25 * time.Millisecond)
	}
	var want int64
	for _, b := range bufs {
		want += int64(len(b))
	}
	start := time.Now()
	if err := send(addr, bufs); err != nil {
		return res, err
	}
	deadline := start.Add(c.Timeout)
	for {
		if st, err := os.Stat(out); err == nil && st.Size() >= want {
			break
		}
		if time.Now().After(deadline) {
			st, _ := os.Stat(out)
			var got int64
			if st != nil {
				got = st.Size()
			}
			return res, fmt.Errorf("rsyslogd wrote %d of %d bytes before the timeout", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// RunSyslog runs both receivers on the same lines.
func RunSyslog(ctx context.Context, c SyslogConfig) ([]SyslogResult, error) {
	bufs := syslogLines(c)
	r1, err := RunRsyslog(c, bufs)
	if err != nil {
		return nil, fmt.Errorf("rsyslog: %w", err)
	}
	r2, err := RunWardenSyslog(c, bufs)
	if err != nil {
		return nil, fmt.Errorf("warden: %w", err)
	}
	return []SyslogResult{r1, r2}, ctx.Err()
}
