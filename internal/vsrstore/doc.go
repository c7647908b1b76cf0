// Package vsrstore is the durable storage of one VSR replica (core/vsr):
// the host side of Ready/Advance on real files. core/vsr does no I/O; after
// every input the host takes a vsr.Ready, calls Store.Persist (checkpoint,
// then superblock copies, then journal writes, each stage durable before
// the next), sends the Ready's messages and calls Advance. After a crash,
// Open reads back exactly what vsr.OpenSuperblock and vsr.Restart need.
//
// One preallocated file, replica.vsr, per replica directory:
//
//	offset                          size              content
//	0                               4 KiB             format header (magic, version 2, layout, cluster, replica)
//	4 KiB + i·4 KiB, i < 4          4 KiB             superblock copy i: u32 length, u32 0, core/vsr encoding
//	20 KiB + s·4 KiB                4 KiB             redundant header of journal slot s (128 bytes, zeros)
//	H + s·P                         P                 prepare of slot s (header + body, as vsr.Prepare.Encode)
//	H + slots·P + k·C, k ∈ {0,1}    C                 checkpoint slot k (raw bytes; size and checksum in the superblock)
//
// where H = 20 KiB + slots·4 KiB, P = PrepareSizeBytesMax rounded up to
// 4 KiB (default 1 MiB + 4 KiB: core/vsr's largest prepare) and C =
// CheckpointSizeBytesMax rounded up to 4 KiB. A superblock area is
// vsr.SuperblockSizeMax plus its frame, rounded up to 4 KiB. Every record
// starts on its own 4 KiB block, so a torn write damages only the record
// being written.
// With the defaults (1024 slots, 64 MiB checkpoints) the file is about
// 1.13 GiB.
//
// Durability: writes are buffered pwrite/pwritev followed by fdatasync
// barriers (one flush per stage instead of O_DSYNC's one per write); see
// Persist for why each barrier is there. A failed write or sync is never
// retried: the store refuses further use and the replica restarts from
// what is durable.
//
// Fault handling is core/vsr's: Open passes every record through as read
// (never-written records, and prepares the checkpoint covers, as nil; a
// prepare's length is trusted only once vsr.PrepareSize verified its
// header) and core/vsr tells a torn journal write (neither record
// readable: never acknowledged) from a faulty one (header readable,
// prepare not: repaired from peers); Replica.RestartReport counts both.
// One damaged superblock copy is outvoted and rewritten at Open. A
// damaged checkpoint (vsr.Superblock.VerifyCheckpoint) is reported as
// ErrCheckpointCorrupt (core/vsr cannot repair checkpoints yet).
package vsrstore
