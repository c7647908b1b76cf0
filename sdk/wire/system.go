package wire

// PingRequest (code 1) has an empty payload; it works unauthenticated.
type PingRequest struct{}

func (PingRequest) Code() uint32             { return CodePing }
func (PingRequest) AppendTo(b []byte) []byte { return b }

// GetStatsRequest (code 10) has an empty payload; the answer is Stats.
type GetStatsRequest struct{}

func (GetStatsRequest) Code() uint32             { return CodeGetStats }
func (GetStatsRequest) AppendTo(b []byte) []byte { return b }

// GetClusterMetadataRequest (code 12) has an empty payload; the answer is
// ClusterMetadata.
type GetClusterMetadataRequest struct{}

func (GetClusterMetadataRequest) Code() uint32             { return CodeGetClusterMetadata }
func (GetClusterMetadataRequest) AppendTo(b []byte) []byte { return b }

// GetMeRequest (code 20) has an empty payload; the answer is the caller's
// ClientDetails.
type GetMeRequest struct{}

func (GetMeRequest) Code() uint32             { return CodeGetMe }
func (GetMeRequest) AppendTo(b []byte) []byte { return b }

// GetClientsRequest (code 22) has an empty payload; the answer is ClientInfo*.
type GetClientsRequest struct{}

func (GetClientsRequest) Code() uint32             { return CodeGetClients }
func (GetClientsRequest) AppendTo(b []byte) []byte { return b }

// GetClientRequest (code 21) asks for one connection's ClientDetails.
// ClientID 0 is for the handler to reject (InvalidClientId).
type GetClientRequest struct {
	ClientID uint32
}

func (GetClientRequest) Code() uint32 { return CodeGetClient }

func (q GetClientRequest) AppendTo(b []byte) []byte { return appendU32(b, q.ClientID) }

// DecodeGetClientRequest decodes a GetClient payload.
func DecodeGetClientRequest(p []byte) (GetClientRequest, error) {
	return decodeRequest(p, func(r *reader) GetClientRequest {
		return GetClientRequest{ClientID: r.u32("client id")}
	})
}

// Snapshot compressions and types (§2.12).
const (
	SnapshotStored   uint8 = 1
	SnapshotDeflated uint8 = 2
	SnapshotBzip2    uint8 = 3
	SnapshotZstd     uint8 = 4
	SnapshotLzma     uint8 = 5
	SnapshotXz       uint8 = 6

	SnapshotFilesystemOverview uint8 = 1
	SnapshotProcessList        uint8 = 2
	SnapshotResourceUsage      uint8 = 3
	SnapshotTest               uint8 = 4
	SnapshotServerLogs         uint8 = 5
	SnapshotServerConfig       uint8 = 6
	SnapshotAll                uint8 = 100
)

// GetSnapshotFileRequest (code 11) asks for a diagnostic zip archive.
type GetSnapshotFileRequest struct {
	Compression uint8
	Types       []uint8
}

func (GetSnapshotFileRequest) Code() uint32 { return CodeGetSnapshotFile }

func (q GetSnapshotFileRequest) AppendTo(b []byte) []byte {
	types := q.Types
	if len(types) > str8BytesMax {
		types = types[:str8BytesMax]
	}
	b = append(b, q.Compression, uint8(len(types)))
	return append(b, types...)
}

// DecodeGetSnapshotFileRequest decodes a GetSnapshotFile payload. Unknown
// compressions or types, and "all" mixed with others, are InvalidCommand.
func DecodeGetSnapshotFileRequest(p []byte) (GetSnapshotFileRequest, error) {
	return decodeRequest(p, func(r *reader) GetSnapshotFileRequest {
		q := GetSnapshotFileRequest{Compression: r.u8("snapshot compression")}
		q.Types = r.take(int(r.u8("snapshot types count")), "snapshot types")
		if r.err != nil {
			return q
		}
		if q.Compression < SnapshotStored || q.Compression > SnapshotXz {
			r.fail(ErrInvalidCommand.Detail("snapshot compression %d", q.Compression))
		}
		for _, t := range q.Types {
			valid := (t >= SnapshotFilesystemOverview && t <= SnapshotServerConfig) || t == SnapshotAll
			if !valid || (t == SnapshotAll && len(q.Types) > 1) {
				r.fail(ErrInvalidCommand.Detail("snapshot type %d among %d types", t, len(q.Types)))
			}
		}
		return q
	})
}

// CacheMetrics is one partition's cache statistics inside Stats.
type CacheMetrics struct {
	StreamID    uint32
	TopicID     uint32
	PartitionID uint32
	Hits        uint64
	Misses      uint64
	HitRatio    float32
}

