package wire

// CreatePartitionsRequest (code 402) appends PartitionsCount partitions
// (handler: 1..1000, else TooManyPartitions).
type CreatePartitionsRequest struct {
	StreamID        Identifier
	TopicID         Identifier
	PartitionsCount uint32
}

func (CreatePartitionsRequest) Code() uint32 { return CodeCreatePartitions }

func (q CreatePartitionsRequest) AppendTo(b []byte) []byte {
	return appendU32(appendIDs(b, q.StreamID, q.TopicID), q.PartitionsCount)
}

// DecodeCreatePartitionsRequest decodes a CreatePartitions payload.
func DecodeCreatePartitionsRequest(p []byte) (CreatePartitionsRequest, error) {
	return decodeRequest(p, func(r *reader) CreatePartitionsRequest {
		return CreatePartitionsRequest{StreamID: r.identifier("stream id"), TopicID: r.identifier("topic id"),
			PartitionsCount: r.u32("partitions count")}
	})
}

// DeletePartitionsRequest (code 403) removes the last PartitionsCount partitions.
type DeletePartitionsRequest struct {
	StreamID        Identifier
	TopicID         Identifier
	PartitionsCount uint32
}

func (DeletePartitionsRequest) Code() uint32 { return CodeDeletePartitions }

func (q DeletePartitionsRequest) AppendTo(b []byte) []byte {
	return appendU32(appendIDs(b, q.StreamID, q.TopicID), q.PartitionsCount)
}

// DecodeDeletePartitionsRequest decodes a DeletePartitions payload.
func DecodeDeletePartitionsRequest(p []byte) (DeletePartitionsRequest, error) {
	return decodeRequest(p, func(r *reader) DeletePartitionsRequest {
		return DeletePartitionsRequest{StreamID: r.identifier("stream id"), TopicID: r.identifier("topic id"),
			PartitionsCount: r.u32("partitions count")}
	})
}

// DeleteSegmentsRequest (code 503) deletes up to SegmentsCount of the oldest
// sealed segments of one partition.
type DeleteSegmentsRequest struct {
	StreamID      Identifier
	TopicID       Identifier
	PartitionID   uint32
	SegmentsCount uint32
}

func (DeleteSegmentsRequest) Code() uint32 { return CodeDeleteSegments }

func (q DeleteSegmentsRequest) AppendTo(b []byte) []byte {
	b = appendIDs(b, q.StreamID, q.TopicID)
	b = appendU32(b, q.PartitionID)
	return appendU32(b, q.SegmentsCount)
}

// DecodeDeleteSegmentsRequest decodes a DeleteSegments payload.
func DecodeDeleteSegmentsRequest(p []byte) (DeleteSegmentsRequest, error) {
	return decodeRequest(p, func(r *reader) DeleteSegmentsRequest {
		return DeleteSegmentsRequest{StreamID: r.identifier("stream id"), TopicID: r.identifier("topic id"),
			PartitionID: r.u32("partition id"), SegmentsCount: r.u32("segments count")}
	})
}
