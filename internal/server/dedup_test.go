package server

import (
	"testing"
	"time"

	"github.com/runnel-io/runnel/sdk/wire"
)

func frame(idLow uint64, payload string) []byte {
	b := make([]byte, wire.MessageHeaderSize+len(payload))
	wire.EncodeMessageHeader(b, wire.MessageHeader{IDLow: idLow, PayloadLength: uint32(len(payload))})
	copy(b[wire.MessageHeaderSize:], payload)
	return b
}

func batch(frames ...[]byte) ([]byte, uint32) {
	var b []byte
	for _, f := range frames {
		b = append(b, f...)
	}
	return b, uint32(len(frames))
}

func ids(t *testing.T, frames []byte, count uint32) []uint64 {
	t.Helper()
	var out []uint64
	pos := 0
	for range count {
		h := wire.DecodeMessageHeader(frames[pos:])
		out = append(out, h.IDLow)
		pos += int(h.Size())
	}
	if pos != len(frames) {
		t.Fatalf("frames hold %d bytes, %d counted", len(frames), pos)
	}
	return out
}

func TestDedupDropsRepeatedIDs(t *testing.T) {
	d := newDedupWindow(100, time.Minute)
	now := time.Unix(1000, 0)
	b, n := batch(frame(1, "a"), frame(2, "bb"), frame(3, "ccc"))
	out, n := d.filter(b, n, now)
	if got := ids(t, out, n); len(got) != 3 {
		t.Fatalf("first batch kept %v", got)
	}
	b, n = batch(frame(2, "bb"), frame(4, "dddd"), frame(1, "a"), frame(5, "e"))
	out, n = d.filter(b, n, now)
	if got := ids(t, out, n); len(got) != 2 || got[0] != 4 || got[1] != 5 {
		t.Fatalf("retry kept %v, want [4 5]", got)
	}
}

func TestDedupWindowIsBoundedByCountAndAge(t *testing.T) {
	d := newDedupWindow(2, time.Minute)
	now := time.Unix(1000, 0)
	for id := uint64(1); id <= 3; id++ {
		b, n := batch(frame(id, "x"))
		d.filter(b, n, now)
	}
	if len(d.seen) != 2 {
		t.Fatalf("window holds %d ids, limit 2", len(d.seen))
	}
	b, n := batch(frame(1, "x"))
	if _, n = d.filter(b, n, now); n != 1 {
		t.Fatal("id 1 was evicted by count and must be accepted again")
	}
	later := now.Add(2 * time.Minute)
	b, n = batch(frame(3, "x"))
	if _, n = d.filter(b, n, later); n != 1 {
		t.Fatal("id 3 expired and must be accepted again")
	}
}
