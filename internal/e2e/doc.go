// Package e2e holds end-to-end tests: they build bin/runnel-server, start it
// as a real child process on 127.0.0.1 with a temporary data directory, and
// drive it with the official Iggy Go SDK and with Runnel's own client. Crash
// tests kill the process with SIGKILL and restart it on the same directory.
package e2e
