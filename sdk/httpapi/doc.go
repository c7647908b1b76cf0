// Package httpapi is the pure part of Runnel's HTTP REST API (Apache Iggy
// 0.8's routes and JSON shapes): the route table (method, path, query
// parameters, request and answer JSON types, the binary command each route
// carries), the JSON types themselves, conversions between them and the
// sdk/wire types in both directions, the OpenAPI document generated from
// the table, and the client-side translation of a binary request into a
// REST call (Build) and of the JSON answer back into the binary payload
// (Answer, DecodeError).
//
// The server's HTTP transport (plugins/transport/httptransport) serves the
// table; sdk/client's HTTP transport calls it. Both use this package, so
// the two sides cannot drift apart. It does no I/O.
package httpapi
