package syslog

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leodido/go-syslog/v4/rfc5424"
	"github.com/warden-ops/warden/internal/dialect"
)

// Typical lines: a Juniper RT_FLOW session log with its full set of
// structured-data parameters (the largest message a CGNAT sends at rate),
// and the short RFC 3164 forms.
var (
	benchJunos     = `<14>1 2026-10-11T22:14:15.123+08:00 srx-01 RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.40 source-address="10.0.0.1" source-port="59813" destination-address="203.0.113.5" destination-port="443" connection-tag="0" service-name="junos-https" nat-source-address="198.51.100.7" nat-source-port="40001" nat-destination-address="203.0.113.5" nat-destination-port="443" nat-connection-tag="0" src-nat-rule-type="source rule" src-nat-rule-name="r1" dst-nat-rule-type="N/A" dst-nat-rule-name="N/A" protocol-id="6" policy-name="p1" source-zone-name="trust" destination-zone-name="untrust" session-id-32="1234567" username="N/A" roles="N/A" packet-incoming-interface="ge-0/0/1.0" application="UNKNOWN" nested-application="UNKNOWN" encrypted="UNKNOWN" application-category="N/A" application-sub-category="N/A" application-risk="-1" application-characteristics="N/A" src-vrf-grp="N/A" dst-vrf-grp="N/A"] session created 10.0.0.1/59813->203.0.113.5/443 0x0 junos-https 10.0.0.1/59813->203.0.113.5/443 0x0 source rule r1 N/A N/A 6 p1 trust untrust 1234567 N/A(N/A) ge-0/0/1.0 UNKNOWN UNKNOWN UNKNOWN`
	bench5424Short = `<165>1 2026-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry`
	bench3164      = map[string]string{
		"sshd":    "<38>Oct 11 22:14:15 bastion sshd[1234]: Accepted password for alice from 10.0.0.1 port 5555 ssh2",
		"asa":     "<166>Oct 11 2026 22:14:15: %ASA-6-305011: Built dynamic TCP translation from inside:10.0.0.1/53210 to outside:198.51.100.7/40001",
		"huawei":  "<190>2026-10-11 22:14:15 USG6000 %%01SECLOG/6/SESSION_BUILT(l):IPVer=4,Protocol=tcp,SourceIP=10.0.0.1,DestinationIP=203.0.113.5,SourcePort=53210,DestinationPort=443,SourceNatIP=198.51.100.7,SourceNatPort=40001,BeginTime=1791720855,EndTime=1791720855.",
		"relayed": "<190>Sep  9 11:56:41 10.123.169.1 Sep 9 2026 11:56:40 HUAWEI %%01SECLOG/6/SESSION_BUILT(l):IPVer=4,Protocol=udp,SourceIP=10.0.0.1.",
	}
)

// benchDecode measures the whole per-message parse: the copy into a
// string, the header, the time and the Params map.
func benchDecode(b *testing.B, line string) {
	p := newParser()
	raw := []byte(line)
	var m dialect.Message
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if err := p.decode(&m, raw, testRecv, cstLoc, testPeer); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse5424(b *testing.B) {
	b.Run("juniper", func(b *testing.B) { benchDecode(b, benchJunos) })
	b.Run("short", func(b *testing.B) { benchDecode(b, bench5424Short) })
	// The library this parser replaces on the receive path, for comparison.
	b.Run("go-syslog/juniper", func(b *testing.B) {
		m := rfc5424.NewMachine(rfc5424.WithBestEffort())
		raw := []byte(benchJunos)
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, err := m.Parse(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkParse3164(b *testing.B) {
	for _, name := range []string{"sshd", "asa", "huawei", "relayed"} {
		b.Run(name, func(b *testing.B) { benchDecode(b, bench3164[name]) })
	}
}

// counter is the trivial handler of the throughput benchmarks.
type counter struct {
	n    atomic.Int64
	want atomic.Int64
	done chan struct{}
}

func (c *counter) Handle(_ context.Context, r *Received, _ bool) error {
	if c.n.Add(1) == c.want.Load() {
		close(c.done)
	}
	return nil
}

// BenchmarkTCPThroughput sends messages over one loopback connection and
// measures until the handler has them all: framing, parsing and the
// handler call, with the sender on the same machine. "juniper" is a 1.1 KB
// RFC 5424 RT_FLOW line with 36 parameters, "huawei" a 270-byte session
// log.
func BenchmarkTCPThroughput(b *testing.B) {
	for _, bc := range []struct{ name, framing, msg string }{
		{"juniper/octet-counted", "octet-counted", benchJunos},
		{"juniper/lines", "lines", benchJunos},
		{"huawei/octet-counted", "octet-counted", bench3164["huawei"]},
		{"huawei/lines", "lines", bench3164["huawei"]},
	} {
		framing := bc.framing
		b.Run(bc.name, func(b *testing.B) {
			msg := []byte(bc.msg)
			var frame []byte
			if framing == "lines" {
				frame = append(append(frame, msg...), '\n')
			} else {
				frame = append(fmt.Appendf(nil, "%d ", len(msg)), msg...)
			}
			// One 1 MiB write holds many frames.
			chunk := bytes.Repeat(frame, (1<<20)/len(frame))
			perChunk := len(chunk) / len(frame)

			h := &counter{done: make(chan struct{})}
			s, err := New(Config{TCP: "127.0.0.1:0"}, h, nil)
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			ran := make(chan error, 1)
			go func() { ran <- s.Run(ctx) }()
			defer func() {
				cancel()
				<-ran
			}()
			_, addr, _ := s.Addrs()
			conn, err := net.Dial("tcp", addr.String())
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()

			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			h.want.Store(int64(b.N))
			start := time.Now()
			b.ResetTimer()
			for sent := 0; sent < b.N; {
				n := min(perChunk, b.N-sent)
				if _, err := conn.Write(chunk[:n*len(frame)]); err != nil {
					b.Fatal(err)
				}
				sent += n
			}
			<-h.done
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// BenchmarkUDPThroughput sends Juniper lines as datagrams as fast as one
// sender can and reports how many the server took per second and how many
// the kernel dropped.
func BenchmarkUDPThroughput(b *testing.B) {
	h := &counter{done: make(chan struct{})}
	s, err := New(Config{UDP: "127.0.0.1:0"}, h, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx) }()
	defer func() {
		cancel()
		<-ran
	}()
	udp, _, _ := s.Addrs()
	conn, err := net.Dial("udp", udp.String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	msg := []byte(benchJunos)
	b.SetBytes(int64(len(msg)))
	h.want.Store(-1)
	start := time.Now()
	for b.Loop() {
		if _, err := conn.Write(msg); err != nil {
			b.Fatal(err)
		}
	}
	// Wait for the queue to drain.
	for last := int64(-1); last != h.n.Load(); {
		last = h.n.Load()
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	st := s.Stats().UDP
	b.ReportMetric(float64(st.Messages)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(st.KernelDrops)/float64(b.N)*100, "%dropped")
}
