package s3archiver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/component"
)

const (
	// metaSHA256 is the user metadata entry (x-amz-meta-sha256) that holds
	// an object's SHA-256, lowercase hex.
	metaSHA256 = "sha256"
	// copyBytesMax is the largest object a single CopyObject accepts; the
	// digest of a larger multipart object is not stored (Stat recomputes).
	copyBytesMax = 5 << 30
	// statConcurrencyMax bounds the HeadObject calls List makes at once.
	statConcurrencyMax = 8
	// abortTimeout bounds the clean-up of a failed multipart upload, which
	// runs even when the caller's ctx is done.
	abortTimeout = 30 * time.Second
	// idleConnsPerHostMax keeps connections of concurrent Puts for reuse.
	idleConnsPerHostMax = 32
)

var _ archiver.Archiver = (*Archiver)(nil)

// Factory registers the s3 archiver.
func Factory() component.Factory[archiver.Archiver] {
	return component.Factory[archiver.Archiver]{
		Info: component.Info{Kind: component.KindArchiver, Name: Name, Stability: component.StabilityBeta, Sample: SampleTOML},
		New: func(_ context.Context, env component.Env, raw map[string]any) (archiver.Archiver, error) {
			cfg, err := DecodeConfig(raw)
			if err != nil {
				return nil, err
			}
			a, err := New(env, cfg)
			if err != nil {
				return nil, err
			}
			return a, nil
		},
	}
}

// Archiver stores objects in one bucket of an S3-compatible object store.
// Call New, then Start. Safe for concurrent use.
type Archiver struct {
	set    settings
	logger *slog.Logger

	mu      sync.RWMutex
	client  *s3.Client
	http    *http.Client
	started bool
	closed  bool

	// afterComplete, when set (by tests), runs between a multipart
	// upload's Complete and the copy that stores its digest.
	afterComplete func(archiver.Key)
}

// New checks cfg; it does no I/O.
func New(env component.Env, cfg Config) (*Archiver, error) {
	set, err := cfg.settings()
	if err != nil {
		return nil, fmt.Errorf("s3archiver: config: %w", err)
	}
	logger := env.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Archiver{set: set, logger: logger}, nil
}

// where names the bucket and endpoint in errors.
func (a *Archiver) where() string {
	endpoint := a.set.Endpoint
	if endpoint == "" {
		endpoint = "AWS S3 (" + a.set.Region + ")"
	}
	return fmt.Sprintf("bucket %q at %s", a.set.Bucket, endpoint)
}

// Start builds the client (reading the default credential chain if no
// static credentials are set) and checks that the bucket answers.
func (a *Archiver) Start(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return fmt.Errorf("s3archiver: start: %w", archiver.ErrClosed)
	}
	if a.started {
		return errors.New("s3archiver: start: already started")
	}
	client, httpClient, err := a.newClient(ctx)
	if err != nil {
		return fmt.Errorf("s3archiver: start: %s: %w", a.where(), err)
	}
	if err := a.checkBucket(ctx, client); err != nil {
		httpClient.CloseIdleConnections()
		return fmt.Errorf("s3archiver: start: %s: %w", a.where(), err)
	}
	a.client, a.http, a.started = client, httpClient, true
	return nil
}

// checkBucket proves the bucket answers our credentials. HEAD responses
// carry no error body, so when HeadBucket is refused a one-key listing
// asks again to learn why (bad key, bad secret, no bucket, wrong region).
func (a *Archiver) checkBucket(ctx context.Context, client *s3.Client) error {
	_, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: a.bucket()})
	if err == nil {
		return nil
	}
	if statusCode(err) == 0 {
		return fmt.Errorf("unreachable: %w", err)
	}
	_, listErr := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: a.bucket(), MaxKeys: aws.Int32(1)})
	if listErr != nil {
		err = listErr
	}
	return fmt.Errorf("%s: %w", hint(err), err)
}

