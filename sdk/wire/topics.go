package wire

// GetTopicRequest (code 300); an empty answer means "not found".
type GetTopicRequest struct {
	StreamID Identifier
	TopicID  Identifier
}

func (GetTopicRequest) Code() uint32 { return CodeGetTopic }

func (q GetTopicRequest) AppendTo(b []byte) []byte { return appendIDs(b, q.StreamID, q.TopicID) }

// DecodeGetTopicRequest decodes a GetTopic payload.
func DecodeGetTopicRequest(p []byte) (GetTopicRequest, error) {
	return decodeRequest(p, func(r *reader) GetTopicRequest {
		return GetTopicRequest{StreamID: r.identifier("stream id"), TopicID: r.identifier("topic id")}
	})
}

// GetTopicsRequest (code 301); an empty answer is an empty list.
type GetTopicsRequest struct {
	StreamID Identifier
}

func (GetTopicsRequest) Code() uint32 { return CodeGetTopics }

func (q GetTopicsRequest) AppendTo(b []byte) []byte { return AppendIdentifier(b, q.StreamID) }

// DecodeGetTopicsRequest decodes a GetTopics payload.
func DecodeGetTopicsRequest(p []byte) (GetTopicsRequest, error) {
	return decodeRequest(p, func(r *reader) GetTopicsRequest {
		return GetTopicsRequest{StreamID: r.identifier("stream id")}
	})
}

// CreateTopicRequest (code 302). MessageExpiry and MaxTopicSize use the
// §2.10 sentinels; ReplicationFactor 0 is stored as 1. 0.8 has no
// client-chosen id.
type CreateTopicRequest struct {
	StreamID             Identifier
	PartitionsCount      uint32
	CompressionAlgorithm uint8
	MessageExpiry        uint64
	MaxTopicSize         uint64
	ReplicationFactor    uint8
	Name                 string
}

func (CreateTopicRequest) Code() uint32 { return CodeCreateTopic }

func (q CreateTopicRequest) AppendTo(b []byte) []byte {
	b = AppendIdentifier(b, q.StreamID)
	b = appendU32(b, q.PartitionsCount)
	b = append(b, q.CompressionAlgorithm)
	b = appendU64(b, q.MessageExpiry)
	b = appendU64(b, q.MaxTopicSize)
	b = append(b, q.ReplicationFactor)
	return appendStr8(b, q.Name)
}

// DecodeCreateTopicRequest decodes a CreateTopic payload.
func DecodeCreateTopicRequest(p []byte) (CreateTopicRequest, error) {
	return decodeRequest(p, func(r *reader) CreateTopicRequest {
		return CreateTopicRequest{
			StreamID:             r.identifier("stream id"),
			PartitionsCount:      r.u32("partitions count"),
			CompressionAlgorithm: r.compression(),
			MessageExpiry:        r.u64("message expiry"),
			MaxTopicSize:         r.u64("max topic size"),
			ReplicationFactor:    r.u8("replication factor"),
			Name:                 r.name("topic name"),
		}
	})
}

// DeleteTopicRequest (code 303).
type DeleteTopicRequest struct {
	StreamID Identifier
	TopicID  Identifier
}

func (DeleteTopicRequest) Code() uint32 { return CodeDeleteTopic }

func (q DeleteTopicRequest) AppendTo(b []byte) []byte { return appendIDs(b, q.StreamID, q.TopicID) }

// DecodeDeleteTopicRequest decodes a DeleteTopic payload.
func DecodeDeleteTopicRequest(p []byte) (DeleteTopicRequest, error) {
	return decodeRequest(p, func(r *reader) DeleteTopicRequest {
		return DeleteTopicRequest{StreamID: r.identifier("stream id"), TopicID: r.identifier("topic id")}
	})
}

// UpdateTopicRequest (code 304). Values are stored as given (a 0 stays 0).
type UpdateTopicRequest struct {
	StreamID             Identifier
	TopicID              Identifier
	CompressionAlgorithm uint8
	MessageExpiry        uint64
	MaxTopicSize         uint64
	ReplicationFactor    uint8
	Name                 string
}

func (UpdateTopicRequest) Code() uint32 { return CodeUpdateTopic }

func (q UpdateTopicRequest) AppendTo(b []byte) []byte {
	b = appendIDs(b, q.StreamID, q.TopicID)
	b = append(b, q.CompressionAlgorithm)
	b = appendU64(b, q.MessageExpiry)
	b = appendU64(b, q.MaxTopicSize)
	b = append(b, q.ReplicationFactor)
	return appendStr8(b, q.Name)
}

// DecodeUpdateTopicRequest decodes an UpdateTopic payload.
func DecodeUpdateTopicRequest(p []byte) (UpdateTopicRequest, error) {
	return decodeRequest(p, func(r *reader) UpdateTopicRequest {
		return UpdateTopicRequest{
			StreamID:             r.identifier("stream id"),
			TopicID:              r.identifier("topic id"),
			CompressionAlgorithm: r.compression(),
			MessageExpiry:        r.u64("message expiry"),
			MaxTopicSize:         r.u64("max topic size"),
			ReplicationFactor:    r.u8("replication factor"),
			Name:                 r.name("topic name"),
		}
	})
}

