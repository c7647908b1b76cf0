package wire

import (
	"encoding/binary"
	"maps"
	"slices"
)

// GlobalPermissions are the ten server-wide permission flags, in wire order.
type GlobalPermissions struct {
	ManageServers bool
	ReadServers   bool
	ManageUsers   bool
	ReadUsers     bool
	ManageStreams bool
	ReadStreams   bool
	ManageTopics  bool
	ReadTopics    bool
	PollMessages  bool
	SendMessages  bool
}

// StreamPermissions apply to one stream and everything in it.
type StreamPermissions struct {
	ManageStream bool
	ReadStream   bool
	ManageTopics bool
	ReadTopics   bool
	PollMessages bool
	SendMessages bool
	Topics       map[uint32]TopicPermissions
}

// TopicPermissions apply to one topic.
type TopicPermissions struct {
	ManageTopic  bool
	ReadTopic    bool
	PollMessages bool
	SendMessages bool
}

// Permissions is a user's whole permission set (reference §2.7). A nil
// *Permissions means "none at all".
type Permissions struct {
	Global  GlobalPermissions
	Streams map[uint32]StreamPermissions
}

// AllPermissions is what the root user holds.
func AllPermissions() *Permissions {
	return &Permissions{Global: GlobalPermissions{
		ManageServers: true, ReadServers: true, ManageUsers: true, ReadUsers: true,
		ManageStreams: true, ReadStreams: true, ManageTopics: true, ReadTopics: true,
		PollMessages: true, SendMessages: true,
	}}
}

// AppendPermissions appends the permissions block (§2.7) for p, streams and
// topics sorted by id. A nil p is written as "no permissions at all".
func AppendPermissions(b []byte, p *Permissions) []byte {
	if p == nil {
		p = &Permissions{}
	}
	g := p.Global
	for _, v := range [...]bool{g.ManageServers, g.ReadServers, g.ManageUsers, g.ReadUsers,
		g.ManageStreams, g.ReadStreams, g.ManageTopics, g.ReadTopics, g.PollMessages, g.SendMessages} {
		b = appendBool(b, v)
	}
	streamIDs := slices.Sorted(maps.Keys(p.Streams))
	b = appendBool(b, len(streamIDs) > 0)
	for i, sid := range streamIDs {
		s := p.Streams[sid]
		b = appendU32(b, sid)
		for _, v := range [...]bool{s.ManageStream, s.ReadStream, s.ManageTopics, s.ReadTopics,
			s.PollMessages, s.SendMessages} {
			b = appendBool(b, v)
		}
		topicIDs := slices.Sorted(maps.Keys(s.Topics))
		b = appendBool(b, len(topicIDs) > 0)
		for j, tid := range topicIDs {
			t := s.Topics[tid]
			b = appendU32(b, tid)
			b = appendBool(b, t.ManageTopic)
			b = appendBool(b, t.ReadTopic)
			b = appendBool(b, t.PollMessages)
			b = appendBool(b, t.SendMessages)
			b = appendBool(b, j+1 < len(topicIDs))
		}
		b = appendBool(b, i+1 < len(streamIDs))
	}
	return b
}

// DecodePermissions decodes a whole permissions block; bytes after it are
// an error (the block's length is always known from its prefix).
func DecodePermissions(b []byte) (*Permissions, error) {
	r := newReader(b)
	p := r.permissions()
	if r.err == nil && r.remaining() != 0 {
		return nil, ErrInvalidFormat.Detail("permissions: %d bytes after the block", r.remaining())
	}
	return p, r.err
}

// permissions reads a block in any stream/topic order, as Rust does: has_*
// markers must be exactly 1 to open a list, a zero has_next ends it, and a
// repeated id overwrites the earlier entry.
func (r *reader) permissions() *Permissions {
	var p Permissions
	g := &p.Global
	for _, f := range [...]*bool{&g.ManageServers, &g.ReadServers, &g.ManageUsers, &g.ReadUsers,
		&g.ManageStreams, &g.ReadStreams, &g.ManageTopics, &g.ReadTopics, &g.PollMessages, &g.SendMessages} {
		*f = r.boolean("global permission")
	}
	if !r.flag("has streams") {
		return r.permissionsResult(&p)
	}
	p.Streams = make(map[uint32]StreamPermissions)
	for r.err == nil {
		sid := r.u32("stream id")
		var s StreamPermissions
		for _, f := range [...]*bool{&s.ManageStream, &s.ReadStream, &s.ManageTopics, &s.ReadTopics,
			&s.PollMessages, &s.SendMessages} {
			*f = r.boolean("stream permission")
		}
		if r.flag("has topics") {
			s.Topics = make(map[uint32]TopicPermissions)
			for r.err == nil {
				tid := r.u32("topic id")
				var t TopicPermissions
				t.ManageTopic = r.boolean("topic permission")
				t.ReadTopic = r.boolean("topic permission")
				t.PollMessages = r.boolean("topic permission")
				t.SendMessages = r.boolean("topic permission")
				s.Topics[tid] = t
				if r.u8("has next topic") == 0 {
					break
				}
			}
		}
		p.Streams[sid] = s
		if r.u8("has next stream") == 0 {
			break
		}
	}
	return r.permissionsResult(&p)
}

func (r *reader) permissionsResult(p *Permissions) *Permissions {
	if r.err != nil {
		return nil
	}
	return p
}

// appendPermissionsField writes the request form used by CreateUser and
// UpdatePermissions: flag, then (u32 length + block) when p is not nil.
func appendPermissionsField(b []byte, p *Permissions) []byte {
	if p == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	at := len(b)
	b = appendU32(b, 0)
	b = AppendPermissions(b, p)
	binary.LittleEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	return b
}

// permissionsField reads the request form: a block whose decoded size must
// equal its declared length (else InvalidFormat).
func (r *reader) permissionsField() *Permissions {
	if !r.flag("has permissions") {
		return nil
	}
	declared := r.u32("permissions length")
	if r.err != nil {
		return nil
	}
	start := r.pos
	p := r.permissions()
	if r.err == nil && uint64(r.pos-start) != uint64(declared) {
		r.fail(ErrInvalidFormat.Detail("permissions block of %d bytes declared as %d", r.pos-start, declared))
		return nil
	}
	return p
}
