package wire

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSendMessagesWorkedExample is the reference's §3.5 example, byte for byte.
func TestSendMessagesWorkedExample(t *testing.T) {
	const origin = 0x0102030405060708
	payload := AppendSendMessages(nil, NumericID(0), NumericID(0), Balanced(),
		[]Message{{OriginTimestampMicros: origin, Payload: []byte("hi")}})
	frame := make([]byte, RequestHeaderSize, RequestHeaderSize+len(payload))
	EncodeRequestHeader(frame, CodeSendMessages, len(payload))
	frame = append(frame, payload...)
	want := unhex(t, `
		6c000000 65000000
		12000000
		01 04 00000000
		01 04 00000000
		01 00
		01000000
		00000000 42000000 0000000000000000
		0000000000000000
		00000000000000000000000000000000
		0000000000000000 0000000000000000
		0807060504030201
		00000000
		02000000
		0000000000000000
		6869`)
	if !bytes.Equal(frame, want) {
		t.Fatalf("frame\n got % x\nwant % x", frame, want)
	}
	q, err := DecodeSendMessages(frame[RequestHeaderSize:])
	if err != nil {
		t.Fatal(err)
	}
	if q.StreamID != NumericID(0) || q.TopicID != NumericID(0) || q.Partitioning.Kind != PartitioningBalanced ||
		q.Count != 1 || len(q.Messages) != 66 {
		t.Fatalf("decoded %+v", q)
	}
	if got := q.Frame(0); &got[0] != &frame[len(frame)-66] {
		t.Fatal("Frame must alias the payload (zero copy)")
	}
}

func TestSendMessagesIndexRunningTotal(t *testing.T) {
	msgs := []Message{
		{Payload: []byte("a")},
		{Payload: []byte("bcd"), Headers: []HeaderEntry{{Key: StringHeader("k"), Value: BoolHeader(true)}}},
		{Payload: bytes.Repeat([]byte{7}, 100)},
	}
	payload := AppendSendMessages(nil, NamedID("s"), NumericID(1), ToPartition(2), msgs)
	q, err := DecodeSendMessages(payload)
	if err != nil {
		t.Fatal(err)
	}
	wantEnds := []uint32{65, 65 + 67 + 12, 65 + 67 + 12 + 164}
	for i, w := range wantEnds {
		if got := indexPosition(q.Index, i); got != w {
			t.Errorf("index %d position %d, want %d", i, got, w)
		}
	}
	for i, m := range msgs {
		f := q.Frame(i)
		h := DecodeMessageHeader(f)
		if int(h.Size()) != len(f) || !bytes.Equal(f[64:64+h.PayloadLength], m.Payload) {
			t.Errorf("frame %d: header %+v, %d bytes", i, h, len(f))
		}
		hs, err := DecodeUserHeaders(f[64+h.PayloadLength:])
		if err != nil || len(hs) != len(m.Headers) {
			t.Errorf("frame %d headers: %v %v", i, hs, err)
		}
	}
	if q.Partitioning.PartitionID() != 2 {
		t.Fatalf("partitioning %+v", q.Partitioning)
	}
}

// sendPayload builds a valid two-message payload and lets mutate break it.
func sendPayload(mutate func(p []byte, indexAt, msgsAt int) []byte) []byte {
	msgs := []Message{{Payload: []byte("one")}, {Payload: []byte("two!")}}
	p := AppendSendMessages(nil, NumericID(1), NumericID(2), Balanced(), msgs)
	indexAt := 4 + 18
	return mutate(p, indexAt, indexAt+2*IndexEntrySize)
}

