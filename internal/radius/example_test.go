package radius_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	layeh "layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"

	"github.com/warden-ops/warden/internal/radius"
	"github.com/warden-ops/warden/internal/record"
)

// printSink prints each record; in Warden the sink is the ingest pipeline.
type printSink struct{}

func (printSink) AddDurable(_ context.Context, r *record.Record) (record.ID, error) {
	s := r.Session
	fmt.Println(r.Source, r.Kind, s.Event, s.Account, s.Addr, s.SessionID)
	return record.ID{Kind: r.Kind, Seq: 1}, nil
}

func Example() {
	srv, err := radius.New(radius.Config{
		Addr: "127.0.0.1:0",
		Clients: []radius.Client{
			{Name: "bng1", Prefix: netip.MustParsePrefix("127.0.0.0/8"), Secret: "s3cret"},
		},
	}, printSink{}, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error)
	go func() { done <- srv.Run(ctx) }()

	// What a NAS sends when alice logs in.
	p := layeh.New(layeh.CodeAccountingRequest, []byte("s3cret"))
	_ = rfc2866.AcctStatusType_Add(p, rfc2866.AcctStatusType_Value_Start)
	_ = rfc2865.UserName_AddString(p, "alice")
	_ = rfc2865.FramedIPAddress_Add(p, netip.MustParseAddr("100.64.1.2").AsSlice())
	_ = rfc2866.AcctSessionID_AddString(p, "0a0b0c0d")
	xctx, xcancel := context.WithTimeout(ctx, 5*time.Second)
	defer xcancel()
	resp, err := layeh.Exchange(xctx, p, srv.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Code)
	cancel()
	fmt.Println(<-done, srv.Stats().Stored)
	// Output:
	// bng1 session start alice 100.64.1.2 0a0b0c0d
	// Accounting-Response
	// <nil> 1
}
