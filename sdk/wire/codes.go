package wire

// Command codes (reference §4, §9).
const (
	CodePing                         uint32 = 1
	CodeGetStats                     uint32 = 10
	CodeGetSnapshotFile              uint32 = 11
	CodeGetClusterMetadata           uint32 = 12
	CodeGetMe                        uint32 = 20
	CodeGetClient                    uint32 = 21
	CodeGetClients                   uint32 = 22
	CodeGetUser                      uint32 = 31
	CodeGetUsers                     uint32 = 32
	CodeCreateUser                   uint32 = 33
	CodeDeleteUser                   uint32 = 34
	CodeUpdateUser                   uint32 = 35
	CodeUpdatePermissions            uint32 = 36
	CodeChangePassword               uint32 = 37
	CodeLoginUser                    uint32 = 38
	CodeLogoutUser                   uint32 = 39
	CodeGetPersonalAccessTokens      uint32 = 41
	CodeCreatePersonalAccessToken    uint32 = 42
	CodeDeletePersonalAccessToken    uint32 = 43
	CodeLoginWithPersonalAccessToken uint32 = 44
	CodePollMessages                 uint32 = 100
	CodeSendMessages                 uint32 = 101
	CodeFlushUnsavedBuffer           uint32 = 102
	CodeGetConsumerOffset            uint32 = 120
	CodeStoreConsumerOffset          uint32 = 121
	CodeDeleteConsumerOffset         uint32 = 122
	CodeGetStream                    uint32 = 200
	CodeGetStreams                   uint32 = 201
	CodeCreateStream                 uint32 = 202
	CodeDeleteStream                 uint32 = 203
	CodeUpdateStream                 uint32 = 204
	CodePurgeStream                  uint32 = 205
	CodeGetTopic                     uint32 = 300
	CodeGetTopics                    uint32 = 301
	CodeCreateTopic                  uint32 = 302
	CodeDeleteTopic                  uint32 = 303
	CodeUpdateTopic                  uint32 = 304
	CodePurgeTopic                   uint32 = 305
	CodeCreatePartitions             uint32 = 402
	CodeDeletePartitions             uint32 = 403
	CodeDeleteSegments               uint32 = 503
	CodeGetConsumerGroup             uint32 = 600
	CodeGetConsumerGroups            uint32 = 601
	CodeCreateConsumerGroup          uint32 = 602
	CodeDeleteConsumerGroup          uint32 = 603
	CodeJoinConsumerGroup            uint32 = 604
	CodeLeaveConsumerGroup           uint32 = 605
)

// Runnel extension commands: not part of Iggy 0.8. They live at 10_000 and
// above, far from Iggy's command codes (1..605 in 0.8, grouped by hundreds
// per resource), so an Iggy server answers them with InvalidCommand (3) and
// a Runnel server never mistakes an Iggy command for one. Listed in
// docs/protocol-extensions.md.
const (
	// CodeRunnelExtensionsFirst is the first code reserved for Runnel.
	CodeRunnelExtensionsFirst uint32 = 10_000
	// CodeGetPartitionTiers asks which offsets of a topic's partitions
	// are in which storage tier (GetPartitionTiersRequest, PartitionTiers).
	CodeGetPartitionTiers uint32 = 10_001
)
