package transporttlstest

import (
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"testing"
)

// TestClientCertificateVerifies: the client certificate chains to the CA
// written to disk, and the key pair written loads back.
func TestClientCertificateVerifies(t *testing.T) {
	ca := NewCA(t)
	client := ca.ClientCertificate(t)
	leaf, err := x509.ParseCertificate(client.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("client certificate does not verify against its CA: %v", err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	WriteKeyPair(t, client, certFile, keyFile)
	if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		t.Fatalf("written key pair: %v", err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	ca.WriteFile(t, caFile)
	if _, err := tls.LoadX509KeyPair(caFile, keyFile); err == nil {
		t.Fatal("the CA file paired with the client key: the files are mixed up")
	}
}
