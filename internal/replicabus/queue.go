package replicabus

import (
	"context"
	"sync"
)

// queue is one peer's bounded FIFO of bodies awaiting a write. It outlives
// connections. When full, push drops the oldest bodies (see doc.go).
type queue struct {
	framesMax int
	bytesMax  int

	mu     sync.Mutex
	ring   [][]byte // len framesMax; slots [head, head+n) mod len hold bodies
	head   int
	n      int
	bytes  int
	closed bool
	// ready has room for one wake-up: the writer waits on it.
	ready chan struct{}
	// space is closed (and replaced) whenever take frees room, waking
	// every SendWait.
	space chan struct{}
}

func newQueue(framesMax, bytesMax int) *queue {
	return &queue{framesMax: framesMax, bytesMax: bytesMax,
		ring: make([][]byte, framesMax), ready: make(chan struct{}, 1), space: make(chan struct{})}
}

// push enqueues body, dropping the oldest bodies until it fits. It returns
// what was dropped. The caller guarantees len(body) <= bytesMax.
func (q *queue) push(body []byte) (droppedFrames, droppedBytes int, err error) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return 0, 0, ErrClosed
	}
	for q.n == q.framesMax || q.bytes+len(body) > q.bytesMax {
		droppedBytes += len(q.popLocked())
		droppedFrames++
	}
	q.pushLocked(body)
	q.mu.Unlock()
	q.wake()
	return droppedFrames, droppedBytes, nil
}

// pushWait enqueues body once it fits without dropping, or fails with
// ctx's error or ErrClosed.
func (q *queue) pushWait(ctx context.Context, body []byte) error {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return ErrClosed
		}
		if q.n < q.framesMax && q.bytes+len(body) <= q.bytesMax {
			q.pushLocked(body)
			q.mu.Unlock()
			q.wake()
			return nil
		}
		space := q.space
		q.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (q *queue) wake() {
	select {
	case q.ready <- struct{}{}:
	default: // a wake-up is already pending
	}
}

func (q *queue) pushLocked(body []byte) {
	q.ring[(q.head+q.n)%len(q.ring)] = body
	q.n++
	q.bytes += len(body)
}

func (q *queue) popLocked() []byte {
	b := q.ring[q.head]
	q.ring[q.head] = nil // let the body be collected once written
	q.head = (q.head + 1) % len(q.ring)
	q.n--
	q.bytes -= len(b)
	return b
}

// take moves up to framesMax bodies / bytesMax bytes (at least one body if
// any) to dst.
func (q *queue) take(dst [][]byte, framesMax, bytesMax int) [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	size := 0
	for q.n > 0 && len(dst) < framesMax {
		next := len(q.ring[q.head])
		if len(dst) > 0 && size+next > bytesMax {
			break
		}
		dst = append(dst, q.popLocked())
		size += next
	}
	if len(dst) > 0 {
		close(q.space)
		q.space = make(chan struct{})
	}
	return dst
}

// close discards everything queued and fails later pushes.
func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	for q.n > 0 {
		q.popLocked()
	}
	close(q.space)
}

func (q *queue) len() (frames, bytes int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n, q.bytes
}
