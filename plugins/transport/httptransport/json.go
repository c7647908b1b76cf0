package httptransport

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/runnel-io/runnel/sdk/wire"
)

// JSON shapes of Iggy 0.8's HTTP API (iggy_common's serde forms). Sizes
// are byte counts as numbers (Iggy writes a human string but its clients
// also read numbers); timestamps and expiries are microseconds.

type streamJSON struct {
	ID            uint32 `json:"id"`
	CreatedAt     uint64 `json:"created_at"`
	Name          string `json:"name"`
	Size          uint64 `json:"size"`
	MessagesCount uint64 `json:"messages_count"`
	TopicsCount   uint32 `json:"topics_count"`
}

type streamDetailsJSON struct {
	streamJSON
	Topics []topicJSON `json:"topics"`
}

type topicJSON struct {
	ID                   uint32 `json:"id"`
	CreatedAt            uint64 `json:"created_at"`
	Name                 string `json:"name"`
	Size                 uint64 `json:"size"`
	MessageExpiry        uint64 `json:"message_expiry"`
	CompressionAlgorithm string `json:"compression_algorithm"`
	MaxTopicSize         uint64 `json:"max_topic_size"`
	ReplicationFactor    uint8  `json:"replication_factor"`
	MessagesCount        uint64 `json:"messages_count"`
	PartitionsCount      uint32 `json:"partitions_count"`
}

type topicDetailsJSON struct {
	topicJSON
	Partitions []partitionJSON `json:"partitions"`
}

type partitionJSON struct {
	ID            uint32 `json:"id"`
	CreatedAt     uint64 `json:"created_at"`
	SegmentsCount uint32 `json:"segments_count"`
	CurrentOffset uint64 `json:"current_offset"`
	Size          uint64 `json:"size"`
	MessagesCount uint64 `json:"messages_count"`
}

func streamOf(s wire.StreamHeader) streamJSON {
	return streamJSON{ID: s.ID, CreatedAt: s.CreatedAtMicros, Name: s.Name, Size: s.SizeBytes,
		MessagesCount: s.MessagesCount, TopicsCount: s.TopicsCount}
}

func streamDetailsOf(d wire.StreamDetails) streamDetailsJSON {
	out := streamDetailsJSON{streamJSON: streamOf(d.StreamHeader), Topics: make([]topicJSON, 0, len(d.Topics))}
	out.TopicsCount = uint32(len(d.Topics))
	for _, t := range d.Topics {
		out.Topics = append(out.Topics, topicOf(t))
	}
	return out
}

func topicOf(t wire.TopicHeader) topicJSON {
	return topicJSON{ID: t.ID, CreatedAt: t.CreatedAtMicros, Name: t.Name, Size: t.SizeBytes,
		MessageExpiry: t.MessageExpiry, CompressionAlgorithm: compressionName(t.CompressionAlgorithm),
		MaxTopicSize: t.MaxTopicSize, ReplicationFactor: t.ReplicationFactor,
		MessagesCount: t.MessagesCount, PartitionsCount: t.PartitionsCount}
}

func topicDetailsOf(d wire.TopicDetails) topicDetailsJSON {
	out := topicDetailsJSON{topicJSON: topicOf(d.TopicHeader), Partitions: make([]partitionJSON, 0, len(d.Partitions))}
	out.PartitionsCount = uint32(len(d.Partitions))
	for _, p := range d.Partitions {
		out.Partitions = append(out.Partitions, partitionJSON{ID: p.ID, CreatedAt: p.CreatedAtMicros,
			SegmentsCount: p.SegmentsCount, CurrentOffset: p.CurrentOffset, Size: p.SizeBytes, MessagesCount: p.MessagesCount})
	}
	return out
}

func compressionName(c uint8) string {
	switch c {
	case wire.CompressionNone:
		return "none"
	case wire.CompressionGzip:
		return "gzip"
	}
	return strconv.Itoa(int(c))
}

// compressionCode reads a compression algorithm; "" is none, as in Iggy's
// default.
func compressionCode(s string) (uint8, error) {
	switch strings.ToLower(s) {
	case "", "none":
		return wire.CompressionNone, nil
	case "gzip":
		return wire.CompressionGzip, nil
	}
	return 0, fmt.Errorf("compression_algorithm %q: want none or gzip", s)
}

// Request bodies.

type createStreamJSON struct {
	Name string `json:"name"`
}

type createTopicJSON struct {
	Name                 string `json:"name"`
	PartitionsCount      uint32 `json:"partitions_count"`
	CompressionAlgorithm string `json:"compression_algorithm"`
	MessageExpiry        uint64 `json:"message_expiry"`
	MaxTopicSize         uint64 `json:"max_topic_size"`
	ReplicationFactor    uint8  `json:"replication_factor"`
}

