package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/runnel-io/runnel/sdk/wire"
)

// Call is one REST request, built from a binary command by Build.
type Call struct {
	Route Route
	Path  string     // path parameters filled in and escaped
	Query url.Values // nil for none
	Body  any        // the JSON body, nil for none
}

// Build translates a binary request (code and payload as sdk/wire encodes
// them) into its REST call: the inverse of the server's mapping.
//
// Commands without a route, or with a form the route cannot express, are
// wire.ErrFeatureUnavailable naming the command:
//
//   - JoinConsumerGroup, LeaveConsumerGroup: membership belongs to a
//     connection and HTTP has none (Iggy has no such routes either);
//   - PollMessages, GetConsumerOffset, StoreConsumerOffset and
//     DeleteConsumerOffset with a consumer-group consumer: the routes take
//     a single consumer only;
//   - GetSnapshotFile and the Runnel extensions (codes from 10000).
func Build(code uint32, payload []byte) (Call, error) {
	q, err := wire.DecodeRequest(code, payload)
	if err != nil {
		return Call{}, err
	}
	rt, ok := RouteOf(code)
	if !ok {
		return Call{}, unavailable(q, "Iggy's HTTP API has no route for it")
	}
	c := Call{Route: rt, Path: rt.Expand()}
	switch q := q.(type) {
	case wire.GetClientRequest:
		c.Path = rt.Expand(strconv.FormatUint(uint64(q.ClientID), 10))
	case wire.GetUserRequest:
		c.Path = rt.Expand(idPath(q.UserID))
	case wire.DeleteUserRequest:
		c.Path = rt.Expand(idPath(q.UserID))
	case wire.CreateUserRequest:
		c.Body = CreateUser{Username: q.Username, Password: q.Password, Status: UserStatusName(q.Status),
			Permissions: PermissionsOf(q.Permissions)}
	case wire.UpdateUserRequest:
		c.Path, c.Body = rt.Expand(idPath(q.UserID)), updateUserOf(q)
	case wire.UpdatePermissionsRequest:
		c.Path, c.Body = rt.Expand(idPath(q.UserID)), PermissionsBody{Permissions: PermissionsOf(q.Permissions)}
	case wire.ChangePasswordRequest:
		c.Path, c.Body = rt.Expand(idPath(q.UserID)), ChangePassword{CurrentPassword: q.CurrentPassword, NewPassword: q.NewPassword}
	case wire.LoginUserRequest:
		c.Body = Login{Username: q.Username, Password: q.Password}
	case wire.LoginWithPersonalAccessTokenRequest:
		c.Body = Token{Token: q.Token}
	case wire.CreatePersonalAccessTokenRequest:
		c.Body = CreatePAT{Name: q.Name, Expiry: q.ExpiryMicros}
	case wire.DeletePersonalAccessTokenRequest:
		c.Path = rt.Expand(url.PathEscape(q.Name))
	default:
		return buildStreams(c, q)
	}
	return c, nil
}

func updateUserOf(q wire.UpdateUserRequest) UpdateUser {
	var out UpdateUser
	if q.Username != "" {
		out.Username = &q.Username
	}
	if q.Status != 0 {
		status := UserStatusName(q.Status)
		out.Status = &status
	}
	return out
}

