package vsrstore_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"log"
	"os"

	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/internal/vsrstore"
)

// host is the smallest host of a cluster of one: persist each Ready, then
// deliver its replies, then Advance.
type host struct {
	r       *vsr.Replica
	st      *vsrstore.Store
	replies []*vsr.Message
}

func (h *host) flush(ctx context.Context) {
	for h.r.HasReady() {
		rd := h.r.Ready()
		if err := h.st.Persist(ctx, rd); err != nil {
			log.Fatal(err) // fatal for this incarnation: reopen and Restart
		}
		for _, e := range rd.Messages { // only now may replies leave
			if e.ToClient {
				h.replies = append(h.replies, e.Msg)
			}
		}
		h.r.Advance(rd)
	}
}

// call submits a request and ticks until its reply is out.
func (h *host) call(ctx context.Context, m *vsr.Message) *vsr.Message {
	h.replies = nil
	h.r.Step(m)
	for h.flush(ctx); len(h.replies) == 0; h.flush(ctx) {
		h.r.Tick()
	}
	return h.replies[0]
}

func start(ctx context.Context, dir string, vc vsr.Config, sc vsrstore.Config) (*host, *vsr.MemoryMachine) {
	st, rec, err := vsrstore.Open(ctx, dir, sc)
	if err != nil {
		log.Fatal(err)
	}
	sm := vsr.NewMemoryMachine()
	r, err := rec.Start(vc, sm, nil) // vsr.New when fresh, else vsr.Restart
	if err != nil {
		log.Fatal(err)
	}
	h := &host{r: r, st: st}
	for h.flush(ctx); r.Status() != vsr.StatusNormal; h.flush(ctx) {
		r.Tick() // a restarted replica of one runs a view change first
	}
	return h, sm
}

// Example runs one replica on a directory, appends, "crashes" (drops
// everything in memory), restarts from the directory and appends again.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "vsrstore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	vc := vsr.Config{Cluster: 1, ReplicaCount: 1, JournalSlots: 64}
	sc := vsrstore.ConfigFor(vc)
	sc.PrepareSizeBytesMax, sc.CheckpointSizeBytesMax = 64<<10, 1<<20 // a small file for the example
	if err := vsrstore.Format(ctx, dir, sc, 0, vc.Cluster); err != nil {
		log.Fatal(err)
	}
	appendOne := func(h *host, session, request uint64) {
		body := vsr.EncodeAppend(vsr.AppendOp{Count: 1, Frames: []byte("hello")})
		rep := h.call(ctx, &vsr.Message{Command: vsr.CmdRequest, Client: 9, Session: session, Request: request,
			Operation: vsr.OperationAppend, Body: body})
		res, _ := vsr.DecodeAppendResult(rep.Body)
		fmt.Printf("request %d: op %d, offset %d\n", request, rep.Op, res.FirstOffset)
	}

	h, _ := start(ctx, dir, vc, sc)
	reg := h.call(ctx, &vsr.Message{Command: vsr.CmdRequest, Client: 9, Operation: vsr.OperationRegister})
	session := binary.LittleEndian.Uint64(reg.Body)
	appendOne(h, session, 1)
	appendOne(h, session, 2)
	h.st.Close() // the crash: nothing but what Persist made durable survives

	h, sm := start(ctx, dir, vc, sc)
	defer h.st.Close()
	fmt.Println("after restart: executed", sm.Applied(), "appends")
	appendOne(h, session, 3)
	// Output:
	// request 1: op 2, offset 0
	// request 2: op 3, offset 1
	// after restart: executed 2 appends
	// request 3: op 4, offset 2
}
