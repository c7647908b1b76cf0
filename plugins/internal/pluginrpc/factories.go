package pluginrpc

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/runnel-io/runnel/plugins/component"
)

// findFactory returns the bundle's factory of kind ("archiver", "storage
// backend", "transport") named name, or an error listing the ones it has.
func findFactory[T component.Component](factories []component.Factory[T], kind, name string) (component.Factory[T], error) {
	names := make([]string, 0, len(factories))
	for _, f := range factories {
		if f.Info.Name == name {
			return f, nil
		}
		names = append(names, f.Info.Name)
	}
	return component.Factory[T]{}, fmt.Errorf("pluginrpc: this bundle has no %s %q (it has: %s)", kind, name, strings.Join(names, ", "))
}

// instanceEnv is the Env a plugin instance is built with: its logger names
// it as prefix.name.
func instanceEnv(logger *slog.Logger, prefix, name, dataDir string) component.Env {
	return component.Env{Logger: logger.With("instance", prefix+"."+name), DataDir: dataDir}
}
