// Package wire is the Iggy 0.8 binary protocol: request and response
// framing, the message frame layout, every command's payload codec and the
// error codes. The client SDK and the server share it, so both sides agree
// on every byte by construction.
package wire
