package replicabus

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/zeebo/xxh3"
)

func putU32(b []byte, v uint32) { binary.LittleEndian.PutUint32(b, v) }

func validFrame(cluster ClusterID, from, to uint16, body []byte) []byte {
	var hdr [frameHeaderBytes]byte
	putFrameHeader(&hdr, xxh3.New128(), frameKindMessage, cluster, from, to, body)
	return append(hdr[:], body...)
}

var fuzzRules = frameRules{cluster: ClusterIDFromUint64(9), sender: 1, receiver: 2, bodyBytesMax: 4096}

func TestFrameRoundTrip(t *testing.T) {
	body := []byte("hello replica")
	f := validFrame(fuzzRules.cluster, 1, 2, body)
	if sum := xxh3.Hash128(append(append([]byte(nil), f[:frameSummedBytes]...), body...)).Bytes(); !bytes.Equal(sum[:], f[32:48]) {
		t.Fatal("checksum is not XXH3-128 of header[0:32] ‖ body")
	}
	var hdr [frameHeaderBytes]byte
	kind, got, err := readFrame(bytes.NewReader(f), &hdr, xxh3.New128(), fuzzRules)
	if err != nil || kind != frameKindMessage || !bytes.Equal(got, body) {
		t.Fatalf("kind %d body %q err %v", kind, got, err)
	}
	for i := range f { // every single-bit flip is refused
		bad := append([]byte(nil), f...)
		bad[i] ^= 0x10
		if _, _, err := readFrame(bytes.NewReader(bad), &hdr, xxh3.New128(), fuzzRules); err == nil {
			t.Fatalf("flip at byte %d accepted", i)
		}
	}
	if _, _, err := readFrame(bytes.NewReader(f[:30]), &hdr, xxh3.New128(), fuzzRules); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated: %v", err)
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add(validFrame(fuzzRules.cluster, 1, 2, []byte("body")))
	f.Add(validFrame(fuzzRules.cluster, 1, 2, nil))
	var ping [frameHeaderBytes]byte
	putFrameHeader(&ping, xxh3.New128(), frameKindPing, fuzzRules.cluster, 1, 2, nil)
	f.Add(ping[:])
	f.Add(validFrame(fuzzRules.cluster, 2, 1, []byte("x")))
	f.Add([]byte("RNBF\x01\x01\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var hdr [frameHeaderBytes]byte
		h := xxh3.New128()
		kind, body, err := readFrame(bytes.NewReader(data), &hdr, h, fuzzRules)
		if err != nil {
			return
		}
		if len(body) > fuzzRules.bodyBytesMax {
			t.Fatalf("accepted a %d-byte body", len(body))
		}
		// An accepted frame is exactly what the encoder produces.
		var again [frameHeaderBytes]byte
		putFrameHeader(&again, h, kind, fuzzRules.cluster, fuzzRules.sender, fuzzRules.receiver, body)
		if want := append(again[:], body...); !bytes.Equal(want, data[:len(want)]) {
			t.Fatalf("accepted non-canonical frame %x", data[:len(want)])
		}
	})
}

// FuzzAcceptHandshake feeds arbitrary bytes to the acceptor: it must
// refuse or accept without panicking, and accept only with a valid proof
// (which random input cannot forge).
func FuzzAcceptHandshake(f *testing.F) {
	var hello hsRecord
	hello.step, hello.cluster, hello.from, hello.to = stepHello, fuzzRules.cluster, 0, 1
	b := hello.encode()
	f.Add(b[:])
	f.Add(append(b[:], make([]byte, handshakeBytes)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		rw := struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(data), io.Discard}
		p := hsParams{cluster: fuzzRules.cluster, key: testKey, me: 1, n: 3}
		if _, err := acceptHandshake(rw, p); err == nil {
			t.Fatal("accepted a handshake without knowing the key")
		}
	})
}
