package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// contextWithSignals returns a context cancelled by SIGINT or SIGTERM.
func contextWithSignals() context.Context {
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM) //nolint:govet // lives as long as the process
	return ctx
}
