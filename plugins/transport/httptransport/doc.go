// Package httptransport serves Iggy 0.8's HTTP REST API (JSON bodies, JWT
// bearer authentication) as a transport plugin. It owns no command logic:
// every route is translated into the binary command the TCP transport would
// carry (built with sdk/wire encoders), handed to the host's Conn.Handle,
// and the binary answer is decoded with sdk/wire and written as Iggy's JSON.
// So the server's handlers, authentication and permissions stay the only
// implementation, whatever the medium.
//
// A login (POST /users/login, POST /personal-access-tokens/login) opens a
// host Conn and binds it to a session; the JWTs issued name that session.
// Requests carrying the token run on that Conn, one at a time per session
// (the Conn contract). Logout, expiry (a periodic sweep) and shutdown close
// the session and tell the host with Disconnected.
//
// The route table (sdk/httpapi.Routes, shared with the SDK's HTTP client)
// serves requests, each entry with its handler (routes*.go), and also
// generates the OpenAPI 3 document at /openapi.json, so the two cannot
// drift. See README.md for config keys, JSON shapes and curl examples.
package httptransport
