package hubclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-nix/berth/hub"
	"github.com/berth-nix/berth/hub/hubtest"
	"github.com/berth-nix/berth/reconciler"
)

// testCA issues certificates into dir.
type testCA struct {
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T, dir string) *testCA {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "berth test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{dir: dir, cert: cert, key: key}
	ca.write(t, "ca.pem", "CERTIFICATE", der)
	return ca
}

func (ca *testCA) write(t *testing.T, name, kind string, der []byte) string {
	p := filepath.Join(ca.dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// issue makes a certificate for cn (a server's for 127.0.0.1 when server)
// and returns its certificate and key files.
func (ca *testCA) issue(t *testing.T, cn string, server bool) (string, string) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage, tmpl.IPAddresses = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	return ca.write(t, cn+".pem", "CERTIFICATE", der), ca.write(t, cn+".key", "EC PRIVATE KEY", kder)
}

// TestClientCertificates: with client_ca_file the hub accepts laptop1's
// report only with a certificate naming laptop1, besides its token.
func TestClientCertificates(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, dir)
	srvCert, srvKey := ca.issue(t, "hub", true)
	token := hubtest.Secret(t, dir, "token", "laptop1-token")
	cfg := hub.DefaultConfig()
	cfg.TLSCertFile, cfg.TLSKeyFile, cfg.ClientCAFile = srvCert, srvKey, filepath.Join(dir, "ca.pem")
	cfg.Database.SQLite = filepath.Join(dir, "hub.db")
	cfg.Hosts = map[string]hub.HostToken{"laptop1": {TokenFile: token}}
	h := hubtest.Start(t, cfg)
	rep := reconciler.HostReport{Version: 1, Host: "laptop1", At: time.Now(), Result: "unchanged"}
	send := func(cert, key string) error {
		httpc, err := NewHTTPClient(cert, key, filepath.Join(dir, "ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		c := &Client{URL: h.URL, TokenFile: token, HTTP: httpc}
		return c.Send(context.Background(), rep, "")
	}
	if err := send(ca.issue(t, "laptop1", false)); err != nil {
		t.Errorf("with laptop1's certificate: %v", err)
	}
	if err := send(ca.issue(t, "laptop2", false)); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("with laptop2's certificate: got %v, want 401", err)
	}
	if err := send("", ""); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("without a certificate: got %v, want 401", err)
	}
}
