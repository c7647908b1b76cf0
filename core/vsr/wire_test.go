package vsr

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"
)

const testCluster = 0xc1

// sampleMessages has one message per command with every field it carries
// set to a distinct value.
func sampleMessages() []*Message {
	p := testPrepare()
	q := &Prepare{Header: Header{Cluster: 3, View: 2, Op: 10, Client: 5, Operation: OperationRegister}}
	q.Parent = p.Checksum
	q.seal()
	id := Checksum{Lo: 11, Hi: 12}
	return []*Message{
		{Command: CmdRequest, Client: 1, Session: 2, Request: 3, Operation: OperationAppend, Body: []byte("req")},
		{Command: CmdReply, Replica: 2, View: 9, Client: 1, Session: 2, Request: 3, Op: 4, Commit: 5,
			Status: ReplyEvicted, Body: []byte("result")},
		{Command: CmdPrepare, Replica: 1, View: 2, Commit: 8, Ring: true, Prepares: []*Prepare{p, q}},
		{Command: CmdPrepareOk, Replica: 2, View: 2, Op: 9, Checksum: id, Commit: 1},
		{Command: CmdCommit, Replica: 0, View: 3, Op: 10, Commit: 7},
		{Command: CmdStartViewChange, Replica: 4, View: 12},
		{Command: CmdDoViewChange, Replica: 1, View: 12, LogView: 11, Op: 10, Checksum: q.Checksum, Commit: 7,
			Headers: []Header{q.Header, p.Header}, Anchor: 7, AnchorID: id, DiskTop: 12,
			Slots: []SlotInfo{{Written: true, View: 11, Checksum: id}, {Written: true, Faulty: true}, {}}},
		{Command: CmdStartView, Replica: 0, View: 12, LogView: 12, Op: 10, Checksum: q.Checksum, Commit: 7,
			Headers: []Header{q.Header}, Anchor: 7, AnchorID: id},
		{Command: CmdRequestStartView, Replica: 2, View: 5, Nonce: 77},
		{Command: CmdViewReport, Replica: 1, View: 9, Nonce: 77},
		{Command: CmdRequestPrepare, Replica: 2, View: 5, Op: 9, Checksum: id, Commit: 3},
		{Command: CmdRepair, Replica: 1, View: 5, Prepares: []*Prepare{p}, Headers: []Header{q.Header}},
		{Command: CmdRequestSyncCheckpoint, Replica: 1, View: 5, Op: 64, Commit: 3, Offset: 512, SyncChecksum: id},
		{Command: CmdSyncCheckpoint, Replica: 0, View: 5, Op: 64, Checksum: id, Offset: 512, Size: 4096,
			SyncChecksum: Checksum{Lo: 5}, Body: bytes.Repeat([]byte{7}, 100)},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		enc, err := EncodeMessage(m, testCluster)
		if err != nil {
			t.Fatalf("%s: %v", m.Command, err)
		}
		if n, err := FrameSize(enc[:FrameHeaderSize], testCluster); err != nil || n != len(enc) {
			t.Fatalf("%s: frame size %d %v, want %d", m.Command, n, err, len(enc))
		}
		got, err := DecodeMessage(enc, testCluster)
		if err != nil {
			t.Fatalf("%s: %v", m.Command, err)
		}
		if !sameMessage(m, got) {
			t.Fatalf("%s: round trip\n got %+v\nwant %+v", m.Command, got, m)
		}
		again, _ := EncodeMessage(got, testCluster)
		if !bytes.Equal(enc, again) {
			t.Fatalf("%s: re-encoding differs", m.Command)
		}
		for _, p := range got.Prepares {
			if !p.Valid() {
				t.Fatalf("%s: prepare %d does not verify after decoding", m.Command, p.Op)
			}
		}
	}
}

