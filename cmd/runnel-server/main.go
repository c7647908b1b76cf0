package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/internal/server"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/directiostore"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
	"github.com/runnel-io/runnel/plugins/storage/filestore"
	"github.com/runnel-io/runnel/plugins/storage/iouringstore"
	"github.com/runnel-io/runnel/plugins/storage/mmapstore"
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
// iouring is listed in every build; without the `iouring` build tag its
// constructor fails with a message naming the fallback.
func storageBackends() map[string]server.StoreFactory {
	return map[string]server.StoreFactory{
		filestore.Name:     builtinStore(filestore.DecodeConfig, filestore.New),
		mmapstore.Name:     builtinStore(mmapstore.DecodeConfig, mmapstore.New),
		directiostore.Name: builtinStore(directiostore.DecodeConfig, directiostore.New),
		iouringstore.Name:  builtinStore(iouringstore.DecodeConfig, iouringstore.New),
	}
}

// builtinStore joins a backend's strict config decoder and constructor
// into one factory.
func builtinStore[C any](decode func(map[string]any) (C, error), newStore func(component.Env, C) (*dirstore.Store, error)) server.StoreFactory {
	return func(env component.Env, raw map[string]any) (storage.Store, error) {
		cfg, err := decode(raw)
		if err != nil {
			return nil, err
		}
		s, err := newStore(env, cfg)
		if err != nil {
			return nil, err // not s: a nil *Store in an interface is not nil
		}
		return s, nil
	}
}

func backendNames(m map[string]server.StoreFactory) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}
