package vsrnode

import (
	"errors"
	"testing"

	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/internal/replicabus"
)

// TestLinkDecode: the kind byte, the vsr codec's checks and the sender
// check, each counted.
func TestLinkDecode(t *testing.T) {
	var st counters
	l := &link{cluster: testCluster, stats: &st}
	frame := func(m *vsr.Message, cluster uint64) []byte {
		b, err := vsr.AppendMessage([]byte{kindVSR}, m, cluster)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	commit := &vsr.Message{Command: vsr.CmdCommit, Replica: 1, View: 3, Commit: 9, Op: 10}
	m, err := l.decode(replicabus.Message{From: 1, Body: frame(commit, testCluster)})
	if err != nil || m.Command != vsr.CmdCommit || m.Commit != 9 || m.Replica != 1 {
		t.Fatalf("decode: %+v %v", m, err)
	}
	// A request forwarded by any peer passes; a commit claiming another
	// sender does not.
	req := &vsr.Message{Command: vsr.CmdRequest, Client: 2 << 56, Session: 1, Request: 1,
		Operation: vsr.OperationAppend, Body: []byte("x")}
	if _, err := l.decode(replicabus.Message{From: 1, Body: frame(req, testCluster)}); err != nil {
		t.Fatalf("forwarded request: %v", err)
	}
	if _, err := l.decode(replicabus.Message{From: 2, Body: frame(commit, testCluster)}); !errors.Is(err, errImpostor) {
		t.Fatalf("impostor: %v", err)
	}
	reply := &vsr.Message{Command: vsr.CmdReply, Replica: 0, Client: 1 << 56, Op: 4, Commit: 4}
	if _, err := l.decode(replicabus.Message{From: 2, Body: frame(reply, testCluster)}); !errors.Is(err, errImpostor) {
		t.Fatalf("reply from a non-sender: %v", err)
	}
	if _, err := l.decode(replicabus.Message{From: 1, Body: frame(commit, testCluster+1)}); err == nil {
		t.Fatal("another cluster's frame decoded")
	}
	corrupt := frame(commit, testCluster)
	corrupt[len(corrupt)-1] ^= 1
	if _, err := l.decode(replicabus.Message{From: 1, Body: corrupt}); err == nil {
		t.Fatal("corrupt frame decoded")
	}
	for _, body := range [][]byte{nil, {1, 2, 3}, append([]byte{9}, frame(commit, testCluster)[1:]...)} {
		if _, err := l.decode(replicabus.Message{From: 1, Body: body}); !errors.Is(err, errUnknownKind) {
			t.Fatalf("kind %v: %v", body, err)
		}
	}
	if st.unknownKinds.Load() != 3 || st.badMessages.Load() != 4 {
		t.Fatalf("unknown kinds %d, bad messages %d", st.unknownKinds.Load(), st.badMessages.Load())
	}
}
