package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/plugins/telemetry"
	"github.com/runnel-io/runnel/plugins/transport"
)

func archiverFactory(name string) component.Factory[archiver.Archiver] {
	return component.Factory[archiver.Archiver]{
		Info: component.Info{Kind: component.KindArchiver, Name: name, Stability: component.StabilityBeta},
		New: func(context.Context, component.Env, map[string]any) (archiver.Archiver, error) {
			return nil, nil
		},
	}
}

func TestDescribe(t *testing.T) {
	set := registry.Set{Name: "acme", Version: "1.2.0", Archiver: []component.Factory[archiver.Archiver]{archiverFactory("glacier"), archiverFactory("tape")}}
	var stdout, stderr bytes.Buffer
	if code := run(set, []string{"describe"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := `{"bundle":"acme","version":"1.2.0","protocols":[1],"components":[{"kind":"archiver","name":"glacier","stability":"beta"},{"kind":"archiver","name":"tape","stability":"beta"}]}`
	if got := strings.TrimSpace(stdout.String()); got != want {
		t.Fatalf("describe printed\n%s\nwant\n%s", got, want)
	}
	var m Manifest
	if err := json.Unmarshal(stdout.Bytes(), &m); err != nil || len(m.Components) != 2 {
		t.Fatalf("manifest does not decode: %v", err)
	}
	if code := run(set, []string{"serve", "now"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage") {
		t.Fatalf("unknown arguments: exit %d, %q", code, stderr.String())
	}
}

func transportFactory(name string) component.Factory[transport.Transport] {
	return component.Factory[transport.Transport]{
		Info: component.Info{Kind: component.KindTransport, Name: name, Stability: component.StabilityDevelopment},
		New: func(context.Context, component.Env, map[string]any) (transport.Transport, error) {
			return nil, nil
		},
	}
}

// TestDescribeTransports: a bundle of transports alone is servable and
// its manifest lists them.
func TestDescribeTransports(t *testing.T) {
	set := registry.Set{Name: "edge", Version: "1", Transport: []component.Factory[transport.Transport]{transportFactory("tcp_ext")}}
	var stdout, stderr bytes.Buffer
	if code := run(set, []string{"describe"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := `{"bundle":"edge","version":"1","protocols":[1],"components":[{"kind":"transport","name":"tcp_ext","stability":"development"}]}`
	if got := strings.TrimSpace(stdout.String()); got != want {
		t.Fatalf("describe printed\n%s\nwant\n%s", got, want)
	}
}

func TestCheckRefuses(t *testing.T) {
	ok := archiverFactory("glacier")
	for _, tc := range []struct {
		set  registry.Set
		want string
	}{
		{registry.Set{Name: "Acme", Archiver: []component.Factory[archiver.Archiver]{ok}}, "set name"},
		{registry.Set{Name: "acme"}, "provides no plugins"},
		{registry.Set{Name: "acme", Archiver: []component.Factory[archiver.Archiver]{ok, ok}}, "collides"},
		{registry.Set{Name: "acme", Archiver: []component.Factory[archiver.Archiver]{ok}, Telemetry: []component.Factory[telemetry.Exporter]{{}}}, "archivers, storage and transports only"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.set, []string{"describe"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%+v: exit %d, %q, want %q", tc.set.Name, code, stderr.String(), tc.want)
		}
	}
}
