// Package transporttest is the conformance suite every transport.Transport
// implementation runs: Run drives a fresh transport per case with a
// recording Handler and real client connections, and checks framing, order,
// limits on bad input, the Response fields and the shutdown rule of the
// contract, plus the lifecycle (Close idempotent, Serve returning).
//
// The suite speaks a byte stream of TCP frames. Transports that carry each
// request in its own unit (a QUIC stream, a WebSocket message) give Run a
// Dial whose net.Conn writes through a Splitter.
package transporttest
