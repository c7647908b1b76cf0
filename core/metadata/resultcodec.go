package metadata

import (
	"errors"
	"fmt"
	"strings"

	"github.com/runnel-io/runnel/sdk/wire"
)

// resultVersion is the first byte of an encoded outcome.
const resultVersion = 1

// AppendResult appends the outcome of State.Apply (its Result, or the
// error it returned) in a form that travels as a replicated op's reply:
// version u8, wire status code u32 (0 = applied), detail string, then the
// Result fields. The outcome of an op is the same on every replica, so
// these bytes are too.
func AppendResult(b []byte, res Result, err error) []byte {
	b = append(b, resultVersion)
	b = appendU32(b, wire.StatusCode(err))
	b = appendStr(b, errorDetail(err))
	for _, v := range []uint32{res.StreamID, res.TopicID, res.GroupID, res.UserID, res.PartitionsCount} {
		b = appendU32(b, v)
	}
	return b
}

// DecodeResult parses what AppendResult wrote. A rejected op comes back as
// an error matching its wire status with errors.Is and carrying the detail
// text; a malformed encoding is a plain error (not a wire status).
func DecodeResult(b []byte) (Result, error) {
	d := &decoder{b: b}
	if v := d.u8(); v != resultVersion && d.err == nil {
		d.fail("result version %d, want %d", v, resultVersion)
	}
	code, detail := d.u32(), d.str()
	res := Result{StreamID: d.u32(), TopicID: d.u32(), GroupID: d.u32(), UserID: d.u32(), PartitionsCount: d.u32()}
	if err := d.end(); err != nil {
		return Result{}, fmt.Errorf("metadata: decode result: %w", err)
	}
	if code == 0 {
		return res, nil
	}
	var status *wire.Error
	if !errors.As(wire.ErrorFromCode(code), &status) {
		return Result{}, fmt.Errorf("metadata: decode result: status %d is not a wire error", code)
	}
	if detail == "" {
		return Result{}, status
	}
	return Result{}, status.Detail("%s", detail)
}

// errorDetail is err's text without the status prefix Detail adds, so a
// decoded error reads exactly like the original.
func errorDetail(err error) string {
	if err == nil {
		return ""
	}
	var status *wire.Error
	if errors.As(err, &status) {
		if err == error(status) {
			return ""
		}
		return strings.TrimPrefix(err.Error(), status.Error()+": ")
	}
	return err.Error()
}
