package vsr

import (
	"errors"
	"testing"
)

func testPrepare() *Prepare {
	p := &Prepare{Header: Header{Cluster: 3, View: 2, Op: 9, Commit: 7, Timestamp: 100, Client: 5, Session: 1,
		Request: 4, Operation: OperationAppend}, Body: []byte("payload bytes")}
	p.Parent = Checksum{Lo: 1, Hi: 2}
	p.seal()
	return p
}

// Every single-bit flip of an encoded prepare is detected.
func TestPrepareEveryBitFlipDetected(t *testing.T) {
	enc := testPrepare().Encode()
	if _, err := DecodePrepare(enc); err != nil {
		t.Fatal(err)
	}
	for i := range len(enc) * 8 {
		b := append([]byte(nil), enc...)
		b[i/8] ^= 1 << (i % 8)
		if _, err := DecodePrepare(b); !errors.Is(err, errCorrupt) {
			t.Fatalf("flip of bit %d not detected", i)
		}
	}
	if _, err := DecodePrepare(enc[:len(enc)-1]); err == nil {
		t.Fatal("truncated prepare accepted")
	}
}

func TestSuperblockQuorum(t *testing.T) {
	v1 := (&Superblock{Seq: 1, Cluster: 1, View: 1}).Encode()
	v2 := (&Superblock{Seq: 2, Cluster: 1, View: 2, ViewHeaders: []Header{testPrepare().Header}}).Encode()
	torn := append([]byte(nil), v2...)
	torn[len(torn)/2] ^= 1
	cases := []struct {
		name   string
		copies [][]byte
		view   uint64
		err    bool
	}{
		{"fresh", [][]byte{nil, nil, nil, nil}, 0, false},
		{"all new", [][]byte{v2, v2, v2, v2}, 2, false},
		{"torn at copy 2", [][]byte{v2, v2, torn, v1}, 2, false},
		{"torn at copy 1", [][]byte{v2, torn, v1, v1}, 1, false},
		{"one corrupt", [][]byte{v2, v2, v2, torn}, 2, false},
		{"first write torn", [][]byte{torn, nil, nil, nil}, 0, false},
		{"no quorum", [][]byte{v2, torn, v1, torn}, 0, true},
	}
	for _, tc := range cases {
		sb, err := ReadSuperblock(tc.copies)
		if (err != nil) != tc.err || (err == nil && sb.View != tc.view) {
			t.Errorf("%s: view %d err %v, want view %d err %v", tc.name, sb.View, err, tc.view, tc.err)
		}
	}
	got, _ := ReadSuperblock([][]byte{v2, v2, v2, v2})
	if len(got.ViewHeaders) != 1 || got.ViewHeaders[0] != testPrepare().Header {
		t.Fatalf("view headers did not round-trip: %+v", got.ViewHeaders)
	}
}

// Repair writes go to the damaged copies first, so one more torn write
// during repair cannot lose the chosen version.
func TestOpenSuperblockRepairOrder(t *testing.T) {
	v1 := (&Superblock{Seq: 1, Cluster: 1, View: 1}).Encode()
	v2 := (&Superblock{Seq: 2, Cluster: 1, View: 2}).Encode()
	copies := [][]byte{v2, v2, []byte("garbage"), v1}
	sb, writes, err := OpenSuperblock(copies, 1, 0)
	if err != nil || sb.View != 2 {
		t.Fatalf("view %d err %v", sb.View, err)
	}
	if len(writes) != 2 || writes[0].Index != 2 || writes[1].Index != 3 {
		t.Fatalf("repair writes %+v, want copies 2 and 3", writes)
	}
	for _, w := range writes {
		copies[w.Index] = []byte("torn again")
		if s, err := ReadSuperblock(copies); err != nil || s.View != 2 {
			t.Fatalf("a torn repair of copy %d lost the quorum: %v", w.Index, err)
		}
		copies[w.Index] = w.Data
	}
}

