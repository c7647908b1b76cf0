package tiere2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	iggy "github.com/apache/iggy/foreign/go/client"
	"github.com/apache/iggy/foreign/go/client/tcp"
	iggcon "github.com/apache/iggy/foreign/go/contracts"

	"github.com/runnel-io/runnel/internal/s3test"
	"github.com/runnel-io/runnel/internal/testserver"
	"github.com/runnel-io/runnel/internal/tiered"
	"github.com/runnel-io/runnel/plugins/archiver/s3archiver"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
)

var serverBinary string

func TestMain(m *testing.M) {
	testserver.Main(m, map[string]*string{"cmd/runnel-server": &serverBinary})
}

const (
	s3Prefix      = "tier"
	payloadBytes  = 4000
	batchMessages = 100 // ~400 KB per batch: a 1 MiB segment seals every ~3 batches
)

// startTiered runs versitygw and a runnel-server archiving to it with 1 MiB
// segments and the given extra environment.
func startTiered(t *testing.T, env ...string) (*s3test.Server, *testserver.Server) {
	t.Helper()
	gw := s3test.Start(t)
	cfgFile := filepath.Join(t.TempDir(), "runnel.toml")
	cfg := fmt.Sprintf("[[archivers]]\nname = \"s3\"\ntype = \"s3\"\n[archivers.config]\n"+
		"bucket = %q\nendpoint = %q\npath_style = true\naccess_key_id = %q\nsecret_access_key = %q\nprefix = %q\n"+
		"retries = 1\nconnect_timeout = \"1s\"\nresponse_timeout = \"5s\"\n",
		gw.Bucket, gw.Endpoint, gw.AccessKey, gw.SecretKey, s3Prefix)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env = append([]string{"RUNNEL_SYSTEM_SEGMENT_SIZE=1MiB", "RUNNEL_SYSTEM_ARCHIVE_INTERVAL=50ms",
		"RUNNEL_SYSTEM_PARTITION_FSYNC=never"}, env...)
	return gw, testserver.StartArgs(t, serverBinary, []string{"--config", cfgFile}, env...)
}

func iggyClient(t *testing.T, s *testserver.Server) iggcon.Client {
	t.Helper()
	cli, err := iggy.NewIggyClient(iggy.WithTcp(tcp.WithServerAddress(s.Addr)))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	if _, err := cli.LoginUser(testserver.RootUser, testserver.RootPassword); err != nil {
		t.Fatalf("login: %v", err)
	}
	return cli
}

