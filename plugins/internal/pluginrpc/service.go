package pluginrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/runnel-io/runnel/plugins/archiver"
)

// ChunkBytesMax bounds the bytes in one streamed message.
const ChunkBytesMax = 1 << 20

// listPageEntriesMax bounds the ObjectInfos in one List message, keeping
// each far below gRPC's 4 MiB message limit (an entry is < 1.2 KiB).
const listPageEntriesMax = 1000

const archiverService = "runnel.plugin.v1.Archiver"

// The messages, JSON inside a BytesValue.
type (
	configureRequest struct {
		Name    string         `json:"name"`
		Config  map[string]any `json:"config"`
		DataDir string         `json:"data_dir"`
	}
	keyRequest struct {
		Key archiver.Key `json:"key"`
	}
	putHeader struct {
		Key       archiver.Key `json:"key"`
		SizeBytes int64        `json:"size_bytes"`
	}
	getRequest struct {
		Key         archiver.Key `json:"key"`
		Position    int64        `json:"position"`
		LengthBytes int64        `json:"length_bytes"`
	}
	objectInfo struct {
		Key       archiver.Key `json:"key"`
		SizeBytes int64        `json:"size_bytes"`
		SHA256    string       `json:"sha256"`
	}
)

func toWire(i archiver.ObjectInfo) objectInfo {
	return objectInfo{Key: i.Key, SizeBytes: i.SizeBytes, SHA256: i.SHA256}
}

func (o objectInfo) info() archiver.ObjectInfo {
	return archiver.ObjectInfo{Key: o.Key, SizeBytes: o.SizeBytes, SHA256: o.SHA256}
}

// archiverHandler is what the plugin side implements; unary methods take
// and return JSON.
type archiverHandler interface {
	configure(ctx context.Context, req configureRequest) error
	start(ctx context.Context) error
	close(ctx context.Context) error
	stat(ctx context.Context, req keyRequest) (objectInfo, error)
	del(ctx context.Context, req keyRequest) error
	put(stream grpc.ServerStream) error
	get(stream grpc.ServerStream) error
	list(stream grpc.ServerStream) error
}

// archiverDesc describes the service by hand (no protoc).
func archiverDesc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: archiverService,
		HandlerType: (*archiverHandler)(nil),
		Methods: []grpc.MethodDesc{
			unary("Configure", func(ctx context.Context, h archiverHandler, req configureRequest) (struct{}, error) {
				return struct{}{}, h.configure(ctx, req)
			}),
			unary("Start", func(ctx context.Context, h archiverHandler, _ struct{}) (struct{}, error) {
				return struct{}{}, h.start(ctx)
			}),
			unary("Close", func(ctx context.Context, h archiverHandler, _ struct{}) (struct{}, error) {
				return struct{}{}, h.close(ctx)
			}),
			unary("Stat", func(ctx context.Context, h archiverHandler, req keyRequest) (objectInfo, error) {
				return h.stat(ctx, req)
			}),
			unary("Delete", func(ctx context.Context, h archiverHandler, req keyRequest) (struct{}, error) {
				return struct{}{}, h.del(ctx, req)
			}),
		},
		Streams: []grpc.StreamDesc{
			{StreamName: "Put", ClientStreams: true, Handler: func(srv any, s grpc.ServerStream) error {
				return toStatus(srv.(archiverHandler).put(s))
			}},
			{StreamName: "Get", ServerStreams: true, Handler: func(srv any, s grpc.ServerStream) error {
				return toStatus(srv.(archiverHandler).get(s))
			}},
			{StreamName: "List", ServerStreams: true, Handler: func(srv any, s grpc.ServerStream) error {
				return toStatus(srv.(archiverHandler).list(s))
			}},
		},
	}
}

// unary adapts fn to a gRPC method taking and returning JSON in a
// BytesValue; H is the service's handler interface.
func unary[H, Req, Resp any](name string, fn func(context.Context, H, Req) (Resp, error)) grpc.MethodDesc {
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.BytesValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			var req Req
			if err := unmarshal(in.GetValue(), &req); err != nil {
				return nil, toStatus(fmt.Errorf("pluginrpc: %s: %w", name, err))
			}
			resp, err := fn(ctx, srv.(H), req)
			if err != nil {
				return nil, toStatus(err)
			}
			b, err := json.Marshal(resp)
			if err != nil {
				return nil, toStatus(fmt.Errorf("pluginrpc: %s: %w", name, err))
			}
			return wrapperspb.Bytes(b), nil
		},
	}
}

func method(name string) string { return "/" + archiverService + "/" + name }

func storageMethod(name string) string { return "/" + storageService + "/" + name }

// unmarshal decodes JSON, reading numbers the way the host's TOML loader
// hands them to a plugin: integers as int64, others as float64.
func unmarshal(b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if req, ok := v.(*configureRequest); ok {
		for k, x := range req.Config {
			req.Config[k] = fixNumbers(x)
		}
	}
	return nil
}

// fixNumbers replaces every json.Number under x by an int64 or a float64.
func fixNumbers(x any) any {
	switch v := x.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = fixNumbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = fixNumbers(e)
		}
	}
	return x
}

// invokeJSON makes one unary call: req as JSON in a BytesValue, the reply's
// bytes decoded into resp (nil: ignored); a failed call comes back as the
// error its status carries (fromStatus).
func invokeJSON(ctx context.Context, conn grpc.ClientConnInterface, fullMethod, name string, req, resp any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("pluginrpc: %s: %w", name, err)
	}
	out := new(wrapperspb.BytesValue)
	if err := conn.Invoke(ctx, fullMethod, wrapperspb.Bytes(b), out); err != nil {
		return fromStatus(err)
	}
	if resp == nil {
		return nil
	}
	if err := unmarshal(out.GetValue(), resp); err != nil {
		return fmt.Errorf("pluginrpc: %s: bad reply: %w", name, err)
	}
	return nil
}