// newClient loads the SDK's config (region, retryer, credentials, and
// settings from the environment such as AWS_CA_BUNDLE) and builds a client
// over an http.Client of our own, so Close can drop its connections.
func (a *Archiver) newClient(ctx context.Context) (*s3.Client, *http.Client, error) {
	buildable := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = a.set.connectTimeout }).
		WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = a.set.connectTimeout
			t.ResponseHeaderTimeout = a.set.responseTimeout
			t.MaxIdleConnsPerHost = idleConnsPerHostMax
		})
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(a.set.Region),
		awsconfig.WithHTTPClient(buildable),
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = a.set.retries })
		}),
	}
	if a.set.AccessKeyID != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(a.set.AccessKeyID, a.set.SecretAccessKey, "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("load AWS config: %w", err)
	}
	transport := buildable.GetTransport()
	if b, ok := cfg.HTTPClient.(*awshttp.BuildableClient); ok {
		transport = b.GetTransport() // with the environment's CA bundle
	}
	httpClient := &http.Client{
		Transport: transport,
		// As the SDK's own client: a 301 from S3 (wrong region) is an
		// answer, not something to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.HTTPClient = httpClient
		if a.set.Endpoint != "" {
			o.BaseEndpoint = aws.String(a.set.Endpoint)
		}
		o.UsePathStyle = a.set.PathStyle
		// Single PUTs carry our SHA-256 for the server to verify, so the
		// SDK's own CRC32 trailers would only add a second pass.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return client, httpClient, nil
}

// Close releases the client's idle connections. Calls made after it fail
// with ErrClosed; calls in flight finish.
func (a *Archiver) Close(context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	if a.http != nil {
		a.http.CloseIdleConnections()
	}
	return nil
}

// begin checks ctx, the key and the lifecycle, and returns the client.
func (a *Archiver) begin(ctx context.Context, key archiver.Key) (*s3.Client, error) {
	if err := key.Check(); err != nil {
		return nil, err
	}
	return a.live(ctx)
}

// live returns the client if ctx is not done and the archiver is started
// and not closed.
func (a *Archiver) live(ctx context.Context) (*s3.Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	if !a.started || a.closed {
		return nil, archiver.ErrClosed
	}
	return a.client, nil
}

func (a *Archiver) objectKey(key archiver.Key) *string { return aws.String(a.set.prefix + string(key)) }

func (a *Archiver) bucket() *string { return aws.String(a.set.Bucket) }

// Put stores exactly sizeBytes from r: one PUT up to part_size, a
// multipart upload above it. The reader's bytes are buffered one part at a
// time, so a short or long reader is caught before anything is committed.
func (a *Archiver) Put(ctx context.Context, key archiver.Key, r io.Reader, sizeBytes int64) (archiver.ObjectInfo, error) {
	client, err := a.begin(ctx, key)
	if err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("s3archiver: put %s: %w", key, err)
	}
	if sizeBytes < 0 {
		return archiver.ObjectInfo{}, fmt.Errorf("s3archiver: put %s: %w: negative size %d", key, archiver.ErrSizeMismatch, sizeBytes)
	}
	sum := sha256.New()
	src := io.TeeReader(archiver.ContextReader(ctx, r), sum)
	var info archiver.ObjectInfo
	if sizeBytes <= a.set.partBytes {
		info, err = a.putSingle(ctx, client, key, src, sizeBytes, sum)
	} else {
		info, err = a.putMultipart(ctx, client, key, src, sizeBytes, sum)
	}
	if err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("s3archiver: put %s: %w", key, err)
	}
	return info, nil
}