func ident(t *testing.T, v any) iggcon.Identifier {
	t.Helper()
	var id iggcon.Identifier
	var err error
	switch v := v.(type) {
	case string:
		id, err = iggcon.NewIdentifier(v)
	case uint32:
		id, err = iggcon.NewIdentifier(v)
	}
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func createTopic(t *testing.T, cli iggcon.Client) {
	t.Helper()
	if _, err := cli.CreateStream("tier"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.CreateTopic(ident(t, "tier"), "t", 1, iggcon.CompressionAlgorithmNone, iggcon.Duration(0), 0, nil); err != nil {
		t.Fatal(err)
	}
}

// message i has a distinct id and payload, so any mix-up shows.
func message(t *testing.T, i int) iggcon.IggyMessage {
	t.Helper()
	payload := make([]byte, payloadBytes+i%97)
	rng := rand.New(rand.NewPCG(uint64(i), 42))
	for j := range payload {
		payload[j] = byte(rng.Uint32())
	}
	var id [16]byte
	binary.LittleEndian.PutUint64(id[:], uint64(i)+1)
	m, err := iggcon.NewIggyMessage(payload, iggcon.WithID(id))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// produce sends batches of messages numbered from first on and returns
// the next number.
func produce(t *testing.T, cli iggcon.Client, first, batches int) int {
	t.Helper()
	for range batches {
		msgs := make([]iggcon.IggyMessage, batchMessages)
		for j := range msgs {
			msgs[j] = message(t, first+j)
		}
		if err := cli.SendMessages(ident(t, "tier"), ident(t, "t"), iggcon.PartitionId(0), msgs); err != nil {
			t.Fatalf("send from %d: %v", first, err)
		}
		first += batchMessages
	}
	return first
}

// pollAll polls every message from offset 0 with the Iggy SDK and checks
// each against what was sent: offset, id and payload, byte for byte. It
// returns their timestamps by offset.
func pollAll(t *testing.T, cli iggcon.Client, total int) []uint64 {
	t.Helper()
	var stamps []uint64
	consumer := iggcon.NewSingleConsumer(ident(t, uint32(1)))
	p0 := uint32(0)
	for offset := 0; offset < total; {
		polled, err := cli.PollMessages(ident(t, "tier"), ident(t, "t"), consumer, iggcon.OffsetPollingStrategy(uint64(offset)), 500, false, &p0)
		if err != nil {
			t.Fatalf("poll at %d: %v", offset, err)
		}
		if len(polled.Messages) == 0 {
			t.Fatalf("poll at %d of %d returned nothing", offset, total)
		}
		for _, m := range polled.Messages {
			want := message(t, offset)
			if m.Header.Offset != uint64(offset) || m.Header.Id != want.Header.Id || !bytes.Equal(m.Payload, want.Payload) {
				t.Fatalf("message at %d: offset %d, id %x, %d payload bytes; want id %x, %d bytes, equal",
					offset, m.Header.Offset, m.Header.Id, len(m.Payload), want.Header.Id, len(want.Payload))
			}
			stamps = append(stamps, m.Header.Timestamp)
			offset++
		}
	}
	return stamps[:total] // the last poll may reach past total
}

// localBases lists the base offsets of the partition's local segments.
func localBases(t *testing.T, dataDir string) []uint64 {
	t.Helper()
	dir := filepath.Join(dataDir, "streams", "0", "topics", "0", "partitions", "0")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".log"); ok {
			n, err := strconv.ParseUint(name, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// archived reads the bucket as a new node would: the catalog's runs of
// offsets.
func archived(t *testing.T, gw *s3test.Server) []tiered.Range {
	t.Helper()
	ctx := context.Background()
	a, err := s3archiver.New(component.Env{}, s3archiver.Config{Bucket: gw.Bucket, Endpoint: gw.Endpoint, PathStyle: true,
		AccessKeyID: gw.AccessKey, SecretAccessKey: gw.SecretKey, Prefix: s3Prefix, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		return nil // the gateway is down
	}
	defer a.Close(ctx)
	infos, err := a.List(ctx, "segments/")
	if err != nil {
		return nil
	}
	cat := tiered.NewCatalog([]string{"s3"})
	cat.AddListing("s3", infos)
	return cat.Ranges(storage.PartitionKey{})
}

// TestLocalRetentionWaitsForS3AndPollsReadThrough: with local_max_size
// 2 MiB, sealed segments leave the disk only once S3 holds them. S3 is
// killed in the middle: nothing more is deleted locally until it is back,
// then the uploads resume; finally every message polled from offset 0
// with the Iggy SDK is byte-identical, the oldest ones coming from S3.
func TestLocalRetentionWaitsForS3AndPollsReadThrough(t *testing.T) {
	gw, s := startTiered(t, "RUNNEL_SYSTEM_TIERING_LOCAL_MAX_SIZE=2MiB", "RUNNEL_SYSTEM_TIERING_MEMORY_CACHE_SIZE=2MiB")
	cli := iggyClient(t, s)
	createTopic(t, cli)

	next := produce(t, cli, 0, 12) // ~4.8 MB: four sealed segments
	testserver.Eventually(t, "old segments archived and removed locally", func() bool {
		return localBases(t, s.DataDir)[0] > 0
	})

	gw.Stop(t)
	next = produce(t, cli, next, 12) // seals ~4 more segments while S3 is down
	// Sends and polls of local data go on during the outage.
	consumer := iggcon.NewSingleConsumer(ident(t, uint32(1)))
	p0 := uint32(0)
	if polled, err := cli.PollMessages(ident(t, "tier"), ident(t, "t"), consumer, iggcon.OffsetPollingStrategy(uint64(next-1)), 1, false, &p0); err != nil || len(polled.Messages) != 1 {
		t.Fatalf("poll of the newest message during the outage: %v", err)
	}
	// 2 MiB of local retention is two or three segments; unarchived ones stay.
	if local := localBases(t, s.DataDir); len(local) < 6 {
		t.Fatalf("local segments %v: deleted while S3 was down", local)
	}

	gw.Restart(t)
	next = produce(t, cli, next, 6)
	var ranges []tiered.Range
	testserver.Eventually(t, "uploads resumed and local retention caught up", func() bool {
		local := localBases(t, s.DataDir)
		ranges = archived(t, gw)
		return len(local) <= 4 && len(ranges) == 1 && ranges[0].First == 0 && ranges[0].Next >= local[0]
	})
	local := localBases(t, s.DataDir)
	t.Logf("after the outage: local segments %v, archived %v, %d messages", local, ranges, next)
	if !strings.Contains(s.Output(), "archive failed; retrying next pass") {
		t.Fatal("no upload failed during the outage")
	}
	if local[0] < 2*batchMessages*3 {
		t.Fatalf("local segments start at %d: too few went to S3", local[0])
	}
	stamps := pollAll(t, cli, next)
	// By timestamp, older than anything local: found in the archived index.
	polled, err := cli.PollMessages(ident(t, "tier"), ident(t, "t"), consumer, iggcon.TimestampPollingStrategy(stamps[1]), 1, false, &p0)
	if want, _ := slices.BinarySearch(stamps, stamps[1]); err != nil || len(polled.Messages) != 1 || polled.Messages[0].Header.Offset != uint64(want) {
		t.Fatalf("poll by the timestamp of message 1: %v, %+v; want offset %d", err, polled, want)
	}

	// A new connection reading from the start after a restart: the catalog
	// is rebuilt from the bucket.
	s.Restart()
	pollAll(t, iggyClient(t, s), next)
}

// pollNext walks the whole partition with the Next strategy and
// auto-commit, as a consumer that starts from scratch does.
func pollNext(t *testing.T, cli iggcon.Client, consumerID uint32, total int) {
	t.Helper()
	consumer := iggcon.NewSingleConsumer(ident(t, consumerID))
	p0 := uint32(0)
	for offset := 0; offset < total; {
		polled, err := cli.PollMessages(ident(t, "tier"), ident(t, "t"), consumer, iggcon.NextPollingStrategy(), 300, true, &p0)
		if err != nil || len(polled.Messages) == 0 {
			t.Fatalf("poll next at %d: %d messages, %v", offset, len(polled.Messages), err)
		}
		for _, m := range polled.Messages {
			if want := message(t, offset); m.Header.Offset != uint64(offset) || !bytes.Equal(m.Payload, want.Payload) {
				t.Fatalf("next: message at %d has offset %d or another payload", offset, m.Header.Offset)
			}
			offset++
		}
	}
}

// TestS3OnlyModeAndRestore: with local_active_only the active segment is
// the only local state, and sends and polls (by offset, and Next with
// auto-commit) behave as on a normal node. Then the node restarts on a data
// directory whose partition files are all gone: it serves the archived
// history and new messages continue the offsets.
func TestS3OnlyModeAndRestore(t *testing.T) {
	// In mode none the restored partition continues at the archive's end.
	// With vsr it resumes at its last checkpoint and the journal replays
	// what came after (TestVSRResumesPartitionWithLostFiles, internal/e2e).
	gw, s := startTiered(t, "RUNNEL_SYSTEM_TIERING_LOCAL_ACTIVE_ONLY=true", "RUNNEL_CLUSTER_MODE=none")
	cli := iggyClient(t, s)
	createTopic(t, cli)
	next := produce(t, cli, 0, 10)
	testserver.Eventually(t, "only the active segment left locally", func() bool {
		local := localBases(t, s.DataDir)
		ranges := archived(t, gw)
		return len(local) == 1 && len(ranges) == 1 && ranges[0] == tiered.Range{First: 0, Next: local[0]}
	})
	pollAll(t, cli, next)
	pollNext(t, cli, 2, next)

	s.Stop()
	if err := os.RemoveAll(filepath.Join(s.DataDir, "streams")); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	if !strings.Contains(s.Output(), "partition restored from the archive") {
		t.Fatalf("no restore reported:\n%s", s.Output())
	}
	cli = iggyClient(t, s)
	archivedNext := archived(t, gw)[0].Next
	if int(archivedNext) >= next {
		t.Fatalf("everything was archived (%d of %d): the test needs a lost active segment", archivedNext, next)
	}
	// What the lost active segment held is gone with it: the restored
	// node continues from the archive's end.
	pollAll(t, cli, int(archivedNext))
	next = produce(t, cli, int(archivedNext), 3)
	pollAll(t, cli, next)
}
