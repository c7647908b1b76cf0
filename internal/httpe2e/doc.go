// Package httpe2e drives the real runnel-server binary through its HTTP
// REST API (plugins/transport/httptransport) with Go's net/http client and
// the real curl binary, and checks that what goes in over HTTP comes out
// byte for byte over TCP (the Iggy Go SDK) and the other way round. It also
// holds the HTTP-versus-TCP send+poll benchmark. Tests only.
package httpe2e