// buildStreams: streams, topics and partitions.
func buildStreams(c Call, q wire.Request) (Call, error) {
	rt := c.Route
	switch q := q.(type) {
	case wire.GetStreamRequest:
		c.Path = rt.Expand(idPath(q.StreamID))
	case wire.CreateStreamRequest:
		c.Body = CreateStream{Name: q.Name}
	case wire.DeleteStreamRequest:
		c.Path = rt.Expand(idPath(q.StreamID))
	case wire.UpdateStreamRequest:
		c.Path, c.Body = rt.Expand(idPath(q.StreamID)), Name{Name: q.Name}
	case wire.PurgeStreamRequest:
		c.Path = rt.Expand(idPath(q.StreamID))
	case wire.GetTopicsRequest:
		c.Path = rt.Expand(idPath(q.StreamID))
	case wire.GetTopicRequest:
		c.Path = rt.Expand(idPath(q.StreamID), idPath(q.TopicID))
	case wire.CreateTopicRequest:
		c.Path = rt.Expand(idPath(q.StreamID))
		c.Body = CreateTopic{Name: q.Name, PartitionsCount: q.PartitionsCount, CompressionAlgorithm: CompressionName(q.CompressionAlgorithm),
			MessageExpiry: q.MessageExpiry, MaxTopicSize: q.MaxTopicSize, ReplicationFactor: q.ReplicationFactor}
	case wire.UpdateTopicRequest:
		c.Path = rt.Expand(idPath(q.StreamID), idPath(q.TopicID))
		c.Body = UpdateTopic{Name: q.Name, CompressionAlgorithm: CompressionName(q.CompressionAlgorithm),
			MessageExpiry: q.MessageExpiry, MaxTopicSize: q.MaxTopicSize, ReplicationFactor: q.ReplicationFactor}
	case wire.DeleteTopicRequest:
		c.Path = rt.Expand(idPath(q.StreamID), idPath(q.TopicID))
	case wire.PurgeTopicRequest:
		c.Path = rt.Expand(idPath(q.StreamID), idPath(q.TopicID))
	case wire.CreatePartitionsRequest:
		c.Path, c.Body = rt.Expand(idPath(q.StreamID), idPath(q.TopicID)), PartitionsCount{PartitionsCount: q.PartitionsCount}
	case wire.DeletePartitionsRequest:
		c.Path = rt.Expand(idPath(q.StreamID), idPath(q.TopicID))
		c.Query = url.Values{"partitions_count": {u32Text(q.PartitionsCount)}}
	case wire.DeleteSegmentsRequest:
		c.Path = rt.Expand(idPath(q.StreamID), idPath(q.TopicID), u32Text(q.PartitionID))
		c.Query = url.Values{"segments_count": {u32Text(q.SegmentsCount)}}
	default:
		return buildMessages(c, q)
	}
	return c, nil
}

// buildMessages: messages, offsets, consumer groups.
func buildMessages(c Call, q wire.Request) (Call, error) {
	rt := c.Route
	switch q := q.(type) {
	case wire.PollMessagesRequest:
		return buildPoll(c, q)
	case wire.SendMessagesRequest:
		return buildSend(c, q)
	case wire.FlushUnsavedBufferRequest:
		c.Path = rt.Expand(idPath(q.StreamID), idPath(q.TopicID), u32Text(q.PartitionID), strconv.FormatBool(q.Fsync))
	case wire.GetConsumerOffsetRequest:
		if q.Consumer.Kind != wire.ConsumerSingle {
			return c, unavailable(q, "the route takes a single consumer only")
		}
		c.Path, c.Query = rt.Expand(idPath(q.StreamID), idPath(q.TopicID)), consumerQuery(q.Consumer, q.PartitionID)
	case wire.StoreConsumerOffsetRequest:
		if q.Consumer.Kind != wire.ConsumerSingle {
			return c, unavailable(q, "the route takes a single consumer only")
		}
		body := StoreOffset{ConsumerID: consumerJSON(q.Consumer.ID), Offset: q.Offset}
		if q.PartitionID.Set {
			p := q.PartitionID.ID
			body.PartitionID = &p
		}
		c.Path, c.Body = rt.Expand(idPath(q.StreamID), idPath(q.TopicID)), body
	case wire.DeleteConsumerOffsetRequest:
		if q.Consumer.Kind != wire.ConsumerSingle {
			return c, unavailable(q, "the route takes a single consumer only")
		}
		c.Path = rt.Expand(idPath(q.StreamID), idPath(q.TopicID), idPath(q.Consumer.ID))
		if q.PartitionID.Set {
			c.Query = url.Values{QueryPartitionID: {u32Text(q.PartitionID.ID)}}
		}
	case wire.GetConsumerGroupsRequest:
		c.Path = rt.Expand(idPath(q.StreamID), idPath(q.TopicID))
	case wire.CreateConsumerGroupRequest:
		c.Path, c.Body = rt.Expand(idPath(q.StreamID), idPath(q.TopicID)), Name{Name: q.Name}
	case wire.GetConsumerGroupRequest:
		c.Path = rt.Expand(idPath(q.StreamID), idPath(q.TopicID), idPath(q.GroupID))
	case wire.DeleteConsumerGroupRequest:
		c.Path = rt.Expand(idPath(q.StreamID), idPath(q.TopicID), idPath(q.GroupID))
	}
	return c, nil
}

