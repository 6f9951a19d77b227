package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/warden-ops/warden/internal/access"
	"github.com/warden-ops/warden/internal/httpapi"
)

// issue makes a certificate signed by parent (self-signed if parent is nil).
func issue(t *testing.T, cn string, ca bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key
}

func TestInspectorSignsInWithCertificate(t *testing.T) {
	st := openStore(t, nil)
	e := newEnv(t, st)
	api := httpapi.New(st, httpapi.Config{Access: e.access, Vault: e.vault, Auditor: access.NewAuditor(st, "warden", nil),
		TLS: true, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	ca, caKey := issue(t, "inspectors CA", true, nil, nil)
	officer, officerKey := issue(t, "officer 1", false, ca, caKey)
	stranger, strangerKey := issue(t, "not an officer", false, ca, caKey)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	srv := httptest.NewUnstartedServer(api)
	srv.TLS = &tls.Config{ClientCAs: pool, ClientAuth: tls.VerifyClientCertIfGiven}
	srv.StartTLS()
	defer srv.Close()
	sum := sha256.Sum256(officer.Raw)
	if err := e.access.SetCerts("insp", []string{hex.EncodeToString(sum[:])}); err != nil {
		t.Fatal(err)
	}
	get := func(cert *x509.Certificate, key *ecdsa.PrivateKey) (int, string) {
		t.Helper()
		tr := srv.Client().Transport.(*http.Transport).Clone()
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: key}}
		}
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/api/v1/me")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if hsts := resp.Header.Get("Strict-Transport-Security"); hsts == "" {
			t.Error("no HSTS header over TLS")
		}
		return resp.StatusCode, string(b)
	}
	if code, body := get(officer, officerKey); code != http.StatusOK || !strings.Contains(body, `"User":"insp"`) || !strings.Contains(body, "certificate") {
		t.Errorf("officer's certificate: %d %s, want insp signed in by certificate", code, body)
	}
	if code, body := get(stranger, strangerKey); code != http.StatusUnauthorized {
		t.Errorf("a CA-signed certificate bound to no user: %d %s, want 401", code, body)
	}
	if code, _ := get(nil, nil); code != http.StatusUnauthorized {
		t.Errorf("no certificate: %d, want 401", code)
	}
}
