package pluginrpc

import (
	"fmt"
	"os"
	"sync"
)

// Region is the shared memory between the host and one storage plugin
// process: a memfd the host creates, maps, and hands to the child as an
// inherited descriptor (exec.Cmd.ExtraFiles); the child maps the same
// pages. Bulk bytes of Append and ReadAt go through it; gRPC carries only
// slot numbers, offsets and lengths.
//
// The region is cut into equal slots; a call holds one slot from before
// its request until its reply. A call whose outcome is unknown (cancelled,
// connection lost) may still be used by the plugin, so its slot is never
// handed out again (it is quarantined until the process is replaced).
type Region struct {
	file      *os.File
	mem       []byte
	slotBytes int

	// free is a stack: the slot used last is reused first, so a few
	// slots stay hot in both processes' caches and TLBs (a FIFO cycling
	// through every slot made calls several times slower). avail holds
	// a token while free may be non-empty, for waiters to select on.
	mu    sync.Mutex
	free  []int
	avail chan struct{}

	// child is the child's end of the data socket until ReleaseChild;
	// data is the host's end.
	child *os.File
	data  *dataConn
}

// Files are the descriptors to hand the child, in this order, as
// exec.Cmd.ExtraFiles: the region, then the data socket.
func (r *Region) Files() []*os.File { return []*os.File{r.file, r.child} }

// ReleaseChild closes the host's copy of the child's socket end, once the
// child has its own (started, or configured in process): then the
// child's death closes the socket and fails calls in flight.
func (r *Region) ReleaseChild() error { return r.child.Close() }

// SizeBytes is the region's size.
func (r *Region) SizeBytes() int { return len(r.mem) }

// SlotBytes is the most one call moves.
func (r *Region) SlotBytes() int { return r.slotBytes }

// tryAcquire pops a free slot, if there is one.
func (r *Region) tryAcquire() (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.free)
	if n == 0 {
		return 0, false
	}
	i := r.free[n-1]
	r.free = r.free[:n-1]
	if n > 1 {
		r.signal() // pass the wake-up on: another waiter may take the next
	}
	return i, true
}

func (r *Region) release(i int) {
	r.mu.Lock()
	r.free = append(r.free, i)
	r.mu.Unlock()
	r.signal()
}

func (r *Region) signal() {
	select {
	case r.avail <- struct{}{}:
	default: // a token is already waiting
	}
}

func (r *Region) slot(i int) []byte {
	return r.mem[i*r.slotBytes : (i+1)*r.slotBytes : (i+1)*r.slotBytes]
}

// newRegion wraps a mapped region of slots×slotBytes and a data socket.
func newRegion(f *os.File, mem []byte, slotBytes int, child *os.File, data *dataConn) *Region {
	slots := len(mem) / slotBytes
	r := &Region{file: f, mem: mem, slotBytes: slotBytes, avail: make(chan struct{}, 1), child: child, data: data}
	for i := range slots {
		r.free = append(r.free, slots-1-i) // slot 0 on top
	}
	r.signal()
	return r
}

// span is a byte range of the region named on the wire.
func checkSpan(mem []byte, offset, length int64) ([]byte, error) {
	if offset < 0 || length < 0 || offset+length > int64(len(mem)) {
		return nil, fmt.Errorf("pluginrpc: span [%d,+%d) outside the %d-byte region", offset, length, len(mem))
	}
	return mem[offset : offset+length : offset+length], nil
}
