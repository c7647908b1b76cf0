package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/internal/tiered"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/storage"
)

// archiveTarget is one configured archiver instance and what it is known
// to hold. archived is only touched by the archiving goroutine.
type archiveTarget struct {
	name     string
	archiver archiver.Archiver
	archived map[archiver.Key]bool
	// meta is the newest metadata snapshot it holds (nil: none known yet),
	// manifest the manifest last written to it.
	meta     *tiered.ManifestMetadata
	manifest []byte
}

// metadataSnapshotsKept is how many archived metadata snapshots each
// archiver keeps: the newest, plus older ones in case the newest turns out
// unreadable.
const metadataSnapshotsKept = 3

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
	s.archiveMetadata(ctx)
	s.trimLocal(ctx)
}

// archiveMetadata copies a snapshot of the metadata to every archiver
// when it changed, at most every system.archive.metadata_interval, then
// rewrites each archiver's manifest if what it holds changed. Failures
// are logged and retried next pass.
func (s *Server) archiveMetadata(ctx context.Context) {
	t := &s.tiers
	if now := time.Now(); t.metaFile == nil || now.Sub(t.metaAt) >= s.cfg.System.Archive.MetadataInterval {
		t.metaAt = now
		if seq, file := s.meta.Snapshot(); t.metaFile == nil || seq != t.metaSeq {
			t.metaSeq, t.metaFile = seq, file
		}
	}
	for _, target := range s.archivers {
		if ctx.Err() != nil {
			return
		}
		if target.meta == nil || target.meta.Seq != t.metaSeq {
			if err := s.archiveSnapshot(ctx, target, t.metaSeq, t.metaFile); err != nil {
				s.log.Warn("archiving metadata failed; retrying next pass", "archiver", target.name, "seq", t.metaSeq, "error", err)
			}
		}
		if err := s.writeManifest(ctx, target); err != nil {
			s.log.Warn("writing the archive manifest failed; retrying next pass", "archiver", target.name, "error", err)
		}
	}
}

// archiveSnapshot stores the metadata snapshot file at seq on target
// (unless it holds it already) and drops its older snapshots beyond the
// newest metadataSnapshotsKept.
func (s *Server) archiveSnapshot(ctx context.Context, target *archiveTarget, seq uint64, file []byte) error {
	key := tiered.MetadataKey(seq)
	sum := sha256.Sum256(file)
	want := hex.EncodeToString(sum[:])
	info, err := target.archiver.Stat(ctx, key)
	if err != nil || info.SizeBytes != int64(len(file)) || info.SHA256 != want {
		if info, err = s.putVerified(ctx, target, key, file); err != nil {
			return err
		}
	}
	target.meta = &tiered.ManifestMetadata{Seq: seq, ManifestObject: tiered.ManifestObject{Key: key, SizeBytes: info.SizeBytes, SHA256: info.SHA256}}
	s.log.Debug("metadata archived", "archiver", target.name, "key", string(key), "bytes", len(file))
	infos, err := target.archiver.List(ctx, tiered.MetadataKeyPrefix)
	if err != nil {
		return fmt.Errorf("list old snapshots: %w", err)
	}
	var old []archiver.Key
	for _, in := range infos { // sorted by key: oldest first
		if n, ok := tiered.ParseMetadataKey(in.Key); ok && n < seq {
			old = append(old, in.Key)
		}
	}
	for _, k := range old[:max(0, len(old)-(metadataSnapshotsKept-1))] {
		if err := target.archiver.Delete(ctx, k); err != nil {
			return fmt.Errorf("delete old snapshot %s: %w", k, err)
		}
	}
	return nil
}

// writeManifest stores target's manifest (tiered.ManifestKey) when what
// it lists changed since the last write.
func (s *Server) writeManifest(ctx context.Context, target *archiveTarget) error {
	m := tiered.Manifest{Version: tiered.ManifestVersion, Metadata: target.meta, Partitions: s.tiers.catalog.Manifest(target.name)}
	b := m.Encode()
	if bytes.Equal(b, target.manifest) {
		return nil
	}
	if _, err := s.putVerified(ctx, target, tiered.ManifestKey, b); err != nil {
		return err
	}
	target.manifest = b
	return nil
}

// putVerified stores b under key on target, traced and timed as segment
// uploads are, and checks the digest the archiver reports.
func (s *Server) putVerified(ctx context.Context, target *archiveTarget, key archiver.Key, b []byte) (archiver.ObjectInfo, error) {
	size := int64(len(b))
	ctx, span := s.startArchiveSpan(ctx, target.name, key, size)
	started := time.Now()
	info, err := target.archiver.Put(ctx, key, bytes.NewReader(b), size)
	s.archiverCalls.record(ctx, target.name, "put", time.Since(started), err)
	endWithError(span, err)
	span.End()
	if err != nil {
		return info, err
	}
	sum := sha256.Sum256(b)
	if want := hex.EncodeToString(sum[:]); info.SHA256 != want || info.SizeBytes != size {
		return info, fmt.Errorf("archiver stored %s as %d bytes with sha256 %s, sent %d bytes with %s", key, info.SizeBytes, info.SHA256, size, want)
	}
	return info, nil
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
