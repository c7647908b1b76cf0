package wire

import "fmt"

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

// Status codes a server produces (reference §5.1). The list grows with the
// commands that need more.
var (
	ErrGeneric                     = &Error{1, "Error"}
	ErrInvalidConfiguration        = &Error{2, "InvalidConfiguration"}
	ErrInvalidCommand              = &Error{3, "InvalidCommand"}
	ErrInvalidFormat               = &Error{4, "InvalidFormat"}
	ErrFeatureUnavailable          = &Error{5, "FeatureUnavailable"}
	ErrInvalidIdentifier           = &Error{6, "InvalidIdentifier"}
	ErrDisconnected                = &Error{8, "Disconnected"}
	ErrResourceNotFound            = &Error{20, "ResourceNotFound"}
	ErrStaleClient                 = &Error{30, "StaleClient"}
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
	ErrClientNotFound              = &Error{100, "ClientNotFound"}
	ErrInvalidClientID             = &Error{101, "InvalidClientId"}
	ErrStreamIDNotFound            = &Error{1009, "StreamIdNotFound"}
	ErrStreamNameExists            = &Error{1012, "StreamNameAlreadyExists"}
	ErrInvalidStreamName           = &Error{1013, "InvalidStreamName"}
	ErrInvalidTopicSize            = &Error{1019, "InvalidTopicSize"}
	ErrTopicIDNotFound             = &Error{2010, "TopicIdNotFound"}
	ErrTopicNameExists             = &Error{2013, "TopicNameAlreadyExists"}
	ErrInvalidTopicName            = &Error{2014, "InvalidTopicName"}
	ErrTooManyPartitions           = &Error{2015, "TooManyPartitions"}
	ErrInvalidPartitionsCount      = &Error{2019, "InvalidPartitionsCount"}
	ErrPartitionNotFound           = &Error{3007, "PartitionNotFound"}
	ErrNoPartitions                = &Error{3008, "NoPartitions"}
	ErrConsumerOffsetNotFound      = &Error{3021, "ConsumerOffsetNotFound"}
	ErrInvalidMessagesCount        = &Error{4009, "InvalidMessagesCount"}
	ErrTooBigUserHeaders           = &Error{4017, "TooBigUserHeaders"}
	ErrInvalidHeaderKey            = &Error{4018, "InvalidHeaderKey"}
	ErrInvalidHeaderValue          = &Error{4019, "InvalidHeaderValue"}
	ErrTooBigMessagePayload        = &Error{4022, "TooBigMessagePayload"}
	ErrNonZeroOffset               = &Error{4031, "NonZeroOffset"}
	ErrNonZeroTimestamp            = &Error{4032, "NonZeroTimestamp"}
	ErrMissingIndex                = &Error{4033, "MissingIndex"}
	ErrInvalidIndexesByteSize      = &Error{4034, "InvalidIndexesByteSize"}
	ErrInvalidIndexesCount         = &Error{4035, "InvalidIndexesCount"}
	ErrInvalidMessagesSize         = &Error{4036, "InvalidMessagesSize"}
	ErrInvalidOffset               = &Error{4100, "InvalidOffset"}
	ErrConsumerGroupIDNotFound     = &Error{5000, "ConsumerGroupIdNotFound"}
	ErrConsumerGroupNameExists     = &Error{5004, "ConsumerGroupNameAlreadyExists"}
	ErrInvalidConsumerGroupName    = &Error{5005, "InvalidConsumerGroupName"}
	ErrConsumerGroupMemberNotFound = &Error{5006, "ConsumerGroupMemberNotFound"}
	ErrCannotReadIndexPosition     = &Error{10011, "CannotReadIndexPosition"}
)
