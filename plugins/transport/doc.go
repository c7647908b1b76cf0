// Package transport is the contract for client-facing listeners. A Transport
// accepts connections that speak the Iggy 0.8 binary framing (or carries the
// same request/response pairs over another medium), decodes each request
// frame and hands it to the host's Handler; it writes back whatever Response
// the host returns. The transport owns sockets, framing, limits on bad input
// and the shutdown sequence; the host owns sessions, authentication and
// every command's meaning.
//
// Implementations live one per folder below this package (tcptransport) and
// prove themselves with the conformance suite in transporttest.
package transport