type updateTopicJSON struct {
	Name                 string `json:"name"`
	CompressionAlgorithm string `json:"compression_algorithm"`
	MessageExpiry        uint64 `json:"message_expiry"`
	MaxTopicSize         uint64 `json:"max_topic_size"`
	ReplicationFactor    uint8  `json:"replication_factor"`
}

type partitionsCountJSON struct {
	PartitionsCount uint32 `json:"partitions_count"`
}

type nameJSON struct {
	Name string `json:"name"`
}

// Messages.

// partitioningJSON is Iggy's Partitioning: kind balanced | partition_id |
// messages_key, value base64 (partition_id: the u32 little-endian).
type partitioningJSON struct {
	Kind  string `json:"kind"`
	Value []byte `json:"value"`
}

type sendMessageJSON struct {
	// ID is a u128: a JSON number, a decimal string or a UUID string; 0 or
	// absent lets the server assign one.
	ID          json.RawMessage `json:"id,omitempty"`
	Payload     []byte          `json:"payload"`
	UserHeaders []byte          `json:"user_headers,omitempty"` // raw header bytes, base64
}

type sendMessagesJSON struct {
	Partitioning partitioningJSON  `json:"partitioning"`
	Messages     []sendMessageJSON `json:"messages"`
}

type messageHeaderJSON struct {
	Checksum          uint64      `json:"checksum"`
	ID                json.Number `json:"id"` // u128, decimal
	Offset            uint64      `json:"offset"`
	Timestamp         uint64      `json:"timestamp"`
	OriginTimestamp   uint64      `json:"origin_timestamp"`
	UserHeadersLength uint32      `json:"user_headers_length"`
	PayloadLength     uint32      `json:"payload_length"`
}

type polledMessageJSON struct {
	Header      messageHeaderJSON `json:"header"`
	Payload     []byte            `json:"payload"`
	UserHeaders []byte            `json:"user_headers,omitempty"`
}

type polledMessagesJSON struct {
	PartitionID   uint32              `json:"partition_id"`
	CurrentOffset uint64              `json:"current_offset"`
	Count         uint32              `json:"count"`
	Messages      []polledMessageJSON `json:"messages"`
}

func partitioningOf(p partitioningJSON) (wire.Partitioning, error) {
	var out wire.Partitioning
	switch p.Kind {
	case "", "balanced":
		out = wire.Balanced()
	case "partition_id":
		if len(p.Value) != 4 {
			return out, fmt.Errorf("partitioning: partition_id value must be 4 bytes (u32 little-endian, base64), got %d", len(p.Value))
		}
		out = wire.ToPartition(binary.LittleEndian.Uint32(p.Value))
	case "messages_key":
		out = wire.ByKey(p.Value)
	default:
		return out, fmt.Errorf("partitioning: kind %q: want balanced, partition_id or messages_key", p.Kind)
	}
	if err := out.Validate(); err != nil {
		return out, fmt.Errorf("partitioning: %w", err)
	}
	return out, nil
}

// messageID parses Iggy's message id forms into the 16 wire bytes.
func messageID(raw json.RawMessage) ([16]byte, error) {
	var id [16]byte
	if len(raw) == 0 || string(raw) == "null" {
		return id, nil
	}
	text := string(raw)
	if unq, err := strconv.Unquote(text); err == nil {
		text = unq
	}
	n, ok := new(big.Int).SetString(text, 10)
	if !ok {
		hex := strings.ReplaceAll(text, "-", "")
		if len(hex) != 32 {
			return id, fmt.Errorf("message id %s: want a u128 number or a UUID", raw)
		}
		if n, ok = new(big.Int).SetString(hex, 16); !ok {
			return id, fmt.Errorf("message id %s: want a u128 number or a UUID", raw)
		}
	}
	if n.Sign() < 0 || n.BitLen() > 128 {
		return id, fmt.Errorf("message id %s: out of u128 range", raw)
	}
	be := n.FillBytes(make([]byte, 16))
	for i := range 16 { // the wire holds the u128 little-endian
		id[i] = be[15-i]
	}
	return id, nil
}

func messageIDText(h wire.MessageHeader) json.Number {
	n := new(big.Int).SetUint64(h.IDHigh)
	n.Lsh(n, 64).Or(n, new(big.Int).SetUint64(h.IDLow))
	return json.Number(n.String())
}