func TestSendMessagesValidation(t *testing.T) {
	le := binary.LittleEndian
	cases := []struct {
		name   string
		mutate func(p []byte, indexAt, msgsAt int) []byte
		want   *Error
	}{
		{"short payload", func(p []byte, _, _ int) []byte { return p[:3] }, ErrInvalidCommand},
		{"metadata past payload", func(p []byte, _, _ int) []byte { le.PutUint32(p, 1000); return p }, ErrInvalidCommand},
		{"stream id kind", func(p []byte, _, _ int) []byte { p[4] = 9; return p }, ErrInvalidIdentifier},
		{"stream id length", func(p []byte, _, _ int) []byte { p[5] = 3; return p }, ErrInvalidIdentifier},
		{"topic id zero length", func(p []byte, _, _ int) []byte { p[10] = 2; p[11] = 0; return p }, ErrInvalidIdentifier},
		{"partitioning kind", func(p []byte, _, _ int) []byte { p[16] = 7; return p }, ErrInvalidCommand},
		{"balanced with value", func(p []byte, _, _ int) []byte { p[17] = 1; return p }, ErrInvalidCommand},
		{"metadata without count", func(p []byte, _, _ int) []byte { le.PutUint32(p, 14); return p }, ErrInvalidCommand},
		{"index past payload", func(p []byte, _, _ int) []byte { le.PutUint32(p[18:], 1000); return p }, ErrInvalidCommand},
		{"zero count", func(p []byte, _, _ int) []byte { le.PutUint32(p[18:], 0); return p }, ErrInvalidMessagesCount},
		{"index offset", func(p []byte, ix, _ int) []byte { p[ix+16] = 1; return p }, ErrNonZeroOffset},
		{"index timestamp", func(p []byte, ix, _ int) []byte { p[ix+8] = 1; return p }, ErrNonZeroTimestamp},
		{"position past section", func(p []byte, ix, _ int) []byte { le.PutUint32(p[ix+4:], 5000); return p }, ErrMissingIndex},
		{"slot under 64 bytes", func(p []byte, ix, _ int) []byte { le.PutUint32(p[ix+4:], 10); return p }, ErrMissingIndex},
		{"declared size beyond slot", func(p []byte, _, m int) []byte { le.PutUint32(p[m+52:], 4); return p }, ErrMissingIndex},
		{"payload too big", func(p []byte, ix, m int) []byte {
			le.PutUint32(p[m+52:], MessagePayloadBytesMax+1)
			le.PutUint32(p[ix+4:], 64+MessagePayloadBytesMax+1)
			return append(p, make([]byte, MessagePayloadBytesMax)...)
		}, ErrTooBigMessagePayload},
		{"headers too big", func(p []byte, ix, m int) []byte {
			le.PutUint32(p[m+48:], MessageUserHeadersBytesMax+1)
			le.PutUint32(p[ix+4:], 67+MessageUserHeadersBytesMax+1)
			return append(p, make([]byte, MessageUserHeadersBytesMax+1)...)
		}, ErrTooBigUserHeaders},
		{"offset goes down", func(p []byte, _, m int) []byte { le.PutUint64(p[m+24:], 5); return p }, ErrInvalidOffset},
		{"last index position goes down", func(p []byte, ix, _ int) []byte { le.PutUint32(p[ix+16+4:], 1); return p }, ErrCannotReadIndexPosition},
		{"section larger than messages", func(p []byte, _, _ int) []byte { return append(p, 0) }, ErrInvalidMessagesSize},
	}
	for _, c := range cases {
		_, err := DecodeSendMessages(sendPayload(c.mutate))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := DecodeSendMessages(sendPayload(func(p []byte, _, _ int) []byte { return p })); err != nil {
		t.Fatalf("unmodified payload: %v", err)
	}
}

// Rust accepts a MessagesKey of length 0 (the SDK never sends one) and
// metadata longer than its fields.
func TestSendMessagesLenientMetadata(t *testing.T) {
	msgs := []Message{{Payload: []byte("x")}}
	p := AppendSendMessages(nil, NumericID(1), NumericID(2), Partitioning{Kind: PartitioningMessagesKey}, msgs)
	if _, err := DecodeSendMessages(p); err != nil {
		t.Fatalf("empty key: %v", err)
	}
	// Grow metadata by 3 bytes after messages_count.
	base := AppendSendMessages(nil, NumericID(1), NumericID(2), Balanced(), msgs)
	grown := append([]byte{}, base[:22]...)
	grown = append(grown, 0xAA, 0xBB, 0xCC)
	grown = append(grown, base[22:]...)
	binary.LittleEndian.PutUint32(grown, 18+3)
	q, err := DecodeSendMessages(grown)
	if err != nil || q.Count != 1 {
		t.Fatalf("grown metadata: %+v %v", q, err)
	}
}

func TestMessageValidate(t *testing.T) {
	if err := (Message{}).Validate(); !errors.Is(err, ErrInvalidMessagePayloadLength) {
		t.Fatalf("empty payload: %v", err)
	}
	bad := Message{Payload: []byte("x"), Headers: []HeaderEntry{{Key: StringHeader(""), Value: StringHeader("v")}}}
	if err := bad.Validate(); !errors.Is(err, ErrInvalidHeaderKey) {
		t.Fatalf("empty key: %v", err)
	}
	bad.Headers[0] = HeaderEntry{Key: StringHeader("k"), Value: HeaderValue{Kind: HeaderInt32, Data: []byte{1}}}
	if err := bad.Validate(); !errors.Is(err, ErrInvalidHeaderValue) {
		t.Fatalf("short int32: %v", err)
	}
}

func BenchmarkDecodeSendMessages(b *testing.B) {
	msgs := make([]Message, 1000)
	for i := range msgs {
		msgs[i] = Message{Payload: make([]byte, 1000)}
	}
	p := AppendSendMessages(nil, NumericID(1), NumericID(1), Balanced(), msgs)
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if _, err := DecodeSendMessages(p); err != nil {
			b.Fatal(err)
		}
	}
}
