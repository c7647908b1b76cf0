package metadata

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/runnel-io/runnel/sdk/wire"
)

// Flag names: g.* global, s.* stream entry, t.* topic entry.
var (
	globalFlags = []string{"g.manage_servers", "g.read_servers", "g.manage_users", "g.read_users",
		"g.manage_streams", "g.read_streams", "g.manage_topics", "g.read_topics", "g.poll", "g.send"}
	streamFlags = []string{"s.manage_stream", "s.read_stream", "s.manage_topics", "s.read_topics", "s.poll", "s.send"}
	topicFlags  = []string{"t.manage_topic", "t.read_topic", "t.poll", "t.send"}
)

// onlyFlag builds a permission set holding exactly one flag, placed on
// stream 3 / topic 5 for stream and topic flags.
func onlyFlag(flag string) *wire.Permissions {
	var g wire.GlobalPermissions
	var s wire.StreamPermissions
	var t wire.TopicPermissions
	set := map[string]*bool{
		"g.manage_servers": &g.ManageServers, "g.read_servers": &g.ReadServers, "g.manage_users": &g.ManageUsers,
		"g.read_users": &g.ReadUsers, "g.manage_streams": &g.ManageStreams, "g.read_streams": &g.ReadStreams,
		"g.manage_topics": &g.ManageTopics, "g.read_topics": &g.ReadTopics, "g.poll": &g.PollMessages,
		"g.send": &g.SendMessages, "s.manage_stream": &s.ManageStream, "s.read_stream": &s.ReadStream,
		"s.manage_topics": &s.ManageTopics, "s.read_topics": &s.ReadTopics, "s.poll": &s.PollMessages,
		"s.send": &s.SendMessages, "t.manage_topic": &t.ManageTopic, "t.read_topic": &t.ReadTopic,
		"t.poll": &t.PollMessages, "t.send": &t.SendMessages,
	}
	*set[flag] = true
	p := &wire.Permissions{Global: g}
	switch flag[0] {
	case 's':
		p.Streams = map[uint32]wire.StreamPermissions{3: s}
	case 't':
		p.Streams = map[uint32]wire.StreamPermissions{3: {Topics: map[uint32]wire.TopicPermissions{5: t}}}
	}
	return p
}

// The rows of the reference's §4.0 permission table: which single flags
// grant each capability.
var permissionTable = []struct {
	action Action
	grants []string
}{
	{ActionServerInfo, []string{"g.manage_servers", "g.read_servers"}},
	{ActionReadUsers, []string{"g.manage_users", "g.read_users"}},
	{ActionManageUsers, []string{"g.manage_users"}},
	{ActionListStreams, []string{"g.manage_streams", "g.read_streams"}},
	{ActionReadStream, []string{"g.manage_streams", "g.read_streams", "s.manage_stream", "s.read_stream"}},
	{ActionCreateStream, []string{"g.manage_streams"}},
	{ActionManageStream, []string{"g.manage_streams", "s.manage_stream"}},
	{ActionReadTopics, []string{"g.manage_streams", "g.read_streams", "g.manage_topics", "g.read_topics",
		"s.manage_stream", "s.read_stream", "s.manage_topics", "s.read_topics"}},
	{ActionReadTopic, []string{"g.manage_streams", "g.read_streams", "g.manage_topics", "g.read_topics",
		"s.manage_stream", "s.read_stream", "s.manage_topics", "s.read_topics", "t.manage_topic", "t.read_topic"}},
	{ActionCreateTopic, []string{"g.manage_streams", "g.manage_topics", "s.manage_stream", "s.manage_topics"}},
	{ActionManageTopic, []string{"g.manage_streams", "g.manage_topics", "s.manage_stream", "s.manage_topics",
		"t.manage_topic"}},
	{ActionPoll, []string{"g.poll", "g.read_topics", "g.manage_topics", "g.read_streams", "g.manage_streams",
		"s.manage_stream", "s.read_stream", "s.manage_topics", "s.read_topics", "s.poll",
		"t.manage_topic", "t.read_topic", "t.poll"}},
	{ActionSend, []string{"g.send", "g.manage_streams", "g.manage_topics", "s.manage_stream", "s.manage_topics",
		"s.send", "t.manage_topic", "t.send"}},
}

func TestAuthorizeTable(t *testing.T) {
	all := slices.Concat(globalFlags, streamFlags, topicFlags)
	for _, row := range permissionTable {
		for _, flag := range all {
			t.Run(fmt.Sprintf("%s/%s", row.action, flag), func(t *testing.T) {
				want := slices.Contains(row.grants, flag)
				err := Authorize(onlyFlag(flag), 1, row.action, 3, 5)
				if got := err == nil; got != want {
					t.Fatalf("allowed = %v, want %v (err %v)", got, want, err)
				}
				if err != nil && !errors.Is(err, wire.ErrUnauthorized) {
					t.Fatalf("err %v is not 41", err)
				}
				// Stream and topic entries grant nothing elsewhere.
				if flag[0] != 'g' {
					if Authorize(onlyFlag(flag), 1, row.action, 4, 5) == nil {
						t.Fatal("a stream entry granted rights on another stream")
					}
					if flag[0] == 't' && Authorize(onlyFlag(flag), 1, row.action, 3, 6) == nil {
						t.Fatal("a topic entry granted rights on another topic")
					}
				}
			})
		}
	}
	if len(permissionTable) != int(ActionSend) {
		t.Fatalf("table has %d rows, want one per action (%d)", len(permissionTable), ActionSend)
	}
}

func TestAuthorizeRootAndNobody(t *testing.T) {
	for a := ActionServerInfo; a <= ActionSend; a++ {
		if err := Authorize(wire.AllPermissions(), RootUserID, a, 9, 9); err != nil {
			t.Fatalf("root denied %s: %v", a, err)
		}
		if err := Authorize(nil, 1, a, 0, 0); !errors.Is(err, wire.ErrUnauthorized) {
			t.Fatalf("nil permissions allowed %s", a)
		}
		if err := Authorize(&wire.Permissions{}, 1, a, 0, 0); !errors.Is(err, wire.ErrUnauthorized) {
			t.Fatalf("empty permissions allowed %s", a)
		}
	}
	// Root's rights come from its permission set, not its id.
	if Authorize(nil, RootUserID, ActionSend, 0, 0) == nil {
		t.Fatal("user 0 without permissions was allowed")
	}
	if Authorize(wire.AllPermissions(), 1, Action(99), 0, 0) == nil {
		t.Fatal("unknown action allowed")
	}
}
