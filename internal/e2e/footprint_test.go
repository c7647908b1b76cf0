package e2e

import (
	"strings"
	"testing"

	"github.com/runnel-io/runnel/internal/testserver"
)

// idleRSSBytesMax is the memory goal for an idle server with no data.
const idleRSSBytesMax = 20 << 20

// idleRSS waits until the server has handed its start-up pages back, then
// reads its resident set.
func idleRSS(t *testing.T, s *server) uint64 {
	t.Helper()
	testserver.Eventually(t, "start-up pages released", func() bool {
		return strings.Contains(s.Output(), "released start-up pages")
	})
	return s.RSSBytes()
}

func TestIdleServerStaysSmall(t *testing.T) {
	s := startServer(t)
	if rss := idleRSS(t, s); rss > idleRSSBytesMax {
		t.Fatalf("idle server after first boot uses %d KiB RSS, goal %d KiB", rss>>10, idleRSSBytesMax>>10)
	}
	s.Restart()
	rss := idleRSS(t, s)
	if rss > idleRSSBytesMax {
		t.Fatalf("idle server after restart uses %d KiB RSS, goal %d KiB", rss>>10, idleRSSBytesMax>>10)
	}
	t.Logf("idle RSS after restart: %d KiB", rss>>10)
}
