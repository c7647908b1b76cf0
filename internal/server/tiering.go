package server

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/internal/metastore"
	"github.com/runnel-io/runnel/internal/tiered"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// catalogListTimeout bounds the archive listing at start.
const catalogListTimeout = time.Minute

// tiers holds L1 and L3 (L2 is the partition logs) and the catalog of
// archived segments. Fields are set once in openTiers; each is nil when
// its tier is off.
type tiers struct {
	cfg     config.Tiering
	catalog *tiered.Catalog // nil without archivers
	reader  *tiered.Reader  // nil without archivers or with archive_reads off
	recent  *tiered.Recent  // nil when memory_cache_size is 0
	// listed: every archiver's listing loaded at start, so restored
	// partitions know where their offsets resume.
	listed bool

	// The metadata snapshot being archived (its sequence number and file)
	// and when it was taken; owned by the archiving goroutine.
	metaSeq  uint64
	metaFile []byte
	metaAt   time.Time
}

// openTiers builds L1 and, with archivers, the catalog (from every
// archiver's listing) and the L3 reader, then restores the partitions
// whose local segments are all gone. Runs before the logs are opened.
func (s *Server) openTiers(ctx context.Context) error {
	t := &s.tiers
	t.cfg = s.cfg.System.Tiering
	t.recent = tiered.NewRecent(int64(t.cfg.MemoryCacheSize))
	s.parts.recent = t.recent
	if len(s.archivers) == 0 {
		return nil
	}
	names := make([]string, len(s.archivers))
	byName := make(map[string]archiver.Archiver, len(s.archivers))
	for i, a := range s.archivers {
		names[i], byName[a.name] = a.name, a.archiver
	}
	t.catalog = tiered.NewCatalog(names)
	listed := true
	for _, a := range s.archivers {
		lctx, cancel := context.WithTimeout(ctx, catalogListTimeout)
		infos, err := a.archiver.List(lctx, "segments/")
		cancel()
		if err != nil {
			s.log.Warn("archive listing failed; archived segments of earlier runs are not readable until they are archived again",
				"archiver", a.name, "error", err)
			listed = false
			continue
		}
		n := t.catalog.AddListing(a.name, infos)
		s.log.Info("archive catalog loaded", "archiver", a.name, "segments", n)
	}
	if t.cfg.ArchiveReads {
		r, err := tiered.NewReader(t.catalog, byName, tiered.ReaderConfig{
			CacheBytesMax: int64(t.cfg.ArchiveCacheSize), ReadAheadBytes: int64(t.cfg.ArchiveReadAhead)})
		if err != nil {
			return fmt.Errorf("server: %w", err)
		}
		t.reader = r
	}
	t.listed = listed
	return s.restorePartitions(ctx, listed)
}

// restorePartitions starts the log of every partition that has no local
// segment but archived ones right after the newest archived offset, so
// offsets continue instead of restarting at 0 over archived history.
// Without a complete listing such a partition cannot know where it
// resumes, and start fails rather than reuse offsets.
func (s *Server) restorePartitions(ctx context.Context, listed bool) error {
	var keys []storage.PartitionKey
	s.meta.View(func(st *metadata.State) {
		for stream := range st.Streams() {
			for topic := range stream.Topics() {
				for p := range topic.PartitionsCount() {
					keys = append(keys, storage.PartitionKey{Stream: stream.ID, Topic: topic.ID, Partition: p})
				}
			}
		}
	})
	for _, key := range keys {
		local, err := s.store.Segments(ctx, key)
		if err != nil {
			return fmt.Errorf("server: partition %s: %w", key, err)
		}
		if len(local) > 0 {
			continue
		}
		if !listed {
			return fmt.Errorf("server: partition %s has no local segment and the archive could not be listed: cannot tell where its offsets resume", key)
		}
		next, ok := s.tiers.catalog.Next(key)
		if !ok {
			continue
		}
		if err := createEmptySegment(ctx, s.store, storage.SegmentID{PartitionKey: key, BaseOffset: next}); err != nil {
			return fmt.Errorf("server: restore partition %s: %w", key, err)
		}
		s.log.Info("partition restored from the archive", "partition", key.String(), "next_offset", next)
	}
	return nil
}

