package s3archiver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/knadh/koanf/parsers/toml/v2"

	"github.com/runnel-io/runnel/internal/s3test"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/archiver/archivertest"
	"github.com/runnel-io/runnel/plugins/component"
)

const testPrefix = "runnel/test"

// config is a valid Config for srv's bucket; retries are few so failures
// show quickly.
func config(srv *s3test.Server, bucket string) Config {
	return Config{
		Bucket: bucket, Endpoint: srv.Endpoint, PathStyle: true,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
		Prefix: testPrefix, Retries: 2,
	}
}

func newStarted(t testing.TB, cfg Config) *Archiver {
	t.Helper()
	a, err := New(component.Env{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	return a
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func payload(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*31+i>>11)
	}
	return b
}

func readAll(t testing.TB, a *Archiver, key archiver.Key, position, length int64) []byte {
	t.Helper()
	r, err := a.Get(context.Background(), key, position, length)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

// TestConformance runs the contract's suite against a real versitygw, each
// archiver in its own bucket.
func TestConformance(t *testing.T) {
	srv := s3test.Start(t)
	archivertest.Run(t, func(t *testing.T) archiver.Archiver {
		a, err := New(component.Env{}, config(srv, srv.NewBucket(t)))
		if err != nil {
			t.Fatal(err)
		}
		return a
	})
}

func TestSampleConfigDecodes(t *testing.T) {
	raw, err := toml.Parser().Unmarshal(SampleTOML)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := DecodeConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	set, err := cfg.settings()
	if err != nil || set.partBytes != 16<<20 || set.prefix != "runnel/" || set.retries != 5 {
		t.Fatalf("sample decodes to %+v, %v", set, err)
	}
	if _, err := DecodeConfig(map[string]any{"bucket": "b-1", "buckett": "x"}); err == nil || !strings.Contains(err.Error(), "buckett") {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestConfigRefuses(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "bucket"},
		{Config{Bucket: "Has_Caps"}, "bucket"},
		{Config{Bucket: "ok-bucket", Endpoint: "127.0.0.1:7070"}, "endpoint"},
		{Config{Bucket: "ok-bucket", AccessKeyID: "only-id"}, "secret_access_key"},
		{Config{Bucket: "ok-bucket", Prefix: "a//b"}, "prefix"},
		{Config{Bucket: "ok-bucket", PartSize: "4MiB"}, "part_size"},
		{Config{Bucket: "ok-bucket", PartSize: "lots"}, "part_size"},
		{Config{Bucket: "ok-bucket", Retries: -1}, "retries"},
		{Config{Bucket: "ok-bucket", ResponseTimeout: "soon"}, "response_timeout"},
	} {
		_, err := New(component.Env{}, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %s", tc.cfg, err, tc.want)
		}
	}
	set, err := Config{Bucket: "ok-bucket", PartSize: "5MiB", Prefix: "p/"}.settings()
	if err != nil || set.partBytes != 5<<20 || set.prefix != "p/" || set.Region != "us-east-1" {
		t.Fatalf("%+v, %v", set, err)
	}
}

// TestMultipart: objects over part_size go up in parts; bytes, ranges
// across part boundaries and the stored digest all come back.
func TestMultipart(t *testing.T) {
	srv := s3test.Start(t)
	cfg := config(srv, srv.Bucket)
	cfg.PartSize = "5MiB"
	a := newStarted(t, cfg)
	b := payload(12<<20+4321, 3)
	info, err := a.Put(context.Background(), "seg/big", bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA256 != digest(b) || info.SizeBytes != int64(len(b)) {
		t.Fatalf("put returned %+v", info)
	}
	if got := readAll(t, a, "seg/big", 0, -1); !bytes.Equal(got, b) {
		t.Fatal("multipart object differs")
	}
	if got := readAll(t, a, "seg/big", 5<<20-10, 20); !bytes.Equal(got, b[5<<20-10:5<<20+10]) {
		t.Fatal("range across a part boundary differs")
	}
	head, err := srv.Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(testPrefix + "/seg/big")})
	if err != nil {
		t.Fatal(err)
	}
	if head.Metadata[metaSHA256] != digest(b) { // stored, not recomputed by Stat
		t.Fatalf("x-amz-meta-sha256 = %q, want %s", head.Metadata[metaSHA256], digest(b))
	}
	if st, err := a.Stat(context.Background(), "seg/big"); err != nil || st != info {
		t.Fatalf("stat %+v %v, want %+v", st, err, info)
	}
}

// TestRacingMultipartDigest: when another Put replaces the object between
// a multipart Put's Complete and the copy that stores its digest, the
// loser must not label the winner's bytes with its own digest.
func TestRacingMultipartDigest(t *testing.T) {
	srv := s3test.Start(t)
	cfg := config(srv, srv.Bucket)
	cfg.PartSize = "5MiB"
	a := newStarted(t, cfg)
	ctx := context.Background()
	winner := payload(100, 7)
	a.afterComplete = func(key archiver.Key) { // runs once: the hook is cleared first
		a.afterComplete = nil
		if _, err := a.Put(ctx, key, bytes.NewReader(winner), int64(len(winner))); err != nil {
			t.Errorf("racing put: %v", err)
		}
	}
	loser := payload(6<<20, 8)
	if _, err := a.Put(ctx, "seg/race", bytes.NewReader(loser), int64(len(loser))); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, a, "seg/race", 0, -1); !bytes.Equal(got, winner) {
		t.Fatalf("object holds %d bytes, want the later Put's %d", len(got), len(winner))
	}
	if info, err := a.Stat(ctx, "seg/race"); err != nil || info.SHA256 != digest(winner) {
		t.Fatalf("stat %+v, %v, want digest %s", info, err, digest(winner))
	}
}

