// Package testserver runs real runnel-server child processes for tests in
// other packages: it builds the binary once per test process, starts it on
// a fresh data directory and a free loopback port, and offers the faults
// tests need (SIGKILL, restart on the same directory and port). It is
// imported only from _test.go files.
package testserver
