package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/internal/server"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/filestore"
)

func main() {
	os.Exit(run(os.Args[1:], os.Environ()))
}

func run(args, environ []string) int {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg, err := config.Load(args, environ)
	if err != nil {
		fmt.Fprintln(os.Stderr, "runnel-server:", err)
		return 2
	}
	backends := storageBackends()
	newStore, ok := backends[cfg.Storage.Backend]
	if !ok {
		fmt.Fprintf(os.Stderr, "runnel-server: config: storage.backend: unknown backend %q (built in: %s)\n",
			cfg.Storage.Backend, backendNames(backends))
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv, err := server.New(cfg, logger, newStore)
	if err != nil {
		fmt.Fprintln(os.Stderr, "runnel-server:", err)
		return 2
	}
	if err := srv.Run(ctx); err != nil {
		logger.Error("server stopped", "error", err)
		return 1
	}
	return 0
}

// storageBackends is the explicit registry of built-in storage backends.
func storageBackends() map[string]server.StoreFactory {
	return map[string]server.StoreFactory{
		"file": func(env component.Env, raw map[string]any) (storage.Store, error) {
			// The file backend has no options: any key is a mistake.
			for key := range raw {
				return nil, fmt.Errorf("config: storage.config.%s: unknown key for backend \"file\"", key)
			}
			return filestore.New(env, filestore.Config{})
		},
	}
}

func backendNames(m map[string]server.StoreFactory) string {
	names := ""
	for name := range m {
		if names != "" {
			names += ", "
		}
		names += name
	}
	return names
}
