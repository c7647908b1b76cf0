// Package server is a Runnel node: it opens the metadata store and the
// partition logs, serves the Iggy 0.8 commands over the configured
// transports, and runs the background work (fsync interval, retention,
// token expiry).
//
// Concurrency: each connection is a session whose requests run in order.
// Metadata reads go through metastore.View; changes are metadata ops
// submitted to the metastore, which makes them durable before answering.
// The topology lock orders changes to the set of partition logs (create,
// delete, purge) against the requests that use a log, so a send never meets
// a partition whose log is half made. Each partition log has its own mutex;
// appends share fsyncs (group commit) under the "always" policy.
//
// Lock order: topology, then an offset stripe (polls with auto-commit),
// then metastore (View/Submit), then a partition log, then groupsMu. Nothing takes them in the other direction.
package server
