package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/internal/auth"
	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/internal/metastore"
	"github.com/runnel-io/runnel/internal/vsrnode"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Version is what GetStats reports.
const (
	Version       = "0.8.0"
	versionSemver = 8000
)

const (
	// pollBytesMax bounds one PollMessages answer (at least one message is
	// always returned, however large).
	pollBytesMax = 32 << 20
	// initialPasswordFile keeps the generated root password of first boot.
	initialPasswordFile = "initial_root_password"
	// shutdownTimeout bounds the orderly part of shutdown.
	shutdownTimeout = 10 * time.Second
)

// Server is one Runnel node: the metadata store, the partition logs and the
// client-facing transports, wired to the command handlers.
type Server struct {
	cfg *config.Config
	log *slog.Logger

	meta *metastore.Store
	// node orders every operation through the VSR journal (cluster.mode
	// vsr); nil in mode none, where handlers apply ops directly.
	node *vsrnode.Node
	// applyCtx is the context committed ops are applied under: the
	// server's lifetime, not a request's.
	applyCtx context.Context
	// observedNode is node for the metrics callbacks, which may run
	// before open assigns it.
	observedNode atomic.Pointer[vsrnode.Node]
	replicaLoop  *replicaLoop
	// offsets holds auto-committed offsets on their way to the replica
	// (VSR mode; nil in mode none).
	offsets *offsetCommitter
	// partSync fetches partition messages from peers after a state
	// transfer, and serves theirs (several replicas only).
	partSync  *partSync
	store     storage.Store
	archivers []*archiveTarget
	parts     *partitions
	tiers     tiers // L1, L3 and the archive catalog (tiering.go)
	listeners []listener

	// topology serialises changes to the set of partitions (create/delete
	// topics, partitions, streams, purge) against the requests that use a
	// partition log, so a send never meets a half-created partition.
	topology sync.RWMutex

	clients *clients

	// groupsMu guards members: consumer-group membership belongs to
	// connections and is not persisted.
	groupsMu sync.Mutex
	members  *metadata.Membership

	// offsetLocks serialise polls that read a consumer's stored offset and
	// commit a new one (Next with auto-commit), striped by consumer and
	// partition: without it two polls of the same consumer, or the old and
	// new owner of a partition during a group rebalance, both read the old
	// offset and get the same messages.
	offsetLocks [offsetLockStripes]sync.Mutex

	// balanced holds the round-robin counter of each topic for Balanced sends.
	balancedMu sync.Mutex
	balanced   map[topicKey]*atomic.Uint32

	// largeResponses recycles response buffers grown past
	// scratchBytesKeepMax (large polls) between connections.
	largeResponses sync.Pool

	// tracer records one span per request; nil (the default) skips tracing
	// entirely, so a server without telemetry pays one nil check.
	tracer   trace.Tracer
	spanOpts []trace.SpanStartOption // of request spans, built once

	// fsyncs and httpRoutes are set by SetMeter and SetPrometheus.
	fsyncs        *fsyncMeter
	archiverCalls *pluginCallMeter
	httpRoutes    map[string]http.Handler

	ready        chan struct{} // closed once Run has opened everything
	startedAt    time.Time
	readBytes    atomic.Uint64
	writtenBytes atomic.Uint64
}

type topicKey struct{ stream, topic uint32 }

// offsetLockStripes is how many consumer offsets can be read-modify-written
// at once; two consumers sharing a stripe only wait for each other.
const offsetLockStripes = 64

// New checks the configuration and builds the server and the plugin
// instances the configuration names, taken from reg. Built-in plugins do no
// I/O here; an external plugin's process is started so it can judge its
// own config.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger, reg *registry.Registry) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	store, err := newStore(ctx, cfg, logger, reg)
	if err != nil {
		return nil, err
	}
	archivers, err := newArchivers(ctx, cfg, logger, reg)
	if err != nil {
		_ = store.Close(ctx)
		return nil, err
	}
	listeners, err := newListeners(ctx, cfg, logger, reg)
	if err != nil {
		_ = store.Close(ctx)
		for _, t := range archivers {
			_ = t.archiver.Close(ctx)
		}
		return nil, err
	}
	return &Server{
		cfg:       cfg,
		log:       logger,
		store:     store,
		archivers: archivers,
		listeners: listeners,
		ready:     make(chan struct{}),
		clients:   newClients(),
		members:   metadata.NewMembership(),
		balanced:  make(map[topicKey]*atomic.Uint32),
	}, nil
}

