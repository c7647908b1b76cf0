// Package quictransport serves the Iggy 0.8 binary protocol over QUIC with
// github.com/quic-go/quic-go. Framing is TCP's; each request travels on its
// own bidirectional stream (the client writes one request frame and closes
// its side, the server writes one response frame and closes its side), and
// the QUIC connection is the session, as in Iggy (iggy-wire-protocol.md
// §7.2). TLS 1.3 is always on: a self-signed certificate is generated when
// no files are configured. Streams of one connection are served one at a
// time, so the host sees the same sequential Handle calls as over TCP.
//
// QUIC has no unsolicited frame outside a stream, so the shutdown frame of
// the contract (status 8) becomes: every request stream opened after
// shutdown began is answered with a status-8 frame, and the connection is
// then closed with QUIC application error code 8. Every other
// server-initiated close works the same way with its own status (30, 100,
// 1, 3) as the error code. See README.md.
package quictransport
