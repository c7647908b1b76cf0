// Package archiver is the contract for cold copies: sealed segments with
// their indexes and metadata snapshots, copied to a place that outlives the
// node (a local directory, an object store). The host decides what to copy
// and builds the keys; an Archiver stores, lists, reads back and deletes
// whole objects. archivertest holds the conformance suite every
// implementation, built in or external, must pass.
package archiver
