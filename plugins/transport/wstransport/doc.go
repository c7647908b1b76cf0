// Package wstransport serves the Iggy 0.8 binary protocol over WebSocket
// with github.com/coder/websocket: every binary message from the client
// carries exactly one request frame (TCP framing) and every binary message
// from the server exactly one response frame, on an HTTP server (plain or
// TLS, optionally with client certificates) that upgrades one configured
// path. When the host implements transport.HTTPRoutes, its routes (such as
// "/metrics") are served by the same HTTP server. See README.md.
package wstransport
