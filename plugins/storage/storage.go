package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/runnel-io/runnel/plugins/component"
)

// Sentinel errors every backend returns (wrapped) so callers can use errors.Is.
var (
	// ErrNotFound: Open without create on a file that does not exist.
	ErrNotFound = errors.New("storage: not found")
	// ErrClosed: any call on a File or Store after Close.
	ErrClosed = errors.New("storage: closed")
	// ErrUnavailable: the backend cannot run on this machine (for example
	// io_uring blocked by seccomp). The message names the fallback backend.
	ErrUnavailable = errors.New("storage: backend unavailable")
)

// PartitionKey names one partition of one topic of one stream.
type PartitionKey struct {
	Stream, Topic, Partition uint32
}

func (p PartitionKey) String() string {
	return fmt.Sprintf("%d/%d/%d", p.Stream, p.Topic, p.Partition)
}

// SegmentID names one segment of a partition by the offset of its first message.
type SegmentID struct {
	PartitionKey
	BaseOffset uint64
}

func (s SegmentID) String() string {
	return fmt.Sprintf("%s@%d", s.PartitionKey, s.BaseOffset)
}

// FileKind says which of a segment's two files is meant.
type FileKind uint8

const (
	// FileLog holds message frames in the Iggy 0.8 layout, back to back.
	FileLog FileKind = 1
	// FileIndex holds one 16-byte entry per message: relative offset u32,
	// position u32 (of the message's first byte in the log), timestamp u64.
	FileIndex FileKind = 2
)

func (k FileKind) String() string {
	switch k {
	case FileLog:
		return "log"
	case FileIndex:
		return "index"
	default:
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
}

// Store is a storage backend: it owns the files of every segment of every
// partition under one data directory. A Store is safe for concurrent use; the
// files it hands out are used by one partition owner at a time.
type Store interface {
	component.Component

	// Open opens one file of a segment. With create, a missing file is made
	// (and its directory entry made durable); without it, a missing file is
	// ErrNotFound. The returned File stays open until its Close.
	Open(ctx context.Context, id SegmentID, kind FileKind, create bool) (File, error)
	// Segments lists the segments of a partition that have a log file, in
	// ascending BaseOffset order. An unknown partition has none.
	Segments(ctx context.Context, p PartitionKey) ([]SegmentID, error)
	// RemoveSegment deletes both files of a segment. Missing files are fine.
	RemoveSegment(ctx context.Context, id SegmentID) error
	// RemovePartition deletes every file of a partition. Missing is fine.
	RemovePartition(ctx context.Context, p PartitionKey) error
	// Path returns where a file lives, for error messages an operator can act on.
	Path(id SegmentID, kind FileKind) string
}

// File is one append-only file. Calls on a File are made by one goroutine at
// a time, except ReadAt and Sync, which may run concurrently with Append and
// with each other (group commit fsyncs while later batches are appended),
// but not with Truncate.
type File interface {
	// Size is the logical size: every byte Append has accepted.
	Size() int64
	// Append writes bufs at the end, in order, as one submission, and returns
	// the position of the first byte. When Append returns, the bytes are
	// readable with ReadAt and survive a crash of this process (they have
	// reached the operating system); they survive power loss only after Sync.
	Append(ctx context.Context, bufs [][]byte) (position int64, err error)
	// ReadAt reads len(p) bytes at position. Reading past Size returns the
	// bytes available and io.EOF.
	ReadAt(ctx context.Context, p []byte, position int64) (int, error)
	// Sync makes durable every byte whose Append returned before Sync was
	// called. After Close it returns ErrClosed.
	Sync(ctx context.Context) error
	// Truncate cuts the file to size bytes (size <= Size()) and makes the new
	// size durable. Used by recovery to drop a torn tail.
	Truncate(ctx context.Context, size int64) error
	// Close releases the descriptor. Idempotent.
	Close() error
}