func (a *Archiver) putSingle(ctx context.Context, client *s3.Client, key archiver.Key, src io.Reader, sizeBytes int64, sum hash.Hash) (archiver.ObjectInfo, error) {
	buf := make([]byte, sizeBytes)
	if err := readPart(src, buf, 0, sizeBytes); err != nil {
		return archiver.ObjectInfo{}, err
	}
	if err := expectEOF(src, sizeBytes); err != nil {
		return archiver.ObjectInfo{}, err
	}
	digest := sum.Sum(nil)
	info := archiver.ObjectInfo{Key: key, SizeBytes: sizeBytes, SHA256: hex.EncodeToString(digest)}
	_, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:         a.bucket(),
		Key:            a.objectKey(key),
		Body:           bytes.NewReader(buf),
		ContentLength:  aws.Int64(sizeBytes),
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(digest)),
		Metadata:       map[string]string{metaSHA256: info.SHA256},
	}, s3.WithAPIOptions(presetPayloadHash(info.SHA256)))
	if err != nil {
		return archiver.ObjectInfo{}, err
	}
	return info, nil
}

// putMultipart uploads part_size parts, completes, then stores the digest
// (known only at the end) by copying the object onto itself with new
// metadata. Any failure before Complete aborts the upload, so nothing of
// it becomes visible.
func (a *Archiver) putMultipart(ctx context.Context, client *s3.Client, key archiver.Key, src io.Reader, sizeBytes int64, sum hash.Hash) (archiver.ObjectInfo, error) {
	if parts := (sizeBytes + a.set.partBytes - 1) / a.set.partBytes; parts > partsMax {
		return archiver.ObjectInfo{}, fmt.Errorf("%d bytes need %d parts of %d bytes; S3 allows %d: raise part_size", sizeBytes, parts, a.set.partBytes, partsMax)
	}
	created, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: a.bucket(), Key: a.objectKey(key)})
	if err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("create multipart upload: %w", err)
	}
	completed, err := a.uploadParts(ctx, client, key, created.UploadId, src, sizeBytes)
	if err != nil {
		a.abort(ctx, client, key, created.UploadId)
		return archiver.ObjectInfo{}, err
	}
	done, err := client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: a.bucket(), Key: a.objectKey(key), UploadId: created.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: completed},
	})
	if err != nil {
		a.abort(ctx, client, key, created.UploadId)
		return archiver.ObjectInfo{}, fmt.Errorf("complete multipart upload: %w", err)
	}
	info := archiver.ObjectInfo{Key: key, SizeBytes: sizeBytes, SHA256: hex.EncodeToString(sum.Sum(nil))}
	if a.afterComplete != nil {
		a.afterComplete(key)
	}
	if sizeBytes > copyBytesMax {
		return info, nil
	}
	// If-Match: when another Put replaced the object meanwhile, its bytes
	// must not get our digest; that writer stores its own.
	_, err = client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: a.bucket(), Key: a.objectKey(key),
		CopySource:        aws.String(a.set.Bucket + "/" + *a.objectKey(key)),
		CopySourceIfMatch: done.ETag,
		MetadataDirective: types.MetadataDirectiveReplace,
		Metadata:          map[string]string{metaSHA256: info.SHA256},
	})
	if err != nil && statusCode(err) != http.StatusPreconditionFailed {
		return archiver.ObjectInfo{}, fmt.Errorf("store digest: %w", err)
	}
	return info, nil
}

func (a *Archiver) uploadParts(ctx context.Context, client *s3.Client, key archiver.Key, uploadID *string, src io.Reader, sizeBytes int64) ([]types.CompletedPart, error) {
	buf := make([]byte, a.set.partBytes)
	var completed []types.CompletedPart
	for offset, number := int64(0), int32(1); offset < sizeBytes; number++ {
		n := min(a.set.partBytes, sizeBytes-offset)
		if err := readPart(src, buf[:n], offset, sizeBytes); err != nil {
			return nil, err
		}
		offset += n
		if offset == sizeBytes { // a long reader must fail before Complete
			if err := expectEOF(src, sizeBytes); err != nil {
				return nil, err
			}
		}
		out, err := client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: a.bucket(), Key: a.objectKey(key), UploadId: uploadID,
			PartNumber: aws.Int32(number), Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(n),
		}, partChecksum)
		if err != nil {
			return nil, fmt.Errorf("upload part %d: %w", number, err)
		}
		completed = append(completed, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(number)})
	}
	return completed, nil
}

