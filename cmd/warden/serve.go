package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/warden-ops/warden/internal/access"
	"github.com/warden-ops/warden/internal/config"
	"github.com/warden-ops/warden/internal/httpapi"
	"github.com/warden-ops/warden/internal/privacy"
	"github.com/warden-ops/warden/internal/query"
	"github.com/warden-ops/warden/internal/record"
	"github.com/warden-ops/warden/internal/store"
)

func runServe(args []string, _, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	cfgPath := fs.String("config", "", "configuration file (YAML); default: built-in defaults")
	dataDir := fs.String("data", "", "data directory (overrides data_dir)")
	listen := fs.String("listen", "", "HTTP listen address (overrides http.listen)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	if *listen != "" {
		cfg.HTTP.Listen = *listen
	}
	log := newLogger(cfg.Log, stderr)
	scfg, err := cfg.StoreConfig()
	if err != nil {
		return err
	}
	scfg.Logger = log
	st, err := store.Open(scfg)
	if err != nil {
		return err
	}
	log.Info("store open", "dir", scfg.Dir, "verifier_key", st.VerifierKey())
	// Every start records the configuration in force (retention and the
	// deterministic NAT rules included), so a change of policy is in the
	// audit trail like any other change.
	if _, err := access.NewAuditor(st, "warden", nil).Log(access.Entry{Actor: "system", Action: "warden serve: start",
		Query: configSummary(*cfgPath, &scfg, cfg.Trace.Deterministic), Outcome: "ok"}); err != nil {
		return errors.Join(err, st.Close())
	}
	err = serveStore(cfg, st, log, stderr)
	return errors.Join(err, st.Close())
}

// serveStore runs the HTTP API over an open store until a signal.
func serveStore(cfg *config.File, st *store.Store, log *slog.Logger, stderr io.Writer) error {
	accessDir := cfg.Access.Dir
	if accessDir == "" {
		accessDir = filepath.Join(cfg.DataDir, "access")
	}
	acc, bootstrap, err := access.Open(access.Config{
		Dir: accessDir, SessionTTL: time.Duration(cfg.Access.SessionTTL), ApprovalTTL: time.Duration(cfg.Access.ApprovalTTL),
		ExportThreshold: cfg.Access.ExportThreshold, MaxWindow: time.Duration(cfg.Access.MaxWindow),
		Rate: cfg.Access.Rate, Burst: cfg.Access.Burst, Logger: log,
	})
	if err != nil {
		return err
	}
	if bootstrap != "" {
		fmt.Fprintf(stderr, "\nFirst start: no users yet. Create the first administrator with this one-time token\n"+
			"(also in %s, readable by this user only):\n\n    %s\n\n"+
			"    curl -X POST %s/api/v1/bootstrap -d '{\"token\":\"%s\",\"name\":\"admin\",\"password\":\"<at least 12 characters>\"}'\n\n",
			filepath.Join(accessDir, "bootstrap-token"), bootstrap, baseURL(cfg), bootstrap)
	}
	vault, err := privacy.Open(cfg.Privacy.KeyDir)
	if err != nil {
		return err
	}
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return err
	}
	col, err := newCollectors(cfg, st, log)
	if err != nil {
		return err
	}
	// httpapi.New adds the registrations lookup, masked with the vault.
	tcfg, err := cfg.TraceConfig()
	if err != nil {
		return err
	}
	api := httpapi.New(st, httpapi.Config{
		MaxBodyBytes: cfg.HTTP.MaxBodyBytes, Access: acc, Auditor: access.NewAuditor(st, "warden", nil),
		Vault: vault, DataDir: cfg.DataDir, TLS: tlsCfg != nil, Logger: log, Sources: col.Status, Trace: tcfg,
	})
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           api,
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("http listening", "addr", ln.Addr().String(), "tls", tlsCfg != nil)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cctx, stopCollectors := context.WithCancel(ctx)
	defer stopCollectors()
	cdone := make(chan error, 1)
	go func() { cdone <- col.run(cctx) }()
	errc := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	// Stop the collectors and drain what they received into the store
	// before the caller closes it.
	stopCollectors()
	return errors.Join(err, <-cdone)
}

// configSummary names the configuration file (with its digest), the
// retention of every kind and the deterministic NAT rules.
func configSummary(path string, scfg *store.Config, rules []query.DeterministicRule) string {
	var b strings.Builder
	if path == "" {
		b.WriteString("config=defaults")
	} else {
		data, err := os.ReadFile(path)
		sum := sha256.Sum256(data)
		fmt.Fprintf(&b, "config=%s sha256=%x", path, sum[:8])
		if err != nil {
			fmt.Fprintf(&b, " (unreadable: %v)", err)
		}
	}
	b.WriteString(" retention:")
	for _, k := range record.Kinds {
		fmt.Fprintf(&b, " %s=%s", k, config.FormatDuration(scfg.RetentionFor(k)))
	}
	for _, r := range rules {
		fmt.Fprintf(&b, "; deterministic NAT rule %s", r)
	}
	return b.String()
}

func baseURL(cfg *config.File) string {
	scheme := "http"
	if cfg.HTTP.TLSCert != "" || cfg.HTTP.DevTLS {
		scheme = "https"
	}
	return scheme + "://" + cfg.HTTP.Listen
}

// tlsConfig returns the HTTPS configuration, or nil to serve plain HTTP.
func tlsConfig(cfg *config.File) (*tls.Config, error) {
	certFile, keyFile := cfg.HTTP.TLSCert, cfg.HTTP.TLSKey
	if certFile == "" && !cfg.HTTP.DevTLS {
		return nil, nil
	}
	if certFile == "" {
		dir := filepath.Join(cfg.DataDir, "tls")
		certFile, keyFile = filepath.Join(dir, "dev.crt"), filepath.Join(dir, "dev.key")
		if err := devCertificate(certFile, keyFile); err != nil {
			return nil, err
		}
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate: %w", err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.HTTP.TLSClientCA != "" {
		pem, err := os.ReadFile(cfg.HTTP.TLSClientCA)
		if err != nil {
			return nil, fmt.Errorf("read client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client CA %s: no PEM certificate", cfg.HTTP.TLSClientCA)
		}
		c.ClientCAs, c.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return c, nil
}
