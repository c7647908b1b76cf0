package vsr

import "testing"

// Two prepares of one request (possible when a retry reaches a primary
// that cannot see the first in its pipeline) execute once; the second
// gets the first's reply.
func TestExecutionDeduplicates(t *testing.T) {
	sm := NewMemoryMachine()
	r, err := New(Config{Cluster: 1, ReplicaCount: 1}, sm, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := &Prepare{Header: Header{Op: 1, Client: 5, Operation: OperationRegister}}
	r.apply(reg)
	body := EncodeAppend(AppendOp{Count: 1, Frames: []byte{1}})
	first := &Prepare{Header: Header{Op: 2, Client: 5, Session: 1, Request: 1, Operation: OperationAppend}, Body: body}
	again := &Prepare{Header: Header{Op: 3, Client: 5, Session: 1, Request: 1, Operation: OperationAppend}, Body: body}
	r.apply(first)
	r.apply(again)
	if sm.Applied() != 1 {
		t.Fatalf("applied %d times, want 1", sm.Applied())
	}
	a := r.out.Applied
	if len(a) != 3 || string(a[1].Result) != string(a[2].Result) {
		t.Fatalf("results %+v", a)
	}
	stale := &Prepare{Header: Header{Op: 4, Client: 5, Session: 99, Request: 2, Operation: OperationAppend}, Body: body}
	r.apply(stale)
	if sm.Applied() != 1 {
		t.Fatal("request of an unknown session executed")
	}
}
