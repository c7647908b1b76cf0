package server

import (
	"context"
	"fmt"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/sdk/wire"
)

// dispatch runs one decoded, authenticated (or public) request. It returns
// the success payload or a *wire.Error (possibly wrapped with detail).
func (c *session) dispatch(ctx context.Context, userID uint32, r wire.Request) ([]byte, error) {
	switch q := r.(type) {
	// system
	case wire.PingRequest:
		return nil, nil
	case wire.GetStatsRequest:
		return c.getStats(userID)
	case wire.GetClusterMetadataRequest:
		return c.getClusterMetadata()
	case wire.GetMeRequest:
		return c.getClient(userID, c.id, true)
	case wire.GetClientRequest:
		return c.getClient(userID, q.ClientID, false)
	case wire.GetClientsRequest:
		return c.getClients(userID)
	case wire.GetSnapshotFileRequest:
		return nil, wire.ErrFeatureUnavailable.Detail("diagnostic snapshots are not implemented")
	// users and sessions
	case wire.LoginUserRequest:
		return c.loginUser(q)
	case wire.LogoutUserRequest:
		c.setUser(wire.UserIDNone)
		return nil, nil
	case wire.GetUserRequest:
		return c.getUser(userID, q)
	case wire.GetUsersRequest:
		return c.getUsers(userID)
	case wire.CreateUserRequest:
		return c.createUser(ctx, userID, q)
	case wire.DeleteUserRequest:
		return c.deleteUser(ctx, userID, q)
	case wire.UpdateUserRequest:
		return c.updateUser(ctx, userID, q)
	case wire.UpdatePermissionsRequest:
		return c.updatePermissions(ctx, userID, q)
	case wire.ChangePasswordRequest:
		return c.changePassword(ctx, userID, q)
	case wire.GetPersonalAccessTokensRequest:
		return c.getTokens(userID)
	case wire.CreatePersonalAccessTokenRequest:
		return c.createToken(ctx, userID, q)
	case wire.DeletePersonalAccessTokenRequest:
		return c.deleteToken(ctx, userID, q)
	case wire.LoginWithPersonalAccessTokenRequest:
		return c.loginWithToken(q)
	// streams, topics, partitions, segments
	case wire.GetStreamRequest:
		return c.getStream(userID, q)
	case wire.GetStreamsRequest:
		return c.getStreams(userID)
	case wire.CreateStreamRequest:
		return c.createStream(ctx, userID, q)
	case wire.UpdateStreamRequest:
		return c.updateStream(ctx, userID, q)
	case wire.DeleteStreamRequest:
		return c.deleteStream(ctx, userID, q)
	case wire.PurgeStreamRequest:
		return c.purgeStream(ctx, userID, q)
	case wire.GetTopicRequest:
		return c.getTopic(userID, q)
	case wire.GetTopicsRequest:
		return c.getTopics(userID, q)
	case wire.CreateTopicRequest:
		return c.createTopic(ctx, userID, q)
	case wire.UpdateTopicRequest:
		return c.updateTopic(ctx, userID, q)
	case wire.DeleteTopicRequest:
		return c.deleteTopic(ctx, userID, q)
	case wire.PurgeTopicRequest:
		return c.purgeTopic(ctx, userID, q)
	case wire.CreatePartitionsRequest:
		return c.createPartitions(ctx, userID, q)
	case wire.DeletePartitionsRequest:
		return c.deletePartitions(ctx, userID, q)
	case wire.DeleteSegmentsRequest:
		return c.deleteSegments(ctx, userID, q)
	case wire.GetPartitionTiersRequest:
		return c.getPartitionTiers(userID, q)
	// consumer groups
	case wire.GetConsumerGroupRequest:
		return c.getGroup(userID, q)
	case wire.GetConsumerGroupsRequest:
		return c.getGroups(userID, q)
	case wire.CreateConsumerGroupRequest:
		return c.createGroup(ctx, userID, q)
	case wire.DeleteConsumerGroupRequest:
		return c.deleteGroup(ctx, userID, q)
	case wire.JoinConsumerGroupRequest:
		return c.joinGroup(userID, q)
	case wire.LeaveConsumerGroupRequest:
		return c.leaveGroup(userID, q)
	// offsets and messages
	case wire.GetConsumerOffsetRequest:
		return c.getOffset(userID, q)
	case wire.StoreConsumerOffsetRequest:
		return c.storeOffset(ctx, userID, q)
	case wire.DeleteConsumerOffsetRequest:
		return c.deleteOffset(ctx, userID, q)
	case wire.SendMessagesRequest:
		return c.sendMessages(ctx, userID, q)
	case wire.PollMessagesRequest:
		return c.pollMessages(ctx, userID, q)
	case wire.FlushUnsavedBufferRequest:
		return c.flush(ctx, userID, q)
	}
	return nil, wire.ErrInvalidCommand.Detail("command %d has no handler", r.Code())
}

// authorize checks action for the session's user against the current
// permissions (they can change between requests).
func (c *session) authorize(userID uint32, action metadata.Action, streamID, topicID uint32) error {
	var err error
	c.srv.meta.View(func(st *metadata.State) {
		u := st.User(userID)
		if u == nil {
			err = wire.ErrUnauthenticated.Detail("user %d no longer exists", userID)
			return
		}
		err = metadata.Authorize(u.Permissions, userID, action, streamID, topicID)
	})
	return err
}

// authorizeIn is authorize for handlers that already hold a State view.
func authorizeIn(st *metadata.State, userID uint32, action metadata.Action, streamID, topicID uint32) error {
	u := st.User(userID)
	if u == nil {
		return wire.ErrUnauthenticated.Detail("user %d no longer exists", userID)
	}
	return metadata.Authorize(u.Permissions, userID, action, streamID, topicID)
}

// submit applies a metadata op durably (through the replica in VSR mode)
// and wraps non-protocol failures.
func (s *Server) submit(ctx context.Context, op metadata.Op) (metadata.Result, error) {
	var res metadata.Result
	var err error
	if s.node == nil {
		res, err = s.applyMetadata(ctx, op)
	} else {
		var body []byte
		if body, err = s.submitReplicated(ctx, vsr.OperationMetadata, metadata.AppendOp(nil, op)); err == nil {
			res, err = metadata.DecodeResult(body)
		}
	}
	if err != nil && !isWireError(err) {
		return res, fmt.Errorf("server: %s: %w", metadata.OpName(op), err)
	}
	return res, err
}
