package filestore_test

import (
	"bytes"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/filestore"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
)

func newStore(t *testing.T, dir string) storage.Store {
	t.Helper()
	s, err := filestore.New(component.Env{DataDir: dir}, filestore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, newStore)
}

func decodeConfig(b []byte) (filestore.Config, error) {
	var cfg filestore.Config
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func TestSampleConfig(t *testing.T) {
	cfg, err := decodeConfig(filestore.SampleTOML)
	if err != nil {
		t.Fatalf("sample.toml: %v", err)
	}
	if _, err := filestore.New(component.Env{DataDir: t.TempDir()}, cfg); err != nil {
		t.Fatalf("sample.toml: %v", err)
	}
	if _, err := decodeConfig([]byte("queue_depth = 64\n")); err == nil {
		t.Fatal("an unknown key was accepted")
	}
}