// Stats is the GetStats answer (§4.1). The Go SDK fails on a short payload,
// so every field is always written.
type Stats struct {
	ProcessID           uint32
	CPUUsage            float32
	TotalCPUUsage       float32
	MemoryUsage         uint64
	TotalMemory         uint64
	AvailableMemory     uint64
	RunTimeMicros       uint64
	StartTimeMicros     uint64
	ReadBytes           uint64
	WrittenBytes        uint64
	MessagesSizeBytes   uint64
	StreamsCount        uint32
	TopicsCount         uint32
	PartitionsCount     uint32
	SegmentsCount       uint32
	MessagesCount       uint64
	ClientsCount        uint32
	ConsumerGroupsCount uint32
	Hostname            string
	OSName              string
	OSVersion           string
	KernelVersion       string
	ServerVersion       string
	ServerSemver        uint32 // major*1e6 + minor*1e3 + patch: 0.8.0 → 8000
	CacheMetrics        []CacheMetrics
	ThreadsCount        uint32
	FreeDiskSpace       uint64
	TotalDiskSpace      uint64
}

const cacheMetricsSize = 32

func (s Stats) AppendTo(b []byte) []byte {
	b = appendU32(b, s.ProcessID)
	b = appendF32(b, s.CPUUsage)
	b = appendF32(b, s.TotalCPUUsage)
	for _, v := range [...]uint64{s.MemoryUsage, s.TotalMemory, s.AvailableMemory, s.RunTimeMicros,
		s.StartTimeMicros, s.ReadBytes, s.WrittenBytes, s.MessagesSizeBytes} {
		b = appendU64(b, v)
	}
	for _, v := range [...]uint32{s.StreamsCount, s.TopicsCount, s.PartitionsCount, s.SegmentsCount} {
		b = appendU32(b, v)
	}
	b = appendU64(b, s.MessagesCount)
	b = appendU32(b, s.ClientsCount)
	b = appendU32(b, s.ConsumerGroupsCount)
	for _, v := range [...]string{s.Hostname, s.OSName, s.OSVersion, s.KernelVersion, s.ServerVersion} {
		b = appendStr32(b, v)
	}
	b = appendU32(b, s.ServerSemver)
	b = appendU32(b, uint32(len(s.CacheMetrics)))
	for _, m := range s.CacheMetrics {
		b = appendU32(b, m.StreamID)
		b = appendU32(b, m.TopicID)
		b = appendU32(b, m.PartitionID)
		b = appendU64(b, m.Hits)
		b = appendU64(b, m.Misses)
		b = appendF32(b, m.HitRatio)
	}
	b = appendU32(b, s.ThreadsCount)
	b = appendU64(b, s.FreeDiskSpace)
	return appendU64(b, s.TotalDiskSpace)
}

// DecodeStats decodes a GetStats answer.
func DecodeStats(p []byte) (Stats, error) {
	return decodeOne(p, "stats", func(r *reader) Stats {
		var s Stats
		s.ProcessID = r.u32("process id")
		s.CPUUsage = r.f32("cpu usage")
		s.TotalCPUUsage = r.f32("total cpu usage")
		for _, f := range [...]*uint64{&s.MemoryUsage, &s.TotalMemory, &s.AvailableMemory, &s.RunTimeMicros,
			&s.StartTimeMicros, &s.ReadBytes, &s.WrittenBytes, &s.MessagesSizeBytes} {
			*f = r.u64("stats")
		}
		for _, f := range [...]*uint32{&s.StreamsCount, &s.TopicsCount, &s.PartitionsCount, &s.SegmentsCount} {
			*f = r.u32("stats")
		}
		s.MessagesCount = r.u64("messages count")
		s.ClientsCount = r.u32("clients count")
		s.ConsumerGroupsCount = r.u32("consumer groups count")
		for _, f := range [...]*string{&s.Hostname, &s.OSName, &s.OSVersion, &s.KernelVersion, &s.ServerVersion} {
			*f = r.rstr32("stats string")
		}
		s.ServerSemver = r.u32("server semver")
		n := int(r.u32("cache metrics count"))
		if r.err == nil && n > r.remaining()/cacheMetricsSize {
			r.fail(ErrInvalidCommand.Detail("%d cache metrics in %d bytes", n, r.remaining()))
		}
		for i := 0; i < n && r.err == nil; i++ {
			s.CacheMetrics = append(s.CacheMetrics, CacheMetrics{
				StreamID: r.u32("cache"), TopicID: r.u32("cache"), PartitionID: r.u32("cache"),
				Hits: r.u64("cache"), Misses: r.u64("cache"), HitRatio: r.f32("cache"),
			})
		}
		s.ThreadsCount = r.u32("threads count")
		s.FreeDiskSpace = r.u64("free disk space")
		s.TotalDiskSpace = r.u64("total disk space")
		return s
	})
}

// ClusterNodesMax is the most nodes the Go SDK accepts in ClusterMetadata.
const ClusterNodesMax = 64

// ClusterNode is one node of ClusterMetadata (§4.1).
type ClusterNode struct {
	Name          string
	IP            string
	TCPPort       uint16
	QUICPort      uint16
	HTTPPort      uint16
	WebSocketPort uint16
	Role          uint8 // NodeLeader / NodeFollower
	Status        uint8 // NodeHealthy ...
}

