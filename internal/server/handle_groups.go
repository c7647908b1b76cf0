package server

import (
	"context"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/sdk/wire"
)

func (s *Server) groupDetails(t *metadata.Topic, g *metadata.Group) wire.ConsumerGroupDetails {
	s.groupsMu.Lock()
	members := s.members.Members(metadata.GroupKey{StreamID: t.StreamID, TopicID: t.ID, GroupID: g.ID})
	s.groupsMu.Unlock()
	d := wire.ConsumerGroupDetails{ConsumerGroupHeader: wire.ConsumerGroupHeader{ID: g.ID,
		PartitionsCount: t.PartitionsCount(), MembersCount: uint32(len(members)), Name: g.Name}}
	for _, m := range members {
		d.Members = append(d.Members, wire.ConsumerGroupMember{ID: m.ID, Partitions: m.Partitions})
	}
	return d
}

// resolveGroup resolves stream, topic and group and checks "read topic",
// which every consumer-group command needs (§4.0).
func (c *session) resolveGroup(st *metadata.State, userID uint32, stream, topic, group wire.Identifier) (*metadata.Topic, *metadata.Group, error) {
	t, err := st.ResolveTopic(stream, topic)
	if err != nil {
		return nil, nil, err
	}
	if err := authorizeIn(st, userID, metadata.ActionReadTopic, t.StreamID, t.ID); err != nil {
		return nil, nil, err
	}
	g, err := t.ResolveGroup(group)
	return t, g, err
}

func (c *session) getGroup(userID uint32, q wire.GetConsumerGroupRequest) ([]byte, error) {
	var out []byte
	var err error
	c.srv.meta.View(func(st *metadata.State) {
		t, g, rerr := c.resolveGroup(st, userID, q.StreamID, q.TopicID, q.GroupID)
		if rerr != nil {
			if wire.StatusCode(rerr) == wire.ErrUnauthorized.Code {
				err = rerr
			}
			return // not found is an empty answer
		}
		out = c.srv.groupDetails(t, g).AppendTo(c.scratch[:0])
	})
	return out, err
}

func (c *session) getGroups(userID uint32, q wire.GetConsumerGroupsRequest) ([]byte, error) {
	out := c.scratch[:0]
	var err error
	c.srv.meta.View(func(st *metadata.State) {
		t, rerr := st.ResolveTopic(q.StreamID, q.TopicID)
		if rerr != nil {
			return
		}
		if err = authorizeIn(st, userID, metadata.ActionReadTopic, t.StreamID, t.ID); err != nil {
			return
		}
		for g := range t.Groups() {
			out = c.srv.groupDetails(t, g).ConsumerGroupHeader.AppendTo(out)
		}
	})
	return out, err
}

func (c *session) createGroup(ctx context.Context, userID uint32, q wire.CreateConsumerGroupRequest) ([]byte, error) {
	sid, tid, err := c.resolveForAction(userID, metadata.ActionReadTopic, q.StreamID, &q.TopicID)
	if err != nil {
		return nil, err
	}
	res, err := c.srv.submit(ctx, metadata.CreateConsumerGroup{Stream: wire.NumericID(sid), Topic: wire.NumericID(tid), Name: q.Name})
	if err != nil {
		return nil, err
	}
	var out []byte
	c.srv.meta.View(func(st *metadata.State) {
		if t, err := st.ResolveTopic(wire.NumericID(sid), wire.NumericID(tid)); err == nil {
			if g := t.Group(res.GroupID); g != nil {
				out = c.srv.groupDetails(t, g).ConsumerGroupHeader.AppendTo(c.scratch[:0])
			}
		}
	})
	return out, nil
}

func (c *session) deleteGroup(ctx context.Context, userID uint32, q wire.DeleteConsumerGroupRequest) ([]byte, error) {
	var key metadata.GroupKey
	var err error
	c.srv.meta.View(func(st *metadata.State) {
		t, g, rerr := c.resolveGroup(st, userID, q.StreamID, q.TopicID, q.GroupID)
		if err = rerr; err == nil {
			key = metadata.GroupKey{StreamID: t.StreamID, TopicID: t.ID, GroupID: g.ID}
		}
	})
	if err != nil {
		return nil, err
	}
	_, err = c.srv.submit(ctx, metadata.DeleteConsumerGroup{Stream: wire.NumericID(key.StreamID),
		Topic: wire.NumericID(key.TopicID), Group: wire.NumericID(key.GroupID)})
	return nil, err
}

func (c *session) joinGroup(userID uint32, q wire.JoinConsumerGroupRequest) ([]byte, error) {
	if err := c.srv.requirePrimary("consumer group membership"); err != nil {
		return nil, err
	}
	var err error
	c.srv.meta.View(func(st *metadata.State) {
		t, g, rerr := c.resolveGroup(st, userID, q.StreamID, q.TopicID, q.GroupID)
		if err = rerr; err != nil {
			return
		}
		// Joining under the view keeps the partition count current: a
		// partition change cannot slip between reading it and joining.
		c.srv.groupsMu.Lock()
		c.srv.members.Join(metadata.GroupKey{StreamID: t.StreamID, TopicID: t.ID, GroupID: g.ID}, c.id, t.PartitionsCount())
		c.srv.groupsMu.Unlock()
	})
	return nil, err
}

func (c *session) leaveGroup(userID uint32, q wire.LeaveConsumerGroupRequest) ([]byte, error) {
	var err error
	c.srv.meta.View(func(st *metadata.State) {
		t, g, rerr := c.resolveGroup(st, userID, q.StreamID, q.TopicID, q.GroupID)
		if err = rerr; err != nil {
			return
		}
		c.srv.groupsMu.Lock()
		err = c.srv.members.Leave(metadata.GroupKey{StreamID: t.StreamID, TopicID: t.ID, GroupID: g.ID}, c.id)
		c.srv.groupsMu.Unlock()
	})
	return nil, err
}
