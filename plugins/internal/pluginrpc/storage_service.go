package pluginrpc

import (
	"context"

	"google.golang.org/grpc"

	"github.com/runnel-io/runnel/plugins/storage"
)

const storageService = "runnel.plugin.v1.Storage"

// Storage control messages, JSON inside a BytesValue. Append and ReadAt
// are not here: they use the data path (datapath.go).
type (
	storageConfigure struct {
		Name     string         `json:"name"`
		Config   map[string]any `json:"config"`
		DataDir  string         `json:"data_dir"`
		ShmFD    int            `json:"shm_fd"`
		ShmBytes int64          `json:"shm_bytes"`
		DataFD   int            `json:"data_fd"`
	}
	segWire struct {
		Stream     uint32 `json:"stream"`
		Topic      uint32 `json:"topic"`
		Partition  uint32 `json:"partition"`
		BaseOffset uint64 `json:"base_offset"`
	}
	openRequest struct {
		Seg    segWire `json:"seg"`
		Kind   uint8   `json:"kind"`
		Create bool    `json:"create"`
	}
	openReply struct {
		File uint64 `json:"file"`
		Size int64  `json:"size"`
	}
	fileRequest struct {
		File uint64 `json:"file"`
	}
	truncateRequest struct {
		File uint64 `json:"file"`
		Size int64  `json:"size"`
	}
	pathReply struct {
		Path string `json:"path"`
	}
)

func toSegWire(id storage.SegmentID) segWire {
	return segWire{Stream: id.Stream, Topic: id.Topic, Partition: id.Partition, BaseOffset: id.BaseOffset}
}

func (s segWire) id() storage.SegmentID {
	return storage.SegmentID{PartitionKey: storage.PartitionKey{Stream: s.Stream, Topic: s.Topic, Partition: s.Partition}, BaseOffset: s.BaseOffset}
}

// storageHandler is what the plugin side implements.
type storageHandler interface {
	configure(ctx context.Context, req storageConfigure) error
	start(ctx context.Context) error
	close(ctx context.Context) error
	open(ctx context.Context, req openRequest) (openReply, error)
	segments(ctx context.Context, p segWire) ([]uint64, error)
	removeSegment(ctx context.Context, s segWire) error
	removePartition(ctx context.Context, p segWire) error
	path(ctx context.Context, req openRequest) (pathReply, error)
	truncate(ctx context.Context, req truncateRequest) error
	closeFile(ctx context.Context, req fileRequest) error
}

type none struct{}

// noReply adapts a method that returns only an error.
func noReply[Req any](fn func(storageHandler, context.Context, Req) error) func(context.Context, storageHandler, Req) (none, error) {
	return func(ctx context.Context, h storageHandler, req Req) (none, error) { return none{}, fn(h, ctx, req) }
}

// withReply reorders a method value's arguments for unary.
func withReply[Req, Resp any](fn func(storageHandler, context.Context, Req) (Resp, error)) func(context.Context, storageHandler, Req) (Resp, error) {
	return func(ctx context.Context, h storageHandler, req Req) (Resp, error) { return fn(h, ctx, req) }
}

func storageDesc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: storageService,
		HandlerType: (*storageHandler)(nil),
		Methods: []grpc.MethodDesc{
			unary("Configure", noReply(storageHandler.configure)),
			unary("Start", noReply(func(h storageHandler, ctx context.Context, _ none) error { return h.start(ctx) })),
			unary("Close", noReply(func(h storageHandler, ctx context.Context, _ none) error { return h.close(ctx) })),
			unary("Open", withReply(storageHandler.open)),
			unary("Segments", withReply(storageHandler.segments)),
			unary("RemoveSegment", noReply(storageHandler.removeSegment)),
			unary("RemovePartition", noReply(storageHandler.removePartition)),
			unary("Path", withReply(storageHandler.path)),
			unary("Truncate", noReply(storageHandler.truncate)),
			unary("CloseFile", noReply(storageHandler.closeFile)),
		},
	}
}
