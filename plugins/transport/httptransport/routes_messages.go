package httptransport

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/runnel-io/runnel/sdk/httpapi"
	"github.com/runnel-io/runnel/sdk/wire"
)

// messageHandler serves messages, consumer offsets, consumer groups.
func messageHandler(code uint32) func(*call) (any, error) {
	switch code {
	case wire.CodePollMessages:
		return pollMessages
	case wire.CodeSendMessages:
		return sendMessages
	case wire.CodeFlushUnsavedBuffer:
		return flushUnsaved
	case wire.CodeGetConsumerOffset:
		return getOffset
	case wire.CodeStoreConsumerOffset:
		return storeOffset
	case wire.CodeDeleteConsumerOffset:
		return deleteOffset
	case wire.CodeGetConsumerGroups:
		return getGroups
	case wire.CodeCreateConsumerGroup:
		return createGroup
	case wire.CodeGetConsumerGroup:
		return getGroup
	case wire.CodeDeleteConsumerGroup:
		return deleteGroup
	}
	return nil
}

func pollingKind(s string) (uint8, error) {
	k, err := httpapi.PollingKind(s)
	if err != nil {
		return 0, badRequest("invalid_parameter", err.Error())
	}
	return k, nil
}

// consumer reads consumer_id (query) as a single consumer; default 1 as
// in Iggy's serde default.
func (c *call) consumer(fromPath bool) (wire.Consumer, error) {
	s := c.r.URL.Query().Get("consumer_id")
	if fromPath {
		s = c.r.PathValue("consumer_id")
	}
	if s == "" {
		s = "1"
	}
	id, err := parseID("consumer_id", s)
	return wire.SingleConsumer(id), err
}

func pollMessages(c *call) (any, error) {
	q := wire.PollMessagesRequest{}
	var err error
	if q.StreamID, q.TopicID, err = c.topicPath(); err != nil {
		return nil, err
	}
	if q.Consumer, err = c.consumer(false); err != nil {
		return nil, err
	}
	if q.PartitionID, err = c.optPartition(); err != nil {
		return nil, err
	}
	if q.Strategy.Kind, err = pollingKind(c.r.URL.Query().Get("kind")); err != nil {
		return nil, err
	}
	if q.Strategy.Value, err = c.u64("value", 0); err != nil {
		return nil, err
	}
	if q.Count, err = c.u32("count", httpapi.PollCountDefault, false); err != nil {
		return nil, err
	}
	if q.AutoCommit, err = c.flag("auto_commit", false); err != nil {
		return nil, err
	}
	return fetch(c, q, wire.DecodePolledMessages, nil, httpapi.PolledOf)
}

func sendMessages(c *call) (any, error) {
	stream, topic, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	var in httpapi.SendMessages
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	p, err := httpapi.PartitioningOf(in.Partitioning)
	if err != nil {
		return nil, badRequest("invalid_key_value_length", err.Error())
	}
	msgs, err := wireMessages(in.Messages, c.t.now().UnixMicro())
	if err != nil {
		return nil, err
	}
	return c.do(rawRequest{code: wire.CodeSendMessages, payload: wire.AppendSendMessages(nil, stream, topic, p, msgs)})
}

// wireMessages converts the JSON messages. User headers travel as the raw
// header bytes (base64), which the server validates like any TCP batch.
// originMicros stamps them as the client's clock would (Iggy's builder
// does so at deserialization).
func wireMessages(in []httpapi.SendMessage, originMicros int64) ([]wire.Message, error) {
	if len(in) == 0 {
		return nil, badRequest("invalid_messages_count", "messages: want at least one")
	}
	msgs := make([]wire.Message, 0, len(in))
	for i, m := range in {
		id, err := httpapi.MessageID(m.ID)
		if err != nil {
			return nil, badRequest("invalid_message_id", fmt.Sprintf("messages[%d]: %v", i, err))
		}
		msg := wire.Message{ID: id, OriginTimestampMicros: uint64(originMicros), Payload: m.Payload}
		if len(m.UserHeaders) > 0 {
			if msg.Headers, err = wire.DecodeUserHeaders(m.UserHeaders); err != nil {
				return nil, badRequest("invalid_headers", fmt.Sprintf("messages[%d].user_headers: %v", i, err))
			}
		}
		msgs = append(msgs, msg)
	}
	return msgs, nil
}

