// Package tcptransport serves the Iggy 0.8 binary protocol over TCP, or over
// TLS on the same kind of listener. It implements transport.Transport: one
// goroutine per connection reads frames with wire.ReadRequest, calls the
// host's Conn.Handle and writes each response with a vectored write through
// a per-connection buffer that is flushed once no further complete request
// is waiting, so pipelined requests share syscalls and a lone request gets
// its answer at once. See README.md for config keys, limits and the
// behaviour on bad input.
package tcptransport