// TestFailedMultipartLeavesNothing: a reader that fails, ends early or
// runs long in a later part aborts the upload: no object, no upload left
// open, an earlier object untouched.
func TestFailedMultipartLeavesNothing(t *testing.T) {
	srv := s3test.Start(t)
	cfg := config(srv, srv.Bucket)
	cfg.PartSize = "5MiB"
	a := newStarted(t, cfg)
	ctx := context.Background()
	const size = 12 << 20
	old := payload(100, 1)
	if _, err := a.Put(ctx, "seg/old", bytes.NewReader(old), int64(len(old))); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	for _, tc := range []struct {
		what string
		key  archiver.Key
		r    io.Reader
		want error
	}{
		{"failing reader", "seg/new", io.MultiReader(bytes.NewReader(payload(7<<20, 2)), iotest.ErrReader(boom)), boom},
		{"short reader", "seg/new", bytes.NewReader(payload(size-1, 2)), archiver.ErrSizeMismatch},
		{"long reader", "seg/new", bytes.NewReader(payload(size+1, 2)), archiver.ErrSizeMismatch},
		{"long reader over an object", "seg/old", bytes.NewReader(payload(size+1, 2)), archiver.ErrSizeMismatch},
	} {
		if _, err := a.Put(ctx, tc.key, tc.r, size); !errors.Is(err, tc.want) {
			t.Fatalf("%s: %v, want %v", tc.what, err, tc.want)
		}
	}
	if _, err := a.Stat(ctx, "seg/new"); !errors.Is(err, archiver.ErrNotFound) {
		t.Fatalf("a failed upload left an object: %v", err)
	}
	if got := readAll(t, a, "seg/old", 0, -1); !bytes.Equal(got, old) {
		t.Fatal("a failed upload changed the earlier object")
	}
	uploads, err := srv.Client().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(srv.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(uploads.Uploads) != 0 {
		t.Fatalf("%d multipart uploads left open", len(uploads.Uploads))
	}
}

// TestCancelledMultipartAborts: cancelling mid-upload aborts it too.
func TestCancelledMultipartAborts(t *testing.T) {
	srv := s3test.Start(t)
	cfg := config(srv, srv.Bucket)
	cfg.PartSize = "5MiB"
	a := newStarted(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	// The reader cancels once the first part is consumed.
	r := io.MultiReader(bytes.NewReader(payload(6<<20, 1)), cancelReader(cancel), bytes.NewReader(payload(6<<20, 2)))
	if _, err := a.Put(ctx, "seg/c", r, 12<<20); !errors.Is(err, context.Canceled) {
		t.Fatalf("put: %v, want context.Canceled", err)
	}
	uploads, err := srv.Client().ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(srv.Bucket)})
	if err != nil || len(uploads.Uploads) != 0 {
		t.Fatalf("uploads left open: %v, %v", uploads, err)
	}
}

