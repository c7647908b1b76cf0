// Package vsrsim is the deterministic simulator for core/vsr (a VOPR in
// TigerBeetle's sense): a whole cluster — replicas, clients, network and
// disks — runs in one goroutine, driven by one seeded PRNG, so a seed
// replays exactly.
//
// Every message crosses the network as bytes: encoded with vsr's wire
// codec on send, decoded on delivery; a frame may be corrupted in flight
// and must then be rejected by the decoder. Journals are tiny rings (24 to
// 64 slots, checkpoints every 4 to 16 ops), so every run wraps them and
// checkpoints many times, and replicas that were down or partitioned for
// long catch up by state transfer (chunked, 64 B to 2 KiB per chunk).
//
// It injects network faults (loss, delay and so reordering, duplication,
// corruption, partitions), crashes and restarts (including a crash in the
// middle of persisting a Ready, which tears the write in flight and loses
// the rest), and disk faults within the fault model. The model: a fault
// atlas gives each op at most Qr−1 replicas (never a majority, none with
// fewer than 3 replicas) on which its journal records may be damaged; on
// such a replica at most one of the op's two records (prepare, redundant
// header) is damaged, by one of: corruption read back at restart, a lost
// write (the host believed it durable and the replica acknowledged it), or
// a misdirected write (it lands in another slot, whose own op must also be
// in the atlas for that replica and whose records were intact). At most
// one superblock copy is corrupted per restart; checkpoints are damaged
// only by torn writes of the slot not referenced by the superblock.
//
// Reformats: in half of the seeds (with 3 or more replicas) a crash may
// lose a replica's whole disk; it restarts on a new disk formatted
// recovering (vsr.RecoveringSuperblock) after longer than any message
// delay, and must catch up and leave recovering. A lost disk is a storage
// fault of every op, so those seeds confine all storage faults (reformats,
// corruption, lost and misdirected writes) to a fixed set of Qr−1
// replicas instead of the per-op atlas: no op is ever faulty on a
// replication quorum. Liveness then also requires every replica to have
// left recovering.
//
// Checkers: every executed op matches the canonical committed history (same
// checksum, same result on every replica, ops executed in order; a
// restart's or state transfer's checkpoint sits at a canonical op); every
// client reply matches the op it names; after the run, porcupine checks the
// clients' append histories for linearizability and every payload is
// applied at most once. The liveness phase then heals everything and
// requires the cluster to converge within a bound.
//
// It lives outside core because it is a harness, not protocol: it may use
// maps and math/rand/v2 freely (both used deterministically), and it pulls
// in porcupine, which core must not depend on.
package vsrsim
