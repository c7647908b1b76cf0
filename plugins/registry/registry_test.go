package registry

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/component"
)

func archiverFactory(name string) component.Factory[archiver.Archiver] {
	return component.Factory[archiver.Archiver]{
		Info: component.Info{Kind: component.KindArchiver, Name: name},
		New: func(context.Context, component.Env, map[string]any) (archiver.Archiver, error) {
			return nil, errors.New("not built in this test")
		},
	}
}

func TestAddSetAndGet(t *testing.T) {
	var r Registry
	if err := r.AddSet(SourceBuiltin, Set{Name: "builtin", Version: "1", Archiver: []component.Factory[archiver.Archiver]{archiverFactory("disk")}}); err != nil {
		t.Fatal(err)
	}
	if err := r.AddSet(SourceExternal("acme"), Set{Name: "acme", Version: "2", Archiver: []component.Factory[archiver.Archiver]{archiverFactory("glacier")}}); err != nil {
		t.Fatal(err)
	}
	e, err := r.Archiver.Get("glacier")
	if err != nil || e.Source != "external:acme" || e.Version != "2" {
		t.Fatalf("get: %+v %v", e, err)
	}
	_, err = r.Archiver.Get("s4")
	if !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "disk, glacier") {
		t.Fatalf("unknown name: %v", err)
	}
	got := r.List()
	if len(got) != 2 || got[0].Name != "disk" || got[1].Source != "external:acme" {
		t.Fatalf("list: %+v", got)
	}
}

func TestAddRefuses(t *testing.T) {
	var r Registry
	if err := r.AddSet(SourceBuiltin, Set{Archiver: []component.Factory[archiver.Archiver]{archiverFactory("disk")}}); err != nil {
		t.Fatal(err)
	}
	wrongKind := archiverFactory("x")
	wrongKind.Info.Kind = component.KindStorage
	noNew := archiverFactory("y")
	noNew.New = nil
	for _, tc := range []struct {
		f    component.Factory[archiver.Archiver]
		want string
	}{
		{archiverFactory("disk"), `collides with the one from builtin`},
		{archiverFactory("Bad-Name"), `want [a-z][a-z0-9_]*`},
		{wrongKind, `says it is a storage`},
		{noNew, `no constructor`},
	} {
		err := r.AddSet(SourceExternal("acme"), Set{Archiver: []component.Factory[archiver.Archiver]{tc.f}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.f.Info.Name, err, tc.want)
		}
	}
}
