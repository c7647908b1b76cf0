package httpapi

import (
	"fmt"

	"github.com/runnel-io/runnel/sdk/wire"
)

// Conversions from sdk/wire answers to JSON (the server's side: XOf) and
// back (the client's side: the Wire methods). A round trip is lossless
// except where the JSON has no field (a message header's reserved bytes).

// StreamOf converts a stream header.
func StreamOf(s wire.StreamHeader) Stream {
	return Stream{ID: s.ID, CreatedAt: s.CreatedAtMicros, Name: s.Name, Size: s.SizeBytes,
		MessagesCount: s.MessagesCount, TopicsCount: s.TopicsCount}
}

// Wire converts back.
func (s Stream) Wire() wire.StreamHeader {
	return wire.StreamHeader{ID: s.ID, CreatedAtMicros: s.CreatedAt, Name: s.Name, SizeBytes: s.Size,
		MessagesCount: s.MessagesCount, TopicsCount: s.TopicsCount}
}

// StreamDetailsOf converts a stream with its topics.
func StreamDetailsOf(d wire.StreamDetails) StreamDetails {
	out := StreamDetails{Stream: StreamOf(d.StreamHeader), Topics: make([]Topic, 0, len(d.Topics))}
	out.TopicsCount = uint32(len(d.Topics))
	for _, t := range d.Topics {
		out.Topics = append(out.Topics, TopicOf(t))
	}
	return out
}

// Wire converts back.
func (d StreamDetails) Wire() (wire.StreamDetails, error) {
	out := wire.StreamDetails{StreamHeader: d.Stream.Wire()}
	for _, t := range d.Topics {
		th, err := t.Wire()
		if err != nil {
			return out, err
		}
		out.Topics = append(out.Topics, th)
	}
	return out, nil
}

// TopicOf converts a topic header.
func TopicOf(t wire.TopicHeader) Topic {
	return Topic{ID: t.ID, CreatedAt: t.CreatedAtMicros, Name: t.Name, Size: t.SizeBytes,
		MessageExpiry: t.MessageExpiry, CompressionAlgorithm: CompressionName(t.CompressionAlgorithm),
		MaxTopicSize: t.MaxTopicSize, ReplicationFactor: t.ReplicationFactor,
		MessagesCount: t.MessagesCount, PartitionsCount: t.PartitionsCount}
}

// Wire converts back.
func (t Topic) Wire() (wire.TopicHeader, error) {
	comp, err := CompressionCode(t.CompressionAlgorithm)
	return wire.TopicHeader{ID: t.ID, CreatedAtMicros: t.CreatedAt, Name: t.Name, SizeBytes: t.Size,
		MessageExpiry: t.MessageExpiry, CompressionAlgorithm: comp, MaxTopicSize: t.MaxTopicSize,
		ReplicationFactor: t.ReplicationFactor, MessagesCount: t.MessagesCount, PartitionsCount: t.PartitionsCount}, err
}

// TopicDetailsOf converts a topic with its partitions.
func TopicDetailsOf(d wire.TopicDetails) TopicDetails {
	out := TopicDetails{Topic: TopicOf(d.TopicHeader), Partitions: make([]Partition, 0, len(d.Partitions))}
	out.PartitionsCount = uint32(len(d.Partitions))
	for _, p := range d.Partitions {
		out.Partitions = append(out.Partitions, Partition{ID: p.ID, CreatedAt: p.CreatedAtMicros,
			SegmentsCount: p.SegmentsCount, CurrentOffset: p.CurrentOffset, Size: p.SizeBytes, MessagesCount: p.MessagesCount})
	}
	return out
}

// Wire converts back.
func (d TopicDetails) Wire() (wire.TopicDetails, error) {
	th, err := d.Topic.Wire()
	out := wire.TopicDetails{TopicHeader: th}
	for _, p := range d.Partitions {
		out.Partitions = append(out.Partitions, wire.PartitionInfo{ID: p.ID, CreatedAtMicros: p.CreatedAt,
			SegmentsCount: p.SegmentsCount, CurrentOffset: p.CurrentOffset, SizeBytes: p.Size, MessagesCount: p.MessagesCount})
	}
	return out, err
}

