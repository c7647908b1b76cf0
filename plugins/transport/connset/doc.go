// Package connset is the connection set every connection-oriented
// transport keeps: admission up to connections_max (refusals counted), the
// contract's shutdown sequence (stop admitting, tell every connection to
// finish, drain within the drain timeout, then force what is left and
// cancel the connections' base context) and the accept loop with backoff.
// A transport keeps only what belongs to its medium: how a connection is
// told to finish, how it is forced shut, and how its listener stops.
package connset
