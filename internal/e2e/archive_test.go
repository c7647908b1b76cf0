package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/otlptest"
	"github.com/runnel-io/runnel/internal/s3test"
	"github.com/runnel-io/runnel/internal/testserver"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/archiver/s3archiver"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/sdk/wire"
)

// TestDiskArchiverReceivesSealedSegments: with a disk archiver configured,
// every sealed segment's log and index reach the archive byte for byte,
// while the active segment does not; after a restart nothing is copied
// twice and new seals are archived too.
func TestDiskArchiverReceivesSealedSegments(t *testing.T) {
	archiveDir := t.TempDir()
	cfgFile := filepath.Join(t.TempDir(), "runnel.toml")
	cfg := "[[archivers]]\nname = \"cold\"\ntype = \"disk\"\n[archivers.config]\npath = \"" + archiveDir + "\"\n"
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	rcv := otlptest.Start(t)
	s := testserver.StartArgs(t, serverBinary, []string{"--config", cfgFile},
		"RUNNEL_SYSTEM_SEGMENT_SIZE=1MiB", "RUNNEL_SYSTEM_ARCHIVE_INTERVAL=50ms",
		"RUNNEL_TELEMETRY_ENABLED=true", "RUNNEL_TELEMETRY_TRACES_ENDPOINT="+rcv.Addr(), "RUNNEL_TELEMETRY_TRACES_EXPORT_INTERVAL=20ms",
		"RUNNEL_TELEMETRY_TRACES_SAMPLING_RATIO=1", // uploads are root spans
		"RUNNEL_TELEMETRY_METRICS_ENDPOINT="+rcv.Addr(), "RUNNEL_TELEMETRY_METRICS_EXPORT_INTERVAL=50ms",
		"RUNNEL_TELEMETRY_LOGS_TRANSPORT=none")
	c := runnelClient(t, s)
	ctx := context.Background()
	if _, err := c.CreateStream(ctx, "arch"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: wire.NamedID("arch"), PartitionsCount: 1, Name: "t"}); err != nil {
		t.Fatal(err)
	}
	sendBytes(t, s, 12) // 12 x 50 x ~4 KiB: two sealed 1 MiB segments and an active one

	// Two sealed segments, two files each; the active segment stays local.
	testserver.Eventually(t, "sealed segments archived", func() bool { return len(archivedFiles(t, archiveDir, s.DataDir)) == 4 })
	checkArchivedCopies(t, archiveDir, s.DataDir)
	// Each upload is traced and timed as a plugin call.
	uploaded := rcv.Eventually(ctx, 20*time.Second, func() bool {
		spans := 0
		for _, sp := range rcv.Spans() {
			if sp.Name == "runnel.archive.put" && sp.Attributes["runnel.archiver"] == "cold" {
				spans++
			}
		}
		timed := false
		for _, p := range rcv.Points() {
			timed = timed || (p.Metric == "runnel.plugin.call.duration" && p.Attributes["instance"] == "cold" && p.Attributes["op"] == "put" && p.Value >= 4)
		}
		return spans >= 4 && timed
	})
	if !uploaded {
		t.Fatalf("archive uploads not traced or timed: spans %+v", rcv.Spans())
	}

	before := modTimes(t, archiveDir, s.DataDir)
	s.Restart()
	sendBytes(t, s, 6)
	testserver.Eventually(t, "a new seal archived after restart", func() bool { return len(archivedFiles(t, archiveDir, s.DataDir)) == 6 })
	checkArchivedCopies(t, archiveDir, s.DataDir)
	for path, mtime := range before {
		if now := modTimes(t, archiveDir, s.DataDir)[path]; !now.Equal(mtime) {
			t.Errorf("%s was copied again after the restart", path)
		}
	}
}

func modTimes(t *testing.T, archiveDir, dataDir string) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	for archived := range archivedFiles(t, archiveDir, dataDir) {
		st, err := os.Stat(archived)
		if err != nil {
			t.Fatal(err)
		}
		out[archived] = st.ModTime()
	}
	return out
}

// checkArchivedCopies compares every archived file with its local original.
func checkArchivedCopies(t *testing.T, archiveDir, dataDir string) {
	t.Helper()
	for archived, local := range archivedFiles(t, archiveDir, dataDir) {
		a, err := os.ReadFile(archived)
		if err != nil {
			t.Fatal(err)
		}
		l, err := os.ReadFile(local)
		if err != nil {
			t.Fatalf("archived %s has no local original: %v", archived, err)
		}
		if !bytes.Equal(a, l) || len(a) == 0 {
			t.Fatalf("%s (%d bytes) differs from %s (%d bytes)", archived, len(a), local, len(l))
		}
	}
}