func newStore(ctx context.Context, cfg *config.Config, logger *slog.Logger, reg *registry.Registry) (storage.Store, error) {
	e, err := reg.Storage.Get(cfg.Storage.Backend)
	if err != nil {
		return nil, fmt.Errorf("server: config: storage.backend: %w", err)
	}
	env := component.Env{Logger: logger.With("plugin", "storage."+cfg.Storage.Backend), DataDir: cfg.System.Path}
	store, err := e.Factory.New(ctx, env, cfg.Storage.Config)
	if err != nil {
		return nil, fmt.Errorf("server: config: storage backend %q: %w", cfg.Storage.Backend, err)
	}
	return store, nil
}

// newArchivers builds every [[archivers]] instance; each gets a data
// directory of its own under <system.path>/archivers/<name>.
func newArchivers(ctx context.Context, cfg *config.Config, logger *slog.Logger, reg *registry.Registry) ([]*archiveTarget, error) {
	var out []*archiveTarget
	closeAll := func() {
		for _, t := range out {
			_ = t.archiver.Close(ctx)
		}
	}
	for i, slot := range cfg.Archivers {
		e, err := reg.Archiver.Get(slot.Type)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("server: config: archivers[%d] %q: type: %w", i, slot.Name, err)
		}
		env := component.Env{
			Logger:  logger.With("plugin", "archiver."+slot.Type, "instance", slot.Name),
			DataDir: filepath.Join(cfg.System.Path, "archivers", slot.Name),
		}
		a, err := e.Factory.New(ctx, env, slot.Config)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("server: config: archivers[%d] %q: %w", i, slot.Name, err)
		}
		out = append(out, &archiveTarget{name: slot.Name, archiver: a, archived: map[archiver.Key]bool{}})
	}
	return out, nil
}

// Run opens everything, serves until ctx ends, then shuts down in order:
// transports first (clients get the Disconnected frame), then partition
// logs (synced), then metadata.
func (s *Server) Run(ctx context.Context) (err error) {
	s.startedAt = time.Now()
	if err := s.open(ctx); err != nil {
		s.closeAll()
		return err
	}
	s.log.Info("started", "path", s.cfg.System.Path, "fsync", s.cfg.System.Partition.Fsync,
		"startup", time.Since(s.startedAt).Round(time.Microsecond))
	close(s.ready)

	bg, cancelBG := context.WithCancel(ctx)
	var wg sync.WaitGroup
	serveErr := make(chan error, len(s.listeners))
	for _, l := range s.listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.transport.Serve(bg, s); err != nil {
				serveErr <- fmt.Errorf("server: transport %q: %w", l.name, err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.runMaintenance(bg)
	}()
	if s.offsets != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.offsets.run(bg, s.submit, func(err error) { s.log.Error("store polled offset", "error", err) })
		}()
	}
	if len(s.archivers) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.runArchiving(bg, s.cfg.System.Archive.Interval)
		}()
	}
	if s.cfg.System.Partition.Fsync == config.FsyncInterval {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.parts.runIntervalSync(bg, s.cfg.System.Partition.FsyncInterval, func(err error) {
				s.log.Error("interval fsync failed", "error", err)
			})
		}()
	}

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	case <-s.replicaFailed():
		err = fmt.Errorf("server: replica: %w", s.replicaLoop.err)
	}
	s.log.Info("shutting down")
	stopCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	closeListeners(stopCtx, s.listeners)
	cancelBG()
	wg.Wait()
	if stopErr := s.stopReplica(); stopErr != nil && err == nil {
		err = errors.Join(err, fmt.Errorf("server: replica: %w", stopErr))
	}
	if syncErr := s.parts.syncDirty(stopCtx); syncErr != nil {
		err = errors.Join(err, fmt.Errorf("server: final sync: %w", syncErr))
	}
	s.closeAll()
	s.log.Info("stopped")
	return err
}

