package metadata

import "github.com/runnel-io/runnel/sdk/wire"

// Op is one mutating metadata command. The set is closed: only the types in
// this file implement it. An op carries everything Apply needs (times,
// hashes), so applying it is deterministic.
//
// Entities are named by wire.Identifier and resolved at apply time, in log
// order, so an op means the same thing on every replica whatever ran before
// it. Callers that already resolved an entity pass wire.NumericID.
type Op interface {
	opCode() opCode
}

// opCode is the op's tag in the binary encoding. Values are on disk: never
// renumber, only append.
type opCode uint8

const (
	codeCreateStream opCode = iota + 1
	codeUpdateStream
	codeDeleteStream
	codePurgeStream
	codeCreateTopic
	codeUpdateTopic
	codeDeleteTopic
	codePurgeTopic
	codeCreatePartitions
	codeDeletePartitions
	codeCreateConsumerGroup
	codeDeleteConsumerGroup
	codeCreateUser
	codeUpdateUser
	codeUpdatePermissions
	codeChangePassword
	codeDeleteUser
	codeCreatePAT
	codeDeletePAT
	codeDeleteExpiredPATs
	codeStoreConsumerOffset
	codeDeleteConsumerOffset
	codeEnd // one past the last code
)

// OpName is the op's type name, for logs and metrics.
func OpName(op Op) string {
	switch op.(type) {
	case CreateStream:
		return "CreateStream"
	case UpdateStream:
		return "UpdateStream"
	case DeleteStream:
		return "DeleteStream"
	case PurgeStream:
		return "PurgeStream"
	case CreateTopic:
		return "CreateTopic"
	case UpdateTopic:
		return "UpdateTopic"
	case DeleteTopic:
		return "DeleteTopic"
	case PurgeTopic:
		return "PurgeTopic"
	case CreatePartitions:
		return "CreatePartitions"
	case DeletePartitions:
		return "DeletePartitions"
	case CreateConsumerGroup:
		return "CreateConsumerGroup"
	case DeleteConsumerGroup:
		return "DeleteConsumerGroup"
	case CreateUser:
		return "CreateUser"
	case UpdateUser:
		return "UpdateUser"
	case UpdatePermissions:
		return "UpdatePermissions"
	case ChangePassword:
		return "ChangePassword"
	case DeleteUser:
		return "DeleteUser"
	case CreatePAT:
		return "CreatePAT"
	case DeletePAT:
		return "DeletePAT"
	case DeleteExpiredPATs:
		return "DeleteExpiredPATs"
	case StoreConsumerOffset:
		return "StoreConsumerOffset"
	case DeleteConsumerOffset:
		return "DeleteConsumerOffset"
	}
	return "unknown"
}

// CreateStream (202). Result.StreamID is the new id.
type CreateStream struct {
	Name            string
	CreatedAtMicros uint64
}

// UpdateStream (204) renames a stream.
type UpdateStream struct {
	Stream wire.Identifier
	Name   string
}

// DeleteStream (203) deletes the stream with its topics, groups and offsets.
type DeleteStream struct {
	Stream wire.Identifier
}

// PurgeStream (205) keeps the structure but clears every stored consumer
// offset of the stream, as Iggy's partition purge does. Deleting the
// messages themselves is the caller's part.
type PurgeStream struct {
	Stream wire.Identifier
}

// CreateTopic (302). Result.TopicID is the new id. MessageExpiryMicros and
// SizeBytesMax of ServerDefault (0) resolve to the configured defaults;
// ReplicationFactor 0 is stored as 1.
type CreateTopic struct {
	Stream              wire.Identifier
	Name                string
	PartitionsCount     uint32
	Compression         uint8
	MessageExpiryMicros uint64
	SizeBytesMax        uint64
	ReplicationFactor   uint8
	CreatedAtMicros     uint64
}

// UpdateTopic (304). Values are stored as given (0 stays 0, no size check),
// like the Rust server; ReplicationFactor 0 is stored as 1.
type UpdateTopic struct {
	Stream              wire.Identifier
	Topic               wire.Identifier
	Name                string
	Compression         uint8
	MessageExpiryMicros uint64
	SizeBytesMax        uint64
	ReplicationFactor   uint8
}

// DeleteTopic (303) deletes the topic with its groups and offsets.
type DeleteTopic struct {
	Stream wire.Identifier
	Topic  wire.Identifier
}

// PurgeTopic (305) clears the topic's stored consumer offsets (see
// PurgeStream).
type PurgeTopic struct {
	Stream wire.Identifier
	Topic  wire.Identifier
}

// CreatePartitions (402) appends Count partitions.
type CreatePartitions struct {
	Stream          wire.Identifier
	Topic           wire.Identifier
	Count           uint32
	CreatedAtMicros uint64
}

// DeletePartitions (403) removes the Count highest partitions and their
// stored offsets.
type DeletePartitions struct {
	Stream wire.Identifier
	Topic  wire.Identifier
	Count  uint32
}

// CreateConsumerGroup (602). Result.GroupID is the new id.
type CreateConsumerGroup struct {
	Stream wire.Identifier
	Topic  wire.Identifier
	Name   string
}

// DeleteConsumerGroup (603) deletes the group and its stored offsets.
type DeleteConsumerGroup struct {
	Stream wire.Identifier
	Topic  wire.Identifier
	Group  wire.Identifier
}

