package tiered

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/storage"
)

// Keys of what a node archives besides segments (archiver.SegmentKey),
// relative to the archiver's own namespace (its prefix or directory),
// which belongs to one node:
//
//	metadata/snapshot-<seq, %020d>  a metadata snapshot file (the
//	                                metastore's self-checking format) holding
//	                                every op up to sequence number seq
//	manifest.json                   Manifest: what this archiver holds
const (
	ManifestKey       archiver.Key = "manifest.json"
	MetadataKeyPrefix archiver.Key = "metadata/"
	metadataKeyStem                = "metadata/snapshot-"
)

// ManifestVersion is the Manifest format this package writes and reads.
const ManifestVersion = 1

// MetadataKey is where the metadata snapshot at sequence number seq goes.
func MetadataKey(seq uint64) archiver.Key {
	return archiver.Key(fmt.Sprintf("%s%020d", metadataKeyStem, seq))
}

// ParseMetadataKey is the inverse of MetadataKey.
func ParseMetadataKey(key archiver.Key) (uint64, bool) {
	digits, ok := strings.CutPrefix(string(key), metadataKeyStem)
	if !ok || len(digits) != 20 {
		return 0, false
	}
	seq, err := strconv.ParseUint(digits, 10, 64)
	return seq, err == nil
}

// NewestMetadata picks the metadata snapshot with the highest sequence
// number from a listing; ok is false when there is none.
func NewestMetadata(infos []archiver.ObjectInfo) (info archiver.ObjectInfo, seq uint64, ok bool) {
	for _, in := range infos {
		if s, isMeta := ParseMetadataKey(in.Key); isMeta && (!ok || s > seq) {
			info, seq, ok = in, s, true
		}
	}
	return info, seq, ok
}

// Manifest lists what one archiver holds, so that a new node, or an
// operator, can see it without listing and parsing every key: every
// archived segment by partition, with offsets, sizes and digests, and the
// newest metadata snapshot. It is rewritten after the archive changes;
// the objects stay authoritative (a node rebuilds its catalog from List).
type Manifest struct {
	Version    int                 `json:"version"`
	Metadata   *ManifestMetadata   `json:"metadata,omitempty"`
	Partitions []ManifestPartition `json:"partitions"`
}

// ManifestObject is one archived object.
type ManifestObject struct {
	Key       archiver.Key `json:"key"`
	SizeBytes int64        `json:"size_bytes"`
	SHA256    string       `json:"sha256"`
}

// ManifestMetadata is an archived metadata snapshot.
type ManifestMetadata struct {
	Seq uint64 `json:"seq"`
	ManifestObject
}

// ManifestPartition is the archived segments of one partition, oldest
// first.
type ManifestPartition struct {
	Stream    uint32            `json:"stream"`
	Topic     uint32            `json:"topic"`
	Partition uint32            `json:"partition"`
	Segments  []ManifestSegment `json:"segments"`
}

// ManifestSegment is one archived segment: offsets [BaseOffset, NextOffset).
type ManifestSegment struct {
	BaseOffset uint64         `json:"base_offset"`
	NextOffset uint64         `json:"next_offset"`
	Log        ManifestObject `json:"log"`
	Index      ManifestObject `json:"index"`
}

// Encode renders m as indented JSON: the same manifest gives the same
// bytes, so an unchanged manifest is not uploaded again.
func (m Manifest) Encode() []byte {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("tiered: encode manifest: %v", err)) // plain structs: cannot fail
	}
	return append(b, '\n')
}

// manifestBytesMax bounds a manifest read back (about a million segments).
const manifestBytesMax = 512 << 20

// DecodeManifest parses a manifest written by Encode.
func DecodeManifest(b []byte) (Manifest, error) {
	var m Manifest
	if len(b) > manifestBytesMax {
		return m, fmt.Errorf("tiered: manifest of %d bytes is over %d", len(b), manifestBytesMax)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("tiered: decode manifest: %w", err)
	}
	if m.Version != ManifestVersion {
		return m, fmt.Errorf("tiered: manifest version %d, want %d", m.Version, ManifestVersion)
	}
	return m, nil
}

// Manifest lists the segments target holds, by partition (ordered by
// stream, topic, partition), oldest first.
func (c *Catalog) Manifest(target string) []ManifestPartition {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []ManifestPartition
	for key, list := range c.parts {
		p := ManifestPartition{Stream: key.Stream, Topic: key.Topic, Partition: key.Partition}
		for _, e := range list {
			h, ok := e.held[target]
			if !ok {
				continue
			}
			p.Segments = append(p.Segments, ManifestSegment{BaseOffset: e.ID.BaseOffset, NextOffset: e.Next,
				Log: manifestObject(h.Log), Index: manifestObject(h.Index)})
		}
		if len(p.Segments) > 0 {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b ManifestPartition) int {
		return cmp.Or(cmp.Compare(a.Stream, b.Stream), cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out
}

func manifestObject(info archiver.ObjectInfo) ManifestObject {
	return ManifestObject{Key: info.Key, SizeBytes: info.SizeBytes, SHA256: info.SHA256}
}

// PartitionKey is the partition p describes.
func (p ManifestPartition) PartitionKey() storage.PartitionKey {
	return storage.PartitionKey{Stream: p.Stream, Topic: p.Topic, Partition: p.Partition}
}
