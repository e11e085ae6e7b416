package hub

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/hub/store/postgres"
	"github.com/berth-nix/berth/hub/store/sqlite"
)

// OpenStore opens the database cfg names.
func OpenStore(ctx context.Context, cfg *Config) (store.Store, error) {
	if cfg.Database.SQLite != "" {
		return sqlite.Open(ctx, cfg.Database.SQLite)
	}
	dsn, err := readSecret("database.postgres_file", cfg.Database.PostgresFile)
	if err != nil {
		return nil, err
	}
	return postgres.Open(ctx, dsn)
}

// Serve runs the hub cfg describes until ctx ends. ready, when not nil,
// is called with the listening address once requests are accepted.
func Serve(ctx context.Context, cfg *Config, log *slog.Logger, ready func(addr string)) error {
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := New(cfg, st, log)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("hub listener: %w", err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	if cfg.TLSCertFile != "" {
		if srv.TLSConfig, err = tlsConfig(cfg); err != nil {
			return err
		}
		l = tls.NewListener(l, srv.TLSConfig)
	}
	// Serve returns only once the background loops have ended: the
	// store they use is closed on return, and the caller may reuse cfg.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		s.Run(ctx)
	}()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	log.Info("hub listening", "addr", l.Addr().String(), "tls", cfg.TLSCertFile != "", "hosts", len(cfg.Hosts))
	if ready != nil {
		ready(l.Addr().String())
	}
	err = srv.Serve(l)
	cancel()
	<-ran
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// tlsConfig serves the certificate and, with a client CA, verifies the
// client certificates agents present (withHost requires one).
func tlsConfig(cfg *Config) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls_cert_file: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.ClientCAFile != "" {
		pem, err := os.ReadFile(cfg.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("client_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client_ca_file %s: no PEM certificate", cfg.ClientCAFile)
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return tc, nil
}

// clientCertFor reports whether the request carries a verified client
// certificate naming host (common name or DNS name); always true when
// the hub does not ask for client certificates.
func (s *Server) clientCertFor(r *http.Request, host string) bool {
	if s.cfg.ClientCAFile == "" {
		return true
	}
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
		return false
	}
	c := r.TLS.VerifiedChains[0][0]
	if strings.EqualFold(c.Subject.CommonName, host) {
		return true
	}
	for _, n := range c.DNSNames {
		if strings.EqualFold(n, host) {
			return true
		}
	}
	return false
}
