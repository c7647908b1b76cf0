package tcptransport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"
)

// generatedCertValidity is how long a generated certificate is valid. It
// only lives as long as the process, so a year is plenty.
const generatedCertValidity = 365 * 24 * time.Hour

// serverTLSConfig loads the configured PEM pair, or generates a self-signed
// certificate when both files are empty (as the Rust server does). No client
// certificates and no ALPN: the Iggy SDKs use neither.
func serverTLSConfig(c TLSConfig, now time.Time) (*tls.Config, error) {
	var cert tls.Certificate
	var err error
	if c.CertFile == "" && c.KeyFile == "" {
		cert, err = selfSignedCertificate(now)
	} else {
		cert, err = tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	}
	if err != nil {
		return nil, fmt.Errorf("tcptransport: tls: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// selfSignedCertificate makes an ECDSA P-256 certificate for localhost,
// 127.0.0.1 and ::1, valid from an hour before now (clock skew).
func selfSignedCertificate(now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate serial: %w", err)
	}
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"runnel (generated)"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(generatedCertValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("parse generated certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