// PolledOf converts a poll answer.
func PolledOf(p wire.PolledMessages) PolledMessages {
	out := PolledMessages{PartitionID: p.PartitionID, CurrentOffset: p.CurrentOffset, Count: p.Count,
		Messages: make([]PolledMessage, 0, len(p.Messages))}
	for _, m := range p.Messages {
		h := m.Header
		out.Messages = append(out.Messages, PolledMessage{
			Header: MessageHeader{Checksum: h.Checksum, ID: MessageIDText(h), Offset: h.Offset,
				Timestamp: h.Timestamp, OriginTimestamp: h.OriginTimestamp,
				UserHeadersLength: h.UserHeadersLength, PayloadLength: h.PayloadLength},
			Payload: m.Payload, UserHeaders: m.UserHeaders,
		})
	}
	return out
}

// Wire converts back. Lengths come from the bytes received, not from the
// header fields, so the binary answer is always consistent.
func (p PolledMessages) Wire() (wire.PolledMessages, error) {
	out := wire.PolledMessages{PartitionID: p.PartitionID, CurrentOffset: p.CurrentOffset, Count: uint32(len(p.Messages)),
		Messages: make([]wire.PolledMessage, 0, len(p.Messages))}
	for i, m := range p.Messages {
		h := m.Header
		low, high, err := messageIDHalves(h.ID)
		if err != nil {
			return out, fmt.Errorf("messages[%d]: %w", i, err)
		}
		out.Messages = append(out.Messages, wire.PolledMessage{
			Header: wire.MessageHeader{Checksum: h.Checksum, IDLow: low, IDHigh: high, Offset: h.Offset,
				Timestamp: h.Timestamp, OriginTimestamp: h.OriginTimestamp,
				UserHeadersLength: uint32(len(m.UserHeaders)), PayloadLength: uint32(len(m.Payload))},
			Payload: m.Payload, UserHeaders: m.UserHeaders,
		})
	}
	return out, nil
}

// OffsetOf converts a stored offset.
func OffsetOf(o wire.OffsetInfo) Offset {
	return Offset{PartitionID: o.PartitionID, CurrentOffset: o.CurrentOffset, StoredOffset: o.StoredOffset}
}

// Wire converts back.
func (o Offset) Wire() wire.OffsetInfo {
	return wire.OffsetInfo{PartitionID: o.PartitionID, CurrentOffset: o.CurrentOffset, StoredOffset: o.StoredOffset}
}

// GroupOf converts a consumer group header.
func GroupOf(g wire.ConsumerGroupHeader) Group {
	return Group{ID: g.ID, Name: g.Name, PartitionsCount: g.PartitionsCount, MembersCount: g.MembersCount}
}

// Wire converts back.
func (g Group) Wire() wire.ConsumerGroupHeader {
	return wire.ConsumerGroupHeader{ID: g.ID, Name: g.Name, PartitionsCount: g.PartitionsCount, MembersCount: g.MembersCount}
}

// GroupDetailsOf converts a consumer group with its members.
func GroupDetailsOf(d wire.ConsumerGroupDetails) GroupDetails {
	out := GroupDetails{Group: GroupOf(d.ConsumerGroupHeader), Members: make([]GroupMember, 0, len(d.Members))}
	out.MembersCount = uint32(len(d.Members))
	for _, m := range d.Members {
		out.Members = append(out.Members, GroupMember{ID: m.ID, PartitionsCount: uint32(len(m.Partitions)),
			Partitions: append([]uint32{}, m.Partitions...)})
	}
	return out
}

// Wire converts back.
func (d GroupDetails) Wire() wire.ConsumerGroupDetails {
	out := wire.ConsumerGroupDetails{ConsumerGroupHeader: d.Group.Wire()}
	for _, m := range d.Members {
		out.Members = append(out.Members, wire.ConsumerGroupMember{ID: m.ID, Partitions: append([]uint32{}, m.Partitions...)})
	}
	return out
}

// PermissionsOf converts permissions; nil stays nil.
func PermissionsOf(p *wire.Permissions) *Permissions {
	if p == nil {
		return nil
	}
	out := &Permissions{Global: GlobalPermissions(p.Global)}
	for id, s := range p.Streams {
		if out.Streams == nil {
			out.Streams = map[uint32]StreamPermissions{}
		}
		sj := StreamPermissions{ManageStream: s.ManageStream, ReadStream: s.ReadStream, ManageTopics: s.ManageTopics,
			ReadTopics: s.ReadTopics, PollMessages: s.PollMessages, SendMessages: s.SendMessages}
		for tid, t := range s.Topics {
			if sj.Topics == nil {
				sj.Topics = map[uint32]TopicPermissions{}
			}
			sj.Topics[tid] = TopicPermissions(t)
		}
		out.Streams[id] = sj
	}
	return out
}

