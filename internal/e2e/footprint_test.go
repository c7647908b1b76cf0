package e2e

import "testing"

// idleRSSBytesMax is the memory goal for an idle server with no data.
const idleRSSBytesMax = 20 << 20

func TestIdleServerStaysSmall(t *testing.T) {
	s := startServer(t)
	if rss := s.RSSBytes(); rss > idleRSSBytesMax {
		t.Fatalf("idle server after first boot uses %d KiB RSS, goal %d KiB", rss>>10, idleRSSBytesMax>>10)
	}
	s.Restart()
	rss := s.RSSBytes()
	if rss > idleRSSBytesMax {
		t.Fatalf("idle server after restart uses %d KiB RSS, goal %d KiB", rss>>10, idleRSSBytesMax>>10)
	}
	t.Logf("idle RSS after restart: %d KiB", rss>>10)
}
