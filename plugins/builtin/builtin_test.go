package builtin

import (
	"testing"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
)

// TestSetRegistersAndSamplesDecode: every built-in registers without a
// collision, and its sample config passes its own strict decoder.
func TestSetRegistersAndSamplesDecode(t *testing.T) {
	var r registry.Registry
	if err := r.AddSet(registry.SourceBuiltin, Set("test")); err != nil {
		t.Fatal(err)
	}
	if len(r.List()) != 6 {
		t.Fatalf("listed %d built-ins: %+v", len(r.List()), r.List())
	}
	for _, l := range r.List() {
		if l.Stability == "" {
			t.Errorf("%s %s has no stability", l.Kind, l.Name)
		}
	}
	e, err := r.Storage.Get("file")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Factory.New(t.Context(), component.Env{DataDir: t.TempDir()}, map[string]any{"nope": 1}); err == nil {
		t.Fatal("file backend accepted an unknown key")
	}
}