// Wire converts back; nil stays nil.
func (p *Permissions) Wire() *wire.Permissions {
	if p == nil {
		return nil
	}
	out := &wire.Permissions{Global: wire.GlobalPermissions(p.Global)}
	for id, s := range p.Streams {
		if out.Streams == nil {
			out.Streams = map[uint32]wire.StreamPermissions{}
		}
		sw := wire.StreamPermissions{ManageStream: s.ManageStream, ReadStream: s.ReadStream, ManageTopics: s.ManageTopics,
			ReadTopics: s.ReadTopics, PollMessages: s.PollMessages, SendMessages: s.SendMessages}
		for tid, t := range s.Topics {
			if sw.Topics == nil {
				sw.Topics = map[uint32]wire.TopicPermissions{}
			}
			sw.Topics[tid] = wire.TopicPermissions(t)
		}
		out.Streams[id] = sw
	}
	return out
}

// UserOf converts a user header.
func UserOf(u wire.UserHeader) User {
	return User{ID: u.ID, CreatedAt: u.CreatedAtMicros, Status: UserStatusName(u.Status), Username: u.Username}
}

// Wire converts back.
func (u User) Wire() (wire.UserHeader, error) {
	status, err := UserStatusCode(u.Status)
	return wire.UserHeader{ID: u.ID, CreatedAtMicros: u.CreatedAt, Status: status, Username: u.Username}, err
}

// UserDetailsOf converts a user with permissions.
func UserDetailsOf(u wire.UserDetails) UserDetails {
	return UserDetails{User: UserOf(u.UserHeader), Permissions: PermissionsOf(u.Permissions)}
}

// Wire converts back.
func (u UserDetails) Wire() (wire.UserDetails, error) {
	h, err := u.User.Wire()
	return wire.UserDetails{UserHeader: h, Permissions: u.Permissions.Wire()}, err
}

// PATOf converts a personal access token's info; no expiry is null.
func PATOf(p wire.PatInfo) PAT {
	out := PAT{Name: p.Name}
	if p.ExpiryAtMicros != 0 {
		at := p.ExpiryAtMicros
		out.ExpiryAt = &at
	}
	return out
}

// Wire converts back.
func (p PAT) Wire() wire.PatInfo {
	out := wire.PatInfo{Name: p.Name}
	if p.ExpiryAt != nil {
		out.ExpiryAtMicros = *p.ExpiryAt
	}
	return out
}

// ClientOf converts a client; not logged in is a null user_id.
func ClientOf(c wire.ClientInfo) Client {
	out := Client{ClientID: c.ClientID, Transport: wire.TransportName(c.Transport), Address: c.Address,
		ConsumerGroupsCount: c.ConsumerGroupsCount}
	if c.UserID != wire.UserIDNone {
		id := c.UserID
		out.UserID = &id
	}
	return out
}

// Wire converts back.
func (c Client) Wire() wire.ClientInfo {
	out := wire.ClientInfo{ClientID: c.ClientID, UserID: wire.UserIDNone, Transport: wire.TransportCode(c.Transport),
		Address: c.Address, ConsumerGroupsCount: c.ConsumerGroupsCount}
	if c.UserID != nil {
		out.UserID = *c.UserID
	}
	return out
}

// ClientDetailsOf converts a client with its groups.
func ClientDetailsOf(d wire.ClientDetails) ClientDetails {
	out := ClientDetails{Client: ClientOf(d.ClientInfo), ConsumerGroups: make([]ClientGroup, 0, len(d.ConsumerGroups))}
	for _, g := range d.ConsumerGroups {
		out.ConsumerGroups = append(out.ConsumerGroups, ClientGroup(g))
	}
	out.ConsumerGroupsCount = uint32(len(d.ConsumerGroups))
	return out
}

// Wire converts back.
func (d ClientDetails) Wire() wire.ClientDetails {
	out := wire.ClientDetails{ClientInfo: d.Client.Wire()}
	for _, g := range d.ConsumerGroups {
		out.ConsumerGroups = append(out.ConsumerGroups, wire.ClientGroup(g))
	}
	return out
}

