package metadata

import (
	"errors"
	"testing"

	"github.com/runnel-io/runnel/sdk/wire"
)

func TestResultRoundTrip(t *testing.T) {
	res := Result{StreamID: 1, TopicID: 2, GroupID: 3, UserID: 4, PartitionsCount: 5}
	got, err := DecodeResult(AppendResult(nil, res, nil))
	if err != nil || got != res {
		t.Fatalf("ok outcome: %+v %v", got, err)
	}
	cases := []error{
		wire.ErrStreamNameExists.Detail("metadata: stream %q already exists", "s"),
		wire.ErrTopicIDNotFound,
		errors.New("not a wire error"),
	}
	for _, in := range cases {
		_, err := DecodeResult(AppendResult(nil, res, in))
		if wire.StatusCode(err) != wire.StatusCode(in) {
			t.Fatalf("%v: decoded status %d", in, wire.StatusCode(err))
		}
		if wire.StatusCode(in) != wire.ErrGeneric.Code && err.Error() != in.Error() {
			t.Fatalf("text %q, want %q", err, in)
		}
	}
	for _, bad := range [][]byte{nil, {9}, AppendResult(nil, res, nil)[:10], append(AppendResult(nil, res, nil), 0)} {
		if _, err := DecodeResult(bad); err == nil || wire.StatusCode(err) != wire.ErrGeneric.Code {
			t.Fatalf("%x decoded: %v", bad, err)
		}
	}
}

func FuzzDecodeResult(f *testing.F) {
	f.Add(AppendResult(nil, Result{StreamID: 7}, wire.ErrTopicIDNotFound.Detail("x")))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := DecodeResult(b)
		if err != nil && wire.StatusCode(err) == wire.ErrGeneric.Code {
			return
		}
		again, err2 := DecodeResult(AppendResult(nil, res, err))
		if again != res || wire.StatusCode(err2) != wire.StatusCode(err) {
			t.Fatalf("re-encode changed %+v %v → %+v %v", res, err, again, err2)
		}
	})
}