// restoreMetadata gives a node that starts without metadata (an empty
// data directory) the newest metadata snapshot its archivers hold, so
// that it knows its users, streams, topics and consumer offsets again and
// then serves the archived history (restorePartitions). It runs before the
// metastore opens, with the archivers started. Without archivers, with
// system.archive.restore_metadata off, or with metadata present, it does
// nothing; with nothing archived the node starts fresh. An archive that
// cannot be listed stops the start: a node starting empty beside metadata
// it could not see would write over it.
func (s *Server) restoreMetadata(ctx context.Context, dir string, cfg metastore.Config) error {
	if len(s.archivers) == 0 || !s.cfg.System.Archive.RestoreMetadata {
		return nil
	}
	if empty, err := metastore.Empty(dir); err != nil || !empty {
		return err
	}
	return s.installArchivedMetadata(ctx, func(file []byte) error {
		_, err := metastore.InstallSnapshot(dir, file, cfg)
		return err
	})
}

// installArchivedMetadata hands the newest metadata snapshot the archivers
// hold, checked against its digest, to install; an older one when that
// fails. With nothing archived it does nothing.
func (s *Server) installArchivedMetadata(ctx context.Context, install func(file []byte) error) error {
	type candidate struct {
		target *archiveTarget
		info   archiver.ObjectInfo
		seq    uint64
	}
	var found []candidate
	for _, a := range s.archivers {
		lctx, cancel := context.WithTimeout(ctx, catalogListTimeout)
		infos, err := a.archiver.List(lctx, tiered.MetadataKeyPrefix)
		cancel()
		if err != nil {
			return fmt.Errorf("server: no local metadata, and archiver %q cannot be listed for an archived snapshot "+
				"(set system.archive.restore_metadata = false to start empty): %w", a.name, err)
		}
		if info, seq, ok := tiered.NewestMetadata(infos); ok {
			found = append(found, candidate{a, info, seq})
		}
	}
	slices.SortStableFunc(found, func(a, b candidate) int { return cmp.Compare(b.seq, a.seq) })
	var errs []error
	for _, c := range found {
		file, err := getVerified(ctx, c.target.archiver, c.info)
		if err == nil {
			err = install(file)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("archiver %q, %s: %w", c.target.name, c.info.Key, err))
			continue
		}
		s.log.Info("metadata restored from the archive", "archiver", c.target.name, "key", string(c.info.Key), "seq", c.seq)
		return nil
	}
	if len(errs) > 0 {
		return fmt.Errorf("server: restore metadata: %w", errors.Join(errs...))
	}
	return nil
}

// snapshotBytesMax bounds an archived metadata snapshot read back.
const snapshotBytesMax = 1 << 30

// getVerified reads a whole archived object and checks it against the
// size and SHA-256 the listing gave.
func getVerified(ctx context.Context, a archiver.Archiver, info archiver.ObjectInfo) ([]byte, error) {
	if info.SizeBytes > snapshotBytesMax {
		return nil, fmt.Errorf("%d bytes, over %d", info.SizeBytes, snapshotBytesMax)
	}
	body, err := a.Get(ctx, info.Key, 0, -1)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, info.SizeBytes+1))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); int64(len(b)) != info.SizeBytes || got != info.SHA256 {
		return nil, fmt.Errorf("read %d bytes with sha256 %s, listed %d bytes with %s", len(b), got, info.SizeBytes, info.SHA256)
	}
	return b, nil
}