// sameMessage compares every field, treating nil and empty slices alike.
func sameMessage(a, b *Message) bool {
	x, y := *a, *b
	for _, m := range []*Message{&x, &y} {
		m.Prepares, m.Headers, m.Slots, m.Body = nil, nil, nil, nil
	}
	if !reflect.DeepEqual(x, y) || !bytes.Equal(a.Body, b.Body) || !slices.Equal(a.Headers, b.Headers) ||
		!slices.Equal(a.Slots, b.Slots) || len(a.Prepares) != len(b.Prepares) {
		return false
	}
	for i, p := range a.Prepares {
		if p.Header != b.Prepares[i].Header || !bytes.Equal(p.Body, b.Prepares[i].Body) {
			return false
		}
	}
	return true
}

// Every single-bit flip of every sample frame is rejected, and so is every
// truncation.
func TestMessageEveryBitFlipRejected(t *testing.T) {
	for _, m := range sampleMessages() {
		enc, _ := EncodeMessage(m, testCluster)
		for i := range len(enc) * 8 {
			b := bytes.Clone(enc)
			b[i/8] ^= 1 << (i % 8)
			if _, err := DecodeMessage(b, testCluster); !errors.Is(err, ErrMessage) {
				t.Fatalf("%s: flip of bit %d accepted", m.Command, i)
			}
		}
		for n := range len(enc) {
			if _, err := DecodeMessage(enc[:n], testCluster); err == nil {
				t.Fatalf("%s: truncation to %d bytes accepted", m.Command, n)
			}
		}
	}
}

func TestMessageWrongClusterOrVersion(t *testing.T) {
	enc, _ := EncodeMessage(sampleMessages()[0], testCluster)
	if _, err := DecodeMessage(enc, testCluster+1); !errors.Is(err, ErrMessage) {
		t.Fatalf("other cluster accepted: %v", err)
	}
	b := bytes.Clone(enc)
	b[44] = 2
	putChecksum(b, checksumOf(b[16:FrameHeaderSize]))
	if _, err := DecodeMessage(b, testCluster); !errors.Is(err, ErrMessage) {
		t.Fatalf("version 2 accepted: %v", err)
	}
}

func TestMessageLimits(t *testing.T) {
	big := &Message{Command: CmdRequest, Body: make([]byte, PrepareBodySizeMax+1)}
	if _, err := EncodeMessage(big, testCluster); err == nil {
		t.Fatal("oversized body encoded")
	}
	if _, err := EncodeMessage(&Message{Command: 99}, testCluster); err == nil {
		t.Fatal("unknown command encoded")
	}
	many := &Message{Command: CmdDoViewChange, Slots: make([]SlotInfo, dvcSlotsMax+1)}
	if _, err := EncodeMessage(many, testCluster); err == nil {
		t.Fatal("too many slots encoded")
	}
}

func TestAppendMessageReusesBuffer(t *testing.T) {
	m := sampleMessages()[2]
	buf := make([]byte, 0, 4096)
	out, err := AppendMessage(buf, m, testCluster)
	if err != nil || &out[0] != &buf[:1][0] {
		t.Fatalf("AppendMessage reallocated a large enough buffer (err %v)", err)
	}
	if allocs := testing.AllocsPerRun(100, func() { _, _ = AppendMessage(buf, m, testCluster) }); allocs != 0 {
		t.Fatalf("%v allocations per encode into a large enough buffer", allocs)
	}
}

// FuzzDecode: no input panics; whatever decodes re-encodes to the same
// bytes (the encoding is canonical).
func FuzzDecode(f *testing.F) {
	for _, m := range sampleMessages() {
		enc, _ := EncodeMessage(m, testCluster)
		f.Add(enc, true)
		f.Add(enc, false)
	}
	f.Fuzz(func(t *testing.T, b []byte, fix bool) {
		if fix && len(b) >= FrameHeaderSize {
			// Fix the checksums so the fuzzer reaches the body parser.
			b = bytes.Clone(b)
			putChecksum(b[16:], checksumOf(b[FrameHeaderSize:]))
			putChecksum(b, checksumOf(b[16:FrameHeaderSize]))
		}
		m, err := DecodeMessage(b, testCluster)
		if err != nil {
			if !errors.Is(err, ErrMessage) {
				t.Fatalf("error %v does not wrap ErrMessage", err)
			}
			return
		}
		enc, err := EncodeMessage(m, testCluster)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		if !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", enc, b)
		}
	})
}
