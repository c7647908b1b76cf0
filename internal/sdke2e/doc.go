// Package sdke2e tests the SDK's high-level producer and consumer, and its
// example programs, against a real runnel-server process. Test-only.
package sdke2e