func (s *Server) open(ctx context.Context) error {
	path := s.cfg.System.Path
	if err := os.MkdirAll(path, 0o755); err != nil {
		return fmt.Errorf("server: data directory: %w", err)
	}
	metaCfg := metastore.DefaultConfig()
	metaCfg.State.SegmentSizeBytes = uint64(s.cfg.System.Segment.Size)
	metaCfg.State.TopicMessageExpiryDefaultMicros = expiryMicros(s.cfg.System.Topic.MessageExpiry)
	metaCfg.State.TopicSizeBytesMaxDefault = uint64(s.cfg.System.Topic.MaxSize)
	// Archivers start first: an empty node takes its metadata from them.
	for _, t := range s.archivers {
		if err := t.archiver.Start(ctx); err != nil {
			return fmt.Errorf("server: archiver %q: %w", t.name, err)
		}
	}
	metaDir := filepath.Join(path, "metadata")
	vsrMode := s.cfg.Cluster.Mode == config.ClusterVSR
	if vsrMode {
		if err := refuseModeNoneData(metaDir); err != nil {
			return err
		}
		meta, err := metastore.NewJournaled(metaCfg)
		if err != nil {
			return fmt.Errorf("server: metadata: %w", err)
		}
		s.meta = meta
	} else {
		if err := refuseVSRData(path); err != nil {
			return err
		}
		if err := s.restoreMetadata(ctx, metaDir, metaCfg); err != nil {
			return err
		}
		meta, err := metastore.Open(ctx, metaDir, metaCfg)
		if err != nil {
			return fmt.Errorf("server: metadata: %w", err)
		}
		s.meta = meta
	}

	if err := s.store.Start(ctx); err != nil {
		return fmt.Errorf("server: storage %q: %w", s.cfg.Storage.Backend, err)
	}
	fsync := s.cfg.System.Partition.Fsync
	if vsrMode {
		// The journal makes every acknowledged op durable; partition logs
		// are fsynced at checkpoints (beforeCheckpoint) instead of per append.
		fsync = config.FsyncNever
	}
	s.parts = newPartitions(s.store, partition.Config{SegmentBytesMax: uint64(s.cfg.System.Segment.Size)}, fsync, s.cfg.System.Dedup)
	s.parts.fsyncs = s.fsyncs
	if err := s.openTiers(ctx); err != nil {
		return err
	}
	if vsrMode {
		if err := s.startReplica(ctx); err != nil {
			return err
		}
		if err := s.restoreMetadataReplicated(ctx); err != nil {
			return err
		}
	} else if err := s.openPartitions(ctx); err != nil {
		return err
	}
	if err := s.bootstrapRoot(ctx); err != nil {
		return err
	}
	return s.startListeners(ctx)
}

// openPartitions opens the log of every partition the metadata knows, so
// recovery problems stop the server at start with the file named.
func (s *Server) openPartitions(ctx context.Context) error {
	var keys []storage.PartitionKey
	s.meta.View(func(st *metadata.State) {
		for stream := range st.Streams() {
			for topic := range stream.Topics() {
				for p := uint32(0); p < topic.PartitionsCount(); p++ {
					keys = append(keys, storage.PartitionKey{Stream: stream.ID, Topic: topic.ID, Partition: p})
				}
			}
		}
	})
	for _, key := range keys {
		if _, err := s.parts.open(ctx, key, false); err != nil {
			return fmt.Errorf("server: %w", err)
		}
	}
	return nil
}

