package httptransport

import (
	"github.com/runnel-io/runnel/sdk/httpapi"
	"github.com/runnel-io/runnel/sdk/wire"
)

// streamHandler serves streams, topics, partitions, segments.
func streamHandler(code uint32) func(*call) (any, error) {
	switch code {
	case wire.CodeGetStreams:
		return func(c *call) (any, error) {
			return list(c, wire.GetStreamsRequest{}, wire.DecodeStreams, httpapi.StreamOf)
		}
	case wire.CodeCreateStream:
		return createStream
	case wire.CodeGetStream:
		return getStream
	case wire.CodeUpdateStream:
		return updateStream
	case wire.CodeDeleteStream:
		return withStream(func(s wire.Identifier) wire.Request { return wire.DeleteStreamRequest{StreamID: s} })
	case wire.CodePurgeStream:
		return withStream(func(s wire.Identifier) wire.Request { return wire.PurgeStreamRequest{StreamID: s} })
	case wire.CodeGetTopics:
		return getTopics
	case wire.CodeCreateTopic:
		return createTopic
	case wire.CodeGetTopic:
		return getTopic
	case wire.CodeUpdateTopic:
		return updateTopic
	case wire.CodeDeleteTopic:
		return withTopic(func(s, t wire.Identifier) wire.Request { return wire.DeleteTopicRequest{StreamID: s, TopicID: t} })
	case wire.CodePurgeTopic:
		return withTopic(func(s, t wire.Identifier) wire.Request { return wire.PurgeTopicRequest{StreamID: s, TopicID: t} })
	case wire.CodeCreatePartitions:
		return createPartitions
	case wire.CodeDeletePartitions:
		return deletePartitions
	case wire.CodeDeleteSegments:
		return deleteSegments
	}
	return nil
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
	var in httpapi.CreateStream
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return fetch(c, wire.CreateStreamRequest{Name: in.Name}, wire.DecodeStreamHeader, nil, httpapi.StreamOf)
}

func getStream(c *call) (any, error) {
	s, err := c.id("stream_id")
	if err != nil {
		return nil, err
	}
	return fetch(c, wire.GetStreamRequest{StreamID: s}, wire.DecodeStreamDetails, wire.ErrStreamIDNotFound.Detail("stream %s", s), httpapi.StreamDetailsOf)
}

func updateStream(c *call) (any, error) {
	s, err := c.id("stream_id")
	if err != nil {
		return nil, err
	}
	var in httpapi.Name
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
	return list(c, wire.GetTopicsRequest{StreamID: s}, wire.DecodeTopics, httpapi.TopicOf)
}

func createTopic(c *call) (any, error) {
	s, err := c.id("stream_id")
	if err != nil {
		return nil, err
	}
	var in httpapi.CreateTopic
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	comp, err := httpapi.CompressionCode(in.CompressionAlgorithm)
	if err != nil {
		return nil, badRequest("invalid_compression_algorithm", err.Error())
	}
	q := wire.CreateTopicRequest{StreamID: s, PartitionsCount: in.PartitionsCount, CompressionAlgorithm: comp,
		MessageExpiry: in.MessageExpiry, MaxTopicSize: in.MaxTopicSize, ReplicationFactor: in.ReplicationFactor, Name: in.Name}
	return fetch(c, q, wire.DecodeTopicDetails, nil, httpapi.TopicDetailsOf)
}

func getTopic(c *call) (any, error) {
	s, t, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	return fetch(c, wire.GetTopicRequest{StreamID: s, TopicID: t}, wire.DecodeTopicDetails,
		wire.ErrTopicIDNotFound.Detail("topic %s in stream %s", t, s), httpapi.TopicDetailsOf)
}

func updateTopic(c *call) (any, error) {
	s, t, err := c.topicPath()
	if err != nil {
		return nil, err
	}
	var in httpapi.UpdateTopic
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	comp, err := httpapi.CompressionCode(in.CompressionAlgorithm)
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
	var in httpapi.PartitionsCount
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
