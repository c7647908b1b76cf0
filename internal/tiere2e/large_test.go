package tiere2e

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/testserver"
)

// largeEnv sizes TestLargeHistoryReadBackFromS3 in megabytes (not RUNNEL_:
// the server refuses unknown RUNNEL_ variables it inherits). `make
// bench-tiers` sets it to 200 (the issue's figure); `make test` leaves it
// unset and the test is skipped, because 200 MB through a local S3 server
// takes minutes on two cores.
const largeEnv = "TIERE2E_MB"

// TestLargeHistoryReadBackFromS3 produces TIERE2E_MB megabytes with
// 2 MiB of local retention, so all but the newest segments leave the disk
// once S3 holds them, then polls everything from offset 0 with the Iggy
// SDK: every message byte-identical, almost all of them from S3.
func TestLargeHistoryReadBackFromS3(t *testing.T) {
	mb, err := strconv.Atoi(os.Getenv(largeEnv))
	if err != nil || mb <= 0 {
		t.Skipf("set %s=200 (make bench-tiers) to run", largeEnv)
	}
	gw, s := startTiered(t, "RUNNEL_SYSTEM_TIERING_LOCAL_MAX_SIZE=2MiB")
	cli := iggyClient(t, s)
	createTopic(t, cli)
	batchBytes := batchMessages * payloadBytes
	started := time.Now()
	next := produce(t, cli, 0, mb<<20/batchBytes+1)
	produced := time.Since(started)
	testserver.Eventually(t, "all sealed segments archived and the local log trimmed to its limit", func() bool {
		local := localBases(t, s.DataDir)
		ranges := archived(t, gw)
		return len(local) <= 4 && len(ranges) == 1 && ranges[0].First == 0 && ranges[0].Next >= local[0]
	})
	local := localBases(t, s.DataDir)
	started = time.Now()
	pollAll(t, cli, next)
	polled := time.Since(started)
	total := float64(next*payloadBytes) / 1e6
	t.Logf("%d messages, %.0f MB: produced in %s, polled back from offset 0 in %s (%.0f MB/s); "+
		"local segments start at offset %d (%.1f%% of the history came from S3)",
		next, total, produced.Round(time.Millisecond), polled.Round(time.Millisecond), total/polled.Seconds(),
		local[0], 100*float64(local[0])/float64(next))
}
