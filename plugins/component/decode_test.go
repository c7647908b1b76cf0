package component

import (
	"strings"
	"testing"
	"time"
)

type testConfig struct {
	QueueDepth int64  `koanf:"queue_depth"`
	Mode       string `koanf:"mode"`
	Small      int    `koanf:"small"`
}

func (c testConfig) Validate() error { return nil }

func TestDecodeConfig(t *testing.T) {
	c, err := DecodeConfig[testConfig](map[string]any{"queue_depth": int64(64), "mode": "x", "small": int64(3)})
	if err != nil {
		t.Fatal(err)
	}
	if c.QueueDepth != 64 || c.Mode != "x" || c.Small != 3 {
		t.Fatalf("decoded %+v", c)
	}
	if _, err := DecodeConfig[testConfig](nil); err != nil {
		t.Fatalf("empty table: %v", err)
	}
}

func TestDecodeConfigRefuses(t *testing.T) {
	for _, tc := range []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"queue_dpth": int64(1), "zeta": true}, "unknown key queue_dpth, zeta"},
		{map[string]any{"queue_depth": "deep"}, "queue_depth"},
		{map[string]any{"mode": int64(1)}, "mode"},
	} {
		_, err := DecodeConfig[testConfig](tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %q, want one line naming %q", tc.raw, err, tc.want)
		}
	}
}

// TestDecodeAcceptsStringsFromEnvironment: RUNNEL_* variables and flags
// hand plugins strings; numbers, booleans and durations must decode from
// them, and a string that is no number must still be refused by key.
func TestDecodeAcceptsStringsFromEnvironment(t *testing.T) {
	type cfg struct {
		Depth   int           `koanf:"depth"`
		Size    uint32        `koanf:"size"`
		On      bool          `koanf:"on"`
		Ratio   float64       `koanf:"ratio"`
		Timeout time.Duration `koanf:"timeout"`
	}
	var c cfg
	raw := map[string]any{"depth": "9", "size": "4096", "on": "true", "ratio": "0.5", "timeout": "5s"}
	if err := Decode(raw, &c); err != nil {
		t.Fatal(err)
	}
	if c != (cfg{Depth: 9, Size: 4096, On: true, Ratio: 0.5, Timeout: 5 * time.Second}) {
		t.Fatalf("decoded %+v", c)
	}
	err := Decode(map[string]any{"depth": "many"}, &c)
	if err == nil || !strings.Contains(err.Error(), "depth") {
		t.Fatalf("error %v, want one naming depth", err)
	}
}

func TestSizeAndDurationFields(t *testing.T) {
	if n, err := SizeField("buf", "", 7, 100); err != nil || n != 7 {
		t.Errorf("empty size: %d %v, want the default", n, err)
	}
	if n, err := SizeField[uint32]("buf", "1KiB", 0, 1<<10); err != nil || n != 1<<10 {
		t.Errorf("1KiB at the limit: %d %v", n, err)
	}
	for text, want := range map[string]string{"1025B": `buf "1025B": exceeds 1024 bytes`, "lots": "buf: invalid size"} {
		if _, err := SizeField("buf", text, 0, 1<<10); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: error %v, want it to start with %q", text, err, want)
		}
	}
	if d, err := DurationField("wait", "", time.Second); err != nil || d != time.Second {
		t.Errorf("empty duration: %s %v, want the default", d, err)
	}
	if d, err := DurationField("wait", "250ms", 0); err != nil || d != 250*time.Millisecond {
		t.Errorf("250ms: %s %v", d, err)
	}
	if _, err := DurationField("wait", "soon", 0); err == nil || !strings.HasPrefix(err.Error(), "wait: ") {
		t.Errorf("soon: error %v, want one naming wait", err)
	}
}
