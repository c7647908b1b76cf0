// Package transporte2e runs the real runnel-server binary with its TCP,
// QUIC and WebSocket transports enabled and drives it through the SDK over
// each one: the same scenario (streams, topics, send, poll, consumer
// groups) on every transport, bad input on every transport, and a
// send/poll benchmark comparing them. It holds tests only.
package transporte2e