func buildPoll(c Call, q wire.PollMessagesRequest) (Call, error) {
	if q.Consumer.Kind != wire.ConsumerSingle {
		return c, unavailable(q, "the route polls as a single consumer only")
	}
	kind, err := PollingKindName(q.Strategy.Kind)
	if err != nil {
		return c, wire.ErrInvalidCommand.Detail("poll: %v", err)
	}
	c.Path = c.Route.Expand(idPath(q.StreamID), idPath(q.TopicID))
	c.Query = consumerQuery(q.Consumer, q.PartitionID)
	c.Query.Set("kind", kind)
	c.Query.Set("value", strconv.FormatUint(q.Strategy.Value, 10))
	c.Query.Set("count", u32Text(q.Count))
	c.Query.Set("auto_commit", strconv.FormatBool(q.AutoCommit))
	return c, nil
}

// buildSend converts a batch. The messages' origin timestamps do not
// travel: Iggy's JSON has no field for them and the server stamps its own.
func buildSend(c Call, q wire.SendMessagesRequest) (Call, error) {
	p, err := PartitioningJSON(q.Partitioning)
	if err != nil {
		return c, wire.ErrInvalidCommand.Detail("send: %v", err)
	}
	body := SendMessages{Partitioning: p, Messages: make([]SendMessage, 0, q.Count)}
	for i := range int(q.Count) {
		frame := q.Frame(i)
		h := wire.DecodeMessageHeader(frame)
		payloadEnd := wire.MessageHeaderSize + int(h.PayloadLength)
		m := SendMessage{ID: MessageIDJSON(h.ID()), Payload: frame[wire.MessageHeaderSize:payloadEnd]}
		if h.UserHeadersLength > 0 {
			m.UserHeaders = frame[payloadEnd : payloadEnd+int(h.UserHeadersLength)]
		}
		body.Messages = append(body.Messages, m)
	}
	c.Path, c.Body = c.Route.Expand(idPath(q.StreamID), idPath(q.TopicID)), body
	return c, nil
}

func consumerQuery(consumer wire.Consumer, p wire.OptionalPartitionID) url.Values {
	v := url.Values{QueryConsumerID: {IDText(consumer.ID)}}
	if p.Set {
		v.Set(QueryPartitionID, u32Text(p.ID))
	}
	return v
}

// consumerJSON is a consumer id as the offset body carries it.
func consumerJSON(id wire.Identifier) json.RawMessage {
	if id.Kind == wire.IdentifierNumeric {
		return json.RawMessage(u32Text(id.Numeric))
	}
	return json.RawMessage(strconv.Quote(id.Name))
}

