package httptransport

import (
	"net/http"

	"github.com/runnel-io/runnel/sdk/wire"
)

// streamRoutes: streams, topics, partitions, segments.
func (t *Transport) streamRoutes() []route {
	const topic = "/streams/{stream_id}/topics/{topic_id}"
	return []route{
		{method: "GET", path: "/streams", summary: "List streams", status: http.StatusOK, out: []streamJSON{},
			serve: func(c *call) (any, error) { return list(c, wire.GetStreamsRequest{}, wire.DecodeStreams, streamOf) }},
		{method: "POST", path: "/streams", summary: "Create a stream (the server assigns its id)", status: http.StatusCreated,
			body: createStreamJSON{}, out: streamJSON{}, serve: createStream},
		{method: "GET", path: "/streams/{stream_id}", summary: "Get a stream with its topics", status: http.StatusOK,
			out: streamDetailsJSON{}, serve: getStream},
		{method: "PUT", path: "/streams/{stream_id}", summary: "Rename a stream", status: http.StatusNoContent,
			body: nameJSON{}, serve: updateStream},
		{method: "DELETE", path: "/streams/{stream_id}", summary: "Delete a stream", status: http.StatusNoContent,
			serve: withStream(func(s wire.Identifier) wire.Request { return wire.DeleteStreamRequest{StreamID: s} })},
		{method: "DELETE", path: "/streams/{stream_id}/purge", summary: "Delete every message of a stream", status: http.StatusNoContent,
			serve: withStream(func(s wire.Identifier) wire.Request { return wire.PurgeStreamRequest{StreamID: s} })},
		{method: "GET", path: "/streams/{stream_id}/topics", summary: "List a stream's topics", status: http.StatusOK,
			out: []topicJSON{}, serve: getTopics},
		{method: "POST", path: "/streams/{stream_id}/topics", summary: "Create a topic (the server assigns its id)", status: http.StatusCreated,
			body: createTopicJSON{}, out: topicDetailsJSON{}, serve: createTopic},
		{method: "GET", path: topic, summary: "Get a topic with its partitions", status: http.StatusOK,
			out: topicDetailsJSON{}, serve: getTopic},
		{method: "PUT", path: topic, summary: "Update a topic", status: http.StatusNoContent,
			body: updateTopicJSON{}, serve: updateTopic},
		{method: "DELETE", path: topic, summary: "Delete a topic", status: http.StatusNoContent,
			serve: withTopic(func(s, t wire.Identifier) wire.Request { return wire.DeleteTopicRequest{StreamID: s, TopicID: t} })},
		{method: "DELETE", path: topic + "/purge", summary: "Delete every message of a topic", status: http.StatusNoContent,
			serve: withTopic(func(s, t wire.Identifier) wire.Request { return wire.PurgeTopicRequest{StreamID: s, TopicID: t} })},
		{method: "POST", path: topic + "/partitions", summary: "Add partitions to a topic", status: http.StatusCreated,
			body: partitionsCountJSON{}, serve: createPartitions},
		{method: "DELETE", path: topic + "/partitions", summary: "Remove the last partitions of a topic", status: http.StatusNoContent,
			query: []param{{name: "partitions_count", kind: "integer", doc: "how many partitions to remove", required: true}},
			serve: deletePartitions},
		{method: "DELETE", path: topic + "/partitions/{partition_id}", summary: "Delete the oldest segments of a partition", status: http.StatusNoContent,
			query: []param{{name: "segments_count", kind: "integer", doc: "how many segments to delete", required: true}},
			serve: deleteSegments},
	}
}

// withStream serves a route whose only input is the stream id.
func withStream(build func(stream wire.Identifier) wire.Request) func(*call) (any, error) {
	return func(c *call) (any, error) {
		s, err := c.id("stream_id")
		if err != nil {
			return nil, err
		}
		return c.do(build(s))
	}
}