// CreateUser (33). The caller checks the password length and hashes it.
// Result.UserID is the new id.
type CreateUser struct {
	Username        string
	PasswordHash    string
	Status          UserStatus
	Permissions     *wire.Permissions
	CreatedAtMicros uint64
}

// UpdateUser (35). An empty Username and a zero Status mean "unchanged".
type UpdateUser struct {
	User     wire.Identifier
	Username string
	Status   UserStatus
}

// UpdatePermissions (36). Nil Permissions clears them all.
type UpdatePermissions struct {
	User        wire.Identifier
	Permissions *wire.Permissions
}

// ChangePassword (37). The caller verifies the current password and hashes
// the new one.
type ChangePassword struct {
	User         wire.Identifier
	PasswordHash string
}

// DeleteUser (34) deletes the user and its tokens.
type DeleteUser struct {
	User wire.Identifier
}

// CreatePAT (42) adds a token to user UserID (the caller). ExpiryAtMicros is
// absolute (the caller adds the requested duration to its clock), 0 = never.
type CreatePAT struct {
	UserID         uint32
	Name           string
	TokenHash      string
	ExpiryAtMicros uint64
}

// DeletePAT (43) removes the caller's token called Name.
type DeletePAT struct {
	UserID uint32
	Name   string
}

// DeleteExpiredPATs removes every token whose expiry is at or before
// NowMicros (the periodic cleaner).
type DeleteExpiredPATs struct {
	NowMicros uint64
}

// StoreConsumerOffset (121). The caller checks membership (5006, 3022) and
// that Offset is within the partition (4100): those need the connection and
// the log. For ConsumerGroup, ConsumerID is the numeric group id.
type StoreConsumerOffset struct {
	Stream      wire.Identifier
	Topic       wire.Identifier
	PartitionID uint32
	Kind        ConsumerKind
	ConsumerID  uint32
	Offset      uint64
}

// DeleteConsumerOffset (122); 3021 when nothing is stored.
type DeleteConsumerOffset struct {
	Stream      wire.Identifier
	Topic       wire.Identifier
	PartitionID uint32
	Kind        ConsumerKind
	ConsumerID  uint32
}

// Result is what a successful Apply reports: the ids the op created or acted
// on, so callers (Membership.Observe, response builders) need not resolve
// them again.
type Result struct {
	StreamID uint32
	TopicID  uint32
	GroupID  uint32
	UserID   uint32
	// PartitionsCount is the topic's partition count after the op, for
	// topic and partition ops.
	PartitionsCount uint32
}

func (CreateStream) opCode() opCode         { return codeCreateStream }
func (UpdateStream) opCode() opCode         { return codeUpdateStream }
func (DeleteStream) opCode() opCode         { return codeDeleteStream }
func (PurgeStream) opCode() opCode          { return codePurgeStream }
func (CreateTopic) opCode() opCode          { return codeCreateTopic }
func (UpdateTopic) opCode() opCode          { return codeUpdateTopic }
func (DeleteTopic) opCode() opCode          { return codeDeleteTopic }
func (PurgeTopic) opCode() opCode           { return codePurgeTopic }
func (CreatePartitions) opCode() opCode     { return codeCreatePartitions }
func (DeletePartitions) opCode() opCode     { return codeDeletePartitions }
func (CreateConsumerGroup) opCode() opCode  { return codeCreateConsumerGroup }
func (DeleteConsumerGroup) opCode() opCode  { return codeDeleteConsumerGroup }
func (CreateUser) opCode() opCode           { return codeCreateUser }
func (UpdateUser) opCode() opCode           { return codeUpdateUser }
func (UpdatePermissions) opCode() opCode    { return codeUpdatePermissions }
func (ChangePassword) opCode() opCode       { return codeChangePassword }
func (DeleteUser) opCode() opCode           { return codeDeleteUser }
func (CreatePAT) opCode() opCode            { return codeCreatePAT }
func (DeletePAT) opCode() opCode            { return codeDeletePAT }
func (DeleteExpiredPATs) opCode() opCode    { return codeDeleteExpiredPATs }
func (StoreConsumerOffset) opCode() opCode  { return codeStoreConsumerOffset }
func (DeleteConsumerOffset) opCode() opCode { return codeDeleteConsumerOffset }

var (
	_ Op = CreateStream{}
	_ Op = UpdateStream{}
	_ Op = DeleteStream{}
	_ Op = PurgeStream{}
	_ Op = CreateTopic{}
	_ Op = UpdateTopic{}
	_ Op = DeleteTopic{}
	_ Op = PurgeTopic{}
	_ Op = CreatePartitions{}
	_ Op = DeletePartitions{}
	_ Op = CreateConsumerGroup{}
	_ Op = DeleteConsumerGroup{}
	_ Op = CreateUser{}
	_ Op = UpdateUser{}
	_ Op = UpdatePermissions{}
	_ Op = ChangePassword{}
	_ Op = DeleteUser{}
	_ Op = CreatePAT{}
	_ Op = DeletePAT{}
	_ Op = DeleteExpiredPATs{}
	_ Op = StoreConsumerOffset{}
	_ Op = DeleteConsumerOffset{}
)
