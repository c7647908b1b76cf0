package wire

// Request is one decoded command payload. The client encodes with AppendTo;
// the server gets one from DecodeRequest and type-switches on it.
type Request interface {
	// Code is the command code (codes.go).
	Code() uint32
	// AppendTo appends the request payload (without the frame header) to b.
	AppendTo(b []byte) []byte
}

// DecodeRequest decodes the payload of a command by its code. Failures are
// *Error statuses (§1.5): truncated or bad discriminant → InvalidCommand,
// structural violations → InvalidFormat; SendMessages adds its own codes
// (§3.4). An unknown code is InvalidCommand. Trailing bytes are ignored.
// The result may alias payload (SendMessages) but never the strings.
func DecodeRequest(code uint32, payload []byte) (Request, error) {
	dec, ok := requestDecoders(code)
	if !ok {
		return nil, ErrInvalidCommand.Detail("unknown command code %d", code)
	}
	return dec(payload)
}

// wrap adapts a typed decoder to the dispatch signature.
func wrap[T Request](dec func([]byte) (T, error)) func([]byte) (Request, error) {
	return func(p []byte) (Request, error) {
		v, err := dec(p)
		if err != nil {
			return nil, err
		}
		return v, nil
	}
}

func empty[T Request]() func([]byte) (Request, error) {
	return func([]byte) (Request, error) {
		var v T
		return v, nil
	}
}

// requestDecoders maps a code to its decoder. A switch keeps the table free
// of package state.
func requestDecoders(code uint32) (func([]byte) (Request, error), bool) {
	switch code {
	case CodePing:
		return empty[PingRequest](), true
	case CodeGetStats:
		return empty[GetStatsRequest](), true
	case CodeGetSnapshotFile:
		return wrap(DecodeGetSnapshotFileRequest), true
	case CodeGetClusterMetadata:
		return empty[GetClusterMetadataRequest](), true
	case CodeGetMe:
		return empty[GetMeRequest](), true
	case CodeGetClient:
		return wrap(DecodeGetClientRequest), true
	case CodeGetClients:
		return empty[GetClientsRequest](), true
	case CodeGetUser:
		return wrap(DecodeGetUserRequest), true
	case CodeGetUsers:
		return empty[GetUsersRequest](), true
	case CodeCreateUser:
		return wrap(DecodeCreateUserRequest), true
	case CodeDeleteUser:
		return wrap(DecodeDeleteUserRequest), true
	case CodeUpdateUser:
		return wrap(DecodeUpdateUserRequest), true
	case CodeUpdatePermissions:
		return wrap(DecodeUpdatePermissionsRequest), true
	case CodeChangePassword:
		return wrap(DecodeChangePasswordRequest), true
	case CodeLoginUser:
		return wrap(DecodeLoginUserRequest), true
	case CodeLogoutUser:
		return empty[LogoutUserRequest](), true
	case CodeGetPersonalAccessTokens:
		return empty[GetPersonalAccessTokensRequest](), true
	case CodeCreatePersonalAccessToken:
		return wrap(DecodeCreatePersonalAccessTokenRequest), true
	case CodeDeletePersonalAccessToken:
		return wrap(DecodeDeletePersonalAccessTokenRequest), true
	case CodeLoginWithPersonalAccessToken:
		return wrap(DecodeLoginWithPersonalAccessTokenRequest), true
	case CodePollMessages:
		return wrap(DecodePollMessagesRequest), true
	case CodeSendMessages:
		return wrap(DecodeSendMessages), true
	case CodeFlushUnsavedBuffer:
		return wrap(DecodeFlushUnsavedBufferRequest), true
	case CodeGetConsumerOffset:
		return wrap(DecodeGetConsumerOffsetRequest), true
	case CodeStoreConsumerOffset:
		return wrap(DecodeStoreConsumerOffsetRequest), true
	case CodeDeleteConsumerOffset:
		return wrap(DecodeDeleteConsumerOffsetRequest), true
	case CodeGetStream:
		return wrap(DecodeGetStreamRequest), true
	case CodeGetStreams:
		return empty[GetStreamsRequest](), true
	case CodeCreateStream:
		return wrap(DecodeCreateStreamRequest), true
	case CodeDeleteStream:
		return wrap(DecodeDeleteStreamRequest), true
	case CodeUpdateStream:
		return wrap(DecodeUpdateStreamRequest), true
	case CodePurgeStream:
		return wrap(DecodePurgeStreamRequest), true
	case CodeGetTopic:
		return wrap(DecodeGetTopicRequest), true
	case CodeGetTopics:
		return wrap(DecodeGetTopicsRequest), true
	case CodeCreateTopic:
		return wrap(DecodeCreateTopicRequest), true
	case CodeDeleteTopic:
		return wrap(DecodeDeleteTopicRequest), true
	case CodeUpdateTopic:
		return wrap(DecodeUpdateTopicRequest), true
	case CodePurgeTopic:
		return wrap(DecodePurgeTopicRequest), true
	case CodeCreatePartitions:
		return wrap(DecodeCreatePartitionsRequest), true
	case CodeDeletePartitions:
		return wrap(DecodeDeletePartitionsRequest), true
	case CodeDeleteSegments:
		return wrap(DecodeDeleteSegmentsRequest), true
	case CodeGetConsumerGroup:
		return wrap(DecodeGetConsumerGroupRequest), true
	case CodeGetConsumerGroups:
		return wrap(DecodeGetConsumerGroupsRequest), true
	case CodeCreateConsumerGroup:
		return wrap(DecodeCreateConsumerGroupRequest), true
	case CodeDeleteConsumerGroup:
		return wrap(DecodeDeleteConsumerGroupRequest), true
	case CodeJoinConsumerGroup:
		return wrap(DecodeJoinConsumerGroupRequest), true
	case CodeLeaveConsumerGroup:
		return wrap(DecodeLeaveConsumerGroupRequest), true
	case CodeGetPartitionTiers:
		return wrap(DecodeGetPartitionTiersRequest), true
	}
	return nil, false
}
