package wire

// GetConsumerOffsetRequest (code 120); an empty answer means no offset is
// stored (or the lookup failed).
type GetConsumerOffsetRequest struct {
	Consumer    Consumer
	StreamID    Identifier
	TopicID     Identifier
	PartitionID OptionalPartitionID
}

func (GetConsumerOffsetRequest) Code() uint32 { return CodeGetConsumerOffset }

func (q GetConsumerOffsetRequest) AppendTo(b []byte) []byte {
	return appendOffsetTarget(b, q.Consumer, q.StreamID, q.TopicID, q.PartitionID)
}

// DecodeGetConsumerOffsetRequest decodes a GetConsumerOffset payload.
func DecodeGetConsumerOffsetRequest(p []byte) (GetConsumerOffsetRequest, error) {
	return decodeRequest(p, func(r *reader) GetConsumerOffsetRequest {
		c, s, t, pid := r.offsetTarget()
		return GetConsumerOffsetRequest{Consumer: c, StreamID: s, TopicID: t, PartitionID: pid}
	})
}

// StoreConsumerOffsetRequest (code 121).
type StoreConsumerOffsetRequest struct {
	Consumer    Consumer
	StreamID    Identifier
	TopicID     Identifier
	PartitionID OptionalPartitionID
	Offset      uint64
}

func (StoreConsumerOffsetRequest) Code() uint32 { return CodeStoreConsumerOffset }

func (q StoreConsumerOffsetRequest) AppendTo(b []byte) []byte {
	b = appendOffsetTarget(b, q.Consumer, q.StreamID, q.TopicID, q.PartitionID)
	return appendU64(b, q.Offset)
}

// DecodeStoreConsumerOffsetRequest decodes a StoreConsumerOffset payload.
func DecodeStoreConsumerOffsetRequest(p []byte) (StoreConsumerOffsetRequest, error) {
	return decodeRequest(p, func(r *reader) StoreConsumerOffsetRequest {
		c, s, t, pid := r.offsetTarget()
		return StoreConsumerOffsetRequest{Consumer: c, StreamID: s, TopicID: t, PartitionID: pid,
			Offset: r.u64("offset")}
	})
}

// DeleteConsumerOffsetRequest (code 122).
type DeleteConsumerOffsetRequest struct {
	Consumer    Consumer
	StreamID    Identifier
	TopicID     Identifier
	PartitionID OptionalPartitionID
}

func (DeleteConsumerOffsetRequest) Code() uint32 { return CodeDeleteConsumerOffset }

func (q DeleteConsumerOffsetRequest) AppendTo(b []byte) []byte {
	return appendOffsetTarget(b, q.Consumer, q.StreamID, q.TopicID, q.PartitionID)
}

// DecodeDeleteConsumerOffsetRequest decodes a DeleteConsumerOffset payload.
func DecodeDeleteConsumerOffsetRequest(p []byte) (DeleteConsumerOffsetRequest, error) {
	return decodeRequest(p, func(r *reader) DeleteConsumerOffsetRequest {
		c, s, t, pid := r.offsetTarget()
		return DeleteConsumerOffsetRequest{Consumer: c, StreamID: s, TopicID: t, PartitionID: pid}
	})
}

func appendOffsetTarget(b []byte, c Consumer, stream, topic Identifier, p OptionalPartitionID) []byte {
	b = appendConsumer(b, c)
	b = appendIDs(b, stream, topic)
	return appendOptionalPartition(b, p)
}

func (r *reader) offsetTarget() (Consumer, Identifier, Identifier, OptionalPartitionID) {
	return r.consumer(), r.identifier("stream id"), r.identifier("topic id"), r.optionalPartition()
}

// OffsetInfo is the GetConsumerOffset answer (20 bytes).
type OffsetInfo struct {
	PartitionID   uint32
	CurrentOffset uint64 // the partition's last offset
	StoredOffset  uint64
}

func (o OffsetInfo) AppendTo(b []byte) []byte {
	b = appendU32(b, o.PartitionID)
	b = appendU64(b, o.CurrentOffset)
	return appendU64(b, o.StoredOffset)
}

// DecodeOffsetInfo decodes a GetConsumerOffset answer (the caller maps an
// empty payload to ErrConsumerOffsetNotFound).
func DecodeOffsetInfo(p []byte) (OffsetInfo, error) {
	return decodeOne(p, "consumer offset", func(r *reader) OffsetInfo {
		return OffsetInfo{PartitionID: r.u32("partition id"), CurrentOffset: r.u64("current offset"),
			StoredOffset: r.u64("stored offset")}
	})
}
