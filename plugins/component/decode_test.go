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
