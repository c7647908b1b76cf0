package metadata

import (
	"cmp"
	"slices"

	"github.com/runnel-io/runnel/sdk/wire"
)

// GroupKey names a consumer group by its numeric ids.
type GroupKey struct {
	StreamID uint32
	TopicID  uint32
	GroupID  uint32
}

func compareGroupKeys(a, b GroupKey) int {
	return cmp.Or(cmp.Compare(a.StreamID, b.StreamID), cmp.Compare(a.TopicID, b.TopicID),
		cmp.Compare(a.GroupID, b.GroupID))
}

// Member is one connection's membership of a group.
type Member struct {
	// ID is per group: the highest existing member id + 1, from 0 (§2.13).
	ID       uint32
	ClientID uint32
	// Partitions are the partition ids this member owns, ascending.
	Partitions []uint32
	cursor     uint32 // index of the next partition NextPartition returns
}

type groupMembers struct {
	partitionsCount uint32
	members         []*Member // ascending member id
}

// Membership tracks which connections belong to which consumer groups and
// which partitions each member owns. It is not persisted: memberships die
// with their connections, as in Iggy.
//
// Assignment is recomputed on every join, leave and partition-count change:
// with members sorted by member id, partition p goes to member p mod m. The
// reference allows this simple re-spread (§4.9); it is deterministic and
// as even as possible (member loads differ by at most one).
//
// Not safe for concurrent use; the server guards it with its own lock.
type Membership struct {
	groups  map[GroupKey]*groupMembers
	clients map[uint32]map[GroupKey]struct{}
}

// NewMembership returns an empty Membership.
func NewMembership() *Membership {
	return &Membership{groups: map[GroupKey]*groupMembers{}, clients: map[uint32]map[GroupKey]struct{}{}}
}

// Join makes clientID a member of group g, whose topic has partitionsCount
// partitions, and rebalances. Joining again is a no-op (idempotent, §4.9).
// It returns the member id.
func (m *Membership) Join(g GroupKey, clientID uint32, partitionsCount uint32) uint32 {
	gm := m.groups[g]
	if gm == nil {
		gm = &groupMembers{partitionsCount: partitionsCount}
		m.groups[g] = gm
	}
	if mem := gm.member(clientID); mem != nil {
		return mem.ID
	}
	var id uint32
	if n := len(gm.members); n > 0 {
		id = gm.members[n-1].ID + 1
	}
	gm.members = append(gm.members, &Member{ID: id, ClientID: clientID})
	gm.partitionsCount = partitionsCount
	gm.rebalance()
	if m.clients[clientID] == nil {
		m.clients[clientID] = map[GroupKey]struct{}{}
	}
	m.clients[clientID][g] = struct{}{}
	return id
}

// Leave removes clientID from group g and rebalances. Not a member is 5006.
func (m *Membership) Leave(g GroupKey, clientID uint32) error {
	gm := m.groups[g]
	if gm == nil || gm.member(clientID) == nil {
		return wire.ErrConsumerGroupMemberNotFound.Detail("metadata: client %d is not a member of group %d/%d/%d",
			clientID, g.StreamID, g.TopicID, g.GroupID)
	}
	m.leave(g, gm, clientID)
	return nil
}

func (m *Membership) leave(g GroupKey, gm *groupMembers, clientID uint32) {
	gm.members = slices.DeleteFunc(gm.members, func(mem *Member) bool { return mem.ClientID == clientID })
	gm.rebalance()
	if len(gm.members) == 0 {
		delete(m.groups, g)
	}
	if cg := m.clients[clientID]; cg != nil {
		delete(cg, g)
		if len(cg) == 0 {
			delete(m.clients, clientID)
		}
	}
}

// RemoveClient drops a closed connection from every group it joined and
// returns those groups in key order.
func (m *Membership) RemoveClient(clientID uint32) []GroupKey {
	keys := m.ClientGroups(clientID)
	for _, g := range keys {
		m.leave(g, m.groups[g], clientID)
	}
	return keys
}

// ClientGroups lists the groups clientID belongs to in key order (for
// ClientDetails).
func (m *Membership) ClientGroups(clientID uint32) []GroupKey {
	keys := make([]GroupKey, 0, len(m.clients[clientID]))
	for g := range m.clients[clientID] {
		keys = append(keys, g)
	}
	slices.SortFunc(keys, compareGroupKeys)
	return keys
}

// DeleteGroup forgets group g and all its members.
func (m *Membership) DeleteGroup(g GroupKey) {
	gm := m.groups[g]
	if gm == nil {
		return
	}
	for _, mem := range gm.members {
		if cg := m.clients[mem.ClientID]; cg != nil {
			delete(cg, g)
			if len(cg) == 0 {
				delete(m.clients, mem.ClientID)
			}
		}
	}
	delete(m.groups, g)
}

// DeleteTopic forgets every group of the topic.
func (m *Membership) DeleteTopic(streamID, topicID uint32) {
	m.deleteWhere(func(g GroupKey) bool { return g.StreamID == streamID && g.TopicID == topicID })
}