// StatsOf converts the server statistics.
func StatsOf(s wire.Stats) Stats {
	out := Stats{ProcessID: s.ProcessID, CPUUsage: s.CPUUsage, TotalCPUUsage: s.TotalCPUUsage,
		MemoryUsage: s.MemoryUsage, TotalMemory: s.TotalMemory, AvailableMemory: s.AvailableMemory,
		RunTime: s.RunTimeMicros, StartTime: s.StartTimeMicros, ReadBytes: s.ReadBytes, WrittenBytes: s.WrittenBytes,
		MessagesSizeBytes: s.MessagesSizeBytes, StreamsCount: s.StreamsCount, TopicsCount: s.TopicsCount,
		PartitionsCount: s.PartitionsCount, SegmentsCount: s.SegmentsCount, MessagesCount: s.MessagesCount,
		ClientsCount: s.ClientsCount, ConsumerGroupsCount: s.ConsumerGroupsCount, Hostname: s.Hostname,
		OSName: s.OSName, OSVersion: s.OSVersion, KernelVersion: s.KernelVersion, ServerVersion: s.ServerVersion,
		ServerSemver: s.ServerSemver, ThreadsCount: s.ThreadsCount, FreeDiskSpace: s.FreeDiskSpace,
		TotalDiskSpace: s.TotalDiskSpace, CacheMetrics: make([]CacheMetrics, 0, len(s.CacheMetrics))}
	for _, m := range s.CacheMetrics {
		out.CacheMetrics = append(out.CacheMetrics, CacheMetrics(m))
	}
	return out
}

// Wire converts back.
func (s Stats) Wire() wire.Stats {
	out := wire.Stats{ProcessID: s.ProcessID, CPUUsage: s.CPUUsage, TotalCPUUsage: s.TotalCPUUsage,
		MemoryUsage: s.MemoryUsage, TotalMemory: s.TotalMemory, AvailableMemory: s.AvailableMemory,
		RunTimeMicros: s.RunTime, StartTimeMicros: s.StartTime, ReadBytes: s.ReadBytes, WrittenBytes: s.WrittenBytes,
		MessagesSizeBytes: s.MessagesSizeBytes, StreamsCount: s.StreamsCount, TopicsCount: s.TopicsCount,
		PartitionsCount: s.PartitionsCount, SegmentsCount: s.SegmentsCount, MessagesCount: s.MessagesCount,
		ClientsCount: s.ClientsCount, ConsumerGroupsCount: s.ConsumerGroupsCount, Hostname: s.Hostname,
		OSName: s.OSName, OSVersion: s.OSVersion, KernelVersion: s.KernelVersion, ServerVersion: s.ServerVersion,
		ServerSemver: s.ServerSemver, ThreadsCount: s.ThreadsCount, FreeDiskSpace: s.FreeDiskSpace,
		TotalDiskSpace: s.TotalDiskSpace}
	for _, m := range s.CacheMetrics {
		out.CacheMetrics = append(out.CacheMetrics, wire.CacheMetrics(m))
	}
	return out
}

// ClusterOf converts the cluster metadata.
func ClusterOf(m wire.ClusterMetadata) Cluster {
	out := Cluster{Name: m.Name, Nodes: make([]ClusterNode, 0, len(m.Nodes))}
	for _, n := range m.Nodes {
		j := ClusterNode{Name: n.Name, IP: n.IP, Role: "follower", Status: nodeStatusName(n.Status),
			Endpoints: Endpoints{TCP: n.TCPPort, QUIC: n.QUICPort, HTTP: n.HTTPPort, WebSocket: n.WebSocketPort}}
		if n.Role == wire.NodeLeader {
			j.Role = "leader"
		}
		out.Nodes = append(out.Nodes, j)
	}
	return out
}

// Wire converts back.
func (c Cluster) Wire() wire.ClusterMetadata {
	out := wire.ClusterMetadata{Name: c.Name}
	for _, n := range c.Nodes {
		w := wire.ClusterNode{Name: n.Name, IP: n.IP, TCPPort: n.Endpoints.TCP, QUICPort: n.Endpoints.QUIC,
			HTTPPort: n.Endpoints.HTTP, WebSocketPort: n.Endpoints.WebSocket, Role: wire.NodeFollower,
			Status: nodeStatusCode(n.Status)}
		if n.Role == "leader" {
			w.Role = wire.NodeLeader
		}
		out.Nodes = append(out.Nodes, w)
	}
	return out
}
