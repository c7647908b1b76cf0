package pluginrpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
)

// storageServer is the plugin side of one storage instance: the store,
// its open files by id, and the shared region mapped from the host.
type storageServer struct {
	factories []component.Factory[storage.Store]
	logger    *slog.Logger

	mu     sync.Mutex
	impl   storage.Store
	mem    []byte
	unmap  func() error
	files  map[uint64]*fileEntry
	nextID uint64
}

var _ storageHandler = (*storageServer)(nil)

var errStoreNotConfigured = fmt.Errorf("pluginrpc: not configured: %w", storage.ErrClosed)

func (s *storageServer) configure(ctx context.Context, req storageConfigure) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.impl != nil {
		return errors.New("pluginrpc: configure: already configured")
	}
	f, err := findFactory(s.factories, "storage backend", req.Name)
	if err != nil {
		return err
	}
	mem, unmap, err := mapShared(req.ShmFD, req.ShmBytes)
	if err != nil {
		return err
	}
	conn, err := openDataConn(req.DataFD)
	if err != nil {
		_ = unmap()
		return err
	}
	st, err := f.New(ctx, instanceEnv(s.logger, "storage", req.Name, req.DataDir), req.Config)
	if err != nil {
		_ = unmap()
		conn.Close()
		return err
	}
	s.impl, s.mem, s.unmap, s.files = st, mem, unmap, make(map[uint64]*fileEntry)
	go (&dataServer{s: s, conn: conn}).serve()
	return nil
}

func (s *storageServer) store() (storage.Store, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.impl == nil {
		return nil, errStoreNotConfigured
	}
	return s.impl, nil
}

func (s *storageServer) file(id uint64) (storage.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.files[id]
	if !ok {
		return nil, fmt.Errorf("pluginrpc: file %d: %w", id, storage.ErrClosed)
	}
	return e.f, nil
}

// fileEntry finds an open file; with worker, it starts the file's append
// worker if it has none yet.
func (s *storageServer) fileEntry(id uint64, worker bool, start func(*fileEntry)) (*fileEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.files[id]
	if !ok {
		return nil, fmt.Errorf("pluginrpc: file %d: %w", id, storage.ErrClosed)
	}
	if worker && e.appends == nil {
		e.appends = make(chan dataReq, appendQueueMax)
		go start(e)
	}
	return e, nil
}

// stop ends e's append worker. The host sends no data request for a file
// after it asked to close it, so nothing follows the stop.
func (e *fileEntry) stop() {
	if e.appends != nil {
		e.appends <- dataReq{op: opStop}
	}
}

func (s *storageServer) start(ctx context.Context) error {
	st, err := s.store()
	if err != nil {
		return err
	}
	return st.Start(ctx)
}

// close closes the files the host left open, the store, and the mapping.
func (s *storageServer) close(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.impl == nil {
		return nil
	}
	for id, e := range s.files {
		e.stop()
		_ = e.f.Close()
		delete(s.files, id)
	}
	return s.impl.Close(ctx)
}

func (s *storageServer) open(ctx context.Context, req openRequest) (openReply, error) {
	st, err := s.store()
	if err != nil {
		return openReply{}, err
	}
	f, err := st.Open(ctx, req.Seg.id(), storage.FileKind(req.Kind), req.Create)
	if err != nil {
		return openReply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.files[s.nextID] = &fileEntry{f: f}
	return openReply{File: s.nextID, Size: f.Size()}, nil
}

func (s *storageServer) segments(ctx context.Context, p segWire) ([]uint64, error) {
	st, err := s.store()
	if err != nil {
		return nil, err
	}
	ids, err := st.Segments(ctx, p.id().PartitionKey)
	offsets := make([]uint64, len(ids))
	for i, id := range ids {
		offsets[i] = id.BaseOffset
	}
	return offsets, err
}

func (s *storageServer) removeSegment(ctx context.Context, seg segWire) error {
	st, err := s.store()
	if err != nil {
		return err
	}
	return st.RemoveSegment(ctx, seg.id())
}

func (s *storageServer) removePartition(ctx context.Context, p segWire) error {
	st, err := s.store()
	if err != nil {
		return err
	}
	return st.RemovePartition(ctx, p.id().PartitionKey)
}

func (s *storageServer) path(_ context.Context, req openRequest) (pathReply, error) {
	st, err := s.store()
	if err != nil {
		return pathReply{}, err
	}
	return pathReply{Path: st.Path(req.Seg.id(), storage.FileKind(req.Kind))}, nil
}

func (s *storageServer) truncate(ctx context.Context, req truncateRequest) error {
	f, err := s.file(req.File)
	if err != nil {
		return err
	}
	return f.Truncate(ctx, req.Size)
}

func (s *storageServer) closeFile(_ context.Context, req fileRequest) error {
	s.mu.Lock()
	e, ok := s.files[req.File]
	delete(s.files, req.File)
	s.mu.Unlock()
	if !ok {
		return nil // Close is idempotent
	}
	e.stop()
	return e.f.Close()
}
