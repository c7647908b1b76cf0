package tiered_test

import (
	"bytes"
	"testing"

	"github.com/runnel-io/runnel/internal/tiered"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
	"github.com/runnel-io/runnel/sdk/wire"
)

// batchOf makes count frames of 100 bytes stamped from offset first.
func batchOf(first uint64, count int) []byte {
	var b []byte
	for i := range count {
		f := storagetest.Frame(first+uint64(i)+1, bytes.Repeat([]byte{byte(first) + byte(i)}, 100-wire.MessageHeaderSize), nil)
		wire.StampMessage(f, first+uint64(i), 1)
		b = append(b, f...)
	}
	return b
}

func TestRecent(t *testing.T) {
	if c := tiered.NewRecent(0); c != nil {
		t.Fatal("a zero budget made a cache")
	}
	var off *tiered.Recent // off: every call is a no-op
	off.Put(testKey, 0, 1, batchOf(0, 1))
	if _, _, ok := off.Read(testKey, 0, 1, 10, 1<<20, nil); ok {
		t.Fatal("a nil cache served a read")
	}

	c := tiered.NewRecent(2000) // 20 messages of 100 bytes
	all := batchOf(0, 30)
	for first := 0; first < 30; first += 10 {
		c.Put(testKey, uint64(first), 10, all[first*100:(first+10)*100])
	}
	if got := c.Range(testKey, 30); got != (tiered.Range{First: 10, Next: 30}) || c.Bytes() != 2000 {
		t.Fatalf("range %v, %d bytes; want [10, 30) in 2000 bytes", got, c.Bytes())
	}
	buf, n, ok := c.Read(testKey, 12, 30, 100, 1<<20, nil)
	if !ok || n != 18 || !bytes.Equal(buf, all[1200:3000]) {
		t.Fatalf("read from 12: %v %d messages", ok, n)
	}
	buf, n, ok = c.Read(testKey, 15, 30, 4, 250, []byte("x"))
	if !ok || n != 2 || !bytes.Equal(buf[1:], all[1500:1700]) {
		t.Fatalf("budgeted read: %v %d messages", ok, n)
	}
	if _, n, ok := c.Read(testKey, 15, 30, 4, 1, nil); !ok || n != 1 {
		t.Fatalf("a budget below one message still returns it: %v %d", ok, n)
	}
	for _, miss := range []struct{ offset, next uint64 }{{9, 30}, {30, 30}, {15, 31}} {
		if _, _, ok := c.Read(testKey, miss.offset, miss.next, 10, 1<<20, nil); ok {
			t.Fatalf("read at %d with log next %d served", miss.offset, miss.next)
		}
	}
	// A batch that does not continue the run (a purge restarted offsets)
	// replaces it.
	c.Put(testKey, 0, 5, batchOf(0, 5))
	if got := c.Range(testKey, 5); got != (tiered.Range{First: 0, Next: 5}) || c.Bytes() != 500 {
		t.Fatalf("after a restart of offsets: %v, %d bytes", got, c.Bytes())
	}
	// The budget is shared: another partition's batches push these out.
	other := storage.PartitionKey{Stream: 1}
	c.Put(other, 0, 20, batchOf(0, 20))
	if got := c.Range(testKey, 5); !got.Empty() || c.Bytes() != 2000 {
		t.Fatalf("after another partition filled the budget: %v, %d bytes", got, c.Bytes())
	}
	c.Put(other, 20, 30, batchOf(20, 30)) // larger than the budget
	if got := c.Range(other, 50); !got.Empty() || c.Bytes() != 0 {
		t.Fatalf("an oversized batch: %v, %d bytes", got, c.Bytes())
	}
	c.Put(other, 50, 1, batchOf(50, 1))
	c.Forget(other)
	if c.Bytes() != 0 {
		t.Fatalf("%d bytes after forget", c.Bytes())
	}
}
