package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/warden-ops/warden/internal/config"
	"github.com/warden-ops/warden/internal/dialect"
	"github.com/warden-ops/warden/internal/ingest"
	"github.com/warden-ops/warden/internal/ipfix"
	"github.com/warden-ops/warden/internal/radius"
	"github.com/warden-ops/warden/internal/source"
	"github.com/warden-ops/warden/internal/store"
	"github.com/warden-ops/warden/internal/syslog"
)

// collectors are the listeners that feed the store through one pipeline.
type collectors struct {
	pipe    *ingest.Pipeline
	sources *source.Registry
	syslog  *syslog.Server
	radius  *radius.Server
	ipfix   *ipfix.Server
}

// newCollectors builds the pipeline, the source registry and every
// configured listener, binding their sockets.
func newCollectors(cfg *config.File, st *store.Store, log *slog.Logger) (*collectors, error) {
	c := &collectors{pipe: ingest.New(st, ingest.Config{Logger: log})}
	custom := map[string]func() (dialect.Parser, error){}
	for _, f := range cfg.Formats {
		if _, err := dialect.NewCustom(f); err != nil {
			return nil, fmt.Errorf("format %s: %w", f.Name, err)
		}
		custom[f.Name] = func() (dialect.Parser, error) { return dialect.NewCustom(f) }
	}
	var err error
	c.sources, err = source.New(source.Options{Sources: cfg.Sources.List, Custom: custom,
		AcceptUnknown: cfg.Sources.AcceptUnknown, Logger: log}, c.pipe)
	if err != nil {
		return nil, err
	}
	sc := cfg.Syslog
	tlsAddr := sc.TLS
	if sc.TLSCert == "" {
		tlsAddr = "" // TLS listens only with a certificate
	}
	if sc.UDP != "" || sc.TCP != "" || tlsAddr != "" {
		c.syslog, err = syslog.New(syslog.Config{UDP: sc.UDP, TCP: sc.TCP, TLS: tlsAddr, TLSCert: sc.TLSCert, TLSKey: sc.TLSKey,
			TLSClientCA: sc.TLSClientCA, MaxMessageBytes: sc.MaxMessageBytes, Loc: c.location}, syslogHandler{c.sources}, log)
		if err != nil {
			return nil, err
		}
	}
	if cfg.RADIUS.Listen != "" {
		rc := radius.Config{Addr: cfg.RADIUS.Listen, Dictionaries: cfg.RADIUS.Dictionaries}
		for _, cl := range cfg.RADIUS.Clients {
			for _, a := range cl.Addresses {
				p, err := prefix(a)
				if err != nil {
					return nil, fmt.Errorf("radius client %s: %w", cl.Name, err)
				}
				name := cl.Name
				if len(cl.Addresses) > 1 {
					name = cl.Name + "/" + a // client names are unique per prefix
				}
				rc.Clients = append(rc.Clients, radius.Client{Name: name, Prefix: p, Secret: radius.Secret(cl.Secret), Vendor: cl.Vendor})
			}
		}
		if c.radius, err = radius.New(rc, c.pipe, log); err != nil {
			return nil, err
		}
	}
	if cfg.IPFIX.Listen != "" {
		ic := ipfix.Config{Addr: cfg.IPFIX.Listen, AcceptUnknown: cfg.IPFIX.AcceptUnknown}
		for _, ex := range cfg.IPFIX.Exporters {
			for _, a := range ex.Addresses {
				p, err := prefix(a)
				if err != nil {
					return nil, fmt.Errorf("ipfix exporter %s: %w", ex.Name, err)
				}
				ic.Exporters = append(ic.Exporters, ipfix.Exporter{Name: ex.Name, Prefix: p, Vendor: ex.Vendor})
			}
		}
		if c.ipfix, err = ipfix.New(ic, c.pipe, log); err != nil {
			return nil, err
		}
	}
	c.logAddrs(log)
	return c, nil
}

func prefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

func (c *collectors) location(peer netip.Addr) *time.Location {
	if s := c.sources.Lookup(peer); s != nil {
		return s.Location()
	}
	return nil
}

func (c *collectors) logAddrs(log *slog.Logger) {
	if c.syslog != nil {
		u, t, s := c.syslog.Addrs()
		log.Info("syslog listening", "udp", addrString(u), "tcp", addrString(t), "tls", addrString(s))
	}
	if c.radius != nil {
		log.Info("radius accounting listening", "addr", c.radius.Addr().String())
	}
	if c.ipfix != nil {
		log.Info("ipfix listening", "addr", c.ipfix.Addr().String())
	}
}

func addrString(a interface{ String() string }) string {
	if a == nil || fmt.Sprint(a) == "<nil>" {
		return "off"
	}
	return a.String()
}

// run serves until ctx ends, then stops the listeners first and the
// pipeline last, so everything received is stored.
func (c *collectors) run(ctx context.Context) error {
	pctx, stopPipe := context.WithCancel(context.Background())
	defer stopPipe()
	pdone := make(chan error, 1)
	go func() { pdone <- c.pipe.Run(pctx) }()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	start := func(name string, run func(context.Context) error) {
		wg.Go(func() {
			if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				mu.Unlock()
			}
		})
	}
	if c.syslog != nil {
		start("syslog", c.syslog.Run)
	}
	if c.radius != nil {
		start("radius", c.radius.Run)
	}
	if c.ipfix != nil {
		start("ipfix", c.ipfix.Run)
	}
	wg.Wait()
	stopPipe()
	return errors.Join(append(errs, <-pdone)...)
}

// Status is the collectors' counters, for GET /api/v1/sources.
func (c *collectors) Status() any {
	st := map[string]any{}
	srcs, refused := c.sources.Stats()
	st["sources"], st["refused_unknown_senders"] = srcs, refused
	st["pipeline"] = c.pipe.Stats()
	if c.syslog != nil {
		st["syslog"] = c.syslog.Stats()
	}
	if c.radius != nil {
		st["radius"] = c.radius.Stats()
	}
	if c.ipfix != nil {
		st["ipfix"] = c.ipfix.Stats()
	}
	return st
}

// syslogHandler hands syslog messages to the source registry.
type syslogHandler struct{ reg *source.Registry }

func (h syslogHandler) Handle(ctx context.Context, r *syslog.Received, wait bool) error {
	err := h.reg.Handle(ctx, &source.Message{Peer: r.Peer.Addr(), Transport: r.Transport, Raw: r.Raw, Msg: r.Msg, HeaderErr: r.HeaderErr}, wait)
	if errors.Is(err, source.ErrDropped) {
		return syslog.ErrDropped
	}
	return err
}
