// Package consumer is Runnel's high-level consumer over the low-level
// client: a single consumer (one partition or all of them in turn) or a
// member of a consumer group, with polling strategies, a batch size, a poll
// interval, auto-commit modes and explicit commits, and an iterator:
//
//	for msg, err := range c.Messages(ctx) { ... }
//
// A group consumer creates its group when missing, joins it, joins again
// after the connection was re-established, and leaves it on Close. Polls
// without a partition let the server pick the next partition this member
// owns, so after a rebalance the member reads what it owns now.
//
// Requests are never abandoned half-way: cancelling a context takes effect
// between requests, because a poll whose offset the server committed but
// whose answer was lost would lose messages. When the iterator's context
// ends it delivers what it already fetched under CommitAfterPoll (those
// offsets are committed), commits what the other auto-commit modes owe,
// and stops.
//
// A Consumer owns its group membership, which belongs to the client's
// connection: give each group consumer a client of its own.
package consumer