func polledOf(p wire.PolledMessages) polledMessagesJSON {
	out := polledMessagesJSON{PartitionID: p.PartitionID, CurrentOffset: p.CurrentOffset, Count: p.Count,
		Messages: make([]polledMessageJSON, 0, len(p.Messages))}
	for _, m := range p.Messages {
		h := m.Header
		out.Messages = append(out.Messages, polledMessageJSON{
			Header: messageHeaderJSON{Checksum: h.Checksum, ID: messageIDText(h), Offset: h.Offset,
				Timestamp: h.Timestamp, OriginTimestamp: h.OriginTimestamp,
				UserHeadersLength: h.UserHeadersLength, PayloadLength: h.PayloadLength},
			Payload: m.Payload, UserHeaders: m.UserHeaders,
		})
	}
	return out
}

// Consumer offsets and groups.

type offsetJSON struct {
	PartitionID   uint32 `json:"partition_id"`
	CurrentOffset uint64 `json:"current_offset"`
	StoredOffset  uint64 `json:"stored_offset"`
}

type storeOffsetJSON struct {
	ConsumerID  json.RawMessage `json:"consumer_id"` // number or name
	PartitionID *uint32         `json:"partition_id"`
	Offset      uint64          `json:"offset"`
}

type groupJSON struct {
	ID              uint32 `json:"id"`
	Name            string `json:"name"`
	PartitionsCount uint32 `json:"partitions_count"`
	MembersCount    uint32 `json:"members_count"`
}

type groupMemberJSON struct {
	ID              uint32   `json:"id"`
	PartitionsCount uint32   `json:"partitions_count"`
	Partitions      []uint32 `json:"partitions"`
}

type groupDetailsJSON struct {
	groupJSON
	Members []groupMemberJSON `json:"members"`
}

func groupOf(g wire.ConsumerGroupHeader) groupJSON {
	return groupJSON{ID: g.ID, Name: g.Name, PartitionsCount: g.PartitionsCount, MembersCount: g.MembersCount}
}

func groupDetailsOf(d wire.ConsumerGroupDetails) groupDetailsJSON {
	out := groupDetailsJSON{groupJSON: groupOf(d.ConsumerGroupHeader), Members: make([]groupMemberJSON, 0, len(d.Members))}
	out.MembersCount = uint32(len(d.Members))
	for _, m := range d.Members {
		out.Members = append(out.Members, groupMemberJSON{ID: m.ID, PartitionsCount: uint32(len(m.Partitions)),
			Partitions: append([]uint32{}, m.Partitions...)})
	}
	return out
}

// Users and tokens.

type tokenInfoJSON struct {
	Token  string `json:"token"`
	Expiry uint64 `json:"expiry"` // Unix seconds, the JWT "exp"
}

// identityJSON is Iggy's IdentityInfo plus the refresh token.
type identityJSON struct {
	UserID       uint32         `json:"user_id"`
	AccessToken  *tokenInfoJSON `json:"access_token"`
	RefreshToken *tokenInfoJSON `json:"refresh_token,omitempty"`
}

type loginJSON struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type tokenJSON struct {
	Token string `json:"token"`
}

type userJSON struct {
	ID        uint32 `json:"id"`
	CreatedAt uint64 `json:"created_at"`
	Status    string `json:"status"`
	Username  string `json:"username"`
}

type userDetailsJSON struct {
	userJSON
	Permissions *permissionsJSON `json:"permissions"`
}

type createUserJSON struct {
	Username    string           `json:"username"`
	Password    string           `json:"password"`
	Status      string           `json:"status"`
	Permissions *permissionsJSON `json:"permissions"`
}

type updateUserJSON struct {
	Username *string `json:"username"`
	Status   *string `json:"status"`
}

type permissionsBodyJSON struct {
	Permissions *permissionsJSON `json:"permissions"`
}

type changePasswordJSON struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

type globalPermissionsJSON struct {
	ManageServers bool `json:"manage_servers"`
	ReadServers   bool `json:"read_servers"`
	ManageUsers   bool `json:"manage_users"`
	ReadUsers     bool `json:"read_users"`
	ManageStreams bool `json:"manage_streams"`
	ReadStreams   bool `json:"read_streams"`
	ManageTopics  bool `json:"manage_topics"`
	ReadTopics    bool `json:"read_topics"`
	PollMessages  bool `json:"poll_messages"`
	SendMessages  bool `json:"send_messages"`
}

type topicPermissionsJSON struct {
	ManageTopic  bool `json:"manage_topic"`
	ReadTopic    bool `json:"read_topic"`
	PollMessages bool `json:"poll_messages"`
	SendMessages bool `json:"send_messages"`
}

