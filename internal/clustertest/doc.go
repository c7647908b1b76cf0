// Package clustertest runs real three-replica runnel-server clusters on
// 127.0.0.1 and checks what replication promises: clients find the
// primary, a kill -9 of the primary loses no acknowledged batch, a
// partitioned follower catches up byte for byte, writes through a follower
// are read back there, and a history of appends and reads with a failover
// in the middle is linearizable (porcupine).
//
// Every replica link goes through a userspace proxy owned by the test, so
// a node can be cut off from the others without touching the servers:
// each node's roster names itself with its real bus address and every
// other replica with the proxy for that link.
//
// Reads in the linearizability check: a follower serves reads from its
// applied state, which may lag, so a read counts as strict (must equal the
// state) only when the node that served it named itself leader just
// before and just after; any other read must return a prefix of the state.
//
// The package holds tests only. A fault-injection soak runs when
// CLUSTER_SOAK is set to a duration (CLUSTER_SOAK=5m go test -run Soak
// -timeout 0 ./internal/clustertest); BenchmarkClusterVsSingle compares a
// cluster with a single node (-bench ClusterVsSingle -benchtime 1x).
package clustertest
