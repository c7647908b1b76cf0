// Package producer is Runnel's high-level producer over the low-level
// client: it batches messages by count, bytes and linger time, routes them
// with a Partitioner (balanced, one partition, or key hash computed exactly
// as the server does: XXH32(key) mod partitions), and sends them from
// background goroutines with a bounded buffer, a bounded number of batches
// in flight and a choice of backpressure.
//
// Send accepts a message into the buffer and returns; SendSync sends and
// waits for the server's acknowledgement. Flush and Close wait until every
// accepted message was acknowledged or reported failed, so no accepted
// message is dropped silently: a batch that fails after its retries goes to
// Config.OnError and makes the Flush or Close that waited for it fail.
//
// Delivery is at least once: a batch whose answer was lost to a broken
// connection is sent again after the client reconnects, so it may be
// stored twice.
package producer