// presetPayloadHash hands SigV4 the body's SHA-256 we already computed, so
// the SDK does not hash the body a second time to sign it (it does over
// plain HTTP). The server checks it as x-amz-content-sha256.
func presetPayloadHash(hexDigest string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("RunnelPresetPayloadHash",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(v4.SetPayloadHash(ctx, hexDigest), in)
			}), middleware.Before)
	}
}

// partChecksum protects a part with a CRC32 trailer and an unsigned
// payload: the part's own SHA-256 would cost a second SHA-256 pass on top
// of the whole object's.
func partChecksum(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
}

// abort discards a failed upload's parts. It runs even when ctx is done
// (a cancelled Put must not leave parts billed forever); if it fails, the
// bucket's lifecycle rule for incomplete uploads is the backstop.
func (a *Archiver) abort(ctx context.Context, client *s3.Client, key archiver.Key, uploadID *string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	_, err := client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: a.bucket(), Key: a.objectKey(key), UploadId: uploadID})
	if err != nil {
		a.logger.Warn("s3archiver: abort multipart upload", "key", key, "upload_id", aws.ToString(uploadID), "err", err)
	}
}

// readPart fills buf from src; the reader ending early is ErrSizeMismatch.
func readPart(src io.Reader, buf []byte, offset, sizeBytes int64) error {
	n, err := io.ReadFull(src, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: reader ended after %d of %d bytes", archiver.ErrSizeMismatch, offset+int64(n), sizeBytes)
	}
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

// expectEOF fails with ErrSizeMismatch if src has more than sizeBytes.
func expectEOF(src io.Reader, sizeBytes int64) error {
	var one [1]byte
	n, err := io.ReadFull(src, one[:])
	if n > 0 {
		return fmt.Errorf("%w: reader has more than %d bytes", archiver.ErrSizeMismatch, sizeBytes)
	}
	if !errors.Is(err, io.EOF) {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

// Get reads a range with one ranged GET. A range starting at or past the
// end reads as empty.
func (a *Archiver) Get(ctx context.Context, key archiver.Key, position, lengthBytes int64) (io.ReadCloser, error) {
	client, err := a.begin(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("s3archiver: get %s: %w", key, err)
	}
	if position < 0 {
		return nil, fmt.Errorf("s3archiver: get %s: negative position %d", key, position)
	}
	if lengthBytes == 0 { // no valid Range says "nothing"; still report a missing object
		if _, err := a.head(ctx, client, key); err != nil {
			return nil, fmt.Errorf("s3archiver: get %s: %w", key, err)
		}
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	in := &s3.GetObjectInput{Bucket: a.bucket(), Key: a.objectKey(key)}
	switch {
	case lengthBytes > 0 && lengthBytes <= math.MaxInt64-position:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", position, position+lengthBytes-1))
	case position > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", position))
	}
	out, err := client.GetObject(ctx, in)
	if err != nil {
		if statusCode(err) == http.StatusRequestedRangeNotSatisfiable {
			return io.NopCloser(bytes.NewReader(nil)), nil
		}
		return nil, fmt.Errorf("s3archiver: get %s: %w", key, mapNotFound(err))
	}
	return out.Body, nil
}

// Stat reads the size and the stored digest with a HEAD. An object without
// a digest (a multipart Put interrupted before it stored one, or an object
// over 5 GiB) is read once to compute it.
func (a *Archiver) Stat(ctx context.Context, key archiver.Key) (archiver.ObjectInfo, error) {
	client, err := a.begin(ctx, key)
	if err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("s3archiver: stat %s: %w", key, err)
	}
	info, err := a.head(ctx, client, key)
	if err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("s3archiver: stat %s: %w", key, err)
	}
	return info, nil
}

func (a *Archiver) head(ctx context.Context, client *s3.Client, key archiver.Key) (archiver.ObjectInfo, error) {
	out, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: a.bucket(), Key: a.objectKey(key)})
	if err != nil {
		return archiver.ObjectInfo{}, mapNotFound(err)
	}
	info := archiver.ObjectInfo{Key: key, SizeBytes: aws.ToInt64(out.ContentLength), SHA256: out.Metadata[metaSHA256]}
	if !isHexDigest(info.SHA256) {
		return a.rehash(ctx, client, info)
	}
	return info, nil
}

