package syslog_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/netip"
	"time"

	"github.com/warden-ops/warden/internal/syslog"
)

// printer prints each message it takes and says when it has one.
type printer struct{ got chan struct{} }

func (p printer) Handle(_ context.Context, r *syslog.Received, _ bool) error {
	m := r.Msg
	fmt.Printf("%s %s host=%s app=%s time=%s\n%q\n", r.Transport, r.Peer.Addr(), m.Host, m.App, m.Time.Format(time.RFC3339), m.Text)
	p.got <- struct{}{}
	return nil
}

func ExampleNew() {
	// Devices behind this collector keep China Standard Time.
	cst := time.FixedZone("CST", 8*3600)
	h := printer{got: make(chan struct{})}
	srv, err := syslog.New(syslog.Config{
		TCP: "127.0.0.1:0",
		Loc: func(netip.Addr) *time.Location { return cst },
	}, h, nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Run(ctx) }()

	// A Huawei device sends one session log, octet-counted.
	_, addr, _ := srv.Addrs()
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		log.Fatal(err)
	}
	msg := "<190>Oct 11 2026 22:14:15 USG6000 %%01SECLOG/6/SESSION_BUILT(l):IPVer=4,Protocol=tcp."
	fmt.Fprintf(conn, "%d %s", len(msg), msg)
	conn.Close()
	<-h.got

	stop()
	if err := <-done; err != nil {
		log.Fatal(err)
	}
	fmt.Println(srv.Stats().TCP.Messages, "message")
	// Output:
	// tcp 127.0.0.1 host=USG6000 app=%%01SECLOG/6/SESSION_BUILT(l) time=2026-10-11T22:14:15+08:00
	// "IPVer=4,Protocol=tcp."
	// 1 message
}
