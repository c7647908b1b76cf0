package wire

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzDecodeRequest feeds any code and payload to the dispatcher: it must
// never panic, must fail only with a protocol status, and whatever decodes
// must re-encode to bytes that decode to an equal value.
func FuzzDecodeRequest(f *testing.F) {
	for _, q := range exampleRequests() {
		f.Add(q.Code(), q.AppendTo(nil))
	}
	f.Add(uint32(999), []byte{})
	var codes []uint32
	for _, q := range exampleRequests() {
		codes = append(codes, q.Code())
	}
	f.Fuzz(func(t *testing.T, code uint32, payload []byte) {
		// Most random codes are unknown: fold large ones onto known codes.
		if code > 1000 {
			code = codes[code%uint32(len(codes))]
		}
		q, err := DecodeRequest(code, payload)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("code %d: non-status error %v", code, err)
			}
			return
		}
		if q.Code() != code {
			t.Fatalf("decoded %T for code %d", q, code)
		}
		again, err := DecodeRequest(code, q.AppendTo(nil))
		if err != nil {
			t.Fatalf("%T: re-encoded form fails: %v (value %+v)", q, err, q)
		}
		if !reflect.DeepEqual(again, q) {
			t.Fatalf("%T round trip:\n got %+v\nwant %+v", q, again, q)
		}
	})
}

// FuzzDecodeSendMessages checks the batch validator: no panic, status
// errors only, and an accepted batch really is Count whole frames that
// exactly fill the messages section.
func FuzzDecodeSendMessages(f *testing.F) {
	f.Add(AppendSendMessages(nil, NumericID(0), NumericID(0), Balanced(), []Message{{Payload: []byte("hi")}}))
	f.Add(AppendSendMessages(nil, NamedID("s"), NamedID("t"), ByKey([]byte("k")), []Message{
		{Payload: []byte("a")},
		{Payload: []byte("bc"), Headers: []HeaderEntry{{Key: StringHeader("k"), Value: Int64Header(-1)}}},
	}))
	f.Add(sendPayload(func(p []byte, ix, _ int) []byte { p[ix] = 1; return p }))
	f.Fuzz(func(t *testing.T, payload []byte) {
		q, err := DecodeSendMessages(payload)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("non-status error %v", err)
			}
			return
		}
		total := 0
		for i := 0; i < int(q.Count); i++ {
			fr := q.Frame(i)
			if len(fr) < MessageHeaderSize || DecodeMessageHeader(fr).Size() != uint64(len(fr)) {
				t.Fatalf("frame %d of %d bytes declares %d", i, len(fr), DecodeMessageHeader(fr).Size())
			}
			total += len(fr)
		}
		if total != len(q.Messages) {
			t.Fatalf("frames cover %d of %d bytes", total, len(q.Messages))
		}
		again, err := DecodeSendMessages(q.AppendTo(nil))
		if err != nil || !reflect.DeepEqual(again, q) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzDecodeResponses runs the client-side decoders on arbitrary payloads:
// a malicious or broken server must not crash a client.
func FuzzDecodeResponses(f *testing.F) {
	f.Add(exampleStats().AppendTo(nil))
	f.Add(exampleStream().AppendTo(nil))
	f.Add(exampleTopic().AppendTo(nil))
	f.Add(exampleGroup().AppendTo(nil))
	f.Add(exampleClient().AppendTo(nil))
	f.Add(exampleUser().AppendTo(nil))
	f.Add(exampleCluster().AppendTo(nil))
	f.Add(examplePolled().AppendTo(nil))
	f.Fuzz(func(t *testing.T, p []byte) {
		_, _ = DecodeStats(p)
		_, _ = DecodeStreamDetails(p)
		_, _ = DecodeStreams(p)
		_, _ = DecodeTopicDetails(p)
		_, _ = DecodeConsumerGroupDetails(p)
		_, _ = DecodeClientDetails(p)
		_, _ = DecodeClients(p)
		_, _ = DecodeUserDetails(p)
		_, _ = DecodeUsers(p)
		_, _ = DecodeClusterMetadata(p)
		_, _ = DecodePatInfos(p)
		_, _ = DecodeUserHeaders(p)
		if m, err := DecodePolledMessages(p); err == nil {
			for _, msg := range m.Messages {
				_, _ = msg.Headers()
			}
		}
	})
}
