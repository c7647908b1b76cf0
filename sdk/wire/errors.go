package wire

import (
	"errors"
	"fmt"
	"sort"
)

// Error is a protocol status: the non-zero code of an error response. The
// server returns these from handlers; the client turns error responses back
// into them, so errors.Is(err, wire.ErrStreamIDNotFound) works on both sides.
type Error struct {
	Code uint32
	Name string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (code %d)", e.Name, e.Code) }

// Is matches any *Error with the same code, so a decoded response matches
// the sentinel.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Detail returns an error that matches e with errors.Is and explains the
// specific case in its text; only the code goes on the wire.
func (e *Error) Detail(format string, args ...any) error {
	return &detailedError{code: e, text: fmt.Sprintf(format, args...)}
}

type detailedError struct {
	code *Error
	text string
}

func (d *detailedError) Error() string { return d.code.Error() + ": " + d.text }
func (d *detailedError) Unwrap() error { return d.code }

// ErrorFromCode returns the sentinel for a status code, or a fresh *Error
// named "Unknown" for a code this package does not know (it still matches
// nothing but itself, so callers can read Code).
func ErrorFromCode(code uint32) error {
	i := sort.Search(len(errorTable), func(i int) bool { return errorTable[i].Code >= code })
	if i < len(errorTable) && errorTable[i].Code == code {
		return errorTable[i]
	}
	return &Error{Code: code, Name: "Unknown"}
}

// StatusCode is the status to put on the wire for err: the code of the
// *Error it wraps, or 1 (Error) for anything else. nil is 0 (success).
func StatusCode(err error) uint32 {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ErrGeneric.Code
}

// ErrMalformedResponse: a client could not decode a success payload. It is
// not a protocol status; the server never sends it.
var ErrMalformedResponse = errors.New("wire: malformed response payload")

// Status codes (reference §5.2: Rust server-0.8.0 names, Go initialisms).
// Codes that only clients produce share the numbering and are listed too, so
// ErrorFromCode knows every code either side may see.
var (
	ErrGeneric                     = &Error{1, "Error"}
	ErrInvalidConfiguration        = &Error{2, "InvalidConfiguration"}
	ErrInvalidCommand              = &Error{3, "InvalidCommand"}
	ErrInvalidFormat               = &Error{4, "InvalidFormat"}
	ErrFeatureUnavailable          = &Error{5, "FeatureUnavailable"}
	ErrInvalidIdentifier           = &Error{6, "InvalidIdentifier"}
	ErrInvalidVersion              = &Error{7, "InvalidVersion"}
	ErrDisconnected                = &Error{8, "Disconnected"}
	ErrCannotEstablishConnection   = &Error{9, "CannotEstablishConnection"}
	ErrCannotCreateBaseDirectory   = &Error{10, "CannotCreateBaseDirectory"}
	ErrCannotCreateRuntimeDir      = &Error{11, "CannotCreateRuntimeDirectory"}
	ErrCannotRemoveRuntimeDir      = &Error{12, "CannotRemoveRuntimeDirectory"}
	ErrCannotCreateStateDirectory  = &Error{13, "CannotCreateStateDirectory"}
	ErrStateFileNotFound           = &Error{14, "StateFileNotFound"}
	ErrStateFileCorrupted          = &Error{15, "StateFileCorrupted"}
	ErrInvalidStateEntryChecksum   = &Error{16, "InvalidStateEntryChecksum"}
	ErrCannotOpenDatabase          = &Error{19, "CannotOpenDatabase"}
	ErrResourceNotFound            = &Error{20, "ResourceNotFound"}
	ErrCannotCloseWebSocketConn    = &Error{21, "CannotCloseWebSocketConnection"}
	ErrStaleClient                 = &Error{30, "StaleClient"}
	ErrTCPError                    = &Error{31, "TcpError"}
	ErrQUICError                   = &Error{32, "QuicError"}
	ErrInvalidServerAddress        = &Error{33, "InvalidServerAddress"}
	ErrInvalidClientAddress        = &Error{34, "InvalidClientAddress"}
	ErrInvalidIPAddress            = &Error{35, "InvalidIpAddress"}
	ErrHTTPError                   = &Error{36, "HttpError"}
	ErrUnauthenticated             = &Error{40, "Unauthenticated"}
	ErrUnauthorized                = &Error{41, "Unauthorized"}
	ErrInvalidCredentials          = &Error{42, "InvalidCredentials"}
	ErrInvalidUsername             = &Error{43, "InvalidUsername"}
	ErrInvalidPassword             = &Error{44, "InvalidPassword"}
	ErrInvalidUserStatus           = &Error{45, "InvalidUserStatus"}
	ErrUserAlreadyExists           = &Error{46, "UserAlreadyExists"}
	ErrUserInactive                = &Error{47, "UserInactive"}
	ErrCannotDeleteUser            = &Error{48, "CannotDeleteUser"}
	ErrCannotChangePermissions     = &Error{49, "CannotChangePermissions"}
	ErrInvalidPATName              = &Error{50, "InvalidPersonalAccessTokenName"}
	ErrPATAlreadyExists            = &Error{51, "PersonalAccessTokenAlreadyExists"}
	ErrPATLimitReached             = &Error{52, "PersonalAccessTokensLimitReached"}
	ErrInvalidPAT                  = &Error{53, "InvalidPersonalAccessToken"}
	ErrPATExpired                  = &Error{54, "PersonalAccessTokenExpired"}
	ErrUsersLimitReached           = &Error{55, "UsersLimitReached"}
	ErrNotConnected                = &Error{61, "NotConnected"}
	ErrClientShutdown              = &Error{63, "ClientShutdown"}
	ErrInvalidTLSDomain            = &Error{64, "InvalidTlsDomain"}
	ErrInvalidTLSCertificatePath   = &Error{65, "InvalidTlsCertificatePath"}
	ErrInvalidTLSCertificate       = &Error{66, "InvalidTlsCertificate"}
	ErrFailedToAddCertificate      = &Error{67, "FailedToAddCertificate"}
	ErrInvalidEncryptionKey        = &Error{70, "InvalidEncryptionKey"}
	ErrCannotEncryptData           = &Error{71, "CannotEncryptData"}
	ErrCannotDecryptData           = &Error{72, "CannotDecryptData"}
	ErrInvalidJWTAlgorithm         = &Error{73, "InvalidJwtAlgorithm"}
	ErrInvalidJWTSecret            = &Error{74, "InvalidJwtSecret"}
	ErrJWTMissing                  = &Error{75, "JwtMissing"}
	ErrCannotGenerateJWT           = &Error{76, "CannotGenerateJwt"}
	ErrAccessTokenMissing          = &Error{77, "AccessTokenMissing"}
	ErrInvalidAccessToken          = &Error{78, "InvalidAccessToken"}
	ErrCannotFetchJWKS             = &Error{79, "CannotFetchJwks"}
	ErrInvalidSizeBytes            = &Error{80, "InvalidSizeBytes"}
	ErrInvalidUTF8                 = &Error{81, "InvalidUtf8"}
	ErrInvalidNumberEncoding       = &Error{82, "InvalidNumberEncoding"}
	ErrInvalidBooleanValue         = &Error{83, "InvalidBooleanValue"}
	ErrInvalidNumberValue          = &Error{84, "InvalidNumberValue"}
	ErrClientNotFound              = &Error{100, "ClientNotFound"}
	ErrInvalidClientID             = &Error{101, "InvalidClientId"}
	ErrConnectionClosed            = &Error{206, "ConnectionClosed"}
	ErrCannotParseHeaderKind       = &Error{209, "CannotParseHeaderKind"}
	ErrHTTPResponseError           = &Error{300, "HttpResponseError"}
	ErrInvalidHTTPRequest          = &Error{301, "InvalidHttpRequest"}
	ErrInvalidJSONResponse         = &Error{302, "InvalidJsonResponse"}
	ErrInvalidBytesResponse        = &Error{303, "InvalidBytesResponse"}
	ErrEmptyResponse               = &Error{304, "EmptyResponse"}
	ErrCannotCreateEndpoint        = &Error{305, "CannotCreateEndpoint"}
	ErrCannotParseURL              = &Error{306, "CannotParseUrl"}
	ErrWebSocketError              = &Error{400, "WebSocketError"}
	ErrWebSocketConnectionError    = &Error{401, "WebSocketConnectionError"}
	ErrWebSocketCloseError         = &Error{402, "WebSocketCloseError"}
	ErrWebSocketReceiveError       = &Error{403, "WebSocketReceiveError"}
	ErrWebSocketSendError          = &Error{404, "WebSocketSendError"}
	ErrCannotCreateStreamsDir      = &Error{1000, "CannotCreateStreamsDirectory"}
	ErrCannotCreateStreamDir       = &Error{1001, "CannotCreateStreamDirectory"}
	ErrCannotCreateStreamInfo      = &Error{1002, "CannotCreateStreamInfo"}
	ErrCannotUpdateStreamInfo      = &Error{1003, "CannotUpdateStreamInfo"}
	ErrCannotOpenStreamInfo        = &Error{1004, "CannotOpenStreamInfo"}
	ErrCannotReadStreamInfo        = &Error{1005, "CannotReadStreamInfo"}
	ErrCannotCreateStream          = &Error{1006, "CannotCreateStream"}
	ErrCannotDeleteStream          = &Error{1007, "CannotDeleteStream"}
	ErrCannotDeleteStreamDir       = &Error{1008, "CannotDeleteStreamDirectory"}
	ErrStreamIDNotFound            = &Error{1009, "StreamIdNotFound"}
	ErrStreamNameNotFound          = &Error{1010, "StreamNameNotFound"}
	ErrStreamDirectoryNotFound     = &Error{1011, "StreamDirectoryNotFound"}
	ErrStreamNameExists            = &Error{1012, "StreamNameAlreadyExists"}
	ErrInvalidStreamName           = &Error{1013, "InvalidStreamName"}
	ErrInvalidStreamID             = &Error{1014, "InvalidStreamId"}
	ErrCannotReadStreams           = &Error{1015, "CannotReadStreams"}
	ErrInvalidTopicSize            = &Error{1019, "InvalidTopicSize"}
	ErrCannotCreateTopicsDir       = &Error{2000, "CannotCreateTopicsDirectory"}
	ErrCannotCreateTopicDir        = &Error{2001, "CannotCreateTopicDirectory"}
	ErrCannotCreateTopicInfo       = &Error{2002, "CannotCreateTopicInfo"}
	ErrCannotUpdateTopicInfo       = &Error{2003, "CannotUpdateTopicInfo"}
	ErrCannotOpenTopicInfo         = &Error{2004, "CannotOpenTopicInfo"}
	ErrCannotReadTopicInfo         = &Error{2005, "CannotReadTopicInfo"}
	ErrCannotCreateTopic           = &Error{2006, "CannotCreateTopic"}
	ErrCannotDeleteTopic           = &Error{2007, "CannotDeleteTopic"}
	ErrCannotDeleteTopicDir        = &Error{2008, "CannotDeleteTopicDirectory"}
	ErrCannotPollTopic             = &Error{2009, "CannotPollTopic"}
	ErrTopicIDNotFound             = &Error{2010, "TopicIdNotFound"}
	ErrTopicNameNotFound           = &Error{2011, "TopicNameNotFound"}
	ErrTopicIDAlreadyExists        = &Error{2012, "TopicIdAlreadyExists"} // Go SDK only
	ErrTopicNameExists             = &Error{2013, "TopicNameAlreadyExists"}
	ErrInvalidTopicName            = &Error{2014, "InvalidTopicName"}
	ErrTooManyPartitions           = &Error{2015, "TooManyPartitions"}
	ErrInvalidTopicID              = &Error{2016, "InvalidTopicId"}
	ErrCannotReadTopics            = &Error{2017, "CannotReadTopics"}
	ErrInvalidReplicationFactor    = &Error{2018, "InvalidReplicationFactor"}
	ErrInvalidPartitionsCount      = &Error{2019, "InvalidPartitionsCount"}
	ErrTopicDirectoryNotFound      = &Error{2020, "TopicDirectoryNotFound"}
	ErrCannotCreatePartition       = &Error{3000, "CannotCreatePartition"}
	ErrCannotCreatePartitionsDir   = &Error{3001, "CannotCreatePartitionsDirectory"}
	ErrCannotCreatePartitionDir    = &Error{3002, "CannotCreatePartitionDirectory"}
	ErrCannotOpenPartitionLogFile  = &Error{3003, "CannotOpenPartitionLogFile"}
	ErrCannotReadPartitions        = &Error{3004, "CannotReadPartitions"}
	ErrCannotDeletePartition       = &Error{3005, "CannotDeletePartition"}
	ErrCannotDeletePartitionDir    = &Error{3006, "CannotDeletePartitionDirectory"}
	ErrPartitionNotFound           = &Error{3007, "PartitionNotFound"}
	ErrNoPartitions                = &Error{3008, "NoPartitions"}
	ErrTopicFull                   = &Error{3009, "TopicFull"}
	ErrCannotDeleteOffsetsDir      = &Error{3010, "CannotDeleteConsumerOffsetsDirectory"}
	ErrCannotDeleteOffsetFile      = &Error{3011, "CannotDeleteConsumerOffsetFile"}
	ErrCannotCreateOffsetsDir      = &Error{3012, "CannotCreateConsumerOffsetsDirectory"}
	ErrCannotReadConsumerOffsets   = &Error{3020, "CannotReadConsumerOffsets"}
	ErrConsumerOffsetNotFound      = &Error{3021, "ConsumerOffsetNotFound"}
	ErrNotResolvedConsumer         = &Error{3022, "NotResolvedConsumer"}
	ErrCannotOpenOffsetsFile       = &Error{3023, "CannotOpenConsumerOffsetsFile"}
	ErrSegmentNotFound             = &Error{4000, "SegmentNotFound"}
	ErrSegmentClosed               = &Error{4001, "SegmentClosed"}
	ErrInvalidSegmentSize          = &Error{4002, "InvalidSegmentSize"}
	ErrCannotCreateSegmentLogFile  = &Error{4003, "CannotCreateSegmentLogFile"}
	ErrCannotCreateSegmentIndex    = &Error{4004, "CannotCreateSegmentIndexFile"}
	ErrCannotCreateSegmentTimeIdx  = &Error{4005, "CannotCreateSegmentTimeIndexFile"}
	ErrCannotSaveMessagesToSegment = &Error{4006, "CannotSaveMessagesToSegment"}
	ErrCannotSaveIndexToSegment    = &Error{4007, "CannotSaveIndexToSegment"}
	ErrCannotSaveTimeIndex         = &Error{4008, "CannotSaveTimeIndexToSegment"}
	ErrInvalidMessagesCount        = &Error{4009, "InvalidMessagesCount"}
	ErrCannotAppendMessage         = &Error{4010, "CannotAppendMessage"}
	ErrCannotReadMessage           = &Error{4011, "CannotReadMessage"}
	ErrCannotReadMessageID         = &Error{4012, "CannotReadMessageId"}
	ErrCannotReadMessageState      = &Error{4013, "CannotReadMessageState"}
	ErrCannotReadMessageTimestamp  = &Error{4014, "CannotReadMessageTimestamp"}
	ErrCannotReadHeadersLength     = &Error{4015, "CannotReadHeadersLength"}
	ErrCannotReadHeadersPayload    = &Error{4016, "CannotReadHeadersPayload"}
	ErrTooBigUserHeaders           = &Error{4017, "TooBigUserHeaders"}
	ErrInvalidHeaderKey            = &Error{4018, "InvalidHeaderKey"}
	ErrInvalidHeaderValue          = &Error{4019, "InvalidHeaderValue"}
	ErrCannotReadMessageLength     = &Error{4020, "CannotReadMessageLength"}
	ErrCannotReadMessagePayload    = &Error{4021, "CannotReadMessagePayload"}
	ErrTooBigMessagePayload        = &Error{4022, "TooBigMessagePayload"}
	ErrTooManyMessages             = &Error{4023, "TooManyMessages"}
	ErrEmptyMessagePayload         = &Error{4024, "EmptyMessagePayload"}
	ErrInvalidMessagePayloadLength = &Error{4025, "InvalidMessagePayloadLength"}
	ErrCannotReadMessageChecksum   = &Error{4026, "CannotReadMessageChecksum"}
	ErrInvalidMessageChecksum      = &Error{4027, "InvalidMessageChecksum"}
	ErrInvalidKeyValueLength       = &Error{4028, "InvalidKeyValueLength"}
	ErrCommandLengthError          = &Error{4029, "CommandLengthError"}
	ErrInvalidSegmentsCount        = &Error{4030, "InvalidSegmentsCount"}
	ErrNonZeroOffset               = &Error{4031, "NonZeroOffset"}
	ErrNonZeroTimestamp            = &Error{4032, "NonZeroTimestamp"}
	ErrMissingIndex                = &Error{4033, "MissingIndex"}
	ErrInvalidIndexesByteSize      = &Error{4034, "InvalidIndexesByteSize"}
	ErrInvalidIndexesCount         = &Error{4035, "InvalidIndexesCount"}
	ErrInvalidMessagesSize         = &Error{4036, "InvalidMessagesSize"}
	ErrTooSmallMessage             = &Error{4037, "TooSmallMessage"}
	ErrInvalidTimestampDelta       = &Error{4038, "InvalidMessageTimestampDelta"}
	ErrInvalidBatchChecksum        = &Error{4039, "InvalidBatchChecksum"}
	ErrInvalidHeaderKind           = &Error{4040, "InvalidHeaderKind"}
	ErrSendDueToDisconnection      = &Error{4050, "CannotSendMessagesDueToClientDisconnection"}
	ErrBackgroundSendError         = &Error{4051, "BackgroundSendError"}
	ErrBackgroundSendTimeout       = &Error{4052, "BackgroundSendTimeout"}
	ErrBackgroundSendBufferFull    = &Error{4053, "BackgroundSendBufferFull"}
	ErrBackgroundWorkerGone        = &Error{4054, "BackgroundWorkerDisconnected"}
	ErrBackgroundSendOverflow      = &Error{4055, "BackgroundSendBufferOverflow"}
	ErrProducerSendFailed          = &Error{4056, "ProducerSendFailed"}
	ErrProducerClosed              = &Error{4057, "ProducerClosed"}
	ErrInvalidOffset               = &Error{4100, "InvalidOffset"}
	ErrInvalidReservedField        = &Error{4101, "InvalidReservedField"}
	ErrConsumerGroupIDNotFound     = &Error{5000, "ConsumerGroupIdNotFound"}
	ErrConsumerGroupIDExists       = &Error{5001, "ConsumerGroupIdAlreadyExists"} // Go SDK only
	ErrInvalidConsumerGroupID      = &Error{5002, "InvalidConsumerGroupId"}
	ErrConsumerGroupNameNotFound   = &Error{5003, "ConsumerGroupNameNotFound"}
	ErrConsumerGroupNameExists     = &Error{5004, "ConsumerGroupNameAlreadyExists"}
	ErrInvalidConsumerGroupName    = &Error{5005, "InvalidConsumerGroupName"}
	ErrConsumerGroupMemberNotFound = &Error{5006, "ConsumerGroupMemberNotFound"}
	ErrCannotCreateGroupInfo       = &Error{5007, "CannotCreateConsumerGroupInfo"}
	ErrCannotDeleteGroupInfo       = &Error{5008, "CannotDeleteConsumerGroupInfo"}
	ErrMissingBaseOffsetBatch      = &Error{6000, "MissingBaseOffsetRetainedMessageBatch"}
	ErrMissingLastOffsetDelta      = &Error{6001, "MissingLastOffsetDeltaRetainedMessageBatch"}
	ErrMissingMaxTimestampBatch    = &Error{6002, "MissingMaxTimestampRetainedMessageBatch"}
	ErrMissingLengthBatch          = &Error{6003, "MissingLengthRetainedMessageBatch"}
	ErrMissingPayloadBatch         = &Error{6004, "MissingPayloadRetainedMessageBatch"}
	ErrCannotReadBatchBaseOffset   = &Error{7000, "CannotReadBatchBaseOffset"}
	ErrCannotReadBatchLength       = &Error{7001, "CannotReadBatchLength"}
	ErrCannotReadLastOffsetDelta   = &Error{7002, "CannotReadLastOffsetDelta"}
	ErrCannotReadMaxTimestamp      = &Error{7003, "CannotReadMaxTimestamp"}
	ErrCannotReadBatchPayload      = &Error{7004, "CannotReadBatchPayload"}
	ErrInvalidConnectionString     = &Error{8000, "InvalidConnectionString"}
	ErrSnapshotCompletionFailed    = &Error{9000, "SnapshotFileCompletionFailed"}
	ErrCannotSerializeResource     = &Error{10000, "CannotSerializeResource"}
	ErrCannotDeserializeResource   = &Error{10001, "CannotDeserializeResource"}
	ErrCannotReadFile              = &Error{10002, "CannotReadFile"}
	ErrCannotReadFileMetadata      = &Error{10003, "CannotReadFileMetadata"}
	ErrCannotSeekFile              = &Error{10004, "CannotSeekFile"}
	ErrCannotAppendToFile          = &Error{10005, "CannotAppendToFile"}
	ErrCannotWriteToFile           = &Error{10006, "CannotWriteToFile"}
	ErrCannotOverwriteFile         = &Error{10007, "CannotOverwriteFile"}
	ErrCannotDeleteFile            = &Error{10008, "CannotDeleteFile"}
	ErrCannotSyncFile              = &Error{10009, "CannotSyncFile"}
	ErrCannotReadIndexOffset       = &Error{10010, "CannotReadIndexOffset"}
	ErrCannotReadIndexPosition     = &Error{10011, "CannotReadIndexPosition"}
	ErrCannotReadIndexTimestamp    = &Error{10012, "CannotReadIndexTimestamp"}
	ErrTimestampOutOfRange         = &Error{10013, "TimestampOutOfRange"}
	ErrShardNotFound               = &Error{11000, "ShardNotFound"}
	ErrShardCommunicationError     = &Error{11001, "ShardCommunicationError"}
	ErrCannotBindToSocket          = &Error{12000, "CannotBindToSocket"}
	ErrTaskTimeout                 = &Error{12001, "TaskTimeout"}
	ErrIO                          = &Error{13000, "IoError"}
)

// errorTable lists every sentinel in ascending code order for ErrorFromCode.
// It is never written; TestErrorTableComplete checks it against the vars.
var errorTable = [...]*Error{
	ErrGeneric, ErrInvalidConfiguration, ErrInvalidCommand, ErrInvalidFormat,
	ErrFeatureUnavailable, ErrInvalidIdentifier, ErrInvalidVersion, ErrDisconnected,
	ErrCannotEstablishConnection, ErrCannotCreateBaseDirectory, ErrCannotCreateRuntimeDir,
	ErrCannotRemoveRuntimeDir, ErrCannotCreateStateDirectory, ErrStateFileNotFound,
	ErrStateFileCorrupted, ErrInvalidStateEntryChecksum, ErrCannotOpenDatabase,
	ErrResourceNotFound, ErrCannotCloseWebSocketConn, ErrStaleClient, ErrTCPError,
	ErrQUICError, ErrInvalidServerAddress, ErrInvalidClientAddress, ErrInvalidIPAddress,
	ErrHTTPError, ErrUnauthenticated, ErrUnauthorized, ErrInvalidCredentials,
	ErrInvalidUsername, ErrInvalidPassword, ErrInvalidUserStatus, ErrUserAlreadyExists,
	ErrUserInactive, ErrCannotDeleteUser, ErrCannotChangePermissions, ErrInvalidPATName,
	ErrPATAlreadyExists, ErrPATLimitReached, ErrInvalidPAT, ErrPATExpired,
	ErrUsersLimitReached, ErrNotConnected, ErrClientShutdown, ErrInvalidTLSDomain,
	ErrInvalidTLSCertificatePath, ErrInvalidTLSCertificate, ErrFailedToAddCertificate,
	ErrInvalidEncryptionKey, ErrCannotEncryptData, ErrCannotDecryptData,
	ErrInvalidJWTAlgorithm, ErrInvalidJWTSecret, ErrJWTMissing, ErrCannotGenerateJWT,
	ErrAccessTokenMissing, ErrInvalidAccessToken, ErrCannotFetchJWKS, ErrInvalidSizeBytes,
	ErrInvalidUTF8, ErrInvalidNumberEncoding, ErrInvalidBooleanValue, ErrInvalidNumberValue,
	ErrClientNotFound, ErrInvalidClientID, ErrConnectionClosed, ErrCannotParseHeaderKind,
	ErrHTTPResponseError, ErrInvalidHTTPRequest, ErrInvalidJSONResponse,
	ErrInvalidBytesResponse, ErrEmptyResponse, ErrCannotCreateEndpoint, ErrCannotParseURL,
	ErrWebSocketError, ErrWebSocketConnectionError, ErrWebSocketCloseError,
	ErrWebSocketReceiveError, ErrWebSocketSendError, ErrCannotCreateStreamsDir,
	ErrCannotCreateStreamDir, ErrCannotCreateStreamInfo, ErrCannotUpdateStreamInfo,
	ErrCannotOpenStreamInfo, ErrCannotReadStreamInfo, ErrCannotCreateStream,
	ErrCannotDeleteStream, ErrCannotDeleteStreamDir, ErrStreamIDNotFound,
	ErrStreamNameNotFound, ErrStreamDirectoryNotFound, ErrStreamNameExists,
	ErrInvalidStreamName, ErrInvalidStreamID, ErrCannotReadStreams, ErrInvalidTopicSize,
	ErrCannotCreateTopicsDir, ErrCannotCreateTopicDir, ErrCannotCreateTopicInfo,
	ErrCannotUpdateTopicInfo, ErrCannotOpenTopicInfo, ErrCannotReadTopicInfo,
	ErrCannotCreateTopic, ErrCannotDeleteTopic, ErrCannotDeleteTopicDir, ErrCannotPollTopic,
	ErrTopicIDNotFound, ErrTopicNameNotFound, ErrTopicIDAlreadyExists, ErrTopicNameExists,
	ErrInvalidTopicName, ErrTooManyPartitions, ErrInvalidTopicID, ErrCannotReadTopics,
	ErrInvalidReplicationFactor, ErrInvalidPartitionsCount, ErrTopicDirectoryNotFound,
	ErrCannotCreatePartition, ErrCannotCreatePartitionsDir, ErrCannotCreatePartitionDir,
	ErrCannotOpenPartitionLogFile, ErrCannotReadPartitions, ErrCannotDeletePartition,
	ErrCannotDeletePartitionDir, ErrPartitionNotFound, ErrNoPartitions, ErrTopicFull,
	ErrCannotDeleteOffsetsDir, ErrCannotDeleteOffsetFile, ErrCannotCreateOffsetsDir,
	ErrCannotReadConsumerOffsets, ErrConsumerOffsetNotFound, ErrNotResolvedConsumer,
	ErrCannotOpenOffsetsFile, ErrSegmentNotFound, ErrSegmentClosed, ErrInvalidSegmentSize,
	ErrCannotCreateSegmentLogFile, ErrCannotCreateSegmentIndex, ErrCannotCreateSegmentTimeIdx,
	ErrCannotSaveMessagesToSegment, ErrCannotSaveIndexToSegment, ErrCannotSaveTimeIndex,
	ErrInvalidMessagesCount, ErrCannotAppendMessage, ErrCannotReadMessage,
	ErrCannotReadMessageID, ErrCannotReadMessageState, ErrCannotReadMessageTimestamp,
	ErrCannotReadHeadersLength, ErrCannotReadHeadersPayload, ErrTooBigUserHeaders,
	ErrInvalidHeaderKey, ErrInvalidHeaderValue, ErrCannotReadMessageLength,
	ErrCannotReadMessagePayload, ErrTooBigMessagePayload, ErrTooManyMessages,
	ErrEmptyMessagePayload, ErrInvalidMessagePayloadLength, ErrCannotReadMessageChecksum,
	ErrInvalidMessageChecksum, ErrInvalidKeyValueLength, ErrCommandLengthError,
	ErrInvalidSegmentsCount, ErrNonZeroOffset, ErrNonZeroTimestamp, ErrMissingIndex,
	ErrInvalidIndexesByteSize, ErrInvalidIndexesCount, ErrInvalidMessagesSize,
	ErrTooSmallMessage, ErrInvalidTimestampDelta, ErrInvalidBatchChecksum,
	ErrInvalidHeaderKind, ErrSendDueToDisconnection, ErrBackgroundSendError,
	ErrBackgroundSendTimeout, ErrBackgroundSendBufferFull, ErrBackgroundWorkerGone,
	ErrBackgroundSendOverflow, ErrProducerSendFailed, ErrProducerClosed, ErrInvalidOffset,
	ErrInvalidReservedField, ErrConsumerGroupIDNotFound, ErrConsumerGroupIDExists,
	ErrInvalidConsumerGroupID, ErrConsumerGroupNameNotFound, ErrConsumerGroupNameExists,
	ErrInvalidConsumerGroupName, ErrConsumerGroupMemberNotFound, ErrCannotCreateGroupInfo,
	ErrCannotDeleteGroupInfo, ErrMissingBaseOffsetBatch, ErrMissingLastOffsetDelta,
	ErrMissingMaxTimestampBatch, ErrMissingLengthBatch, ErrMissingPayloadBatch,
	ErrCannotReadBatchBaseOffset, ErrCannotReadBatchLength, ErrCannotReadLastOffsetDelta,
	ErrCannotReadMaxTimestamp, ErrCannotReadBatchPayload, ErrInvalidConnectionString,
	ErrSnapshotCompletionFailed, ErrCannotSerializeResource, ErrCannotDeserializeResource,
	ErrCannotReadFile, ErrCannotReadFileMetadata, ErrCannotSeekFile, ErrCannotAppendToFile,
	ErrCannotWriteToFile, ErrCannotOverwriteFile, ErrCannotDeleteFile, ErrCannotSyncFile,
	ErrCannotReadIndexOffset, ErrCannotReadIndexPosition, ErrCannotReadIndexTimestamp,
	ErrTimestampOutOfRange, ErrShardNotFound, ErrShardCommunicationError,
	ErrCannotBindToSocket, ErrTaskTimeout, ErrIO,
}
