// Package vsrsim is the deterministic simulator for core/vsr (a VOPR in
// TigerBeetle's sense): a whole cluster — replicas, clients, network and
// disks — runs in one goroutine, driven by one seeded PRNG, so a seed
// replays exactly.
//
// It injects network faults (loss, delay and so reordering, duplication,
// partitions), crashes and restarts (including a crash in the middle of
// persisting a Ready, which tears the write in flight and loses the rest),
// and disk faults within the fault model: on restart a replica may read
// corrupt journal prepares or redundant headers and one corrupt superblock
// copy, never for more replicas per op than the cluster can repair (a fault
// atlas assigns each op the replicas it may damage).
//
// Checkers: every executed op matches the canonical committed history (same
// checksum, same result on every replica, ops executed in order); every
// client reply matches the op it names; after the run, porcupine checks the
// clients' append histories for linearizability and every payload is
// applied at most once. The liveness phase then heals everything and
// requires the cluster to converge within a bound.
//
// It lives outside core because it is a harness, not protocol: it may use
// maps and math/rand/v2 freely (both used deterministically), and it pulls
// in porcupine, which core must not depend on.
package vsrsim
