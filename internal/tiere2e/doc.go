// Package tiere2e tests tiered storage end to end: the real runnel-server
// binary archiving to a real S3-compatible server (versitygw, through
// internal/s3test), local retention deleting archived segments, polls with
// the official Iggy Go SDK served from the archive, an S3 outage in the
// middle, the "S3 only" mode and a restore onto an empty data directory.
// It holds tests only.
package tiere2e