func createEmptySegment(ctx context.Context, store storage.Store, id storage.SegmentID) error {
	for _, kind := range []storage.FileKind{storage.FileLog, storage.FileIndex} {
		f, err := store.Open(ctx, id, kind, true)
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

func (t *tiers) close() {
	if t.reader != nil {
		t.reader.Close()
	}
}

// withArchive adds to ps the archived history that leads without a gap up
// to the local log: its first offset becomes the oldest archived one, so
// polls (First, Next without a stored offset, Offset) can reach it, and
// the messages count, size and segments count include the archived
// segments no longer on local disk (GetTopic, GetStream, GetStats, and
// stored offsets of a restored partition). Without archive reads the
// archive is not served, so not counted.
func (t *tiers) withArchive(key storage.PartitionKey, ps partition.Stats) partition.Stats {
	if t.reader == nil {
		return ps
	}
	if first, ok := t.catalog.First(key, ps.FirstOffset); ok {
		segments, bytes := t.catalog.Below(key, first, ps.FirstOffset)
		ps.FirstOffset = first
		ps.MessagesCount = ps.NextOffset - first
		ps.SizeBytes += bytes
		ps.SegmentsCount += segments
		if ps.MessagesCount > 0 {
			ps.LastOffset = ps.NextOffset - 1
		}
	}
	return ps
}

// statsOf is a partition's stats with its archived history (withArchive).
func (s *Server) statsOf(pl *partitionLog) partition.Stats {
	var ps partition.Stats
	_ = pl.with(func(l *partition.Log) error {
		ps = s.tiers.withArchive(pl.key, l.Stats())
		return nil
	})
	return ps
}

// archivedTimestampStart turns a poll by timestamp into a poll by offset
// when the timestamp falls in the archived history, below the local log,
// found through the archived index. The archive is searched without the
// partition's lock.
func (s *Server) archivedTimestampStart(ctx context.Context, pl *partitionLog, q wire.PollMessagesRequest) (wire.PollMessagesRequest, error) {
	if q.Strategy.Kind != wire.PollingTimestamp || s.tiers.reader == nil {
		return q, nil
	}
	var localFirst, next uint64
	_ = pl.with(func(l *partition.Log) error {
		localFirst, next = l.FirstOffset(), l.NextOffset()
		return nil
	})
	if first, ok := s.tiers.catalog.First(pl.key, localFirst); !ok || first == localFirst || next == 0 {
		return q, nil // nothing archived below the local log
	}
	offset, ok, err := s.tiers.reader.OffsetAtTimestamp(ctx, pl.key, q.Strategy.Value, localFirst)
	if err != nil {
		return q, fmt.Errorf("server: poll %s by timestamp: %w", pl.key, err)
	}
	if ok {
		q.Strategy = wire.PollingStrategy{Kind: wire.PollingOffset, Value: offset}
	}
	return q, nil
}

// pollRead reads a poll's messages through the tiers: L1 for recent
// offsets, else the local log (L2), else, for offsets older than the local
// log, the archive (L3). L3 reads run without the partition's lock, so a
// slow object store never stalls appends.
func (s *Server) pollRead(ctx context.Context, pl *partitionLog, partitionID uint32, q wire.PollMessagesRequest,
	stored uint64, hasStored bool, out []byte) ([]byte, uint32, uint64, error) {
	q, err := s.archivedTimestampStart(ctx, pl, q)
	if err != nil {
		return out, 0, 0, err
	}
	var count uint32
	var start, localFirst uint64
	archived := false
	err = pl.with(func(l *partition.Log) error {
		ps := s.tiers.withArchive(pl.key, l.Stats())
		wire.PutPolledHeader(out, partitionID, currentOffset(ps), 0)
		var ok bool
		var err error
		start, ok, err = startOffset(ctx, l, ps, q, stored, hasStored)
		if err != nil || !ok || q.Count == 0 {
			return err
		}
		if localFirst = l.FirstOffset(); start < localFirst {
			archived = true
			return nil
		}
		var hit bool
		if out, count, hit = s.tiers.recent.Read(pl.key, start, l.NextOffset(), q.Count, pollBytesMax, out); hit {
			return nil
		}
		out, count, err = l.Read(ctx, start, q.Count, pollBytesMax, out)
		return err
	})
	if err != nil || !archived {
		return out, count, start, err
	}
	out, count, err = s.tiers.reader.Read(ctx, pl.key, start, localFirst, q.Count, pollBytesMax, out)
	if err != nil {
		return out, 0, start, fmt.Errorf("server: poll %s from the archive: %w", pl.key, err)
	}
	if count > 0 {
		return out, count, start, nil
	}
	// Not archived after all (a gap): serve the oldest local messages, as
	// a log without an archive does.
	start = localFirst
	err = pl.with(func(l *partition.Log) error {
		start = max(start, l.FirstOffset())
		out, count, err = l.Read(ctx, start, q.Count, pollBytesMax, out)
		return err
	})
	return out, count, start, err
}

// localDigest is the size and SHA-256 of one local file.
func localDigest(ctx context.Context, store storage.Store, id storage.SegmentID, kind storage.FileKind, hash bool) (archiver.ObjectInfo, error) {
	f, err := store.Open(ctx, id, kind, false)
	if err != nil {
		return archiver.ObjectInfo{}, err
	}
	defer f.Close()
	info := archiver.ObjectInfo{Key: archiver.SegmentKey(id, kind), SizeBytes: f.Size()}
	if !hash {
		return info, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(fileReaderAt{ctx, f}, 0, info.SizeBytes)); err != nil {
		return archiver.ObjectInfo{}, err
	}
	info.SHA256 = hex.EncodeToString(h.Sum(nil))
	return info, nil
}

// noteArchived records in the catalog that target holds sealed segment
// id, once the digests it reports match the local files: only then may
// local retention delete them. A mismatch makes the next archive pass
// upload the segment again. Runs on the archiving goroutine.
func (s *Server) noteArchived(ctx context.Context, target *archiveTarget, id storage.SegmentID) {
	cat := s.tiers.catalog
	if cat == nil {
		return
	}
	var local [2]archiver.ObjectInfo
	for i, kind := range []storage.FileKind{storage.FileLog, storage.FileIndex} {
		info, err := localDigest(ctx, s.store, id, kind, false)
		if err != nil {
			return // removed since the listing
		}
		local[i] = info
	}
	if cat.Verified(target.name, id, local[0].SizeBytes, local[1].SizeBytes) {
		return
	}
	var remote [2]archiver.ObjectInfo
	for i, kind := range []storage.FileKind{storage.FileLog, storage.FileIndex} {
		info, err := localDigest(ctx, s.store, id, kind, true)
		if err != nil {
			return
		}
		local[i] = info
		if remote[i], err = target.archiver.Stat(ctx, info.Key); err != nil {
			return // archiving failed this pass; logged there
		}
		if remote[i].SHA256 != info.SHA256 || remote[i].SizeBytes != info.SizeBytes {
			s.log.Warn("archived copy differs from the local file; uploading again", "archiver", target.name,
				"key", string(info.Key), "local_sha256", info.SHA256, "archived_sha256", remote[i].SHA256)
			delete(target.archived, info.Key)
			return
		}
	}
	cat.Record(target.name, id, remote[0], remote[1], true)
}

// removableFn returns, for archive-gated deletion from l, whether a
// segment may go: every archiver holds it with verified digests. Without
// archivers it returns nil (no gate). Call it under l's lock.
func (s *Server) removableFn(l *partition.Log) func(storage.SegmentID) bool {
	cat := s.tiers.catalog
	if cat == nil {
		return nil
	}
	infos := l.Segments()
	return func(id storage.SegmentID) bool {
		for _, info := range infos {
			if info.ID == id {
				return info.Sealed && cat.HeldByAll(id, info.NextOffset, int64(info.SizeBytes))
			}
		}
		return false
	}
}

// trimLocal applies the local-only limits of [system.tiering] after an
// archive pass: segments go only once archived (removableFn).
func (s *Server) trimLocal(ctx context.Context) {
	t := s.tiers.cfg
	if s.tiers.catalog == nil || !t.LocalLimited() {
		return
	}
	maxAge := uint64(time.Duration(t.LocalRetention).Microseconds())
	maxBytes := uint64(t.LocalMaxSize)
	if t.LocalMaxSize == config.Unlimited {
		maxBytes = 0
	}
	now := nowMicros()
	s.topology.RLock()
	defer s.topology.RUnlock()
	s.parts.each(func(pl *partitionLog) {
		err := pl.with(func(l *partition.Log) error {
			removable := s.removableFn(l)
			var removed int
			var err error
			if t.LocalActiveOnly {
				removed, err = l.RemoveSealedWhere(ctx, removable)
			} else {
				removed, err = l.ApplyRetentionWhere(ctx, now, maxAge, maxBytes, removable)
			}
			if removed > 0 {
				s.log.Debug("local retention removed archived segments", "partition", pl.key.String(), "segments", removed)
			}
			return err
		})
		if err != nil && ctx.Err() == nil && !errors.Is(err, storage.ErrClosed) {
			s.log.Error("local retention", "partition", pl.key.String(), "error", err)
		}
	})
}

// PartitionTiers says which offsets of a partition are in which tier: L1
// (memory), L2 (local segments), L3 (archived runs). For the CLI and
// metrics.
func (s *Server) PartitionTiers(key storage.PartitionKey) (tiered.View, error) {
	pl := s.parts.get(key)
	if pl == nil {
		return tiered.View{}, fmt.Errorf("server: partition %s: %w", key, storage.ErrNotFound)
	}
	var v tiered.View
	err := pl.with(func(l *partition.Log) error {
		v.NextOffset = l.NextOffset()
		v.L2 = tiered.Range{First: l.FirstOffset(), Next: l.NextOffset()}
		v.L1 = s.tiers.recent.Range(key, l.NextOffset())
		return nil
	})
	if s.tiers.catalog != nil {
		v.L3 = s.tiers.catalog.Ranges(key)
	}
	return v, err
}
