// Command bench-peer measures Runnel and NATS JetStream on this machine
// with the same shapes: 1 KiB messages in batches of 1,000 (publish with 1
// and 8 producers, consume with 1 consumer), file storage, without and
// with an fsync per batch, Runnel and NATS alternating shape by shape.
//
// Runnel is measured with bin/runnel-bench (each run starts its own
// runnel-server on a fresh data directory); NATS with the `nats bench` of
// the natscli, installed with nats-server from the Go module proxy into
// bin/peer. It writes DIR/peer.md and DIR/peer.json and prints the table.
//
//	go run ./scripts/bench-peer --out bench-peer-results
package main
