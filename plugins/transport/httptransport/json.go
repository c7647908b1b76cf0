package httptransport

import "github.com/runnel-io/runnel/sdk/httpapi"

// The JSON shapes, the route table and the conversions between JSON and
// sdk/wire types live in sdk/httpapi, shared with the SDK's HTTP client so
// the two sides cannot drift.

// errorJSON is Iggy's HTTP error body (errors.go writes it).
type errorJSON = httpapi.Error
