package wire

// GetConsumerGroupRequest (code 600); an empty answer means "not found".
type GetConsumerGroupRequest struct {
	StreamID Identifier
	TopicID  Identifier
	GroupID  Identifier
}

func (GetConsumerGroupRequest) Code() uint32 { return CodeGetConsumerGroup }

func (q GetConsumerGroupRequest) AppendTo(b []byte) []byte {
	return appendIDs(b, q.StreamID, q.TopicID, q.GroupID)
}

// DecodeGetConsumerGroupRequest decodes a GetConsumerGroup payload.
func DecodeGetConsumerGroupRequest(p []byte) (GetConsumerGroupRequest, error) {
	return decodeRequest(p, func(r *reader) GetConsumerGroupRequest {
		s, t, g := r.groupPath()
		return GetConsumerGroupRequest{StreamID: s, TopicID: t, GroupID: g}
	})
}

// GetConsumerGroupsRequest (code 601); an empty answer is an empty list.
type GetConsumerGroupsRequest struct {
	StreamID Identifier
	TopicID  Identifier
}

func (GetConsumerGroupsRequest) Code() uint32 { return CodeGetConsumerGroups }

func (q GetConsumerGroupsRequest) AppendTo(b []byte) []byte {
	return appendIDs(b, q.StreamID, q.TopicID)
}

// DecodeGetConsumerGroupsRequest decodes a GetConsumerGroups payload.
func DecodeGetConsumerGroupsRequest(p []byte) (GetConsumerGroupsRequest, error) {
	return decodeRequest(p, func(r *reader) GetConsumerGroupsRequest {
		return GetConsumerGroupsRequest{StreamID: r.identifier("stream id"), TopicID: r.identifier("topic id")}
	})
}

// CreateConsumerGroupRequest (code 602). 0.8 has no client-chosen id.
type CreateConsumerGroupRequest struct {
	StreamID Identifier
	TopicID  Identifier
	Name     string
}

func (CreateConsumerGroupRequest) Code() uint32 { return CodeCreateConsumerGroup }

func (q CreateConsumerGroupRequest) AppendTo(b []byte) []byte {
	return appendStr8(appendIDs(b, q.StreamID, q.TopicID), q.Name)
}

// DecodeCreateConsumerGroupRequest decodes a CreateConsumerGroup payload.
func DecodeCreateConsumerGroupRequest(p []byte) (CreateConsumerGroupRequest, error) {
	return decodeRequest(p, func(r *reader) CreateConsumerGroupRequest {
		return CreateConsumerGroupRequest{StreamID: r.identifier("stream id"), TopicID: r.identifier("topic id"),
			Name: r.name("group name")}
	})
}

// DeleteConsumerGroupRequest (code 603).
type DeleteConsumerGroupRequest struct {
	StreamID Identifier
	TopicID  Identifier
	GroupID  Identifier
}

func (DeleteConsumerGroupRequest) Code() uint32 { return CodeDeleteConsumerGroup }

func (q DeleteConsumerGroupRequest) AppendTo(b []byte) []byte {
	return appendIDs(b, q.StreamID, q.TopicID, q.GroupID)
}

// DecodeDeleteConsumerGroupRequest decodes a DeleteConsumerGroup payload.
func DecodeDeleteConsumerGroupRequest(p []byte) (DeleteConsumerGroupRequest, error) {
	return decodeRequest(p, func(r *reader) DeleteConsumerGroupRequest {
		s, t, g := r.groupPath()
		return DeleteConsumerGroupRequest{StreamID: s, TopicID: t, GroupID: g}
	})
}

// JoinConsumerGroupRequest (code 604): the calling connection joins.
type JoinConsumerGroupRequest struct {
	StreamID Identifier
	TopicID  Identifier
	GroupID  Identifier
}

func (JoinConsumerGroupRequest) Code() uint32 { return CodeJoinConsumerGroup }

func (q JoinConsumerGroupRequest) AppendTo(b []byte) []byte {
	return appendIDs(b, q.StreamID, q.TopicID, q.GroupID)
}

// DecodeJoinConsumerGroupRequest decodes a JoinConsumerGroup payload.
func DecodeJoinConsumerGroupRequest(p []byte) (JoinConsumerGroupRequest, error) {
	return decodeRequest(p, func(r *reader) JoinConsumerGroupRequest {
		s, t, g := r.groupPath()
		return JoinConsumerGroupRequest{StreamID: s, TopicID: t, GroupID: g}
	})
}

// LeaveConsumerGroupRequest (code 605): the calling connection leaves.
type LeaveConsumerGroupRequest struct {
	StreamID Identifier
	TopicID  Identifier
	GroupID  Identifier
}

