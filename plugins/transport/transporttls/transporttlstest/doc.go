// Package transporttlstest makes the certificates transport tests need: a
// throwaway CA and client certificates it signs (mutual TLS), and PEM
// files of them in a test's directory. It does not import transporttls,
// so that package's own tests can use it.
package transporttlstest
