package metadata

import (
	"errors"
	"reflect"
	"testing"

	"github.com/runnel-io/runnel/sdk/wire"
)

func assignment(m *Membership, g GroupKey) map[uint32][]uint32 {
	out := map[uint32][]uint32{}
	for _, mem := range m.Members(g) {
		out[mem.ClientID] = mem.Partitions
	}
	return out
}

func TestMembershipRebalance(t *testing.T) {
	m := NewMembership()
	g := GroupKey{StreamID: 1, TopicID: 2, GroupID: 3}
	if id := m.Join(g, 100, 5); id != 0 {
		t.Fatalf("first member id %d", id)
	}
	if got := assignment(m, g); !reflect.DeepEqual(got, map[uint32][]uint32{100: {0, 1, 2, 3, 4}}) {
		t.Fatalf("one member: %v", got)
	}
	if id := m.Join(g, 200, 5); id != 1 {
		t.Fatalf("second member id %d", id)
	}
	if id := m.Join(g, 100, 5); id != 0 {
		t.Fatalf("re-join changed the member id to %d", id)
	}
	m.Join(g, 300, 5)
	want := map[uint32][]uint32{100: {0, 3}, 200: {1, 4}, 300: {2}}
	if got := assignment(m, g); !reflect.DeepEqual(got, want) {
		t.Fatalf("three members: %v, want %v", got, want)
	}
	if err := m.Leave(g, 200); err != nil {
		t.Fatal(err)
	}
	want = map[uint32][]uint32{100: {0, 2, 4}, 300: {1, 3}}
	if got := assignment(m, g); !reflect.DeepEqual(got, want) {
		t.Fatalf("after leave: %v, want %v", got, want)
	}
	// Member ids: max existing + 1, so a newcomer after 2 left gets 3.
	if id := m.Join(g, 400, 5); id != 3 {
		t.Fatalf("member id after a leave: %d, want 3", id)
	}
	if err := m.Leave(g, 200); !errors.Is(err, wire.ErrConsumerGroupMemberNotFound) {
		t.Fatalf("leave twice: %v", err)
	}
	m.SetPartitionsCount(1, 2, 2)
	want = map[uint32][]uint32{100: {0}, 300: {1}, 400: {}}
	if got := assignment(m, g); !reflect.DeepEqual(got, want) {
		t.Fatalf("after shrink: %v, want %v", got, want)
	}
	if _, ok, err := m.NextPartition(g, 400); ok || err != nil {
		t.Fatalf("member without partitions got one: %v %v", ok, err)
	}
}

func TestMembershipNextPartitionRoundRobin(t *testing.T) {
	m := NewMembership()
	g := GroupKey{GroupID: 1}
	m.Join(g, 7, 3)
	var got []uint32
	for range 5 {
		p, ok, err := m.NextPartition(g, 7)
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		cur, _, _ := m.CurrentPartition(g, 7)
		if cur != p {
			t.Fatalf("current %d, last next %d", cur, p)
		}
		got = append(got, p)
	}
	if !reflect.DeepEqual(got, []uint32{0, 1, 2, 0, 1}) {
		t.Fatalf("round robin: %v", got)
	}
	if _, _, err := m.NextPartition(g, 8); !errors.Is(err, wire.ErrConsumerGroupMemberNotFound) {
		t.Fatalf("non-member: %v", err)
	}
	own, err := m.OwnsPartition(g, 7, 2)
	if !own || err != nil {
		t.Fatal("member does not own its partition")
	}
	if own, _ := m.OwnsPartition(g, 7, 3); own {
		t.Fatal("member owns a partition that does not exist")
	}
}

func TestMembershipClientsAndDeletion(t *testing.T) {
	m := NewMembership()
	a := GroupKey{StreamID: 0, TopicID: 0, GroupID: 0}
	b := GroupKey{StreamID: 0, TopicID: 1, GroupID: 0}
	c := GroupKey{StreamID: 1, TopicID: 0, GroupID: 0}
	for _, g := range []GroupKey{c, a, b} {
		m.Join(g, 1, 2)
	}
	m.Join(a, 2, 2)
	if got := m.ClientGroups(1); !reflect.DeepEqual(got, []GroupKey{a, b, c}) {
		t.Fatalf("client groups %v", got)
	}
	m.Observe(DeleteTopic{}, Result{StreamID: 0, TopicID: 1})
	if m.IsMember(b, 1) || m.MembersCount(b) != 0 {
		t.Fatal("membership survived its topic")
	}
	m.Observe(DeleteConsumerGroup{}, Result{StreamID: 1, TopicID: 0, GroupID: 0})
	if got := m.ClientGroups(1); !reflect.DeepEqual(got, []GroupKey{a}) {
		t.Fatalf("client groups after deletes %v", got)
	}
	m.Observe(CreatePartitions{}, Result{StreamID: 0, TopicID: 0, PartitionsCount: 4})
	if got := assignment(m, a); !reflect.DeepEqual(got, map[uint32][]uint32{1: {0, 2}, 2: {1, 3}}) {
		t.Fatalf("after partitions grew: %v", got)
	}
	if got := m.RemoveClient(1); !reflect.DeepEqual(got, []GroupKey{a}) {
		t.Fatalf("RemoveClient returned %v", got)
	}
	if got := assignment(m, a); !reflect.DeepEqual(got, map[uint32][]uint32{2: {0, 1, 2, 3}}) {
		t.Fatalf("after client 1 closed: %v", got)
	}
	m.Observe(DeleteStream{}, Result{StreamID: 0})
	if m.MembersCount(a) != 0 || len(m.ClientGroups(2)) != 0 {
		t.Fatal("membership survived its stream")
	}
	if len(m.groups) != 0 || len(m.clients) != 0 {
		t.Fatalf("leftovers: %v %v", m.groups, m.clients)
	}
}
