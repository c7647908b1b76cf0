package registry

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/telemetry"
	"github.com/runnel-io/runnel/plugins/transport"
)

// ErrUnknown: no implementation of that name for the kind.
var ErrUnknown = errors.New("registry: unknown plugin")

// Source says where an implementation comes from.
type Source string

const (
	// SourceBuiltin: compiled into runnel-server.
	SourceBuiltin Source = "builtin"
)

// SourceBundle is a set compiled in by runnel-build.
func SourceBundle(set string) Source { return Source("bundle:" + set) }

// SourceExternal is a set served by an external bundle process.
func SourceExternal(bundle string) Source { return Source("external:" + bundle) }

// External reports a plugin that runs in its own process (a bundle binary
// from [plugins]), which can fail on its own without the server failing.
func (s Source) External() bool { return strings.HasPrefix(string(s), "external:") }

// Entry is one registered implementation.
type Entry[T component.Component] struct {
	Factory component.Factory[T]
	Source  Source
	// Version is the version of the set that provided it.
	Version string
}

// Table holds the implementations of one kind by name. The zero value is
// an empty table.
type Table[T component.Component] struct {
	entries map[string]Entry[T]
}

// Add registers f. A bad name, a kind other than want, or a name already
// taken is an error.
func (t *Table[T]) Add(want component.Kind, src Source, version string, f component.Factory[T]) error {
	if err := component.CheckName(f.Info.Name); err != nil {
		return fmt.Errorf("registry: %s from %s: %w", want, src, err)
	}
	if f.Info.Kind != want {
		return fmt.Errorf("registry: %s %q from %s says it is a %s", want, f.Info.Name, src, f.Info.Kind)
	}
	if f.New == nil {
		return fmt.Errorf("registry: %s %q from %s has no constructor", want, f.Info.Name, src)
	}
	if old, ok := t.entries[f.Info.Name]; ok {
		return fmt.Errorf("registry: %s %q from %s collides with the one from %s", want, f.Info.Name, src, old.Source)
	}
	if t.entries == nil {
		t.entries = make(map[string]Entry[T])
	}
	t.entries[f.Info.Name] = Entry[T]{Factory: f, Source: src, Version: version}
	return nil
}

// Get returns the implementation called name, or an error wrapping
// ErrUnknown that lists the names there are.
func (t *Table[T]) Get(name string) (Entry[T], error) {
	e, ok := t.entries[name]
	if !ok {
		return e, fmt.Errorf("%w %q (available: %s)", ErrUnknown, name, strings.Join(t.Names(), ", "))
	}
	return e, nil
}

// Names lists the registered names, sorted.
func (t *Table[T]) Names() []string {
	names := make([]string, 0, len(t.entries))
	for name := range t.entries {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Registry is every kind's table. The kinds are a closed set, so each has
// its own field rather than a map by kind.
type Registry struct {
	Storage   Table[storage.Store]
	Archiver  Table[archiver.Archiver]
	Transport Table[transport.Transport]
	Telemetry Table[telemetry.Exporter]
}

// Set is the unit of registration: what one source provides.
type Set struct {
	Name, Version string
	Storage       []component.Factory[storage.Store]
	Archiver      []component.Factory[archiver.Archiver]
	Transport     []component.Factory[transport.Transport]
	Telemetry     []component.Factory[telemetry.Exporter]
}

// AddSet registers every factory of s under src. It stops at the first
// error; a failed AddSet should end the start-up.
func (r *Registry) AddSet(src Source, s Set) error {
	for _, f := range s.Storage {
		if err := r.Storage.Add(component.KindStorage, src, s.Version, f); err != nil {
			return err
		}
	}
	for _, f := range s.Archiver {
		if err := r.Archiver.Add(component.KindArchiver, src, s.Version, f); err != nil {
			return err
		}
	}
	for _, f := range s.Transport {
		if err := r.Transport.Add(component.KindTransport, src, s.Version, f); err != nil {
			return err
		}
	}
	for _, f := range s.Telemetry {
		if err := r.Telemetry.Add(component.KindTelemetry, src, s.Version, f); err != nil {
			return err
		}
	}
	return nil
}

// Listing is one line of `runnel-server plugins list`.
type Listing struct {
	Kind      component.Kind
	Name      string
	Source    Source
	Version   string
	Stability component.Stability
}

// List describes every registered implementation, by kind then name.
func (r *Registry) List() []Listing {
	var out []Listing
	out = appendListings(out, component.KindStorage, &r.Storage)
	out = appendListings(out, component.KindArchiver, &r.Archiver)
	out = appendListings(out, component.KindTransport, &r.Transport)
	return appendListings(out, component.KindTelemetry, &r.Telemetry)
}

func appendListings[T component.Component](out []Listing, kind component.Kind, t *Table[T]) []Listing {
	for _, name := range t.Names() {
		e := t.entries[name]
		out = append(out, Listing{Kind: kind, Name: name, Source: e.Source, Version: e.Version, Stability: e.Factory.Info.Stability})
	}
	return out
}
