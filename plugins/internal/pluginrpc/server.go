package pluginrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/component"
)

// archiverServer is the plugin side: it holds the one instance this
// process serves (the host runs one process per configured instance, so
// calls carry no instance id).
type archiverServer struct {
	factories []component.Factory[archiver.Archiver]
	logger    *slog.Logger

	mu   sync.Mutex
	impl archiver.Archiver // nil until Configure
}

var _ archiverHandler = (*archiverServer)(nil)

// errNotConfigured: a call before Configure, a host bug.
var errNotConfigured = fmt.Errorf("pluginrpc: not configured: %w", archiver.ErrClosed)

func (s *archiverServer) instance() (archiver.Archiver, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.impl == nil {
		return nil, errNotConfigured
	}
	return s.impl, nil
}

// configure runs the bundle's own Factory.New, so the plugin judges its
// config; its error goes back to the host as is.
func (s *archiverServer) configure(ctx context.Context, req configureRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.impl != nil {
		return errors.New("pluginrpc: configure: already configured")
	}
	f, err := findFactory(s.factories, "archiver", req.Name)
	if err != nil {
		return err
	}
	a, err := f.New(ctx, instanceEnv(s.logger, "archiver", req.Name, req.DataDir), req.Config)
	if err != nil {
		return err
	}
	s.impl = a
	return nil
}

func (s *archiverServer) start(ctx context.Context) error {
	a, err := s.instance()
	if err != nil {
		return err
	}
	return a.Start(ctx)
}

func (s *archiverServer) close(ctx context.Context) error {
	a, err := s.instance()
	if err != nil {
		return nil // closing an unconfigured instance is fine
	}
	return a.Close(ctx)
}

func (s *archiverServer) stat(ctx context.Context, req keyRequest) (objectInfo, error) {
	a, err := s.instance()
	if err != nil {
		return objectInfo{}, err
	}
	info, err := a.Stat(ctx, req.Key)
	return toWire(info), err
}

func (s *archiverServer) del(ctx context.Context, req keyRequest) error {
	a, err := s.instance()
	if err != nil {
		return err
	}
	return a.Delete(ctx, req.Key)
}

// put reads a putHeader, then hands the following chunks to the
// implementation as one reader; the client's CloseSend is its EOF.
func (s *archiverServer) put(stream grpc.ServerStream) error {
	a, err := s.instance()
	if err != nil {
		return err
	}
	var h putHeader
	if err := recvJSON(stream, &h); err != nil {
		return err
	}
	info, err := a.Put(stream.Context(), h.Key, &chunkReader{recv: stream.RecvMsg}, h.SizeBytes)
	if err != nil {
		return err
	}
	return sendJSON(stream, toWire(info))
}

// get answers an empty message once the object is open (so the host's Get
// returns ErrNotFound itself, not its first Read), then the bytes.
func (s *archiverServer) get(stream grpc.ServerStream) error {
	a, err := s.instance()
	if err != nil {
		return err
	}
	var req getRequest
	if err := recvJSON(stream, &req); err != nil {
		return err
	}
	rc, err := a.Get(stream.Context(), req.Key, req.Position, req.LengthBytes)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := stream.SendMsg(wrapperspb.Bytes(nil)); err != nil {
		return err
	}
	return sendChunks(stream, rc)
}

func (s *archiverServer) list(stream grpc.ServerStream) error {
	a, err := s.instance()
	if err != nil {
		return err
	}
	var req keyRequest
	if err := recvJSON(stream, &req); err != nil {
		return err
	}
	infos, err := a.List(stream.Context(), req.Key)
	if err != nil {
		return err
	}
	for len(infos) > 0 {
		n := min(len(infos), listPageEntriesMax)
		page := make([]objectInfo, n)
		for i := range page {
			page[i] = toWire(infos[i])
		}
		if err := sendJSON(stream, page); err != nil {
			return err
		}
		infos = infos[n:]
	}
	return nil
}

// msgStream is the part of grpc.ServerStream and grpc.ClientStream used here.
type msgStream interface {
	SendMsg(m any) error
	RecvMsg(m any) error
}

func recvJSON(s msgStream, v any) error {
	m := new(wrapperspb.BytesValue)
	if err := s.RecvMsg(m); err != nil {
		return err
	}
	if err := unmarshal(m.GetValue(), v); err != nil {
		return fmt.Errorf("pluginrpc: bad message: %w", err)
	}
	return nil
}

func sendJSON(s msgStream, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("pluginrpc: encode: %w", err)
	}
	return s.SendMsg(wrapperspb.Bytes(b))
}

// sendChunks streams r in messages of at most ChunkBytesMax. The buffer is
// reused: SendMsg has encoded the message by the time it returns (and we
// install no stats handler that would keep it).
func sendChunks(s msgStream, r io.Reader) error {
	buf := make([]byte, ChunkBytesMax)
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if serr := s.SendMsg(wrapperspb.Bytes(buf[:n])); serr != nil {
				return serr
			}
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return nil
		case err != nil:
			return err
		}
	}
}

// chunkReader reads a stream of BytesValue chunks as one byte stream.
type chunkReader struct {
	recv func(m any) error
	rest []byte
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.rest) == 0 {
		m := new(wrapperspb.BytesValue)
		if err := c.recv(m); err != nil {
			return 0, err // io.EOF at the end of the stream
		}
		c.rest = m.GetValue()
	}
	n := copy(p, c.rest)
	c.rest = c.rest[n:]
	return n, nil
}