// ClusterMetadata is the GetClusterMetadata answer. A single-node server
// answers with one leader node in healthy state, so the Go SDK never
// redirects.
type ClusterMetadata struct {
	Name  string
	Nodes []ClusterNode
}

func (m ClusterMetadata) AppendTo(b []byte) []byte {
	b = appendStr32(b, m.Name)
	b = appendU32(b, uint32(len(m.Nodes)))
	for _, n := range m.Nodes {
		b = appendStr32(b, n.Name)
		b = appendStr32(b, n.IP)
		b = appendU16(b, n.TCPPort)
		b = appendU16(b, n.QUICPort)
		b = appendU16(b, n.HTTPPort)
		b = appendU16(b, n.WebSocketPort)
		b = append(b, n.Role, n.Status)
	}
	return b
}

// DecodeClusterMetadata decodes a GetClusterMetadata answer.
func DecodeClusterMetadata(p []byte) (ClusterMetadata, error) {
	return decodeOne(p, "cluster metadata", func(r *reader) ClusterMetadata {
		m := ClusterMetadata{Name: r.rstr32("cluster name")}
		n := r.u32("nodes count")
		if r.err == nil && n > ClusterNodesMax {
			r.fail(ErrInvalidCommand.Detail("%d cluster nodes, at most %d", n, ClusterNodesMax))
		}
		for i := uint32(0); i < n && r.err == nil; i++ {
			m.Nodes = append(m.Nodes, ClusterNode{
				Name: r.rstr32("node name"), IP: r.rstr32("node ip"),
				TCPPort: r.u16("port"), QUICPort: r.u16("port"), HTTPPort: r.u16("port"), WebSocketPort: r.u16("port"),
				Role: r.u8("node role"), Status: r.u8("node status"),
			})
		}
		return m
	})
}

// UserIDNone is ClientInfo.UserID of a connection that is not logged in.
const UserIDNone uint32 = 0xFFFF_FFFF

// ClientInfo describes one connection (§4.0 shared structures).
type ClientInfo struct {
	ClientID            uint32
	UserID              uint32 // UserIDNone when not logged in
	Transport           uint8  // TransportTCP ...
	Address             string // ip:port
	ConsumerGroupsCount uint32
}

func (c ClientInfo) AppendTo(b []byte) []byte {
	b = appendU32(b, c.ClientID)
	b = appendU32(b, c.UserID)
	b = append(b, c.Transport)
	b = appendStr32(b, c.Address)
	return appendU32(b, c.ConsumerGroupsCount)
}

func (r *reader) clientInfo() ClientInfo {
	return ClientInfo{
		ClientID: r.u32("client id"), UserID: r.u32("user id"), Transport: r.u8("transport"),
		Address: r.rstr32("address"), ConsumerGroupsCount: r.u32("consumer groups count"),
	}
}

// AppendClients appends a GetClients answer.
func AppendClients(b []byte, cs []ClientInfo) []byte {
	for _, c := range cs {
		b = c.AppendTo(b)
	}
	return b
}

// DecodeClients decodes a GetClients answer.
func DecodeClients(p []byte) ([]ClientInfo, error) {
	return decodeList(p, "clients", (*reader).clientInfo)
}

// ClientGroup is a consumer group a connection has joined.
type ClientGroup struct {
	StreamID uint32
	TopicID  uint32
	GroupID  uint32
}

// ClientDetails is the GetClient / GetMe answer.
type ClientDetails struct {
	ClientInfo
	ConsumerGroups []ClientGroup
}

// AppendTo writes the details; consumer_groups_count is len(ConsumerGroups)
// whatever ClientInfo.ConsumerGroupsCount says, because the Go SDK reads
// exactly that many entries.
func (c ClientDetails) AppendTo(b []byte) []byte {
	info := c.ClientInfo
	info.ConsumerGroupsCount = uint32(len(c.ConsumerGroups))
	b = info.AppendTo(b)
	for _, g := range c.ConsumerGroups {
		b = appendU32(b, g.StreamID)
		b = appendU32(b, g.TopicID)
		b = appendU32(b, g.GroupID)
	}
	return b
}

// DecodeClientDetails decodes a GetClient / GetMe answer. An empty payload
// is "not found" and is for the caller to map.
func DecodeClientDetails(p []byte) (ClientDetails, error) {
	return decodeOne(p, "client", func(r *reader) ClientDetails {
		d := ClientDetails{ClientInfo: r.clientInfo()}
		n := d.ConsumerGroupsCount
		if r.err == nil && uint64(n)*12 > uint64(r.remaining()) {
			r.fail(ErrInvalidCommand.Detail("%d consumer groups in %d bytes", n, r.remaining()))
		}
		for i := uint32(0); i < n && r.err == nil; i++ {
			d.ConsumerGroups = append(d.ConsumerGroups, ClientGroup{
				StreamID: r.u32("stream id"), TopicID: r.u32("topic id"), GroupID: r.u32("group id"),
			})
		}
		return d
	})
}