// withTopic serves a route whose only inputs are the stream and topic ids.
func withTopic(build func(stream, topic wire.Identifier) wire.Request) func(*call) (any, error) {
	return func(c *call) (any, error) {
		s, t, err := c.topicPath()
		if err != nil {
			return nil, err
		}
		return c.do(build(s, t))
	}
}

func (c *call) topicPath() (stream, topic wire.Identifier, err error) {
	if stream, err = c.id("stream_id"); err != nil {
		return stream, topic, err
	}
	topic, err = c.id("topic_id")
	return stream, topic, err
}

func createStream(c *call) (any, error) {
	var in createStreamJSON
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return fetch(c, wire.CreateStreamRequest{Name: in.Name}, wire.DecodeStreamHeader, nil, streamOf)
}

func getStream(c *call) (any, error) {
	s, err := c.id("stream_id")
	if err != nil {
		return nil, err
	}
	return fetch(c, wire.GetStreamRequest{StreamID: s}, wire.DecodeStreamDetails, wire.ErrStreamIDNotFound.Detail("stream %s", s), streamDetailsOf)
}

func updateStream(c *call) (any, error) {
	s, err := c.id("stream_id")
	if err != nil {
		return nil, err
	}
	var in nameJSON
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return c.do(wire.UpdateStreamRequest{StreamID: s, Name: in.Name})
}

func getTopics(c *call) (any, error) {
	s, err := c.id("stream_id")
	if err != nil {
		return nil, err
	}
	return list(c, wire.GetTopicsRequest{StreamID: s}, wire.DecodeTopics, topicOf)
}

func createTopic(c *call) (any, error) {
	s, err := c.id("stream_id")
	if err != nil {
		return nil, err
	}
	var in createTopicJSON
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	comp, err := compressionCode(in.CompressionAlgorithm)
	if err != nil {
		return nil, badRequest("invalid_compression_algorithm", err.Error())
	}
	q := wire.CreateTopicRequest{StreamID: s, PartitionsCount: in.PartitionsCount, CompressionAlgorithm: comp,
		MessageExpiry: in.MessageExpiry, MaxTopicSize: in.MaxTopicSize, ReplicationFactor: in.ReplicationFactor, Name: in.Name}
	return fetch(c, q, wire.DecodeTopicDetails, nil, topicDetailsOf)
}

func getTopic(c *call) (any, error) {
	s, t, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	return fetch(c, wire.GetTopicRequest{StreamID: s, TopicID: t}, wire.DecodeTopicDetails,
		wire.ErrTopicIDNotFound.Detail("topic %s in stream %s", t, s), topicDetailsOf)
}

func updateTopic(c *call) (any, error) {
	s, t, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	var in updateTopicJSON
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	comp, err := compressionCode(in.CompressionAlgorithm)
	if err != nil {
		return nil, badRequest("invalid_compression_algorithm", err.Error())
	}
	return c.do(wire.UpdateTopicRequest{StreamID: s, TopicID: t, CompressionAlgorithm: comp, MessageExpiry: in.MessageExpiry,
		MaxTopicSize: in.MaxTopicSize, ReplicationFactor: in.ReplicationFactor, Name: in.Name})
}

func createPartitions(c *call) (any, error) {
	s, t, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	var in partitionsCountJSON
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return c.do(wire.CreatePartitionsRequest{StreamID: s, TopicID: t, PartitionsCount: in.PartitionsCount})
}

func deletePartitions(c *call) (any, error) {
	s, t, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	n, err := c.u32("partitions_count", 0, false)
	if err != nil {
		return nil, err
	}
	return c.do(wire.DeletePartitionsRequest{StreamID: s, TopicID: t, PartitionsCount: n})
}

func deleteSegments(c *call) (any, error) {
	s, t, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	p, err := c.u32("partition_id", 0, true)
	if err != nil {
		return nil, err
	}
	n, err := c.u32("segments_count", 0, false)
	if err != nil {
		return nil, err
	}
	return c.do(wire.DeleteSegmentsRequest{StreamID: s, TopicID: t, PartitionID: p, SegmentsCount: n})
}
