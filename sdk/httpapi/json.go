package httpapi

import "encoding/json"

// JSON shapes of Iggy 0.8's HTTP API (iggy_common's serde forms). Sizes
// are byte counts as numbers (Iggy writes a human string but its clients
// also read numbers); timestamps and expiries are microseconds.

// Stream is a stream without its topics.
type Stream struct {
	ID            uint32 `json:"id"`
	CreatedAt     uint64 `json:"created_at"`
	Name          string `json:"name"`
	Size          uint64 `json:"size"`
	MessagesCount uint64 `json:"messages_count"`
	TopicsCount   uint32 `json:"topics_count"`
}

// StreamDetails is a stream with its topics.
type StreamDetails struct {
	Stream
	Topics []Topic `json:"topics"`
}

// Topic is a topic without its partitions.
type Topic struct {
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

// TopicDetails is a topic with its partitions.
type TopicDetails struct {
	Topic
	Partitions []Partition `json:"partitions"`
}

// Partition is one partition of a topic.
type Partition struct {
	ID            uint32 `json:"id"`
	CreatedAt     uint64 `json:"created_at"`
	SegmentsCount uint32 `json:"segments_count"`
	CurrentOffset uint64 `json:"current_offset"`
	Size          uint64 `json:"size"`
	MessagesCount uint64 `json:"messages_count"`
}

// CreateStream is the POST /streams body.
type CreateStream struct {
	Name string `json:"name"`
}

// CreateTopic is the POST /streams/{stream_id}/topics body.
type CreateTopic struct {
	Name                 string `json:"name"`
	PartitionsCount      uint32 `json:"partitions_count"`
	CompressionAlgorithm string `json:"compression_algorithm"`
	MessageExpiry        uint64 `json:"message_expiry"`
	MaxTopicSize         uint64 `json:"max_topic_size"`
	ReplicationFactor    uint8  `json:"replication_factor"`
}

// UpdateTopic is the PUT topic body.
type UpdateTopic struct {
	Name                 string `json:"name"`
	CompressionAlgorithm string `json:"compression_algorithm"`
	MessageExpiry        uint64 `json:"message_expiry"`
	MaxTopicSize         uint64 `json:"max_topic_size"`
	ReplicationFactor    uint8  `json:"replication_factor"`
}

// PartitionsCount is the POST partitions body.
type PartitionsCount struct {
	PartitionsCount uint32 `json:"partitions_count"`
}

// Name is a body with only a name (rename a stream, create a group).
type Name struct {
	Name string `json:"name"`
}

// Partitioning is Iggy's Partitioning: kind balanced | partition_id |
// messages_key, value base64 (partition_id: the u32 little-endian).
type Partitioning struct {
	Kind  string `json:"kind"`
	Value []byte `json:"value"`
}

// SendMessage is one message to send.
type SendMessage struct {
	// ID is a u128: a JSON number, a decimal string or a UUID string; 0 or
	// absent lets the server assign one.
	ID          json.RawMessage `json:"id,omitempty"`
	Payload     []byte          `json:"payload"`
	UserHeaders []byte          `json:"user_headers,omitempty"` // raw header bytes, base64
}

// SendMessages is the POST messages body.
type SendMessages struct {
	Partitioning Partitioning  `json:"partitioning"`
	Messages     []SendMessage `json:"messages"`
}

// MessageHeader is a polled message's header.
type MessageHeader struct {
	Checksum          uint64      `json:"checksum"`
	ID                json.Number `json:"id"` // u128, decimal
	Offset            uint64      `json:"offset"`
	Timestamp         uint64      `json:"timestamp"`
	OriginTimestamp   uint64      `json:"origin_timestamp"`
	UserHeadersLength uint32      `json:"user_headers_length"`
	PayloadLength     uint32      `json:"payload_length"`
}

// PolledMessage is one polled message.
type PolledMessage struct {
	Header      MessageHeader `json:"header"`
	Payload     []byte        `json:"payload"`
	UserHeaders []byte        `json:"user_headers,omitempty"`
}

// PolledMessages is the GET messages answer.
type PolledMessages struct {
	PartitionID   uint32          `json:"partition_id"`
	CurrentOffset uint64          `json:"current_offset"`
	Count         uint32          `json:"count"`
	Messages      []PolledMessage `json:"messages"`
}

// Offset is a consumer's stored offset.
type Offset struct {
	PartitionID   uint32 `json:"partition_id"`
	CurrentOffset uint64 `json:"current_offset"`
	StoredOffset  uint64 `json:"stored_offset"`
}

// StoreOffset is the PUT consumer-offsets body.
type StoreOffset struct {
	ConsumerID  json.RawMessage `json:"consumer_id"` // number or name
	PartitionID *uint32         `json:"partition_id"`
	Offset      uint64          `json:"offset"`
}

// Group is a consumer group without its members.
type Group struct {
	ID              uint32 `json:"id"`
	Name            string `json:"name"`
	PartitionsCount uint32 `json:"partitions_count"`
	MembersCount    uint32 `json:"members_count"`
}

// GroupMember is a member of a consumer group and its partitions.
type GroupMember struct {
	ID              uint32   `json:"id"`
	PartitionsCount uint32   `json:"partitions_count"`
	Partitions      []uint32 `json:"partitions"`
}

// GroupDetails is a consumer group with its members.
type GroupDetails struct {
	Group
	Members []GroupMember `json:"members"`
}

// TokenInfo is a JWT and its expiry.
type TokenInfo struct {
	Token  string `json:"token"`
	Expiry uint64 `json:"expiry"` // Unix seconds, the JWT "exp"
}

// Identity is Iggy's IdentityInfo plus the refresh token: the login and
// refresh answer.
type Identity struct {
	UserID       uint32     `json:"user_id"`
	AccessToken  *TokenInfo `json:"access_token"`
	RefreshToken *TokenInfo `json:"refresh_token,omitempty"`
}

// Login is the POST /users/login body.
type Login struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Token carries one token: a PAT to log in with, a refresh token, or a
// newly created PAT.
type Token struct {
	Token string `json:"token"`
}

// User is a user without permissions.
type User struct {
	ID        uint32 `json:"id"`
	CreatedAt uint64 `json:"created_at"`
	Status    string `json:"status"`
	Username  string `json:"username"`
}

// UserDetails is a user with permissions.
type UserDetails struct {
	User
	Permissions *Permissions `json:"permissions"`
}

// CreateUser is the POST /users body.
type CreateUser struct {
	Username    string       `json:"username"`
	Password    string       `json:"password"`
	Status      string       `json:"status"`
	Permissions *Permissions `json:"permissions"`
}

// UpdateUser is the PUT /users/{user_id} body; absent fields stay.
type UpdateUser struct {
	Username *string `json:"username"`
	Status   *string `json:"status"`
}

// PermissionsBody is the PUT permissions body.
type PermissionsBody struct {
	Permissions *Permissions `json:"permissions"`
}

// ChangePassword is the PUT password body.
type ChangePassword struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// GlobalPermissions are the server-wide flags.
type GlobalPermissions struct {
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

// TopicPermissions are one topic's flags.
type TopicPermissions struct {
	ManageTopic  bool `json:"manage_topic"`
	ReadTopic    bool `json:"read_topic"`
	PollMessages bool `json:"poll_messages"`
	SendMessages bool `json:"send_messages"`
}

// StreamPermissions are one stream's flags and its topics'.
type StreamPermissions struct {
	ManageStream bool                        `json:"manage_stream"`
	ReadStream   bool                        `json:"read_stream"`
	ManageTopics bool                        `json:"manage_topics"`
	ReadTopics   bool                        `json:"read_topics"`
	PollMessages bool                        `json:"poll_messages"`
	SendMessages bool                        `json:"send_messages"`
	Topics       map[uint32]TopicPermissions `json:"topics,omitempty"`
}

// Permissions are a user's permissions.
type Permissions struct {
	Global  GlobalPermissions            `json:"global"`
	Streams map[uint32]StreamPermissions `json:"streams,omitempty"`
}

// CreatePAT is the POST /personal-access-tokens body.
type CreatePAT struct {
	Name   string `json:"name"`
	Expiry uint64 `json:"expiry"` // µs; 0 = server default, u64::MAX = never
}

// PAT is a personal access token's name and expiry.
type PAT struct {
	Name     string  `json:"name"`
	ExpiryAt *uint64 `json:"expiry_at"` // µs since the epoch; null = never
}

// Client is a connected client (a session over HTTP).
type Client struct {
	ClientID            uint32  `json:"client_id"`
	UserID              *uint32 `json:"user_id"`
	Transport           string  `json:"transport"`
	Address             string  `json:"address"`
	ConsumerGroupsCount uint32  `json:"consumer_groups_count"`
}

// ClientGroup is a consumer group a client is a member of.
type ClientGroup struct {
	StreamID uint32 `json:"stream_id"`
	TopicID  uint32 `json:"topic_id"`
	GroupID  uint32 `json:"group_id"`
}

// ClientDetails is a client with its consumer groups.
type ClientDetails struct {
	Client
	ConsumerGroups []ClientGroup `json:"consumer_groups"`
}

// CacheMetrics are one partition's cache counters.
type CacheMetrics struct {
	StreamID    uint32  `json:"stream_id"`
	TopicID     uint32  `json:"topic_id"`
	PartitionID uint32  `json:"partition_id"`
	Hits        uint64  `json:"hits"`
	Misses      uint64  `json:"misses"`
	HitRatio    float32 `json:"hit_ratio"`
}

// Stats are the server statistics.
type Stats struct {
	ProcessID           uint32         `json:"process_id"`
	CPUUsage            float32        `json:"cpu_usage"`
	TotalCPUUsage       float32        `json:"total_cpu_usage"`
	MemoryUsage         uint64         `json:"memory_usage"`
	TotalMemory         uint64         `json:"total_memory"`
	AvailableMemory     uint64         `json:"available_memory"`
	RunTime             uint64         `json:"run_time"`
	StartTime           uint64         `json:"start_time"`
	ReadBytes           uint64         `json:"read_bytes"`
	WrittenBytes        uint64         `json:"written_bytes"`
	MessagesSizeBytes   uint64         `json:"messages_size_bytes"`
	StreamsCount        uint32         `json:"streams_count"`
	TopicsCount         uint32         `json:"topics_count"`
	PartitionsCount     uint32         `json:"partitions_count"`
	SegmentsCount       uint32         `json:"segments_count"`
	MessagesCount       uint64         `json:"messages_count"`
	ClientsCount        uint32         `json:"clients_count"`
	ConsumerGroupsCount uint32         `json:"consumer_groups_count"`
	Hostname            string         `json:"hostname"`
	OSName              string         `json:"os_name"`
	OSVersion           string         `json:"os_version"`
	KernelVersion       string         `json:"kernel_version"`
	ServerVersion       string         `json:"iggy_server_version"`
	ServerSemver        uint32         `json:"iggy_server_semver"`
	CacheMetrics        []CacheMetrics `json:"cache_metrics"`
	ThreadsCount        uint32         `json:"threads_count"`
	FreeDiskSpace       uint64         `json:"free_disk_space"`
	TotalDiskSpace      uint64         `json:"total_disk_space"`
}

// Endpoints are a cluster node's ports.
type Endpoints struct {
	TCP       uint16 `json:"tcp"`
	QUIC      uint16 `json:"quic"`
	HTTP      uint16 `json:"http"`
	WebSocket uint16 `json:"websocket"`
}

// ClusterNode is one node of the cluster.
type ClusterNode struct {
	Name      string    `json:"name"`
	IP        string    `json:"ip"`
	Endpoints Endpoints `json:"endpoints"`
	Role      string    `json:"role"`
	Status    string    `json:"status"`
}

// Cluster is the cluster metadata.
type Cluster struct {
	Name  string        `json:"name"`
	Nodes []ClusterNode `json:"nodes"`
}

// Error is Iggy's HTTP error body: ID is the wire status code (0 for
// errors of the HTTP layer itself), Code its snake_case name.
type Error struct {
	ID     uint32 `json:"id"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}