// DeleteStream forgets every group of every topic of the stream.
func (m *Membership) DeleteStream(streamID uint32) {
	m.deleteWhere(func(g GroupKey) bool { return g.StreamID == streamID })
}

func (m *Membership) deleteWhere(match func(GroupKey) bool) {
	for g := range m.groups {
		if match(g) {
			m.DeleteGroup(g)
		}
	}
}

// SetPartitionsCount rebalances every group of the topic after its
// partition count changed.
func (m *Membership) SetPartitionsCount(streamID, topicID, partitionsCount uint32) {
	for g, gm := range m.groups {
		if g.StreamID == streamID && g.TopicID == topicID && gm.partitionsCount != partitionsCount {
			gm.partitionsCount = partitionsCount
			gm.rebalance()
		}
	}
}

// Observe updates memberships after op was applied successfully with
// result res: deleted streams, topics and groups lose their members, and a
// partition-count change rebalances the topic's groups. Ids are reused
// (§2.13), so forgetting deleted groups keeps a new group with a reused id
// from inheriting members.
func (m *Membership) Observe(op Op, res Result) {
	switch op.(type) {
	case DeleteStream:
		m.DeleteStream(res.StreamID)
	case DeleteTopic:
		m.DeleteTopic(res.StreamID, res.TopicID)
	case DeleteConsumerGroup:
		m.DeleteGroup(GroupKey{StreamID: res.StreamID, TopicID: res.TopicID, GroupID: res.GroupID})
	case CreatePartitions, DeletePartitions:
		m.SetPartitionsCount(res.StreamID, res.TopicID, res.PartitionsCount)
	}
}

// Members returns copies of group g's members in member id order.
func (m *Membership) Members(g GroupKey) []Member {
	gm := m.groups[g]
	if gm == nil {
		return nil
	}
	out := make([]Member, len(gm.members))
	for i, mem := range gm.members {
		out[i] = Member{ID: mem.ID, ClientID: mem.ClientID, Partitions: slices.Clone(mem.Partitions)}
	}
	return out
}

// MembersCount is the number of members of group g.
func (m *Membership) MembersCount(g GroupKey) int {
	if gm := m.groups[g]; gm != nil {
		return len(gm.members)
	}
	return 0
}

// IsMember reports whether clientID belongs to group g.
func (m *Membership) IsMember(g GroupKey, clientID uint32) bool {
	gm := m.groups[g]
	return gm != nil && gm.member(clientID) != nil
}

// OwnsPartition reports whether clientID's membership of g owns partition.
// Not a member is 5006; owning nothing of that id is (false, nil), which the
// server answers with 3022 NotResolvedConsumer.
func (m *Membership) OwnsPartition(g GroupKey, clientID, partition uint32) (bool, error) {
	mem, err := m.member(g, clientID)
	if err != nil {
		return false, err
	}
	_, found := slices.BinarySearch(mem.Partitions, partition)
	return found, nil
}

// NextPartition picks the partition for a group poll without an explicit
// partition: round-robin over the member's own partitions. ok is false when
// the member owns none (more members than partitions). Not a member is
// 5006.
func (m *Membership) NextPartition(g GroupKey, clientID uint32) (partition uint32, ok bool, err error) {
	mem, err := m.member(g, clientID)
	if err != nil {
		return 0, false, err
	}
	if len(mem.Partitions) == 0 {
		return 0, false, nil
	}
	i := mem.cursor % uint32(len(mem.Partitions))
	mem.cursor = i + 1
	return mem.Partitions[i], true, nil
}

// CurrentPartition is the partition NextPartition returned last, for a
// poll's auto-commit or a following offset store without a partition.
func (m *Membership) CurrentPartition(g GroupKey, clientID uint32) (partition uint32, ok bool, err error) {
	mem, err := m.member(g, clientID)
	if err != nil {
		return 0, false, err
	}
	if len(mem.Partitions) == 0 {
		return 0, false, nil
	}
	i := (mem.cursor + uint32(len(mem.Partitions)) - 1) % uint32(len(mem.Partitions))
	return mem.Partitions[i], true, nil
}

func (m *Membership) member(g GroupKey, clientID uint32) (*Member, error) {
	if gm := m.groups[g]; gm != nil {
		if mem := gm.member(clientID); mem != nil {
			return mem, nil
		}
	}
	return nil, wire.ErrConsumerGroupMemberNotFound.Detail("metadata: client %d is not a member of group %d/%d/%d",
		clientID, g.StreamID, g.TopicID, g.GroupID)
}

func (gm *groupMembers) member(clientID uint32) *Member {
	for _, mem := range gm.members {
		if mem.ClientID == clientID {
			return mem
		}
	}
	return nil
}

// rebalance spreads partition p to member p mod m (members in id order) and
// restarts every member's round-robin cursor.
func (gm *groupMembers) rebalance() {
	for _, mem := range gm.members {
		mem.Partitions = mem.Partitions[:0]
		mem.cursor = 0
	}
	if len(gm.members) == 0 {
		return
	}
	for p := range gm.partitionsCount {
		mem := gm.members[p%uint32(len(gm.members))]
		mem.Partitions = append(mem.Partitions, p)
	}
}
