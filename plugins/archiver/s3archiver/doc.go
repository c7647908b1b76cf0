// Package s3archiver is the `s3` archiver: objects in one bucket of Amazon
// S3 or any S3-compatible server (Versity Gateway, MinIO, Ceph RGW, ...),
// through github.com/aws/aws-sdk-go-v2.
//
// Each object is stored under <prefix>/<key>. Its SHA-256 is computed while
// the bytes stream in and kept as user metadata (x-amz-meta-sha256), so
// Stat and List report it without reading the object. Objects up to
// part_size go up in one PUT, which also carries the digest for the server
// to check (x-amz-checksum-sha256); larger ones as a multipart upload of
// part_size parts, aborted on any failure so no partial object is ever
// visible. A multipart object gets its digest after Complete, by a copy
// onto itself with new metadata (S3 takes metadata only at creation, and
// the digest is known only at the end); until then, and for objects over
// 5 GiB which a single copy cannot handle, Stat hashes the object.
//
// The reader's bytes are buffered one part at a time, which is what lets
// Put refuse a short or long reader before anything is committed; memory
// is one part_size buffer per Put in flight.
package s3archiver
