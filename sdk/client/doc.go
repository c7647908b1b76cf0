// Package client is Runnel's low-level Go client for the Iggy 0.8 binary
// protocol over TCP (or TLS), QUIC (one stream per request) or WebSocket
// (one binary message per frame): see Transport and WithTransport. It has one method per command, each taking a
// context first; it sends one request at a time per connection and maps
// error responses to the wire package's sentinels, so
// errors.Is(err, wire.ErrStreamIDNotFound) works.
//
// A Client reconnects lazily: after a broken connection the next call dials
// again (a few attempts with a short backoff) and logs in again with the
// credentials of the last successful login. It never resends a request whose
// fate is unknown; that decision is the caller's.
package client