// PurgeTopicRequest (code 305) deletes every message of the topic.
type PurgeTopicRequest struct {
	StreamID Identifier
	TopicID  Identifier
}

func (PurgeTopicRequest) Code() uint32 { return CodePurgeTopic }

func (q PurgeTopicRequest) AppendTo(b []byte) []byte { return appendIDs(b, q.StreamID, q.TopicID) }

// DecodePurgeTopicRequest decodes a PurgeTopic payload.
func DecodePurgeTopicRequest(p []byte) (PurgeTopicRequest, error) {
	return decodeRequest(p, func(r *reader) PurgeTopicRequest {
		return PurgeTopicRequest{StreamID: r.identifier("stream id"), TopicID: r.identifier("topic id")}
	})
}

// TopicHeader is one topic in GetTopics and StreamDetails, and the start of
// TopicDetails.
type TopicHeader struct {
	ID                   uint32
	CreatedAtMicros      uint64
	PartitionsCount      uint32
	MessageExpiry        uint64
	CompressionAlgorithm uint8
	MaxTopicSize         uint64
	ReplicationFactor    uint8
	SizeBytes            uint64
	MessagesCount        uint64
	Name                 string
}

func (t TopicHeader) AppendTo(b []byte) []byte {
	b = appendU32(b, t.ID)
	b = appendU64(b, t.CreatedAtMicros)
	b = appendU32(b, t.PartitionsCount)
	b = appendU64(b, t.MessageExpiry)
	b = append(b, t.CompressionAlgorithm)
	b = appendU64(b, t.MaxTopicSize)
	b = append(b, t.ReplicationFactor)
	b = appendU64(b, t.SizeBytes)
	b = appendU64(b, t.MessagesCount)
	return appendStr8(b, t.Name)
}

func (r *reader) topicHeader() TopicHeader {
	return TopicHeader{ID: r.u32("topic id"), CreatedAtMicros: r.u64("created at"),
		PartitionsCount: r.u32("partitions count"), MessageExpiry: r.u64("message expiry"),
		CompressionAlgorithm: r.u8("compression"), MaxTopicSize: r.u64("max topic size"),
		ReplicationFactor: r.u8("replication factor"), SizeBytes: r.u64("size"),
		MessagesCount: r.u64("messages count"), Name: r.rstr8("topic name")}
}

// AppendTopics appends a GetTopics answer.
func AppendTopics(b []byte, ts []TopicHeader) []byte {
	for _, t := range ts {
		b = t.AppendTo(b)
	}
	return b
}

// DecodeTopics decodes a GetTopics answer.
func DecodeTopics(p []byte) ([]TopicHeader, error) {
	return decodeList(p, "topics", (*reader).topicHeader)
}

// PartitionInfo is one partition in TopicDetails (40 bytes).
type PartitionInfo struct {
	ID              uint32
	CreatedAtMicros uint64
	SegmentsCount   uint32
	CurrentOffset   uint64
	SizeBytes       uint64
	MessagesCount   uint64
}

func (p PartitionInfo) AppendTo(b []byte) []byte {
	b = appendU32(b, p.ID)
	b = appendU64(b, p.CreatedAtMicros)
	b = appendU32(b, p.SegmentsCount)
	b = appendU64(b, p.CurrentOffset)
	b = appendU64(b, p.SizeBytes)
	return appendU64(b, p.MessagesCount)
}

func (r *reader) partitionInfo() PartitionInfo {
	return PartitionInfo{ID: r.u32("partition id"), CreatedAtMicros: r.u64("created at"),
		SegmentsCount: r.u32("segments count"), CurrentOffset: r.u64("current offset"),
		SizeBytes: r.u64("size"), MessagesCount: r.u64("messages count")}
}

// TopicDetails is the GetTopic / CreateTopic answer.
type TopicDetails struct {
	TopicHeader
	Partitions []PartitionInfo
}

// AppendTo writes the header with partitions_count = len(Partitions), then
// the partitions.
func (t TopicDetails) AppendTo(b []byte) []byte {
	h := t.TopicHeader
	h.PartitionsCount = uint32(len(t.Partitions))
	b = h.AppendTo(b)
	for _, p := range t.Partitions {
		b = p.AppendTo(b)
	}
	return b
}

// DecodeTopicDetails decodes a GetTopic / CreateTopic answer (the caller
// maps an empty payload to ErrTopicIDNotFound).
func DecodeTopicDetails(p []byte) (TopicDetails, error) {
	r := newReader(p)
	d := TopicDetails{TopicHeader: r.topicHeader()}
	if err := r.finishResponse("topic"); err != nil {
		return TopicDetails{}, err
	}
	parts, err := decodeList(r.rest(), "partitions", (*reader).partitionInfo)
	if err != nil {
		return TopicDetails{}, err
	}
	d.Partitions = parts
	return d, nil
}

func appendIDs(b []byte, ids ...Identifier) []byte {
	for _, id := range ids {
		b = AppendIdentifier(b, id)
	}
	return b
}