type cancelReader context.CancelFunc

func (c cancelReader) Read([]byte) (int, error) {
	c()
	return 0, io.EOF
}

func TestStartErrors(t *testing.T) {
	srv := s3test.Start(t)
	for _, tc := range []struct {
		what string
		edit func(*Config)
		want string
	}{
		{"wrong secret", func(c *Config) { c.SecretAccessKey = "wrong" }, "access denied"},
		{"unknown key id", func(c *Config) { c.AccessKeyID = "nobody" }, "access denied"},
		{"missing bucket", func(c *Config) { c.Bucket = "no-such-bucket" }, "no such bucket"},
	} {
		cfg := config(srv, srv.Bucket)
		tc.edit(&cfg)
		a, err := New(component.Env{}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = a.Start(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), cfg.Bucket) || !strings.Contains(err.Error(), srv.Endpoint) {
			t.Errorf("%s: %v, want an error saying %q and naming the bucket and endpoint", tc.what, err, tc.want)
		}
		if _, err := a.Stat(context.Background(), "x"); !errors.Is(err, archiver.ErrClosed) {
			t.Errorf("%s: stat after a failed start: %v", tc.what, err)
		}
	}
}

// TestOutage: while the gateway is down calls fail; once it is back the
// same archiver works again, and what was stored before is still there.
func TestOutage(t *testing.T) {
	srv := s3test.Start(t)
	a := newStarted(t, config(srv, srv.Bucket)) // retries = 2
	ctx := context.Background()
	before := payload(1000, 5)
	if _, err := a.Put(ctx, "o/before", bytes.NewReader(before), int64(len(before))); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	during := payload(2000, 6)
	_, err := a.Put(ctx, "o/during", bytes.NewReader(during), int64(len(during)))
	if err == nil || !strings.Contains(err.Error(), "maximum number of attempts, 2") {
		t.Fatalf("put with the gateway down: %v, want a failure after 2 attempts", err)
	}
	if _, err := a.Get(ctx, "o/before", 0, -1); err == nil || errors.Is(err, archiver.ErrNotFound) {
		t.Fatalf("get with the gateway down: %v, want a transport error", err)
	}
	srv.Restart(t)
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		_, err := a.Put(ctx, "o/during", bytes.NewReader(during), int64(len(during)))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("put still failing after the restart: %v", err)
		}
		<-tick.C
	}
	if got := readAll(t, a, "o/before", 0, -1); !bytes.Equal(got, before) {
		t.Fatal("object stored before the outage differs")
	}
	if got := readAll(t, a, "o/during", 0, -1); !bytes.Equal(got, during) {
		t.Fatal("object stored after the outage differs")
	}
}

// TestPrefixIsolation: archivers with other prefixes share a bucket
// without seeing each other's objects, and objects land under the prefix.
func TestPrefixIsolation(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	one := newStarted(t, config(srv, srv.Bucket))
	cfg := config(srv, srv.Bucket)
	cfg.Prefix = "other"
	two := newStarted(t, cfg)
	for _, a := range []*Archiver{one, two} {
		if _, err := a.Put(ctx, "k/1", bytes.NewReader([]byte("x")), 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := two.Put(ctx, "k/2", bytes.NewReader([]byte("y")), 1); err != nil {
		t.Fatal(err)
	}
	infos, err := one.List(ctx, "")
	if err != nil || len(infos) != 1 || infos[0].Key != "k/1" {
		t.Fatalf("list: %+v, %v", infos, err)
	}
	if _, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("other/k/2")}); err != nil {
		t.Fatalf("object not under its prefix: %v", err)
	}
}

// TestStatHashesObjectWithoutDigest: an object without x-amz-meta-sha256
// (a multipart Put cut off before it stored one) still gets a true digest.
func TestStatHashesObjectWithoutDigest(t *testing.T) {
	srv := s3test.Start(t)
	a := newStarted(t, config(srv, srv.Bucket))
	b := payload(3000, 9)
	_, err := srv.Client().PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(testPrefix + "/bare"), Body: bytes.NewReader(b)})
	if err != nil {
		t.Fatal(err)
	}
	info, err := a.Stat(context.Background(), "bare")
	if err != nil || info.SHA256 != digest(b) || info.SizeBytes != int64(len(b)) {
		t.Fatalf("stat %+v, %v", info, err)
	}
}