func (a *Archiver) rehash(ctx context.Context, client *s3.Client, info archiver.ObjectInfo) (archiver.ObjectInfo, error) {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: a.bucket(), Key: a.objectKey(info.Key)})
	if err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("read to hash: %w", mapNotFound(err))
	}
	defer out.Body.Close()
	sum := sha256.New()
	n, err := io.Copy(sum, out.Body)
	if err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("read to hash: %w", err)
	}
	info.SizeBytes, info.SHA256 = n, hex.EncodeToString(sum.Sum(nil))
	return info, nil
}

func isHexDigest(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// List pages through ListObjectsV2, then HEADs each object for its digest
// (ListObjectsV2 does not return user metadata), a few at a time.
func (a *Archiver) List(ctx context.Context, prefix archiver.Key) ([]archiver.ObjectInfo, error) {
	client, err := a.live(ctx)
	if err != nil {
		return nil, fmt.Errorf("s3archiver: list %q: %w", prefix, err)
	}
	keys, err := a.listKeys(ctx, client, prefix)
	if err != nil {
		return nil, fmt.Errorf("s3archiver: list %q: %w", prefix, err)
	}
	infos, err := a.headAll(ctx, client, keys)
	if err != nil {
		return nil, fmt.Errorf("s3archiver: list %q: %w", prefix, err)
	}
	return infos, nil
}

func (a *Archiver) listKeys(ctx context.Context, client *s3.Client, prefix archiver.Key) ([]archiver.Key, error) {
	var keys []archiver.Key
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: a.bucket(), Prefix: aws.String(a.set.prefix + string(prefix))})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, obj := range page.Contents {
			name := aws.ToString(obj.Key)
			if len(name) < len(a.set.prefix) {
				continue
			}
			// Objects other tools put under the prefix (directory
			// markers, odd names) are not ours to describe.
			if key := archiver.Key(name[len(a.set.prefix):]); key.Check() == nil {
				keys = append(keys, key)
			}
		}
	}
	slices.Sort(keys)
	return keys, nil
}

func (a *Archiver) headAll(ctx context.Context, client *s3.Client, keys []archiver.Key) ([]archiver.ObjectInfo, error) {
	infos := make([]archiver.ObjectInfo, len(keys))
	errs := make([]error, len(keys))
	slots := make(chan struct{}, statConcurrencyMax)
	var wg sync.WaitGroup
	for i, key := range keys {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			infos[i], errs[i] = a.head(ctx, client, key)
		}()
	}
	wg.Wait()
	out := infos[:0]
	for i, info := range infos {
		switch {
		case errors.Is(errs[i], archiver.ErrNotFound): // deleted since the listing
		case errs[i] != nil:
			return nil, fmt.Errorf("stat %s: %w", keys[i], errs[i])
		default:
			out = append(out, info)
		}
	}
	return out, nil
}

// Delete removes the object; S3 already treats a missing one as deleted.
func (a *Archiver) Delete(ctx context.Context, key archiver.Key) error {
	client, err := a.begin(ctx, key)
	if err != nil {
		return fmt.Errorf("s3archiver: delete %s: %w", key, err)
	}
	_, err = client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: a.bucket(), Key: a.objectKey(key)})
	if err != nil && !errors.Is(mapNotFound(err), archiver.ErrNotFound) {
		return fmt.Errorf("s3archiver: delete %s: %w", key, err)
	}
	return nil
}
