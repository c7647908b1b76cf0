// Package auth holds the server's credential primitives: argon2id password
// hashes in PHC string form, personal access tokens (random secrets of which
// only a SHA-256 hash is stored), and the random root password printed on a
// first boot without configured credentials.
//
// Hashing happens outside the metadata state machine: the server hashes, and
// the ops it submits carry only the resulting strings, so replicas never
// need the secrets nor a random source.
package auth
