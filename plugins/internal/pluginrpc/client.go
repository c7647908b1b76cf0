package pluginrpc

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/runnel-io/runnel/plugins/archiver"
)

// ArchiverClient is the host side: a remote archiver instance behind the
// archiver contract. Errors keep their identity (see fromStatus).
type ArchiverClient struct {
	conn    grpc.ClientConnInterface
	streams []grpc.StreamDesc
}

var _ archiver.Archiver = (*ArchiverClient)(nil)

// NewArchiverClient talks to the archiver service on conn.
func NewArchiverClient(conn grpc.ClientConnInterface) *ArchiverClient {
	return &ArchiverClient{conn: conn, streams: archiverDesc().Streams}
}

func (c *ArchiverClient) call(ctx context.Context, name string, req, resp any) error {
	return invokeJSON(ctx, c.conn, method(name), name, req, resp)
}

// stream opens the named streaming call.
func (c *ArchiverClient) stream(ctx context.Context, name string) (grpc.ClientStream, error) {
	for i := range c.streams {
		if c.streams[i].StreamName == name {
			s, err := c.conn.NewStream(ctx, &c.streams[i], method(name))
			return s, fromStatus(err)
		}
	}
	return nil, fmt.Errorf("pluginrpc: no stream %q", name)
}

// Configure has the plugin build its instance with its own Factory.New
// from raw, the instance's config table. Call it once, before Start.
func (c *ArchiverClient) Configure(ctx context.Context, name string, raw map[string]any, dataDir string) error {
	return c.call(ctx, "Configure", configureRequest{Name: name, Config: raw, DataDir: dataDir}, nil)
}

// Start starts the remote instance.
func (c *ArchiverClient) Start(ctx context.Context) error {
	return c.call(ctx, "Start", struct{}{}, nil)
}

// Close closes the remote instance (not the process).
func (c *ArchiverClient) Close(ctx context.Context) error {
	return c.call(ctx, "Close", struct{}{}, nil)
}

// Stat describes one object.
func (c *ArchiverClient) Stat(ctx context.Context, key archiver.Key) (archiver.ObjectInfo, error) {
	var o objectInfo
	err := c.call(ctx, "Stat", keyRequest{Key: key}, &o)
	return o.info(), err
}

// Delete removes one object.
func (c *ArchiverClient) Delete(ctx context.Context, key archiver.Key) error {
	return c.call(ctx, "Delete", keyRequest{Key: key}, nil)
}

// Put streams sizeBytes of r to the plugin in chunks. It sends one byte
// past sizeBytes if r has it, so the plugin sees a long reader as
// ErrSizeMismatch; if r fails, the stream is cancelled and the plugin
// stores nothing.
func (c *ArchiverClient) Put(ctx context.Context, key archiver.Key, r io.Reader, sizeBytes int64) (archiver.ObjectInfo, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := c.stream(ctx, "Put")
	if err != nil {
		return archiver.ObjectInfo{}, err
	}
	if err := sendJSON(s, putHeader{Key: key, SizeBytes: sizeBytes}); err != nil && !errors.Is(err, io.EOF) {
		return archiver.ObjectInfo{}, fromStatus(err)
	}
	if err := sendBody(s, r, sizeBytes); err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("pluginrpc: put %s: %w", key, err)
	}
	if err := s.CloseSend(); err != nil {
		return archiver.ObjectInfo{}, fromStatus(err)
	}
	var o objectInfo
	if err := recvJSON(s, &o); err != nil {
		return archiver.ObjectInfo{}, fromStatus(err)
	}
	return o.info(), nil
}

// sendBody streams at most sizeBytes+1 of r. An error is the reader's;
// a send that fails means the plugin ended the call, and its status comes
// with the reply.
func sendBody(s grpc.ClientStream, r io.Reader, sizeBytes int64) error {
	buf := make([]byte, min(sizeBytes+1, ChunkBytesMax))
	lr := io.LimitReader(r, sizeBytes+1)
	for {
		n, err := io.ReadFull(lr, buf)
		if n > 0 {
			if serr := s.SendMsg(wrapperspb.Bytes(buf[:n])); serr != nil {
				return nil
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

// Get opens a stream of the object's bytes. The stream lives in ctx:
// cancelling ctx fails the reader's next Read.
func (c *ArchiverClient) Get(ctx context.Context, key archiver.Key, position, lengthBytes int64) (io.ReadCloser, error) {
	ctx, cancel := context.WithCancel(ctx)
	s, err := c.stream(ctx, "Get")
	if err == nil {
		err = sendJSON(s, getRequest{Key: key, Position: position, LengthBytes: lengthBytes})
	}
	if err == nil {
		err = s.CloseSend()
	}
	if err == nil {
		err = s.RecvMsg(new(wrapperspb.BytesValue)) // the plugin opened the object
	}
	if err != nil {
		cancel()
		return nil, fromStatus(err)
	}
	return &streamReader{chunkReader: chunkReader{recv: s.RecvMsg}, cancel: cancel}, nil
}

type streamReader struct {
	chunkReader
	cancel context.CancelFunc
}

func (r *streamReader) Read(p []byte) (int, error) {
	n, err := r.chunkReader.Read(p)
	if err != nil && err != io.EOF {
		err = fromStatus(err)
	}
	return n, err
}

func (r *streamReader) Close() error {
	r.cancel()
	return nil
}

// List collects the pages the plugin streams.
func (c *ArchiverClient) List(ctx context.Context, prefix archiver.Key) ([]archiver.ObjectInfo, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := c.stream(ctx, "List")
	if err == nil {
		err = sendJSON(s, keyRequest{Key: prefix})
	}
	if err == nil {
		err = s.CloseSend()
	}
	if err != nil {
		return nil, fromStatus(err)
	}
	var out []archiver.ObjectInfo
	for {
		var page []objectInfo
		err := recvJSON(s, &page)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fromStatus(err)
		}
		for _, o := range page {
			out = append(out, o.info())
		}
	}
}
