package tiere2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	iggcon "github.com/apache/iggy/foreign/go/contracts"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/internal/metastore"
	"github.com/runnel-io/runnel/internal/s3test"
	"github.com/runnel-io/runnel/internal/testserver"
	"github.com/runnel-io/runnel/internal/tiered"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/archiver/s3archiver"
	"github.com/runnel-io/runnel/plugins/component"
)

// bucket opens the test bucket under the server's prefix, as a new node
// would.
func bucket(t *testing.T, gw *s3test.Server) archiver.Archiver {
	t.Helper()
	a, err := s3archiver.New(component.Env{}, s3archiver.Config{Bucket: gw.Bucket, Endpoint: gw.Endpoint, PathStyle: true,
		AccessKeyID: gw.AccessKey, SecretAccessKey: gw.SecretKey, Prefix: s3Prefix, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	return a
}

func getAll(t *testing.T, a archiver.Archiver, key archiver.Key) []byte {
	t.Helper()
	r, err := a.Get(context.Background(), key, 0, -1)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// archivedState loads the newest archived metadata snapshot as a restoring
// node would, and reports whether its topic holds a stored offset.
func archivedState(t *testing.T, a archiver.Archiver) (key archiver.Key, hasOffset bool) {
	t.Helper()
	infos, err := a.List(context.Background(), tiered.MetadataKeyPrefix)
	if err != nil {
		t.Fatal(err)
	}
	info, _, ok := tiered.NewestMetadata(infos)
	if !ok {
		return "", false
	}
	dir := t.TempDir()
	if _, err := metastore.InstallSnapshot(dir, getAll(t, a, info.Key), metastore.Config{}); err != nil {
		t.Fatalf("archived snapshot %s: %v", info.Key, err)
	}
	st, err := metastore.Open(context.Background(), dir, metastore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	st.View(func(s *metadata.State) {
		for stream := range s.Streams() {
			for topic := range stream.Topics() {
				hasOffset = hasOffset || topic.StoredOffsetsCount() > 0
			}
		}
	})
	return info.Key, hasOffset
}

// TestEmptyNodeRestoresFromTheArchive: a node archives its segments, its
// metadata and a manifest to S3; it is killed with SIGKILL and its whole
// data directory is wiped. Started again with the same archive config, it
// takes the newest metadata snapshot from S3 (users, the topic, a stored
// consumer offset) and serves every archived message byte-identical to the
// Iggy SDK, by offset and by timestamp, with topic and server stats that
// count the archived history.
func TestEmptyNodeRestoresFromTheArchive(t *testing.T) {
	gw, s := startTiered(t, "RUNNEL_SYSTEM_ARCHIVE_METADATA_INTERVAL=50ms")
	cli := iggyClient(t, s)
	createTopic(t, cli)
	next := produce(t, cli, 0, 10) // ~4 MB: three or four sealed segments
	consumer := iggcon.NewSingleConsumer(ident(t, uint32(7)))
	p0 := uint32(0)
	if err := cli.StoreConsumerOffset(consumer, ident(t, "tier"), ident(t, "t"), 42, &p0); err != nil {
		t.Fatal(err)
	}
	a := bucket(t, gw)
	var m tiered.Manifest
	var ranges []tiered.Range
	testserver.Eventually(t, "segments, metadata with the stored offset, and a manifest listing both archived", func() bool {
		ranges = archived(t, gw)
		if len(ranges) != 1 || ranges[0].First != 0 || ranges[0].Next < 3*batchMessages*2 {
			return false
		}
		key, hasOffset := archivedState(t, a)
		var err error
		if m, err = tiered.DecodeManifest(getAll(t, a, tiered.ManifestKey)); err != nil || !hasOffset || m.Metadata == nil || m.Metadata.Key != key {
			return false
		}
		return len(m.Partitions) == 1 && m.Partitions[0].Segments[len(m.Partitions[0].Segments)-1].NextOffset == ranges[0].Next
	})
	if infos, err := a.List(context.Background(), tiered.MetadataKeyPrefix); err != nil || len(infos) == 0 || len(infos) > 3 {
		t.Fatalf("%d archived metadata snapshots (%v), want 1 to 3: older ones are pruned", len(infos), err)
	}
	segs := m.Partitions[0].Segments
	for i, seg := range segs { // contiguous from 0, with digests
		prev := uint64(0)
		if i > 0 {
			prev = segs[i-1].NextOffset
		}
		if seg.BaseOffset != prev || seg.NextOffset <= seg.BaseOffset || len(seg.Log.SHA256) != 64 || len(seg.Index.SHA256) != 64 {
			t.Fatalf("manifest segment %d: %+v", i, seg)
		}
	}
	wantStamps := pollAll(t, cli, next)

	s.Kill9()
	if err := os.RemoveAll(s.DataDir); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	for _, line := range []string{"metadata restored from the archive", "partition restored from the archive"} {
		if !strings.Contains(s.Output(), line) {
			t.Fatalf("no %q in the output:\n%s", line, s.Output())
		}
	}
	// Mode none installs the snapshot as its metadata file; vsr applies it
	// as an operation in the new journal.
	restored := filepath.Join(s.DataDir, "metadata", "snapshot")
	if testserver.ClusterMode() == config.ClusterVSR {
		restored = filepath.Join(s.DataDir, "vsr", "replica.vsr")
	}
	if _, err := os.Stat(restored); err != nil {
		t.Fatalf("restored metadata: %v", err)
	}
	// More may have been archived between the wait and the kill.
	ranges = archived(t, gw)
	archivedNext := int(ranges[0].Next)
	wantStamps = wantStamps[:archivedNext]
	cli = iggyClient(t, s) // the root user came back with the metadata
	if got := pollAll(t, cli, archivedNext); !slices.Equal(got, wantStamps) {
		t.Fatal("restored messages carry other timestamps")
	}
	if off, err := cli.GetConsumerOffset(consumer, ident(t, "tier"), ident(t, "t"), &p0); err != nil || off.StoredOffset != 42 {
		t.Fatalf("stored offset after the restore: %+v, %v", off, err)
	}

	// By timestamp: the local log is empty, so these come from the archive.
	for _, k := range []int{0, archivedNext / 2, archivedNext - 1} {
		want, _ := slices.BinarySearch(wantStamps, wantStamps[k]) // first message stamped at or after
		polled, err := cli.PollMessages(ident(t, "tier"), ident(t, "t"), consumer, iggcon.TimestampPollingStrategy(wantStamps[k]), 1, false, &p0)
		if err != nil || len(polled.Messages) != 1 || polled.Messages[0].Header.Offset != uint64(want) {
			t.Fatalf("poll by the timestamp of message %d: %v, %+v; want offset %d", k, err, polled, want)
		}
	}

	topic, err := cli.GetTopic(ident(t, "tier"), ident(t, "t"))
	if err != nil {
		t.Fatal(err)
	}
	part := topic.Partitions[0]
	if topic.MessagesCount != uint64(archivedNext) || part.MessagesCount != uint64(archivedNext) ||
		part.CurrentOffset != uint64(archivedNext-1) || part.SegmentsCount < uint32(len(segs)) || topic.Size < uint64(archivedNext*payloadBytes) {
		t.Fatalf("topic after the restore: %d messages, partition %+v; want %d messages up to offset %d in at least %d segments",
			topic.MessagesCount, part, archivedNext, archivedNext-1, len(segs))
	}
	stats, err := cli.GetStats()
	if err != nil || stats.MessagesCount != uint64(archivedNext) {
		t.Fatalf("stats after the restore: %+v, %v", stats, err)
	}
	// A consumer can commit inside the archived history of the restored partition.
	if err := cli.StoreConsumerOffset(consumer, ident(t, "tier"), ident(t, "t"), 10, &p0); err != nil {
		t.Fatalf("store an archived offset: %v", err)
	}
	// New messages continue the offsets.
	next = produce(t, cli, archivedNext, 2)
	pollAll(t, cli, next)

	// Each metadata change is archived; only the newest three snapshots
	// stay, and the manifest names the newest.
	for i := range 4 {
		before, _ := archivedState(t, a)
		if _, err := cli.CreateStream(fmt.Sprintf("more-%d", i)); err != nil {
			t.Fatal(err)
		}
		testserver.Eventually(t, "the new stream's snapshot archived", func() bool {
			key, _ := archivedState(t, a)
			return key != before
		})
	}
	testserver.Eventually(t, "old snapshots pruned and the manifest naming the newest", func() bool {
		infos, err := a.List(context.Background(), tiered.MetadataKeyPrefix)
		if err != nil || len(infos) != 3 {
			return false
		}
		m, err := tiered.DecodeManifest(getAll(t, a, tiered.ManifestKey))
		return err == nil && m.Metadata != nil && m.Metadata.Key == infos[2].Key && m.Metadata.SHA256 == infos[2].SHA256
	})
}
