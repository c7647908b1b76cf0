// Package storagebench measures storage backends through the partition log
// (core/partition) next to raw os.File baselines taken in the same run,
// and prints one table: per backend, append MB/s without fsync, append
// MB/s with an fsync per batch, sequential read MB/s (first pass over
// freshly written data, then a second pass), and p99 latencies of one
// Append and of one Append + Sync. Every row is the median of the rounds;
// backend cells also show the share of the raw baseline.
// One batch is 1,000 frames of 1 KiB (1,024,000 bytes), as in
// core/partition's BenchmarkLog.
//
// The table is printed by a test guarded by an environment variable:
//
//	RUNNEL_BENCH_TABLE=1 go test -tags iouring -ldflags=-checklinkname=0 \
//	    -run TestPrintBackendTable -v ./plugins/storage/storagebench
//
// Without the iouring tag the io_uring backend is left out of the table.
package storagebench
