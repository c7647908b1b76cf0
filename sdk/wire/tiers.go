package wire

// GetPartitionTiersRequest (code 10_001, a Runnel extension) asks which
// offsets of a topic's partitions sit in which storage tier: memory (L1),
// local segments (L2), the archive (L3). Without PartitionID the answer
// covers every partition of the topic.
//
// Payload: Id stream (§2.1), Id topic, opt_pid (§2.4: u8 flag, u32 id).
// The server checks read permission on the topic (as GetTopic) and answers
// StreamIdNotFound, TopicIdNotFound or PartitionNotFound as statuses.
type GetPartitionTiersRequest struct {
	StreamID    Identifier
	TopicID     Identifier
	PartitionID OptionalPartitionID
}

func (GetPartitionTiersRequest) Code() uint32 { return CodeGetPartitionTiers }

func (q GetPartitionTiersRequest) AppendTo(b []byte) []byte {
	return appendOptionalPartition(appendIDs(b, q.StreamID, q.TopicID), q.PartitionID)
}

// DecodeGetPartitionTiersRequest decodes a GetPartitionTiers payload.
func DecodeGetPartitionTiersRequest(p []byte) (GetPartitionTiersRequest, error) {
	return decodeRequest(p, func(r *reader) GetPartitionTiersRequest {
		return GetPartitionTiersRequest{StreamID: r.identifier("stream id"), TopicID: r.identifier("topic id"),
			PartitionID: r.optionalPartition()}
	})
}

// Tier bits of PartitionTiers.Tiers: which optional tiers the server runs
// for the partition. Local segments (L2) are always on.
const (
	// TierMemory: recent batches are cached in memory (L1).
	TierMemory uint8 = 1 << 0
	// TierArchive: sealed segments are copied to an archive (L3).
	TierArchive uint8 = 1 << 1

	tiersKnown = TierMemory | TierArchive
)

// TierRange is the offsets [First, Next) of one tier. Empty when Next is
// not above First; servers write an empty range as 0, 0.
type TierRange struct {
	First uint64
	Next  uint64
}

// Empty reports whether r holds no offset.
func (r TierRange) Empty() bool { return r.Next <= r.First }

// Last is the newest offset in r; meaningless when r is Empty.
func (r TierRange) Last() uint64 { return r.Next - 1 }

// PartitionTiers is one partition of the GetPartitionTiers answer. A
// message can be in several tiers at once: recent batches are in memory
// and on local disk; archived segments stay local until local retention
// removes them.
//
// Answer payload (all integers little endian), nothing after the last
// partition:
//
//	u32 partitions_count
//	partitions_count times, partition ids strictly ascending:
//	  u32 partition_id
//	  u8  tiers             TierMemory | TierArchive; other bits must be 0
//	  u64 next_offset       offset the next appended message gets
//	  u64 memory_first, u64 memory_next   first <= next
//	  u64 local_first,  u64 local_next    first <= next
//	  u32 archive_runs_count
//	  archive_runs_count times, oldest first, each non-empty and starting
//	  at or after the previous run's next:
//	    u64 first, u64 next
//
// A partition without archived runs takes 49 bytes.
type PartitionTiers struct {
	PartitionID uint32
	Tiers       uint8
	NextOffset  uint64
	Memory      TierRange
	Local       TierRange
	Archive     []TierRange
}

const (
	partitionTiersFixedBytes = 4 + 1 + 8 + 4*8 + 4
	tierRangeBytes           = 16
)

// AppendPartitionTiers appends a GetPartitionTiers answer. The server
// gives partitions in ascending id order and archive runs as documented on
// PartitionTiers; AppendPartitionTiers writes them as given.
func AppendPartitionTiers(b []byte, ps []PartitionTiers) []byte {
	b = appendU32(b, uint32(len(ps)))
	for _, p := range ps {
		b = appendU32(b, p.PartitionID)
		b = append(b, p.Tiers)
		b = appendU64(b, p.NextOffset)
		b = appendTierRange(b, p.Memory)
		b = appendTierRange(b, p.Local)
		b = appendU32(b, uint32(len(p.Archive)))
		for _, r := range p.Archive {
			b = appendTierRange(b, r)
		}
	}
	return b
}

func appendTierRange(b []byte, r TierRange) []byte {
	return appendU64(appendU64(b, r.First), r.Next)
}

// DecodePartitionTiers decodes a GetPartitionTiers answer strictly: counts
// are checked against the bytes present before anything is allocated, and
// unknown tier bits, inverted ranges, unordered partitions or runs, and
// trailing bytes are ErrMalformedResponse.
func DecodePartitionTiers(p []byte) ([]PartitionTiers, error) {
	r := newReader(p)
	n := r.u32("partitions count")
	if r.err == nil && uint64(n)*partitionTiersFixedBytes > uint64(r.remaining()) {
		r.fail(ErrInvalidCommand.Detail("partitions count %d needs %d bytes, have %d",
			n, uint64(n)*partitionTiersFixedBytes, r.remaining()))
	}
	var out []PartitionTiers
	if r.err == nil && n > 0 {
		out = make([]PartitionTiers, 0, n)
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		pt := r.partitionTiers()
		if i > 0 && r.err == nil && pt.PartitionID <= out[i-1].PartitionID {
			r.fail(ErrInvalidFormat.Detail("partition %d after partition %d", pt.PartitionID, out[i-1].PartitionID))
		}
		out = append(out, pt)
	}
	if r.err == nil && r.remaining() > 0 {
		r.fail(ErrInvalidFormat.Detail("%d trailing bytes", r.remaining()))
	}
	if err := r.finishResponse("partition tiers"); err != nil {
		return nil, err
	}
	return out, nil
}

func (r *reader) partitionTiers() PartitionTiers {
	pt := PartitionTiers{PartitionID: r.u32("partition id"), Tiers: r.u8("tiers")}
	if r.err == nil && pt.Tiers&^tiersKnown != 0 {
		r.fail(ErrInvalidFormat.Detail("partition %d: unknown tier bits %#x", pt.PartitionID, pt.Tiers))
	}
	pt.NextOffset = r.u64("next offset")
	pt.Memory = r.tierRange("memory range")
	pt.Local = r.tierRange("local range")
	runs := r.u32("archive runs count")
	if r.err == nil && uint64(runs)*tierRangeBytes > uint64(r.remaining()) {
		r.fail(ErrInvalidCommand.Detail("archive runs count %d needs %d bytes, have %d",
			runs, uint64(runs)*tierRangeBytes, r.remaining()))
	}
	if r.err != nil || runs == 0 {
		return pt
	}
	pt.Archive = make([]TierRange, 0, runs)
	for i := uint32(0); i < runs && r.err == nil; i++ {
		run := r.tierRange("archive run")
		switch {
		case r.err != nil:
		case run.Empty():
			r.fail(ErrInvalidFormat.Detail("partition %d: empty archive run %d..%d", pt.PartitionID, run.First, run.Next))
		case i > 0 && run.First < pt.Archive[i-1].Next:
			r.fail(ErrInvalidFormat.Detail("partition %d: archive run at %d overlaps or precedes the run ending at %d",
				pt.PartitionID, run.First, pt.Archive[i-1].Next))
		}
		pt.Archive = append(pt.Archive, run)
	}
	return pt
}

// tierRange reads first, next and rejects first > next.
func (r *reader) tierRange(what string) TierRange {
	t := TierRange{First: r.u64(what), Next: r.u64(what)}
	if r.err == nil && t.First > t.Next {
		r.fail(ErrInvalidFormat.Detail("%s %d..%d is inverted", what, t.First, t.Next))
	}
	return t
}
