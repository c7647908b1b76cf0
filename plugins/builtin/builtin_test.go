package builtin

import (
	"context"
	"errors"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/plugins/storage"
)

// TestSetRegistersAndSamplesDecode: every built-in registers without a
// collision, and its sample config passes its own strict decoder.
func TestSetRegistersAndSamplesDecode(t *testing.T) {
	var r registry.Registry
	if err := r.AddSet(registry.SourceBuiltin, Set("test")); err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, l := range r.List() {
		listed[string(l.Kind)+"/"+l.Name] = true
		if l.Stability == "" {
			t.Errorf("%s %s has no stability", l.Kind, l.Name)
		}
	}
	for _, want := range []string{"storage/file", "storage/mmap", "storage/directio", "storage/iouring",
		"archiver/disk", "archiver/s3", "transport/tcp", "telemetry/grpc", "telemetry/http", "telemetry/stdout"} {
		if !listed[want] {
			t.Errorf("%s is not registered", want)
		}
	}
	env := component.Env{DataDir: t.TempDir()}
	checkSamples(t, &r.Storage, env)
	checkSamples(t, &r.Archiver, env)
	checkSamples(t, &r.Transport, env)
	checkSamples(t, &r.Telemetry, env)

	e, err := r.Storage.Get("file")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Factory.New(t.Context(), env, map[string]any{"nope": 1}); err == nil {
		t.Fatal("file backend accepted an unknown key")
	}
}

// checkSamples builds every entry of table from its own sample config.
func checkSamples[T component.Component](t *testing.T, table *registry.Table[T], env component.Env) {
	t.Helper()
	for _, name := range table.Names() {
		e, _ := table.Get(name)
		raw := map[string]any{}
		if err := toml.Unmarshal(e.Factory.Info.Sample, &raw); err != nil {
			t.Errorf("%s: sample is not TOML: %v", name, err)
			continue
		}
		c, err := e.Factory.New(t.Context(), env, raw)
		if errors.Is(err, storage.ErrUnavailable) {
			continue // not in this build (iouring without its tag)
		}
		if err != nil {
			t.Errorf("%s: sample config refused: %v", name, err)
			continue
		}
		_ = c.Close(context.Background())
	}
}
