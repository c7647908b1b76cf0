package transporttls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"
)

// Config is the "tls" table of a transport's config.
type Config struct {
	// Enabled switches the listener to TLS. QUIC ignores it: QUIC is
	// always encrypted.
	Enabled bool `koanf:"enabled"`
	// CertFile and KeyFile are PEM files. When both are empty a self-signed
	// ECDSA P-256 certificate for localhost, 127.0.0.1 and ::1 is generated
	// at start and kept in memory only.
	CertFile string `koanf:"cert_file"`
	KeyFile  string `koanf:"key_file"`
	// ClientCAFile, when set, is a PEM bundle of CAs: every client must
	// present a certificate signed by one of them, or the handshake fails.
	ClientCAFile string `koanf:"client_ca_file"`
}

// Validate checks the settings that can be checked without reading files.
func (c Config) Validate() error {
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("tls: cert_file and key_file must be set together (or both empty for a generated certificate)")
	}
	return nil
}

// generatedCertValidity is how long a generated certificate is valid. It
// only lives as long as the process, so a year is plenty.
const generatedCertValidity = 365 * 24 * time.Hour

// ServerConfig loads the configured PEM pair, or generates a self-signed
// certificate when both files are empty (as the Rust server does), and the
// client CA bundle when one is set. now dates a generated certificate.
// The caller adds ALPN protocols if its medium needs them (QUIC does).
func ServerConfig(c Config, now time.Time) (*tls.Config, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var cert tls.Certificate
	var err error
	if c.CertFile == "" && c.KeyFile == "" {
		cert, err = GenerateSelfSigned(now)
	} else {
		cert, err = tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	}
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	out := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.ClientCAFile != "" {
		pem, err := os.ReadFile(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: client_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls: client_ca_file %s: no PEM certificate in it", c.ClientCAFile)
		}
		out.ClientCAs = pool
		out.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return out, nil
}

// GenerateSelfSigned makes an ECDSA P-256 certificate for localhost,
// 127.0.0.1 and ::1, valid from an hour before now (clock skew).
func GenerateSelfSigned(now time.Time) (tls.Certificate, error) {
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
