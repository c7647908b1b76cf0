package bundle

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/internal/pluginrpc"
	"github.com/runnel-io/runnel/plugins/registry"
)

// Manifest is what `<binary> describe` prints, for example
//
//	{"bundle":"acme","version":"1.2.0","protocols":[1],
//	 "components":[{"kind":"archiver","name":"glacier","stability":"beta"}]}
type Manifest struct {
	Bundle  string `json:"bundle"`
	Version string `json:"version"`
	// Protocols are the plugin protocol versions the binary speaks.
	Protocols  []int       `json:"protocols"`
	Components []Component `json:"components"`
}

// Component is one plugin a bundle provides.
type Component struct {
	Kind      component.Kind      `json:"kind"`
	Name      string              `json:"name"`
	Stability component.Stability `json:"stability"`
}

// Describe is set's manifest.
func Describe(set registry.Set) Manifest {
	m := Manifest{Bundle: set.Name, Version: set.Version, Protocols: pluginrpc.Protocols()}
	for _, f := range set.Storage {
		m.Components = append(m.Components, Component{Kind: f.Info.Kind, Name: f.Info.Name, Stability: f.Info.Stability})
	}
	for _, f := range set.Archiver {
		m.Components = append(m.Components, Component{Kind: f.Info.Kind, Name: f.Info.Name, Stability: f.Info.Stability})
	}
	for _, f := range set.Transport {
		m.Components = append(m.Components, Component{Kind: f.Info.Kind, Name: f.Info.Name, Stability: f.Info.Stability})
	}
	return m
}

// Check reports whether set can be served as an external bundle: valid
// names, the right kinds, no duplicates, and only kinds the plugin
// protocol carries.
func Check(set registry.Set) error {
	if err := component.CheckName(set.Name); err != nil {
		return fmt.Errorf("bundle: set name: %w", err)
	}
	if len(set.Telemetry) > 0 {
		return fmt.Errorf("bundle %s: telemetry exporters cannot be served out of process (archivers, storage and transports only)", set.Name)
	}
	if len(set.Archiver)+len(set.Storage)+len(set.Transport) == 0 {
		return fmt.Errorf("bundle %s: provides no plugins", set.Name)
	}
	var reg registry.Registry // reuses the registry's own checks
	if err := reg.AddSet(registry.SourceExternal(set.Name), set); err != nil {
		return fmt.Errorf("bundle %s: %w", set.Name, err)
	}
	return nil
}

// Serve is a bundle binary's main. It does not return.
func Serve(set registry.Set) {
	os.Exit(run(set, os.Args[1:], os.Stdout, os.Stderr))
}

// run returns the exit code.
func run(set registry.Set, args []string, stdout, stderr io.Writer) int {
	if err := Check(set); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	switch {
	case len(args) == 1 && args[0] == "describe":
		return describe(set, stdout, stderr)
	case len(args) > 0:
		fmt.Fprintf(stderr, "usage: %s [describe]\n(without arguments it is launched by runnel-server, not by hand)\n", os.Args[0])
		return 2
	}
	serve(set, stderr)
	return 0
}

// parentCheckInterval is how soon a plugin notices its host died.
const parentCheckInterval = 250 * time.Millisecond

// exitWithParent ends the plugin once its host is gone without closing it
// (kill -9, a crash): an orphan would keep data files open and run on
// alone. The host's death shows as a new parent (init adopts orphans).
func exitWithParent(parent int, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for range t.C {
		if os.Getppid() != parent {
			os.Exit(1)
		}
	}
}

func describe(set registry.Set, stdout, stderr io.Writer) int {
	if err := json.NewEncoder(stdout).Encode(Describe(set)); err != nil {
		fmt.Fprintln(stderr, "bundle: describe:", err)
		return 1
	}
	return 0
}

// serve hands over to go-plugin. Logs go to the process's stderr as JSON
// lines, which the host reads and re-logs with the bundle's name. The
// writer is captured here because go-plugin swaps os.Stderr for a pipe.
func serve(set registry.Set, stderr io.Writer) {
	logger := slog.New(slog.NewJSONHandler(stderr, nil)).With("bundle", set.Name)
	go exitWithParent(os.Getppid(), parentCheckInterval)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  pluginrpc.Handshake(),
		VersionedPlugins: pluginrpc.PluginSets(set, logger),
		GRPCServer:       pluginrpc.NewGRPCServer,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: set.Name, Output: stderr, Level: hclog.Warn, JSONFormat: true,
		}),
	})
}