type streamPermissionsJSON struct {
	ManageStream bool                            `json:"manage_stream"`
	ReadStream   bool                            `json:"read_stream"`
	ManageTopics bool                            `json:"manage_topics"`
	ReadTopics   bool                            `json:"read_topics"`
	PollMessages bool                            `json:"poll_messages"`
	SendMessages bool                            `json:"send_messages"`
	Topics       map[uint32]topicPermissionsJSON `json:"topics,omitempty"`
}

type permissionsJSON struct {
	Global  globalPermissionsJSON            `json:"global"`
	Streams map[uint32]streamPermissionsJSON `json:"streams,omitempty"`
}

func permissionsOf(p *wire.Permissions) *permissionsJSON {
	if p == nil {
		return nil
	}
	out := &permissionsJSON{Global: globalPermissionsJSON(p.Global)}
	for id, s := range p.Streams {
		if out.Streams == nil {
			out.Streams = map[uint32]streamPermissionsJSON{}
		}
		sj := streamPermissionsJSON{ManageStream: s.ManageStream, ReadStream: s.ReadStream, ManageTopics: s.ManageTopics,
			ReadTopics: s.ReadTopics, PollMessages: s.PollMessages, SendMessages: s.SendMessages}
		for tid, t := range s.Topics {
			if sj.Topics == nil {
				sj.Topics = map[uint32]topicPermissionsJSON{}
			}
			sj.Topics[tid] = topicPermissionsJSON(t)
		}
		out.Streams[id] = sj
	}
	return out
}

