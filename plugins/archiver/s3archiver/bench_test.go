package s3archiver

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/runnel-io/runnel/internal/s3test"
)

const benchObjectBytes = 64 << 20

// BenchmarkPutGet64MiB measures the archiver's Put and Get of 64 MiB
// objects against versitygw, next to the SDK's plain PutObject/GetObject
// of the same bytes to the same server in the same run (the baseline), and
// reports archiver/raw ratios. One goroutine, one object at a time.
//
//	go test -run '^$' -bench PutGet64MiB -benchtime 5x ./plugins/archiver/s3archiver
func BenchmarkPutGet64MiB(b *testing.B) {
	for _, tc := range []struct{ name, partSize string }{
		{"multipart-16MiB", "16MiB"},
		{"single-64MiB", "64MiB"},
	} {
		b.Run(tc.name, func(b *testing.B) { benchPutGet(b, tc.partSize) })
	}
}

func benchPutGet(b *testing.B, partSize string) {
	srv := s3test.Start(b)
	cfg := config(srv, srv.Bucket)
	cfg.PartSize = partSize
	a := newStarted(b, cfg)
	raw := srv.Client() // SDK defaults
	ctx := context.Background()
	data := payload(benchObjectBytes, 1)
	var putA, getA, putR, getR time.Duration
	b.SetBytes(benchObjectBytes)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := a.Put(ctx, "bench/obj", bytes.NewReader(data), benchObjectBytes); err != nil {
			b.Fatal(err)
		}
		putA += time.Since(start)

		start = time.Now()
		r, err := a.Get(ctx, "bench/obj", 0, -1)
		if err != nil {
			b.Fatal(err)
		}
		drain(b, r, benchObjectBytes)
		getA += time.Since(start)

		start = time.Now()
		_, err = raw.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("raw/obj"), Body: bytes.NewReader(data)})
		if err != nil {
			b.Fatal(err)
		}
		putR += time.Since(start)

		start = time.Now()
		out, err := raw.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("raw/obj")})
		if err != nil {
			b.Fatal(err)
		}
		drain(b, out.Body, benchObjectBytes)
		getR += time.Since(start)
	}
	mbps := func(d time.Duration) float64 { return float64(b.N) * benchObjectBytes / 1e6 / d.Seconds() }
	b.ReportMetric(mbps(putA), "put-MB/s")
	b.ReportMetric(mbps(getA), "get-MB/s")
	b.ReportMetric(mbps(putR), "raw-put-MB/s")
	b.ReportMetric(mbps(getR), "raw-get-MB/s")
	b.ReportMetric(putR.Seconds()/putA.Seconds(), "put-ratio")
	b.ReportMetric(getR.Seconds()/getA.Seconds(), "get-ratio")
}

func drain(b *testing.B, r io.ReadCloser, want int64) {
	defer r.Close()
	n, err := io.Copy(io.Discard, r)
	if err != nil || n != want {
		b.Fatalf("read %d bytes, %v; want %d", n, err, want)
	}
}