// rawRequest is a command whose payload is already encoded.
type rawRequest struct {
	code    uint32
	payload []byte
}

func (r rawRequest) Code() uint32             { return r.code }
func (r rawRequest) AppendTo(b []byte) []byte { return append(b, r.payload...) }

func flushUnsaved(c *call) (any, error) {
	s, t, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	p, err := c.u32("partition_id", 0, true)
	if err != nil {
		return nil, err
	}
	fsync, err := c.flag("fsync", true)
	if err != nil {
		return nil, err
	}
	return c.do(wire.FlushUnsavedBufferRequest{StreamID: s, TopicID: t, PartitionID: p, Fsync: fsync})
}

func getOffset(c *call) (any, error) {
	s, t, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	consumer, err := c.consumer(false)
	if err != nil {
		return nil, err
	}
	p, err := c.optPartition()
	if err != nil {
		return nil, err
	}
	return fetch(c, wire.GetConsumerOffsetRequest{Consumer: consumer, StreamID: s, TopicID: t, PartitionID: p},
		wire.DecodeOffsetInfo, wire.ErrConsumerOffsetNotFound.Detail("consumer %s", consumer.ID), httpapi.OffsetOf)
}

func storeOffset(c *call) (any, error) {
	s, t, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	var in httpapi.StoreOffset
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	consumerText := "1"
	if len(in.ConsumerID) > 0 {
		var v any
		if err := json.Unmarshal(in.ConsumerID, &v); err != nil {
			return nil, badRequest("invalid_json", "consumer_id: "+err.Error())
		}
		switch x := v.(type) {
		case string:
			consumerText = x
		case float64:
			consumerText = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			return nil, badRequest("invalid_json", "consumer_id: want a number or a name")
		}
	}
	id, err := parseID("consumer_id", consumerText)
	if err != nil {
		return nil, err
	}
	p := wire.Partition(0)
	if in.PartitionID != nil {
		p = wire.Partition(*in.PartitionID)
	}
	return c.do(wire.StoreConsumerOffsetRequest{Consumer: wire.SingleConsumer(id), StreamID: s, TopicID: t, PartitionID: p, Offset: in.Offset})
}

func deleteOffset(c *call) (any, error) {
	s, t, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	consumer, err := c.consumer(true)
	if err != nil {
		return nil, err
	}
	p, err := c.optPartition()
	if err != nil {
		return nil, err
	}
	return c.do(wire.DeleteConsumerOffsetRequest{Consumer: consumer, StreamID: s, TopicID: t, PartitionID: p})
}

func getGroups(c *call) (any, error) {
	s, t, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	return list(c, wire.GetConsumerGroupsRequest{StreamID: s, TopicID: t}, wire.DecodeConsumerGroups, httpapi.GroupOf)
}

func createGroup(c *call) (any, error) {
	s, t, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	var in httpapi.Name
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return fetch(c, wire.CreateConsumerGroupRequest{StreamID: s, TopicID: t, Name: in.Name}, wire.DecodeConsumerGroupHeader, nil,
		func(g wire.ConsumerGroupHeader) httpapi.GroupDetails {
			return httpapi.GroupDetails{Group: httpapi.GroupOf(g), Members: []httpapi.GroupMember{}}
		})
}

func (c *call) groupPath() (stream, topic, group wire.Identifier, err error) {
	if stream, topic, err = c.topicPath(); err != nil {
		return stream, topic, group, err
	}
	group, err = c.id("group_id")
	return stream, topic, group, err
}

func getGroup(c *call) (any, error) {
	s, t, g, err := c.groupPath()
	if err != nil {
		return nil, err
	}
	return fetch(c, wire.GetConsumerGroupRequest{StreamID: s, TopicID: t, GroupID: g}, wire.DecodeConsumerGroupDetails,
		wire.ErrConsumerGroupIDNotFound.Detail("group %s", g), httpapi.GroupDetailsOf)
}

func deleteGroup(c *call) (any, error) {
	s, t, g, err := c.groupPath()
	if err != nil {
		return nil, err
	}
	return c.do(wire.DeleteConsumerGroupRequest{StreamID: s, TopicID: t, GroupID: g})
}
