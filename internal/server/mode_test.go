package server

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/config"
)

// runUntilReady starts a server on dir in mode and stops it once it
// serves; it returns the error that ended its start, if any.
func runUntilReady(t *testing.T, dir, mode string) error {
	t.Helper()
	srv := newInProcess(t, []string{"RUNNEL_SYSTEM_PATH=" + dir, "RUNNEL_TCP_ADDRESS=127.0.0.1:0",
		"RUNNEL_ROOT_PASSWORD=secret", "RUNNEL_CLUSTER_MODE=" + mode}, io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case <-srv.Ready():
		cancel()
		return <-done
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("server neither started nor failed")
	}
	return nil
}

// TestModesRefuseEachOthersData: a data directory written in one
// cluster.mode is refused by the other, naming the mode that wrote it,
// instead of being started empty beside it.
func TestModesRefuseEachOthersData(t *testing.T) {
	for _, tc := range []struct{ wrote, reads string }{
		{config.ClusterNone, config.ClusterVSR},
		{config.ClusterVSR, config.ClusterNone},
	} {
		dir := t.TempDir()
		if err := runUntilReady(t, dir, tc.wrote); err != nil {
			t.Fatalf("first start in %s: %v", tc.wrote, err)
		}
		err := runUntilReady(t, dir, tc.reads)
		if err == nil || !strings.Contains(err.Error(), `written with cluster.mode = "`+tc.wrote+`"`) {
			t.Fatalf("%s over %s data: %v", tc.reads, tc.wrote, err)
		}
		if err := runUntilReady(t, dir, tc.wrote); err != nil {
			t.Fatalf("restart in %s after the refusal: %v", tc.wrote, err)
		}
	}
}
