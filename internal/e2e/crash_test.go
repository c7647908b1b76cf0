package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	iggy "github.com/apache/iggy/foreign/go/client"
	"github.com/apache/iggy/foreign/go/client/tcp"
	iggcon "github.com/apache/iggy/foreign/go/contracts"

	"github.com/runnel-io/runnel/internal/testserver"
)

// TestKill9KeepsEveryAcknowledgedBatch sends batches while the server is
// killed with SIGKILL again and again; afterwards every batch the server
// acknowledged is readable exactly once, in acknowledgement order.
func TestKill9KeepsEveryAcknowledgedBatch(t *testing.T) {
	for _, fsync := range []string{"always", "never"} {
		t.Run("fsync="+fsync, func(t *testing.T) {
			testKill9(t, serverBinary, nil, "RUNNEL_SYSTEM_PARTITION_FSYNC="+fsync)
		})
	}
	// The smallest journal checkpoints every 64 ops, so each restart
	// restores a checkpoint, cuts the partition back to it and replays the
	// journal over what the killed process had already applied.
	t.Run("vsr_small_journal", func(t *testing.T) {
		testKill9(t, serverBinary, nil, "RUNNEL_CLUSTER_MODE=vsr", "RUNNEL_CLUSTER_JOURNAL_SLOTS=128")
	})
}

// TestStorageBackendsSurviveKill9 runs the same send, kill -9, restart and
// verify cycle on every other storage backend, ending with an orderly
// restart. iouring needs its own server build (the tag and linker flag
// keep giouring out of every other binary).
func TestStorageBackendsSurviveKill9(t *testing.T) {
	for _, backend := range []string{"mmap", "directio", "iouring"} {
		t.Run(backend, func(t *testing.T) {
			binary := serverBinary
			if backend == "iouring" {
				var err error
				binary, err = testserver.Build(t.TempDir(), "cmd/runnel-server", "-tags", "iouring", "-ldflags=-checklinkname=0")
				if err != nil {
					t.Fatal(err)
				}
			}
			testKill9(t, binary, nil, "RUNNEL_STORAGE_BACKEND="+backend, "RUNNEL_SYSTEM_PARTITION_FSYNC=always")
		})
	}
	// The file backend out of process, from the storage bundle: the plugin
	// dies with the server and is launched again with it.
	t.Run("file_ext", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "runnel.toml")
		content := fmt.Sprintf("[storage]\nbackend = \"file_ext\"\n[plugins]\ndir = %q\n[[plugins.bundles]]\nname = \"storage\"\nfile = \"runnel-plugin-storage\"\nsha256 = %q\n",
			filepath.Dir(storagePluginBinary), fileSHA256(t, storagePluginBinary))
		if err := os.WriteFile(cfg, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		testKill9(t, serverBinary, []string{"--config", cfg}, "RUNNEL_SYSTEM_PARTITION_FSYNC=always")
	})
}

const (
	crashRounds          = 4
	crashBatchesPerRound = 40
	crashBatchSize       = 50
)

