package pluginrpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/plugins/storage"
)

func TestErrorsKeepIdentity(t *testing.T) {
	for _, s := range sentinels() {
		err := fromStatus(toStatus(fmt.Errorf("acme: stat k: %w", s.err)))
		if !errors.Is(err, s.err) || err.Error() != "acme: stat k: "+s.err.Error() {
			t.Errorf("%s: came back as %q", s.name, err)
		}
	}
	for _, base := range []error{context.Canceled, context.DeadlineExceeded} {
		if err := fromStatus(toStatus(fmt.Errorf("put: %w", base))); !errors.Is(err, base) {
			t.Errorf("%v: came back as %v", base, err)
		}
	}
	plain := fromStatus(toStatus(errors.New("disk on fire")))
	if plain.Error() != "disk on fire" || errors.Is(plain, archiver.ErrNotFound) {
		t.Errorf("plain error came back as %v", plain)
	}
	if err := fromStatus(status.Error(codes.Unavailable, "connection reset")); !errors.Is(err, ErrUnavailable) {
		t.Errorf("unavailable: %v", err)
	}
	local := errors.New("not a status")
	if fromStatus(local) != local || fromStatus(nil) != nil || toStatus(nil) != nil {
		t.Error("non-status errors must pass through")
	}
}

func TestConfigNumbersAsTOML(t *testing.T) {
	var req configureRequest
	in := `{"name":"x","config":{"n":64,"f":1.5,"s":"a","t":{"deep":[1,2.5]}}}`
	if err := unmarshal([]byte(in), &req); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%T %T %T %T %T", req.Config["n"], req.Config["f"], req.Config["s"],
		req.Config["t"].(map[string]any)["deep"].([]any)[0], req.Config["t"].(map[string]any)["deep"].([]any)[1])
	if got != "int64 float64 string int64 float64" {
		t.Fatalf("types %s", got)
	}
}

// recorder is a msgStream that keeps what is sent.
type recorder struct{ sizes []int }

func (r *recorder) SendMsg(m any) error {
	r.sizes = append(r.sizes, len(m.(*wrapperspb.BytesValue).GetValue()))
	return nil
}
func (r *recorder) RecvMsg(any) error { return io.EOF }

func TestChunksAreBounded(t *testing.T) {
	var r recorder
	n := 3*ChunkBytesMax + 5
	if err := sendChunks(&r, bytes.NewReader(make([]byte, n))); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range r.sizes {
		if s == 0 || s > ChunkBytesMax {
			t.Fatalf("chunk of %d bytes", s)
		}
		total += s
	}
	if total != n || len(r.sizes) != 4 {
		t.Fatalf("%d bytes in %d chunks", total, len(r.sizes))
	}
}

// blocking is an archiver whose Stat waits for its context to end and
// reports that it saw the end.
type blocking struct {
	archiver.Archiver
	entered chan struct{}
	seen    chan error
}

func (b *blocking) Start(context.Context) error { return nil }
func (b *blocking) Close(context.Context) error { return nil }
func (b *blocking) Stat(ctx context.Context, _ archiver.Key) (archiver.ObjectInfo, error) {
	close(b.entered)
	<-ctx.Done()
	b.seen <- ctx.Err()
	return archiver.ObjectInfo{}, ctx.Err()
}

// TestCancellationCrosses: cancelling the host's context cancels the
// plugin's, and the host sees context.Canceled.
func TestCancellationCrosses(t *testing.T) {
	impl := &blocking{entered: make(chan struct{}), seen: make(chan error, 1)}
	f := component.Factory[archiver.Archiver]{
		Info: component.Info{Kind: component.KindArchiver, Name: "blocking"},
		New: func(context.Context, component.Env, map[string]any) (archiver.Archiver, error) {
			return impl, nil
		},
	}
	a := dispense(t, f)
	if err := a.Configure(context.Background(), "blocking", nil, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-impl.entered
		cancel()
	}()
	if _, err := a.Stat(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("host got %v, want context.Canceled", err)
	}
	select {
	case err := <-impl.seen:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("plugin saw %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the plugin's context never ended")
	}
}

func TestConfigureErrors(t *testing.T) {
	f := component.Factory[archiver.Archiver]{
		Info: component.Info{Kind: component.KindArchiver, Name: "picky"},
		New: func(_ context.Context, _ component.Env, raw map[string]any) (archiver.Archiver, error) {
			return nil, fmt.Errorf("picky: config: unknown key %s", strings.Join(keys(raw), ", "))
		},
	}
	a := dispense(t, f)
	if err := a.Configure(context.Background(), "picky", map[string]any{"colour": "red"}, ""); err == nil || err.Error() != "picky: config: unknown key colour" {
		t.Fatalf("configure: %v", err)
	}
	if err := a.Configure(context.Background(), "other", nil, ""); err == nil || !strings.Contains(err.Error(), `no archiver "other" (it has: picky)`) {
		t.Fatalf("configure unknown: %v", err)
	}
	if _, err := a.Stat(context.Background(), "k"); !errors.Is(err, archiver.ErrClosed) {
		t.Fatalf("stat before configure: %v", err)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func dispense(t *testing.T, f component.Factory[archiver.Archiver]) *ArchiverClient {
	t.Helper()
	ps := PluginSets(registry.Set{Archiver: []component.Factory[archiver.Archiver]{f}}, nil)[ProtocolVersion]
	client, _ := plugin.TestPluginGRPCConn(t, false, ps)
	t.Cleanup(func() { _ = client.Close() })
	v, err := client.Dispense(PluginArchiver)
	if err != nil {
		t.Fatal(err)
	}
	return v.(*ArchiverClient)
}

func TestDataPacketsRoundTrip(t *testing.T) {
	req := dataReq{id: 7, op: opRead, file: 3, offset: 1 << 20, length: 4096, position: 1<<40 + 5}
	got, err := decodeReq(req.encode(nil))
	if err != nil || got != req {
		t.Fatalf("request: %+v %v", got, err)
	}
	if _, err := decodeReq(make([]byte, dataReqBytes-1)); err == nil {
		t.Fatal("short request accepted")
	}
	for _, base := range []error{storage.ErrClosed, storage.ErrNotFound, context.Canceled} {
		rep, err := decodeRep(dataRep{id: 9, status: statusError, err: fmt.Errorf("file: sync: %w", base)}.encode(nil))
		if err != nil || rep.id != 9 || !errors.Is(rep.err, base) || rep.err.Error() != "file: sync: "+base.Error() {
			t.Fatalf("%v: came back as %+v %v", base, rep, err)
		}
	}
	long := errors.New(strings.Repeat("x", 10_000))
	b := dataRep{id: 1, status: statusError, err: long}.encode(nil)
	if len(b) > dataRepBytesMax {
		t.Fatalf("completion of %d bytes", len(b))
	}
	rep, err := decodeRep(dataRep{id: 2, status: statusEOF, value: 12}.encode(nil))
	if err != nil || rep.status != statusEOF || rep.value != 12 || rep.err != nil {
		t.Fatalf("eof: %+v %v", rep, err)
	}
}
