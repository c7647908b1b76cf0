package httptransport

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/runnel-io/runnel/sdk/wire"
)

// pollCountDefault is Iggy's DEFAULT_NUMBER_OF_MESSAGES_TO_POLL.
const pollCountDefault = 10

// messageRoutes: messages, consumer offsets, consumer groups.
func (t *Transport) messageRoutes() []route {
	const topic = "/streams/{stream_id}/topics/{topic_id}"
	consumer := param{name: "consumer_id", kind: "string", doc: "consumer id (number) or name; default 1"}
	partition := param{name: "partition_id", kind: "integer", doc: "partition id; default 0"}
	return []route{
		{method: "GET", path: topic + "/messages", summary: "Poll messages (as a single consumer)", status: http.StatusOK,
			query: []param{consumer, partition,
				{name: "kind", kind: "string", doc: "polling strategy: offset (default), timestamp, first, last, next"},
				{name: "value", kind: "integer", doc: "offset or timestamp (µs) for the strategy; default 0"},
				{name: "count", kind: "integer", doc: "messages at most; default 10"},
				{name: "auto_commit", kind: "boolean", doc: "store the offset of the last message polled"}},
			out: polledMessagesJSON{}, serve: pollMessages},
		{method: "POST", path: topic + "/messages", summary: "Send messages (payloads base64)", status: http.StatusCreated,
			body: sendMessagesJSON{}, serve: sendMessages},
		{method: "GET", path: topic + "/messages/flush/{partition_id}/{fsync}", summary: "Flush a partition's unsaved messages to disk",
			status: http.StatusOK, serve: flushUnsaved},
		{method: "GET", path: topic + "/consumer-offsets", summary: "Get a consumer's stored offset", status: http.StatusOK,
			query: []param{consumer, partition}, out: offsetJSON{}, serve: getOffset},
		{method: "PUT", path: topic + "/consumer-offsets", summary: "Store a consumer's offset", status: http.StatusNoContent,
			body: storeOffsetJSON{}, serve: storeOffset},
		{method: "DELETE", path: topic + "/consumer-offsets/{consumer_id}", summary: "Delete a consumer's stored offset",
			status: http.StatusNoContent, query: []param{partition}, serve: deleteOffset},
		{method: "GET", path: topic + "/consumer-groups", summary: "List consumer groups", status: http.StatusOK,
			out: []groupJSON{}, serve: getGroups},
		{method: "POST", path: topic + "/consumer-groups", summary: "Create a consumer group", status: http.StatusCreated,
			body: nameJSON{}, out: groupDetailsJSON{}, serve: createGroup},
		{method: "GET", path: topic + "/consumer-groups/{group_id}", summary: "Get a consumer group with its members",
			status: http.StatusOK, out: groupDetailsJSON{}, serve: getGroup},
		{method: "DELETE", path: topic + "/consumer-groups/{group_id}", summary: "Delete a consumer group",
			status: http.StatusNoContent, serve: deleteGroup},
	}
}

func pollingKind(s string) (uint8, error) {
	switch s {
	case "", "offset":
		return wire.PollingOffset, nil
	case "timestamp":
		return wire.PollingTimestamp, nil
	case "first":
		return wire.PollingFirst, nil
	case "last":
		return wire.PollingLast, nil
	case "next":
		return wire.PollingNext, nil
	}
	return 0, badRequest("invalid_parameter", fmt.Sprintf("kind %q: want offset, timestamp, first, last or next", s))
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
	if q.Count, err = c.u32("count", pollCountDefault, false); err != nil {
		return nil, err
	}
	if q.AutoCommit, err = c.flag("auto_commit", false); err != nil {
		return nil, err
	}
	return fetch(c, q, wire.DecodePolledMessages, nil, polledOf)
}

func sendMessages(c *call) (any, error) {
	stream, topic, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	var in sendMessagesJSON
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	p, err := partitioningOf(in.Partitioning)
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
func wireMessages(in []sendMessageJSON, originMicros int64) ([]wire.Message, error) {
	if len(in) == 0 {
		return nil, badRequest("invalid_messages_count", "messages: want at least one")
	}
	msgs := make([]wire.Message, 0, len(in))
	for i, m := range in {
		id, err := messageID(m.ID)
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
		wire.DecodeOffsetInfo, wire.ErrConsumerOffsetNotFound.Detail("consumer %s", consumer.ID), offsetOf)
}

func offsetOf(o wire.OffsetInfo) offsetJSON {
	return offsetJSON{PartitionID: o.PartitionID, CurrentOffset: o.CurrentOffset, StoredOffset: o.StoredOffset}
}

func storeOffset(c *call) (any, error) {
	s, t, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	var in storeOffsetJSON
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
	return list(c, wire.GetConsumerGroupsRequest{StreamID: s, TopicID: t}, wire.DecodeConsumerGroups, groupOf)
}

func createGroup(c *call) (any, error) {
	s, t, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	var in nameJSON
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return fetch(c, wire.CreateConsumerGroupRequest{StreamID: s, TopicID: t, Name: in.Name}, wire.DecodeConsumerGroupHeader, nil,
		func(g wire.ConsumerGroupHeader) groupDetailsJSON {
			return groupDetailsJSON{groupJSON: groupOf(g), Members: []groupMemberJSON{}}
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
		wire.ErrConsumerGroupIDNotFound.Detail("group %s", g), groupDetailsOf)
}

func deleteGroup(c *call) (any, error) {
	s, t, g, err := c.groupPath()
	if err != nil {
		return nil, err
	}
	return c.do(wire.DeleteConsumerGroupRequest{StreamID: s, TopicID: t, GroupID: g})
}