// testKill9 sends from one client while the server is killed crashRounds
// times, verifies every acknowledged batch, then restarts the server in
// order and verifies again.
func testKill9(t *testing.T, binary string, args []string, env ...string) {
	// Small segments so the kills also land around rotations.
	s := testserver.StartArgs(t, binary, args, append([]string{"RUNNEL_SYSTEM_SEGMENT_SIZE=1MiB"}, env...)...)
	admin := iggyClient(t, s)
	_, err := admin.CreateStream("crash")
	mustNoErr(t, "create stream", err)
	_, err = admin.CreateTopic(id(t, uint32(0)), "t", 1, iggcon.CompressionAlgorithmNone, iggcon.Duration(0), 0, nil)
	mustNoErr(t, "create topic", err)
	_ = admin.Close()

	var acked []string // first payload of each acknowledged batch
	payload := strings.Repeat("x", 512)
	batchNo := 0
	for round := range crashRounds {
		cli := iggyClient(t, s)
		var wg sync.WaitGroup
		var mu sync.Mutex
		stop := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				batchNo++
				b := batchNo
				mu.Unlock()
				msgs := make([]iggcon.IggyMessage, crashBatchSize)
				for i := range msgs {
					m, _ := iggcon.NewIggyMessage([]byte(fmt.Sprintf("b%06d-m%03d-%s", b, i, payload)))
					msgs[i] = m
				}
				if err := cli.SendMessages(id(t, uint32(0)), id(t, uint32(0)), iggcon.PartitionId(0), msgs); err != nil {
					return // the server died under this batch: its fate is unknown
				}
				mu.Lock()
				acked = append(acked, fmt.Sprintf("b%06d", b))
				mu.Unlock()
			}
		}()
		target := (round + 1) * crashBatchesPerRound
		testserver.Eventually(t, "acknowledged batches", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(acked) >= target
		})
		s.Kill9() // mid-stream: the sender is still going
		close(stop)
		wg.Wait()
		_ = cli.Close()
		s.Restart()
	}

	verifyAcked(t, s, acked)
	s.Restart()
	verifyAcked(t, s, acked)
}

// verifyAcked reads the whole partition and checks that the acknowledged
// batches appear whole, once each, in order, with dense offsets.
func verifyAcked(t *testing.T, s *server, acked []string) {
	t.Helper()
	cli, err := iggy.NewIggyClient(iggy.WithTcp(tcp.WithServerAddress(s.Addr)))
	mustNoErr(t, "connect", err)
	defer cli.Close()
	_, err = cli.LoginUser(rootUser, rootPassword)
	mustNoErr(t, "login", err)

	p0 := uint32(0)
	consumer := iggcon.NewSingleConsumer(id(t, uint32(99)))
	batchCounts := map[string]int{}
	var order []string
	next := uint64(0)
	for {
		polled, err := cli.PollMessages(id(t, uint32(0)), id(t, uint32(0)), consumer, iggcon.OffsetPollingStrategy(next), 1000, false, &p0)
		mustNoErr(t, "poll", err)
		if len(polled.Messages) == 0 {
			break
		}
		for _, m := range polled.Messages {
			if m.Header.Offset != next {
				t.Fatalf("offset %d where %d was expected", m.Header.Offset, next)
			}
			next++
			batch := string(m.Payload[:7])
			if want := fmt.Sprintf("%s-m%03d", batch, batchCounts[batch]); string(m.Payload[:12]) != want {
				t.Fatalf("offset %d holds %q, want %q (batches must be stored in order, as prefixes)", m.Header.Offset, m.Payload[:12], want)
			}
			if batchCounts[batch] == 0 {
				order = append(order, batch)
			}
			batchCounts[batch]++
		}
	}
	ackedSet := make(map[string]bool, len(acked))
	for _, b := range acked {
		ackedSet[b] = true
	}
	for batch, n := range batchCounts {
		// An acknowledged batch is whole. The batch in flight when the
		// process died may survive as a prefix (a write cut by SIGKILL
		// leaves whole, checksummed frames): it was never acknowledged.
		if ackedSet[batch] && n != crashBatchSize {
			t.Errorf("acknowledged batch %s has %d messages, want %d", batch, n, crashBatchSize)
		}
		if n > crashBatchSize {
			t.Errorf("batch %s stored %d times over", batch, n/crashBatchSize)
		}
	}
	pos := 0
	for _, want := range acked {
		for pos < len(order) && order[pos] != want {
			pos++ // unacknowledged batches that made it to disk are allowed
		}
		if pos == len(order) {
			t.Fatalf("acknowledged batch %s is missing or out of order (%d acknowledged, %d on disk)", want, len(acked), len(order))
		}
		pos++
	}
	t.Logf("%d batches acknowledged, %d on disk after %d kills", len(acked), len(order), crashRounds)
}
