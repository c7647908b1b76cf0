// Package transporttls builds the server-side TLS configuration every
// transport shares: a PEM certificate pair from files or a self-signed one
// generated at start, and optional client-certificate authentication
// against a CA bundle (which Iggy lacks). Transports embed Config under
// their own "tls" table so the keys read the same everywhere.
package transporttls