func u32Text(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// CommandName names a request for messages: "JoinConsumerGroup".
func CommandName(q wire.Request) string {
	return strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%T", q), "wire."), "Request")
}

func unavailable(q wire.Request, why string) error {
	return wire.ErrFeatureUnavailable.Detail("%s over http: %s (use tcp, quic or ws)", CommandName(q), why)
}

// Answer converts the JSON answer of command code into the binary payload
// the TCP server would have sent.
func Answer(code uint32, body []byte) ([]byte, error) {
	switch code {
	case wire.CodeGetStats:
		return answer(body, func(v Stats) ([]byte, error) { return v.Wire().AppendTo(nil), nil })
	case wire.CodeGetClusterMetadata:
		return answer(body, func(v Cluster) ([]byte, error) { return v.Wire().AppendTo(nil), nil })
	case wire.CodeGetClients:
		return answer(body, func(v []Client) ([]byte, error) { return wire.AppendClients(nil, convert(v, Client.Wire)), nil })
	case wire.CodeGetClient, wire.CodeGetMe:
		return answer(body, func(v ClientDetails) ([]byte, error) { return v.Wire().AppendTo(nil), nil })
	case wire.CodeLoginUser, wire.CodeLoginWithPersonalAccessToken:
		return answer(body, func(v Identity) ([]byte, error) { return wire.Identity{UserID: v.UserID}.AppendTo(nil), nil })
	case wire.CodeCreatePersonalAccessToken:
		return answer(body, func(v Token) ([]byte, error) { return wire.RawPersonalAccessToken{Token: v.Token}.AppendTo(nil), nil })
	case wire.CodeGetPersonalAccessTokens:
		return answer(body, func(v []PAT) ([]byte, error) { return wire.AppendPatInfos(nil, convert(v, PAT.Wire)), nil })
	case wire.CodeGetUsers:
		return answer(body, func(v []User) ([]byte, error) {
			us, err := convertErr(v, User.Wire)
			return wire.AppendUsers(nil, us), err
		})
	case wire.CodeGetUser, wire.CodeCreateUser:
		return answer(body, func(v UserDetails) ([]byte, error) { return appendTo(v.Wire()) })
	}
	return answerStreams(code, body)
}

func answerStreams(code uint32, body []byte) ([]byte, error) {
	switch code {
	case wire.CodeGetStreams:
		return answer(body, func(v []Stream) ([]byte, error) { return wire.AppendStreams(nil, convert(v, Stream.Wire)), nil })
	case wire.CodeCreateStream:
		return answer(body, func(v Stream) ([]byte, error) { return v.Wire().AppendTo(nil), nil })
	case wire.CodeGetStream:
		return answer(body, func(v StreamDetails) ([]byte, error) { return appendTo(v.Wire()) })
	case wire.CodeGetTopics:
		return answer(body, func(v []Topic) ([]byte, error) {
			ts, err := convertErr(v, Topic.Wire)
			return wire.AppendTopics(nil, ts), err
		})
	case wire.CodeGetTopic, wire.CodeCreateTopic:
		return answer(body, func(v TopicDetails) ([]byte, error) { return appendTo(v.Wire()) })
	case wire.CodePollMessages:
		return answer(body, func(v PolledMessages) ([]byte, error) { return appendTo(v.Wire()) })
	case wire.CodeGetConsumerOffset:
		return answer(body, func(v Offset) ([]byte, error) { return v.Wire().AppendTo(nil), nil })
	case wire.CodeGetConsumerGroups:
		return answer(body, func(v []Group) ([]byte, error) { return wire.AppendConsumerGroups(nil, convert(v, Group.Wire)), nil })
	case wire.CodeCreateConsumerGroup: // the binary answer is the header
		return answer(body, func(v GroupDetails) ([]byte, error) { return v.Group.Wire().AppendTo(nil), nil })
	case wire.CodeGetConsumerGroup:
		return answer(body, func(v GroupDetails) ([]byte, error) { return v.Wire().AppendTo(nil), nil })
	}
	return nil, nil // routes without an answer body
}

// appender is a wire answer type.
type appender interface{ AppendTo([]byte) []byte }

func appendTo[T appender](v T, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return v.AppendTo(nil), nil
}

func answer[J any](body []byte, encode func(J) ([]byte, error)) ([]byte, error) {
	var v J
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, wire.ErrInvalidJSONResponse.Detail("%T: %v", v, err)
	}
	out, err := encode(v)
	if err != nil {
		return nil, wire.ErrInvalidJSONResponse.Detail("%T: %v", v, err)
	}
	return out, nil
}

func convert[J, W any](in []J, conv func(J) W) []W {
	out := make([]W, 0, len(in))
	for _, v := range in {
		out = append(out, conv(v))
	}
	return out
}

func convertErr[J, W any](in []J, conv func(J) (W, error)) ([]W, error) {
	out := make([]W, 0, len(in))
	for _, v := range in {
		w, err := conv(v)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// ErrSession marks an HTTP-layer authentication failure (a 401 without a
// wire status: missing, expired or revoked token, ended session): logging
// in again may cure it, unlike a wire status such as InvalidCredentials.
var ErrSession = errors.New("httpapi: session not authenticated")

// DecodeError turns an error answer into an error: the wire status of a
// body with an id (errors.Is matches the sentinel, the text carries the
// server's reason), otherwise a status by HTTP code; a 401 of the HTTP
// layer also matches ErrSession.
func DecodeError(status int, body []byte) error {
	var e Error
	_ = json.Unmarshal(body, &e) // a non-JSON body leaves e zero
	reason := e.Reason
	if reason == "" {
		reason = strings.TrimSpace(string(body))
	}
	if e.ID != 0 {
		var we *wire.Error
		if errors.As(wire.ErrorFromCode(e.ID), &we) {
			return we.Detail("http %d: %s", status, reason)
		}
	}
	we := httpStatusError(status)
	if status == http.StatusUnauthorized {
		return fmt.Errorf("%w: %w", ErrSession, we.Detail("http %d %s: %s", status, e.Code, reason))
	}
	return we.Detail("http %d %s: %s", status, e.Code, reason)
}

// httpStatusError maps an HTTP status without a wire code.
func httpStatusError(status int) *wire.Error {
	switch status {
	case http.StatusUnauthorized:
		return wire.ErrUnauthenticated
	case http.StatusForbidden:
		return wire.ErrUnauthorized
	case http.StatusNotFound:
		return wire.ErrResourceNotFound
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		return wire.ErrInvalidHTTPRequest
	}
	return wire.ErrHTTPResponseError
}