// bootstrapRoot creates the root user on first boot. Without a configured
// password one is generated, printed once and kept in a private file so a
// developer's later starts can show it again.
func (s *Server) bootstrapRoot(ctx context.Context) error {
	pwFile := filepath.Join(s.cfg.System.Path, initialPasswordFile)
	if !s.meta.Empty() {
		if b, err := os.ReadFile(pwFile); err == nil {
			s.log.Info("dev root credentials (from first boot; delete the file once changed)",
				"username", s.cfg.Root.Username, "password", string(b), "file", pwFile)
		}
		return nil
	}
	password, generated := s.cfg.Root.Password, false
	if password == "" {
		password, generated = auth.RandomPassword(), true
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return fmt.Errorf("server: root password: %w", err)
	}
	op := metadata.CreateUser{
		Username:        s.cfg.Root.Username,
		PasswordHash:    hash,
		Status:          metadata.UserActive,
		Permissions:     wire.AllPermissions(),
		CreatedAtMicros: nowMicros(),
	}
	_, err = s.submit(ctx, op)
	// A replica of a new cluster waits for a quorum of its peers: until
	// they start, the op cannot commit. A retry of an op that did commit
	// meanwhile finds the user (below).
	for errors.Is(err, errOutcomeUnknown) && len(s.cfg.Cluster.Replicas) > 1 && ctx.Err() == nil {
		s.log.Warn("creating the root user: no quorum of replicas yet; retrying", "error", err)
		_, err = s.submit(ctx, op)
	}
	if errors.Is(err, wire.ErrUserAlreadyExists) && len(s.cfg.Cluster.Replicas) > 1 {
		// Every replica of a new cluster starts empty and tries; the first
		// one's user is the cluster's.
		s.log.Info("root user created by another replica", "username", s.cfg.Root.Username)
		return nil
	}
	if err != nil {
		return fmt.Errorf("server: create root user: %w", err)
	}
	// Argon2id borrowed ~19 MiB for the hash; hand it back now rather than
	// when the scavenger gets to it, so an idle server stays small.
	debug.FreeOSMemory()
	if generated {
		if err := os.WriteFile(pwFile, []byte(password), 0o600); err != nil {
			return fmt.Errorf("server: keep generated root password: %w", err)
		}
		s.log.Info("created root user with a generated password (shown once; also in the file)",
			"username", s.cfg.Root.Username, "password", password, "file", pwFile)
	} else {
		s.log.Info("created root user", "username", s.cfg.Root.Username)
	}
	return nil
}

// Ready is closed once Run has opened the data and is listening.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Discard releases what New built, for a server that will not Run
// (check-config).
func (s *Server) Discard(ctx context.Context) error {
	var errs []error
	errs = append(errs, s.store.Close(ctx))
	for _, t := range s.archivers {
		errs = append(errs, t.archiver.Close(ctx))
	}
	for _, l := range s.listeners {
		errs = append(errs, l.transport.Close(ctx))
	}
	return errors.Join(errs...)
}

func (s *Server) closeAll() {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := s.stopReplica(); err != nil {
		s.log.Error("stop replica", "error", err)
	}
	if s.parts != nil {
		s.parts.closeAll()
	}
	s.tiers.close()
	if s.store != nil {
		if err := s.store.Close(ctx); err != nil {
			s.log.Error("close storage", "error", err)
		}
	}
	for _, t := range s.archivers {
		if err := t.archiver.Close(ctx); err != nil {
			s.log.Error("close archiver", "archiver", t.name, "error", err)
		}
	}
	if s.meta != nil {
		if err := s.meta.Close(ctx); err != nil {
			s.log.Error("close metadata", "error", err)
		}
	}
}

// Connect implements transport.Handler: one session per connection.
func (s *Server) Connect(ctx context.Context, sess transport.Session) (transport.Conn, error) {
	return s.clients.add(s, sess), nil
}

func nowMicros() uint64 { return uint64(time.Now().UnixMicro()) }

func expiryMicros(d config.OptionalDuration) uint64 {
	if d == 0 {
		return metadata.ExpiryNever
	}
	return uint64(time.Duration(d).Microseconds())
}
