package iouringstore_test

import (
	"bytes"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/runnel-io/runnel/plugins/storage/iouringstore"
)

func decodeConfig(b []byte) (iouringstore.Config, error) {
	var cfg iouringstore.Config
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func TestSampleConfig(t *testing.T) {
	cfg, err := decodeConfig(iouringstore.SampleTOML)
	if err != nil {
		t.Fatalf("sample.toml: %v", err)
	}
	if cfg.QueueDepth != 64 {
		t.Fatalf("sample.toml: %+v", cfg)
	}
	for _, bad := range []string{"map_headroom_bytes = 1\n", "queue_depth = -1\n", "queue_depth = 5000\n"} {
		if _, err := decodeConfig([]byte(bad)); err == nil {
			t.Fatalf("%q was accepted", bad)
		}
	}
	if c, err := iouringstore.DecodeConfig(map[string]any{"queue_depth": int64(8)}); err != nil || c.QueueDepth != 8 {
		t.Fatalf("DecodeConfig: %+v %v", c, err)
	}
	for _, raw := range []map[string]any{{"nope": 1}, {"queue_depth": "deep"}, {"queue_depth": int64(0x10000)}} {
		if _, err := iouringstore.DecodeConfig(raw); err == nil {
			t.Fatalf("DecodeConfig accepted %v", raw)
		}
	}
}
