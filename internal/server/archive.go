package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/storage"
)

// archiveTarget is one configured archiver instance and what it is known
// to hold. archived is only touched by the archiving goroutine.
type archiveTarget struct {
	name     string
	archiver archiver.Archiver
	archived map[archiver.Key]bool
}

// runArchiving copies every sealed segment (log, then index) to every
// archiver, each pass over all partitions, until ctx ends. A failed copy is
// logged and retried on the next pass; what an archiver already holds with
// the right size is not copied again (after a restart it is Stat-ed once).
func (s *Server) runArchiving(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.archivePass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) archivePass(ctx context.Context) {
	var sealed []storage.SegmentID
	s.parts.each(func(pl *partitionLog) {
		_ = pl.with(func(l *partition.Log) error {
			sealed = append(sealed, l.SealedSegments()...)
			return nil
		})
	})
	for _, target := range s.archivers {
		for _, id := range sealed {
			copied := true
			for _, kind := range []storage.FileKind{storage.FileLog, storage.FileIndex} {
				if ctx.Err() != nil {
					return
				}
				if err := s.archiveFile(ctx, target, id, kind); err != nil {
					copied = false
					if ctx.Err() == nil {
						s.log.Warn("archive failed; retrying next pass", "archiver", target.name,
							"segment", id.String(), "file", kind.String(), "error", err)
					}
				}
			}
			if copied {
				s.noteArchived(ctx, target, id)
			}
		}
	}
	s.trimLocal(ctx)
}

// archiveFile copies one file of a sealed segment unless target holds it,
// and checks the digest the archiver reports against the bytes read.
func (s *Server) archiveFile(ctx context.Context, target *archiveTarget, id storage.SegmentID, kind storage.FileKind) error {
	key := archiver.SegmentKey(id, kind)
	if target.archived[key] {
		return nil
	}
	f, err := s.store.Open(ctx, id, kind, false)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // removed by retention or a purge since the listing
	}
	if err != nil {
		return err
	}
	defer f.Close()
	size := f.Size()
	if info, err := target.archiver.Stat(ctx, key); err == nil && info.SizeBytes == size {
		target.archived[key] = true
		return nil
	}
	h := sha256.New()
	r := io.TeeReader(io.NewSectionReader(fileReaderAt{ctx, f}, 0, size), h)
	ctx, span := s.startArchiveSpan(ctx, target.name, key, size)
	started := time.Now()
	info, err := target.archiver.Put(ctx, key, r, size)
	s.archiverCalls.record(ctx, target.name, "put", time.Since(started), err)
	endWithError(span, err)
	span.End()
	if err != nil {
		return err
	}
	if want := hex.EncodeToString(h.Sum(nil)); info.SHA256 != want || info.SizeBytes != size {
		return fmt.Errorf("archiver stored %d bytes with sha256 %s, sent %d bytes with %s", info.SizeBytes, info.SHA256, size, want)
	}
	target.archived[key] = true
	s.log.Debug("archived", slog.String("archiver", target.name), slog.String("key", string(key)), slog.Int64("bytes", size))
	return nil
}

// fileReaderAt adapts a storage.File to io.ReaderAt under one context.
type fileReaderAt struct {
	ctx context.Context
	f   storage.File
}

func (r fileReaderAt) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(r.ctx, p, off) }
