package wire

// GetStreamRequest (code 200); an empty answer means "not found".
type GetStreamRequest struct {
	StreamID Identifier
}

func (GetStreamRequest) Code() uint32 { return CodeGetStream }

func (q GetStreamRequest) AppendTo(b []byte) []byte { return AppendIdentifier(b, q.StreamID) }

// DecodeGetStreamRequest decodes a GetStream payload.
func DecodeGetStreamRequest(p []byte) (GetStreamRequest, error) {
	return decodeRequest(p, func(r *reader) GetStreamRequest {
		return GetStreamRequest{StreamID: r.identifier("stream id")}
	})
}

// GetStreamsRequest (code 201) has an empty payload; the answer is StreamHeader*.
type GetStreamsRequest struct{}

func (GetStreamsRequest) Code() uint32             { return CodeGetStreams }
func (GetStreamsRequest) AppendTo(b []byte) []byte { return b }

// CreateStreamRequest (code 202). 0.8 has no client-chosen id.
type CreateStreamRequest struct {
	Name string
}

func (CreateStreamRequest) Code() uint32 { return CodeCreateStream }

func (q CreateStreamRequest) AppendTo(b []byte) []byte { return appendStr8(b, q.Name) }

// DecodeCreateStreamRequest decodes a CreateStream payload.
func DecodeCreateStreamRequest(p []byte) (CreateStreamRequest, error) {
	return decodeRequest(p, func(r *reader) CreateStreamRequest {
		return CreateStreamRequest{Name: r.name("stream name")}
	})
}

// DeleteStreamRequest (code 203).
type DeleteStreamRequest struct {
	StreamID Identifier
}

func (DeleteStreamRequest) Code() uint32 { return CodeDeleteStream }

func (q DeleteStreamRequest) AppendTo(b []byte) []byte { return AppendIdentifier(b, q.StreamID) }

// DecodeDeleteStreamRequest decodes a DeleteStream payload.
func DecodeDeleteStreamRequest(p []byte) (DeleteStreamRequest, error) {
	return decodeRequest(p, func(r *reader) DeleteStreamRequest {
		return DeleteStreamRequest{StreamID: r.identifier("stream id")}
	})
}

// UpdateStreamRequest (code 204) renames a stream.
type UpdateStreamRequest struct {
	StreamID Identifier
	Name     string
}

func (UpdateStreamRequest) Code() uint32 { return CodeUpdateStream }

func (q UpdateStreamRequest) AppendTo(b []byte) []byte {
	return appendStr8(AppendIdentifier(b, q.StreamID), q.Name)
}

// DecodeUpdateStreamRequest decodes an UpdateStream payload.
func DecodeUpdateStreamRequest(p []byte) (UpdateStreamRequest, error) {
	return decodeRequest(p, func(r *reader) UpdateStreamRequest {
		return UpdateStreamRequest{StreamID: r.identifier("stream id"), Name: r.name("stream name")}
	})
}

// PurgeStreamRequest (code 205) deletes every message of the stream.
type PurgeStreamRequest struct {
	StreamID Identifier
}

func (PurgeStreamRequest) Code() uint32 { return CodePurgeStream }

func (q PurgeStreamRequest) AppendTo(b []byte) []byte { return AppendIdentifier(b, q.StreamID) }

// DecodePurgeStreamRequest decodes a PurgeStream payload.
func DecodePurgeStreamRequest(p []byte) (PurgeStreamRequest, error) {
	return decodeRequest(p, func(r *reader) PurgeStreamRequest {
		return PurgeStreamRequest{StreamID: r.identifier("stream id")}
	})
}

// StreamHeader is one stream in GetStreams, the CreateStream answer and the
// start of StreamDetails.
type StreamHeader struct {
	ID              uint32
	CreatedAtMicros uint64
	TopicsCount     uint32
	SizeBytes       uint64
	MessagesCount   uint64
	Name            string
}

func (s StreamHeader) AppendTo(b []byte) []byte {
	b = appendU32(b, s.ID)
	b = appendU64(b, s.CreatedAtMicros)
	b = appendU32(b, s.TopicsCount)
	b = appendU64(b, s.SizeBytes)
	b = appendU64(b, s.MessagesCount)
	return appendStr8(b, s.Name)
}

func (r *reader) streamHeader() StreamHeader {
	return StreamHeader{ID: r.u32("stream id"), CreatedAtMicros: r.u64("created at"),
		TopicsCount: r.u32("topics count"), SizeBytes: r.u64("size"), MessagesCount: r.u64("messages count"),
		Name: r.rstr8("stream name")}
}

// DecodeStreamHeader decodes a CreateStream answer.
func DecodeStreamHeader(p []byte) (StreamHeader, error) {
	return decodeOne(p, "stream", (*reader).streamHeader)
}

// AppendStreams appends a GetStreams answer.
func AppendStreams(b []byte, ss []StreamHeader) []byte {
	for _, s := range ss {
		b = s.AppendTo(b)
	}
	return b
}

// DecodeStreams decodes a GetStreams answer.
func DecodeStreams(p []byte) ([]StreamHeader, error) {
	return decodeList(p, "streams", (*reader).streamHeader)
}

// StreamDetails is the GetStream answer.
type StreamDetails struct {
	StreamHeader
	Topics []TopicHeader
}

// AppendTo writes the header with topics_count = len(Topics), then the topics.
func (s StreamDetails) AppendTo(b []byte) []byte {
	h := s.StreamHeader
	h.TopicsCount = uint32(len(s.Topics))
	return AppendTopics(h.AppendTo(b), s.Topics)
}

// DecodeStreamDetails decodes a GetStream answer (the caller maps an empty
// payload to ErrStreamIDNotFound).
func DecodeStreamDetails(p []byte) (StreamDetails, error) {
	r := newReader(p)
	d := StreamDetails{StreamHeader: r.streamHeader()}
	if err := r.finishResponse("stream"); err != nil {
		return StreamDetails{}, err
	}
	topics, err := DecodeTopics(r.rest())
	if err != nil {
		return StreamDetails{}, err
	}
	d.Topics = topics
	return d, nil
}