// TestS3ArchiverReceivesSealedSegments: the same with the s3 archiver and a
// real S3-compatible server; the objects read back through an archiver
// equal the local files.
func TestS3ArchiverReceivesSealedSegments(t *testing.T) {
	gw := s3test.Start(t)
	cfgFile := filepath.Join(t.TempDir(), "runnel.toml")
	cfg := fmt.Sprintf("[[archivers]]\nname = \"s3\"\ntype = \"s3\"\n[archivers.config]\n"+
		"bucket = %q\nendpoint = %q\npath_style = true\naccess_key_id = %q\nsecret_access_key = %q\nprefix = \"e2e\"\n",
		gw.Bucket, gw.Endpoint, gw.AccessKey, gw.SecretKey)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	rcv := otlptest.Start(t)
	s := testserver.StartArgs(t, serverBinary, []string{"--config", cfgFile},
		"RUNNEL_SYSTEM_SEGMENT_SIZE=1MiB", "RUNNEL_SYSTEM_ARCHIVE_INTERVAL=50ms",
		"RUNNEL_TELEMETRY_ENABLED=true", "RUNNEL_TELEMETRY_TRACES_ENDPOINT="+rcv.Addr(), "RUNNEL_TELEMETRY_TRACES_EXPORT_INTERVAL=20ms",
		"RUNNEL_TELEMETRY_TRACES_SAMPLING_RATIO=1", // uploads are root spans
		"RUNNEL_TELEMETRY_METRICS_ENDPOINT="+rcv.Addr(), "RUNNEL_TELEMETRY_METRICS_EXPORT_INTERVAL=50ms",
		"RUNNEL_TELEMETRY_LOGS_TRANSPORT=none")
	c := runnelClient(t, s)
	ctx := context.Background()
	if _, err := c.CreateStream(ctx, "arch"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: wire.NamedID("arch"), PartitionsCount: 1, Name: "t"}); err != nil {
		t.Fatal(err)
	}
	sendBytes(t, s, 12)

	reader, err := s3archiver.New(component.Env{}, s3archiver.Config{Bucket: gw.Bucket, Endpoint: gw.Endpoint, PathStyle: true,
		AccessKeyID: gw.AccessKey, SecretAccessKey: gw.SecretKey, Prefix: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	if err := reader.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer reader.Close(ctx)
	var objects []archiver.ObjectInfo
	testserver.Eventually(t, "sealed segments in S3", func() bool {
		objects, err = reader.List(ctx, "segments/")
		return err == nil && len(objects) == 4
	})
	for _, o := range objects {
		parts := strings.Split(string(o.Key), "/") // segments/stream/topic/partition/file
		local, err := os.ReadFile(filepath.Join(s.DataDir, "streams", parts[1], "topics", parts[2], "partitions", parts[3], parts[4]))
		if err != nil {
			t.Fatal(err)
		}
		r, err := reader.Get(ctx, o.Key, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		remote, err := io.ReadAll(r)
		_ = r.Close()
		if err != nil || !bytes.Equal(remote, local) {
			t.Fatalf("%s: %d bytes in S3, %d locally, %v", o.Key, len(remote), len(local), err)
		}
	}
}

func sendBytes(t *testing.T, s *server, n int) {
	t.Helper()
	c := runnelClient(t, s)
	ctx := context.Background()
	payload := bytes.Repeat([]byte("a"), 4000)
	for i := 0; i < n; i++ {
		msgs := make([]wire.Message, 50)
		for j := range msgs {
			msgs[j] = wire.Message{Payload: payload}
		}
		if err := c.SendMessages(ctx, wire.NamedID("arch"), wire.NamedID("t"), wire.ToPartition(0), msgs); err != nil {
			t.Fatal(err)
		}
	}
}

// archivedFiles maps each archived segment file to the local file it copies.
func archivedFiles(t *testing.T, archiveDir, dataDir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	root := filepath.Join(archiveDir, "objects", "segments")
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		parts := strings.Split(filepath.ToSlash(rel), "/") // stream/topic/partition/file
		out[path] = filepath.Join(dataDir, "streams", parts[0], "topics", parts[1], "partitions", parts[2], parts[3])
		return nil
	})
	return out
}