func TestQuorumsIntersect(t *testing.T) {
	want := map[int]Quorums{1: {1, 1, 1}, 2: {2, 2, 1}, 3: {2, 2, 2}, 4: {2, 3, 3}, 5: {3, 3, 3}, 6: {3, 4, 4}}
	for n, q := range want {
		if got := QuorumsFor(n); got != q {
			t.Errorf("n=%d: %+v, want %+v", n, got, q)
		}
		if err := (Config{ReplicaCount: n}).WithDefaults().Validate(); err != nil {
			t.Errorf("n=%d: %v", n, err)
		}
	}
}

func TestAppendCodec(t *testing.T) {
	a := AppendOp{PartitionRef: PartitionRef{1, 2, 3}, Count: 4, Frames: []byte("abcd")}
	got, err := DecodeAppend(EncodeAppend(a))
	if err != nil || got.PartitionRef != a.PartitionRef || got.Count != 4 || string(got.Frames) != "abcd" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := DecodeAppend([]byte{1, 2}); err == nil {
		t.Fatal("short append accepted")
	}
	r := AppendResult{Code: CodeOK, FirstOffset: 1 << 40, Count: 9}
	if back, err := DecodeAppendResult(EncodeAppendResult(r)); err != nil || back != r {
		t.Fatalf("%+v %v", back, err)
	}
}

// SuperblockSizeMax is the size of the largest superblock the decoder
// accepts; one more view header is refused.
func TestSuperblockSizeMax(t *testing.T) {
	h := testPrepare().Header
	sb := Superblock{Seq: 1, Cluster: 3, ViewHeaders: make([]Header, suffixHeadersMax)}
	for i := range sb.ViewHeaders {
		sb.ViewHeaders[i] = h
	}
	enc := sb.Encode()
	if len(enc) != SuperblockSizeMax {
		t.Fatalf("largest superblock is %d bytes, SuperblockSizeMax %d", len(enc), SuperblockSizeMax)
	}
	if _, ok := decodeSuperblock(enc); !ok {
		t.Fatal("largest superblock does not decode")
	}
	sb.ViewHeaders = append(sb.ViewHeaders, h)
	if _, ok := decodeSuperblock(sb.Encode()); ok {
		t.Fatal("superblock over SuperblockSizeMax decoded")
	}
}

func TestPrepareSize(t *testing.T) {
	p := testPrepare()
	enc := p.Encode()
	op, size, ok := PrepareSize(enc[:HeaderSize])
	if !ok || op != p.Op || size != len(enc) {
		t.Fatalf("PrepareSize = %d, %d, %v; want %d, %d, true", op, size, ok, p.Op, len(enc))
	}
	if _, _, ok := PrepareSize(enc[:HeaderSize-1]); ok {
		t.Fatal("short header accepted")
	}
	if _, _, ok := PrepareSize(make([]byte, HeaderSize)); ok {
		t.Fatal("zero header accepted")
	}
	for i := range HeaderSize * 8 {
		b := append([]byte(nil), enc[:HeaderSize]...)
		b[i/8] ^= 1 << (i % 8)
		if _, _, ok := PrepareSize(b); ok {
			t.Fatalf("flip of header bit %d accepted", i)
		}
	}
	big := &Prepare{Header: p.Header, Body: make([]byte, PrepareBodySizeMax+1)}
	big.seal()
	if _, _, ok := PrepareSize(big.Encode()[:HeaderSize]); ok {
		t.Fatal("body over PrepareBodySizeMax accepted")
	}
}

func TestVerifyCheckpoint(t *testing.T) {
	data := []byte("checkpoint bytes")
	sb := Superblock{CheckpointOp: 8, CheckpointSize: uint64(len(data)), CheckpointChecksum: checksumOf(data)}
	if err := sb.VerifyCheckpoint(data); err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), data...)
	bad[3] ^= 1
	for _, b := range [][]byte{bad, data[:len(data)-1], nil} {
		if err := sb.VerifyCheckpoint(b); !errors.Is(err, ErrCheckpointMismatch) {
			t.Fatalf("checkpoint %q: %v", b, err)
		}
	}
}
