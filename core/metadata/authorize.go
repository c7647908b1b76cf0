package metadata

import "github.com/runnel-io/runnel/sdk/wire"

// Action is a capability from the permission table (reference §4.0).
type Action uint8

const (
	// ActionServerInfo: GetStats, GetClient, GetClients.
	ActionServerInfo Action = iota + 1
	// ActionReadUsers: GetUsers, GetUser of another user.
	ActionReadUsers
	// ActionManageUsers: Create/Delete/UpdateUser, UpdatePermissions,
	// ChangePassword of another user.
	ActionManageUsers
	// ActionListStreams: GetStreams.
	ActionListStreams
	// ActionReadStream: GetStream.
	ActionReadStream
	// ActionCreateStream: CreateStream.
	ActionCreateStream
	// ActionManageStream: Update/Delete/PurgeStream.
	ActionManageStream
	// ActionReadTopics: GetTopics.
	ActionReadTopics
	// ActionReadTopic: GetTopic and all six consumer-group commands.
	ActionReadTopic
	// ActionCreateTopic: CreateTopic.
	ActionCreateTopic
	// ActionManageTopic: Update/Delete/PurgeTopic, Create/DeletePartitions,
	// DeleteSegments.
	ActionManageTopic
	// ActionPoll: PollMessages, Get/Store/DeleteConsumerOffset.
	ActionPoll
	// ActionSend: SendMessages, FlushUnsavedBuffer.
	ActionSend
)

func (a Action) String() string {
	switch a {
	case ActionServerInfo:
		return "ServerInfo"
	case ActionReadUsers:
		return "ReadUsers"
	case ActionManageUsers:
		return "ManageUsers"
	case ActionListStreams:
		return "ListStreams"
	case ActionReadStream:
		return "ReadStream"
	case ActionCreateStream:
		return "CreateStream"
	case ActionManageStream:
		return "ManageStream"
	case ActionReadTopics:
		return "ReadTopics"
	case ActionReadTopic:
		return "ReadTopic"
	case ActionCreateTopic:
		return "CreateTopic"
	case ActionManageTopic:
		return "ManageTopic"
	case ActionPoll:
		return "Poll"
	case ActionSend:
		return "Send"
	}
	return "Action(?)"
}

// Authorize reports whether a user holding p may perform action on
// streamID/topicID (ignored by actions that do not name them), returning
// wire.ErrUnauthorized (41) if not. A nil p holds nothing.
//
// Rights come only from the permission set: the root user is allowed
// everything because it holds every global permission, not because of its
// id. userID names the caller in the error text. The two self-service
// exemptions (GetUser of yourself, ChangePassword of yourself) depend on the
// target user, which is the caller's comparison to make before asking for
// ActionReadUsers or ActionManageUsers.
func Authorize(p *wire.Permissions, userID uint32, action Action, streamID, topicID uint32) error {
	if p != nil && allowed(p, action, streamID, topicID) {
		return nil
	}
	return wire.ErrUnauthorized.Detail("metadata: user %d may not %s (stream %d, topic %d)",
		userID, action, streamID, topicID)
}

func allowed(p *wire.Permissions, action Action, streamID, topicID uint32) bool {
	g := p.Global
	switch action {
	case ActionServerInfo:
		return g.ManageServers || g.ReadServers
	case ActionReadUsers:
		return g.ManageUsers || g.ReadUsers
	case ActionManageUsers:
		return g.ManageUsers
	case ActionListStreams:
		return g.ManageStreams || g.ReadStreams
	case ActionCreateStream:
		return g.ManageStreams
	}
	s, hasStream := p.Streams[streamID]
	switch action {
	case ActionReadStream:
		return g.ManageStreams || g.ReadStreams || hasStream && (s.ManageStream || s.ReadStream)
	case ActionManageStream:
		return g.ManageStreams || hasStream && s.ManageStream
	case ActionReadTopics:
		return readTopics(g, s, hasStream)
	case ActionCreateTopic:
		return g.ManageStreams || g.ManageTopics || hasStream && (s.ManageStream || s.ManageTopics)
	}
	t, hasTopic := s.Topics[topicID]
	hasTopic = hasStream && hasTopic
	switch action {
	case ActionReadTopic:
		return readTopics(g, s, hasStream) || hasTopic && (t.ManageTopic || t.ReadTopic)
	case ActionManageTopic:
		return g.ManageStreams || g.ManageTopics || hasStream && (s.ManageStream || s.ManageTopics) ||
			hasTopic && t.ManageTopic
	case ActionPoll:
		return g.PollMessages || g.ReadTopics || g.ManageTopics || g.ReadStreams || g.ManageStreams ||
			hasStream && (s.ManageStream || s.ReadStream || s.ManageTopics || s.ReadTopics || s.PollMessages) ||
			hasTopic && (t.ManageTopic || t.ReadTopic || t.PollMessages)
	case ActionSend:
		return g.SendMessages || g.ManageStreams || g.ManageTopics ||
			hasStream && (s.ManageStream || s.ManageTopics || s.SendMessages) ||
			hasTopic && (t.ManageTopic || t.SendMessages)
	}
	return false
}

func readTopics(g wire.GlobalPermissions, s wire.StreamPermissions, hasStream bool) bool {
	return g.ManageStreams || g.ReadStreams || g.ManageTopics || g.ReadTopics ||
		hasStream && (s.ManageStream || s.ReadStream || s.ManageTopics || s.ReadTopics)
}
