package s3test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestStopRestartKeepsObjects(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	client := s.Client()
	body := []byte("hello, gateway")
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String("a/b"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	s.Stop(t)
	if _, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String("a/b")}); err == nil {
		t.Fatal("a stopped gateway answered")
	}
	s.Restart(t)
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String("a/b")})
	if err != nil {
		t.Fatalf("get after restart: %v", err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("after restart: %q, %v", got, err)
	}
}

func TestWrongSecretRefused(t *testing.T) {
	s := Start(t)
	other := &Server{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: "wrong"}
	if _, err := other.Client().ListBuckets(context.Background(), &s3.ListBucketsInput{}); err == nil {
		t.Fatal("a wrong secret was accepted")
	}
}

func TestMissingBinaryNamed(t *testing.T) {
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "nope"))
	_, err := FindBinary()
	if err == nil || !strings.Contains(err.Error(), EnvBinary) {
		t.Fatalf("got %v, want an error naming $%s", err, EnvBinary)
	}
}