func (LeaveConsumerGroupRequest) Code() uint32 { return CodeLeaveConsumerGroup }

func (q LeaveConsumerGroupRequest) AppendTo(b []byte) []byte {
	return appendIDs(b, q.StreamID, q.TopicID, q.GroupID)
}

// DecodeLeaveConsumerGroupRequest decodes a LeaveConsumerGroup payload.
func DecodeLeaveConsumerGroupRequest(p []byte) (LeaveConsumerGroupRequest, error) {
	return decodeRequest(p, func(r *reader) LeaveConsumerGroupRequest {
		s, t, g := r.groupPath()
		return LeaveConsumerGroupRequest{StreamID: s, TopicID: t, GroupID: g}
	})
}

func (r *reader) groupPath() (stream, topic, group Identifier) {
	return r.identifier("stream id"), r.identifier("topic id"), r.identifier("group id")
}

// ConsumerGroupHeader is one group in GetConsumerGroups, the
// CreateConsumerGroup answer and the start of ConsumerGroupDetails.
type ConsumerGroupHeader struct {
	ID              uint32
	PartitionsCount uint32 // partitions of the topic
	MembersCount    uint32
	Name            string
}

func (g ConsumerGroupHeader) AppendTo(b []byte) []byte {
	b = appendU32(b, g.ID)
	b = appendU32(b, g.PartitionsCount)
	b = appendU32(b, g.MembersCount)
	return appendStr8(b, g.Name)
}

func (r *reader) groupHeader() ConsumerGroupHeader {
	return ConsumerGroupHeader{ID: r.u32("group id"), PartitionsCount: r.u32("partitions count"),
		MembersCount: r.u32("members count"), Name: r.rstr8("group name")}
}

// DecodeConsumerGroupHeader decodes a CreateConsumerGroup answer.
func DecodeConsumerGroupHeader(p []byte) (ConsumerGroupHeader, error) {
	return decodeOne(p, "consumer group", (*reader).groupHeader)
}

// AppendConsumerGroups appends a GetConsumerGroups answer.
func AppendConsumerGroups(b []byte, gs []ConsumerGroupHeader) []byte {
	for _, g := range gs {
		b = g.AppendTo(b)
	}
	return b
}

// DecodeConsumerGroups decodes a GetConsumerGroups answer.
func DecodeConsumerGroups(p []byte) ([]ConsumerGroupHeader, error) {
	return decodeList(p, "consumer groups", (*reader).groupHeader)
}

// ConsumerGroupMember is one member of a group and the partitions it owns.
type ConsumerGroupMember struct {
	ID         uint32
	Partitions []uint32
}

func (m ConsumerGroupMember) AppendTo(b []byte) []byte {
	b = appendU32(b, m.ID)
	b = appendU32(b, uint32(len(m.Partitions)))
	for _, p := range m.Partitions {
		b = appendU32(b, p)
	}
	return b
}

func (r *reader) groupMember() ConsumerGroupMember {
	m := ConsumerGroupMember{ID: r.u32("member id")}
	n := r.u32("member partitions count")
	if r.err == nil && uint64(n)*4 > uint64(r.remaining()) {
		r.fail(ErrInvalidCommand.Detail("%d member partitions in %d bytes", n, r.remaining()))
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		m.Partitions = append(m.Partitions, r.u32("partition id"))
	}
	return m
}

// ConsumerGroupDetails is the GetConsumerGroup answer.
type ConsumerGroupDetails struct {
	ConsumerGroupHeader
	Members []ConsumerGroupMember
}

// AppendTo writes the header with members_count = len(Members), then the members.
func (g ConsumerGroupDetails) AppendTo(b []byte) []byte {
	h := g.ConsumerGroupHeader
	h.MembersCount = uint32(len(g.Members))
	b = h.AppendTo(b)
	for _, m := range g.Members {
		b = m.AppendTo(b)
	}
	return b
}

// DecodeConsumerGroupDetails decodes a GetConsumerGroup answer (the caller
// maps an empty payload to ErrConsumerGroupIDNotFound).
func DecodeConsumerGroupDetails(p []byte) (ConsumerGroupDetails, error) {
	r := newReader(p)
	d := ConsumerGroupDetails{ConsumerGroupHeader: r.groupHeader()}
	if err := r.finishResponse("consumer group"); err != nil {
		return ConsumerGroupDetails{}, err
	}
	members, err := decodeList(r.rest(), "consumer group members", (*reader).groupMember)
	if err != nil {
		return ConsumerGroupDetails{}, err
	}
	d.Members = members
	return d, nil
}