func (p *permissionsJSON) wire() *wire.Permissions {
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

func userOf(u wire.UserHeader) userJSON {
	return userJSON{ID: u.ID, CreatedAt: u.CreatedAtMicros, Status: userStatusName(u.Status), Username: u.Username}
}

func userStatusName(s uint8) string {
	if s == wire.UserInactive {
		return "inactive"
	}
	return "active"
}

// userStatusCode reads a status; "" is active (Iggy's default).
func userStatusCode(s string) (uint8, error) {
	switch strings.ToLower(s) {
	case "", "active":
		return wire.UserActive, nil
	case "inactive":
		return wire.UserInactive, nil
	}
	return 0, fmt.Errorf("status %q: want active or inactive", s)
}

type createPATJSON struct {
	Name   string `json:"name"`
	Expiry uint64 `json:"expiry"` // µs; 0 = server default, u64::MAX = never
}

type patJSON struct {
	Name     string  `json:"name"`
	ExpiryAt *uint64 `json:"expiry_at"` // µs since the epoch; null = never
}

// System.

type clientJSON struct {
	ClientID            uint32  `json:"client_id"`
	UserID              *uint32 `json:"user_id"`
	Transport           string  `json:"transport"`
	Address             string  `json:"address"`
	ConsumerGroupsCount uint32  `json:"consumer_groups_count"`
}

type clientGroupJSON struct {
	StreamID uint32 `json:"stream_id"`
	TopicID  uint32 `json:"topic_id"`
	GroupID  uint32 `json:"group_id"`
}

type clientDetailsJSON struct {
	clientJSON
	ConsumerGroups []clientGroupJSON `json:"consumer_groups"`
}

func clientOf(c wire.ClientInfo) clientJSON {
	out := clientJSON{ClientID: c.ClientID, Transport: wire.TransportName(c.Transport), Address: c.Address,
		ConsumerGroupsCount: c.ConsumerGroupsCount}
	if c.UserID != wire.UserIDNone {
		id := c.UserID
		out.UserID = &id
	}
	return out
}

func clientDetailsOf(d wire.ClientDetails) clientDetailsJSON {
	out := clientDetailsJSON{clientJSON: clientOf(d.ClientInfo), ConsumerGroups: make([]clientGroupJSON, 0, len(d.ConsumerGroups))}
	for _, g := range d.ConsumerGroups {
		out.ConsumerGroups = append(out.ConsumerGroups, clientGroupJSON(g))
	}
	out.ConsumerGroupsCount = uint32(len(d.ConsumerGroups))
	return out
}

type cacheMetricsJSON struct {
	StreamID    uint32  `json:"stream_id"`
	TopicID     uint32  `json:"topic_id"`
	PartitionID uint32  `json:"partition_id"`
	Hits        uint64  `json:"hits"`
	Misses      uint64  `json:"misses"`
	HitRatio    float32 `json:"hit_ratio"`
}

type statsJSON struct {
	ProcessID           uint32             `json:"process_id"`
	CPUUsage            float32            `json:"cpu_usage"`
	TotalCPUUsage       float32            `json:"total_cpu_usage"`
	MemoryUsage         uint64             `json:"memory_usage"`
	TotalMemory         uint64             `json:"total_memory"`
	AvailableMemory     uint64             `json:"available_memory"`
	RunTime             uint64             `json:"run_time"`
	StartTime           uint64             `json:"start_time"`
	ReadBytes           uint64             `json:"read_bytes"`
	WrittenBytes        uint64             `json:"written_bytes"`
	MessagesSizeBytes   uint64             `json:"messages_size_bytes"`
	StreamsCount        uint32             `json:"streams_count"`
	TopicsCount         uint32             `json:"topics_count"`
	PartitionsCount     uint32             `json:"partitions_count"`
	SegmentsCount       uint32             `json:"segments_count"`
	MessagesCount       uint64             `json:"messages_count"`
	ClientsCount        uint32             `json:"clients_count"`
	ConsumerGroupsCount uint32             `json:"consumer_groups_count"`
	Hostname            string             `json:"hostname"`
	OSName              string             `json:"os_name"`
	OSVersion           string             `json:"os_version"`
	KernelVersion       string             `json:"kernel_version"`
	ServerVersion       string             `json:"iggy_server_version"`
	ServerSemver        uint32             `json:"iggy_server_semver"`
	CacheMetrics        []cacheMetricsJSON `json:"cache_metrics"`
	ThreadsCount        uint32             `json:"threads_count"`
	FreeDiskSpace       uint64             `json:"free_disk_space"`
	TotalDiskSpace      uint64             `json:"total_disk_space"`
}

func statsOf(s wire.Stats) statsJSON {
	out := statsJSON{ProcessID: s.ProcessID, CPUUsage: s.CPUUsage, TotalCPUUsage: s.TotalCPUUsage,
		MemoryUsage: s.MemoryUsage, TotalMemory: s.TotalMemory, AvailableMemory: s.AvailableMemory,
		RunTime: s.RunTimeMicros, StartTime: s.StartTimeMicros, ReadBytes: s.ReadBytes, WrittenBytes: s.WrittenBytes,
		MessagesSizeBytes: s.MessagesSizeBytes, StreamsCount: s.StreamsCount, TopicsCount: s.TopicsCount,
		PartitionsCount: s.PartitionsCount, SegmentsCount: s.SegmentsCount, MessagesCount: s.MessagesCount,
		ClientsCount: s.ClientsCount, ConsumerGroupsCount: s.ConsumerGroupsCount, Hostname: s.Hostname,
		OSName: s.OSName, OSVersion: s.OSVersion, KernelVersion: s.KernelVersion, ServerVersion: s.ServerVersion,
		ServerSemver: s.ServerSemver, ThreadsCount: s.ThreadsCount, FreeDiskSpace: s.FreeDiskSpace,
		TotalDiskSpace: s.TotalDiskSpace, CacheMetrics: make([]cacheMetricsJSON, 0, len(s.CacheMetrics))}
	for _, m := range s.CacheMetrics {
		out.CacheMetrics = append(out.CacheMetrics, cacheMetricsJSON(m))
	}
	return out
}

type clusterNodeJSON struct {
	Name      string `json:"name"`
	IP        string `json:"ip"`
	Endpoints struct {
		TCP       uint16 `json:"tcp"`
		QUIC      uint16 `json:"quic"`
		HTTP      uint16 `json:"http"`
		WebSocket uint16 `json:"websocket"`
	} `json:"endpoints"`
	Role   string `json:"role"`
	Status string `json:"status"`
}

type clusterJSON struct {
	Name  string            `json:"name"`
	Nodes []clusterNodeJSON `json:"nodes"`
}

func clusterOf(m wire.ClusterMetadata) clusterJSON {
	out := clusterJSON{Name: m.Name, Nodes: make([]clusterNodeJSON, 0, len(m.Nodes))}
	for _, n := range m.Nodes {
		j := clusterNodeJSON{Name: n.Name, IP: n.IP, Role: "follower", Status: nodeStatusName(n.Status)}
		j.Endpoints.TCP, j.Endpoints.QUIC, j.Endpoints.HTTP, j.Endpoints.WebSocket = n.TCPPort, n.QUICPort, n.HTTPPort, n.WebSocketPort
		if n.Role == wire.NodeLeader {
			j.Role = "leader"
		}
		out.Nodes = append(out.Nodes, j)
	}
	return out
}

func nodeStatusName(s uint8) string {
	switch s {
	case wire.NodeHealthy:
		return "healthy"
	case wire.NodeStarting:
		return "starting"
	case wire.NodeStopping:
		return "stopping"
	case wire.NodeUnreachable:
		return "unreachable"
	case wire.NodeMaintenance:
		return "maintenance"
	}
	return "unknown"
}
