package dirstore

import (
	"context"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
)

// Factory makes the registry entry of a dirstore-based backend from its
// strict config decoder and its constructor.
func Factory[C any](info component.Info, decode func(map[string]any) (C, error), newStore func(component.Env, C) (*Store, error)) component.Factory[storage.Store] {
	info.Kind = component.KindStorage
	return component.Factory[storage.Store]{
		Info: info,
		New: func(_ context.Context, env component.Env, raw map[string]any) (storage.Store, error) {
			cfg, err := decode(raw)
			if err != nil {
				return nil, err
			}
			s, err := newStore(env, cfg)
			if err != nil {
				return nil, err // not s: a nil *Store in an interface is not nil
			}
			return s, nil
		},
	}
}
