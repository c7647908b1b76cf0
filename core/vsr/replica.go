package vsr

import (
	"encoding/binary"
	"fmt"
)

// Status is a replica's protocol status.
type Status uint8

// Statuses.
const (
	StatusNormal Status = iota
	StatusViewChange
	StatusRecovering // restarted: waits for a StartView before taking part
)

func (s Status) String() string {
	return [...]string{"normal", "view_change", "recovering"}[s]
}

// JournalWrite asks the host to store an encoded prepare (op Op) in journal
// slot Slot (Op mod JournalSlots) and then, once that is durable, its first
// HeaderSize bytes in the redundant header slot Slot. The order lets a
// restart tell a torn write (header never written: the op was never
// acknowledged) from a lost one.
type JournalWrite struct {
	Op      uint64
	Slot    uint64
	Prepare []byte
	p       *Prepare
}

// JournalRecord is what the host read back from journal slot Slot at
// restart. Nil means never written; bytes may be torn, corrupt, stale or
// misdirected (the replica checks each record's op against its slot).
type JournalRecord struct {
	Slot    uint64
	Prepare []byte
	Header  []byte
}

// RestartReport says what Restart found in the durable state, for the
// host to log and count. Kept, Faulty and Truncated count ops; Torn, Stale
// and Misdirected count journal records (slots).
type RestartReport struct {
	CheckpointOp uint64 // the checkpoint restored (0: none)
	Head         uint64 // head of the log restart rebuilt
	// Executed counts ops above the checkpoint that Restart itself
	// executed (up to the durable commit number); the rest execute once
	// the replica learns the view.
	Executed uint64
	Kept     int // ops whose prepare verified, placed in the log
	// Faulty counts ops whose redundant header verified but whose prepare
	// did not: they may have been acknowledged and are repaired from peers.
	Faulty    int
	Truncated int // verified ops above the head from an older view, dropped
	// Torn counts unreadable records that no verified header above the
	// checkpoint vouches for: never acknowledged, dropped.
	Torn        int
	Stale       int // readable records the checkpoint covers
	Misdirected int // readable records of another slot or cluster
	// Recovering: the superblock says the disk was lost and reformatted
	// and the replica has not caught up yet; it resumes recovering (see
	// NewRecovering).
	Recovering bool
}

// Applied reports one executed op (for observers and checkers).
type Applied struct {
	Op        uint64
	Checksum  Checksum
	Client    uint64
	Request   uint64
	Operation Operation
	Result    []byte
}

// Ready is what one round of inputs produced. The host must, in order:
// write Checkpoint (if non-nil), then Superblock to every copy (if non-nil),
// then the Writes, durably; send
// Early at any point (they do not depend on the writes); send Messages only
// after the writes are durable; then call Advance. No other input may be
// given between Ready and Advance.
type Ready struct {
	Checkpoint *CheckpointWrite
	Superblock []byte
	Writes     []JournalWrite
	Early      []Envelope
	Messages   []Envelope
	Applied    []Applied
	Synced     uint64 // a peer's checkpoint at this op was installed (state transfer); Applied continues from it
}

// Empty reports whether there is nothing to do.
func (rd *Ready) Empty() bool {
	return rd.Checkpoint == nil && rd.Superblock == nil && len(rd.Writes) == 0 && len(rd.Early) == 0 &&
		len(rd.Messages) == 0 && len(rd.Applied) == 0 && rd.Synced == 0
}

// entry is one op of the log. id is the checksum the op must have (known
// from the hash chain or a trusted header); p is the held prepare matching
// id; cand is an unverified prepare (from disk or an older log) that is
// promoted if id turns out to match.
type entry struct {
	id      Checksum
	idOK    bool
	h       Header
	hOK     bool
	p       *Prepare
	durable bool
	cand    *Prepare
	hcand   *Header // unverified header (a redundant header whose prepare is unreadable)
}

// Replica is one VSR replica. It is not safe for concurrent use.
type Replica struct {
	cfg   Config
	q     Quorums
	n, me int
	sm    StateMachine
	clock Clock

	status    Status
	view      uint64
	logView   uint64
	commitMin uint64 // executed here
	commitMax uint64 // known committed in the cluster
	head      uint64
	base      uint64       // lowest op of ents: executed, its id known
	ents      []entry      // index = op - base, len head-base+1
	contig    uint64       // every op ≤ contig is held durably
	slots     []slotRecord // what each journal slot holds durably (beyond the log too)

	ckpt     checkpoint  // durable
	ckptNext *checkpoint // staged in the current Ready
	sync     syncState

	acked     []uint64 // primary: highest cumulative ack per replica, this view
	queue     []*Message
	lastTS    uint64 // latest timestamp prepared or executed: the next must exceed it
	execTS    uint64 // latest timestamp executed (deterministic: checkpointed)
	viewStart uint64 // primary: head when the view started
	stuckAt   uint64 // primary: tick since which the pipeline has not committed

	svc     uint64 // bitset of StartViewChange senders for view
	dvcs    []*Message
	dvcSent bool

	now, heardAt, vcAt, resendAt, heartbeatAt, prepareAt, repairAt, rsvAt uint64
	rsvAttempts                                                           int
	ackSent                                                               uint64
	repairRound                                                           int

	clients   clientTable
	rng       uint64
	sbSeq     uint64
	out       Ready
	advancing bool
	restart   RestartReport
	rec       recovery // recovering from a lost disk (see NewRecovering)
}

// New returns a fresh replica (empty journal, view 0) in normal status.
func New(cfg Config, sm StateMachine, clock Clock) (*Replica, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Replica{cfg: cfg, q: QuorumsFor(cfg.ReplicaCount), n: cfg.ReplicaCount, me: cfg.Replica,
		sm: sm, clock: clock, clients: newClientTable(cfg.ClientsMax),
		acked: make([]uint64, cfg.ReplicaCount), dvcs: make([]*Message, cfg.ReplicaCount),
		rng: cfg.Seed ^ uint64(cfg.Replica+1)*0x9e3779b97f4a7c15}
	root := rootPrepare(cfg.Cluster)
	r.ents = []entry{{id: root.Checksum, idOK: true, h: root.Header, hOK: true, p: root, durable: true}}
	r.ckpt = checkpoint{id: root.Checksum, slot: 1}
	r.slots = make([]slotRecord, cfg.JournalSlots)
	r.markSlot(0, SlotInfo{Checksum: root.Checksum})
	r.resetTimers()
	return r, nil
}

// Restart rebuilds a replica from its durable state after a crash: the
// superblock (see ReadSuperblock), the checkpoint it references (the bytes
// of checkpoint slot sb.CheckpointSlot; nil when sb.CheckpointOp is 0) and
// every journal record. The replica restores the checkpoint into sm (a
// fresh state machine), replays the journal suffix it can verify, and
// starts recovering: it waits for the primary's StartView before
// acknowledging anything.
func Restart(cfg Config, sm StateMachine, clock Clock, sb Superblock, ckpt []byte, records []JournalRecord) (*Replica, error) {
	r, err := New(cfg, sm, clock)
	if err != nil {
		return nil, err
	}
	if sb.Cluster != 0 && sb.Cluster != r.cfg.Cluster {
		return nil, fmt.Errorf("vsr: superblock of cluster %d, want %d", sb.Cluster, r.cfg.Cluster)
	}
	r.view, r.logView, r.commitMax, r.sbSeq = sb.View, sb.LogView, sb.CommitMax, sb.Seq
	if sb.CheckpointOp > 0 {
		if err := sb.VerifyCheckpoint(ckpt); err != nil {
			return nil, err
		}
		if err := r.restoreCheckpoint(ckpt); err != nil {
			return nil, err
		}
		r.ckpt = checkpoint{op: sb.CheckpointOp, id: sb.CheckpointID, sum: sb.CheckpointChecksum,
			slot: sb.CheckpointSlot, data: ckpt}
		r.ents[0] = entry{id: sb.CheckpointID, idOK: true}
		r.base, r.head, r.commitMin, r.contig = sb.CheckpointOp, sb.CheckpointOp, sb.CheckpointOp, sb.CheckpointOp
		r.slots[0] = slotRecord{}
	}
	cands, faulty, rep := r.classify(records)
	head := max(sb.HeadOp, r.base)
	for op, p := range cands { // order does not matter: max and placement only
		if p.View == r.logView && op > head {
			head = op
		}
	}
	for op, h := range faulty { // a lost or corrupt prepare may have been acked: still the head
		if h.View == r.logView && op > head {
			head = op
		}
	}
	r.grow(head)
	for op, p := range cands {
		if op <= head {
			r.at(op).cand = p
		}
	}
	for op, h := range faulty {
		if op <= head {
			r.at(op).hcand = &h
		}
	}
	for i := len(sb.ViewHeaders) - 1; i >= 0; i-- {
		r.setHeader(sb.ViewHeaders[i])
	}
	if sb.HeadOp > r.base {
		r.setID(sb.HeadOp, sb.HeadID)
	}
	if sb.AnchorOp > r.base && sb.AnchorOp <= head {
		r.setID(sb.AnchorOp, sb.AnchorID)
	}
	if p := cands[head]; p != nil && p.View == r.logView {
		r.setHeader(p.Header)
	} else if h, ok := faulty[head]; ok && h.View == r.logView {
		r.setHeader(h)
	}
	for op, p := range cands {
		r.markSlot(op, SlotInfo{View: p.View, Checksum: p.Checksum})
	}
	for op := range faulty {
		r.markSlot(op, SlotInfo{Faulty: true})
	}
	r.advanceContig()
	r.execute()
	rep.CheckpointOp, rep.Head, rep.Executed = r.ckpt.op, r.head, r.commitMin-r.ckpt.op
	for op := range cands {
		if op <= head {
			rep.Kept++
		} else {
			rep.Truncated++
		}
	}
	for op := range faulty {
		if op <= head {
			rep.Faulty++
		} else {
			rep.Truncated++
		}
	}
	rep.Recovering = sb.Recovering
	r.restart = rep
	r.status = StatusRecovering
	if sb.Recovering {
		if r.n == 1 {
			return nil, fmt.Errorf("vsr: a cluster of one cannot recover a lost disk")
		}
		r.beginRecovery()
		return r, nil
	}
	if r.n == 1 {
		r.startViewChange(r.view + 1)
	}
	return r, nil
}

// classify sorts journal records (ops above the checkpoint) into verified
// candidates and faulty ops: the redundant header names an op whose
// prepare the slot does not hold readably (corrupt, lost or misdirected
// write), so it may have been acknowledged. A slot with neither readable
// is a torn write: never acknowledged, dropped. A record whose op does not
// belong to its slot was misdirected and counts for nothing. The report
// counts the records that yield no op (Restart adds the per-op counts).
func (r *Replica) classify(records []JournalRecord) (map[uint64]*Prepare, map[uint64]Header, RestartReport) {
	cands := make(map[uint64]*Prepare, len(records))
	faulty := make(map[uint64]Header)
	var rep RestartReport
	slots := uint64(r.cfg.JournalSlots)
	for _, rec := range records {
		if rec.Slot >= slots {
			rep.Misdirected++
			continue
		}
		p, err := DecodePrepare(rec.Prepare)
		pValid := err == nil
		pRead := pValid && p.Op%slots == rec.Slot && p.Cluster == r.cfg.Cluster
		pOK := pRead && p.Op > r.ckpt.op
		if pOK {
			cands[p.Op] = p
		}
		h, hValid := decodeHeaderRecord(rec.Header)
		hRead := hValid && h.Op%slots == rec.Slot && h.Cluster == r.cfg.Cluster
		hOK := hRead && h.Op > r.ckpt.op
		if hOK && (!pOK || h.Op > p.Op) {
			faulty[h.Op] = h
		}
		switch {
		case pOK || hOK: // counted per op by Restart (Kept, Faulty)
		case rec.Prepare != nil && !pValid, rec.Prepare == nil && rec.Header != nil && !hValid:
			rep.Torn++ // no header above the checkpoint names it: never acknowledged
		case pRead || hRead:
			rep.Stale++
		default:
			if pValid || hValid {
				rep.Misdirected++
			}
		}
	}
	return cands, faulty, rep
}

// RestartReport says what Restart found (the zero value for a replica
// made by New).
func (r *Replica) RestartReport() RestartReport { return r.restart }

// Accessors.

func (r *Replica) Status() Status       { return r.status }
func (r *Replica) View() uint64         { return r.view }
func (r *Replica) LogView() uint64      { return r.logView }
func (r *Replica) Head() uint64         { return r.head }
func (r *Replica) CommitMin() uint64    { return r.commitMin }
func (r *Replica) CommitMax() uint64    { return r.commitMax }
func (r *Replica) CheckpointOp() uint64 { return r.ckpt.op } // durable checkpoint
func (r *Replica) Index() int           { return r.me }
func (r *Replica) Primary() int         { return PrimaryOf(r.view, r.n) }
func (r *Replica) IsPrimary() bool      { return r.Primary() == r.me }
func (r *Replica) Quorums() Quorums     { return r.q }
func (r *Replica) Config() Config       { return r.cfg }
func (r *Replica) primaryNormal() bool  { return r.status == StatusNormal && r.IsPrimary() }

// Checksum returns the identity of op in this replica's log, if known.
func (r *Replica) Checksum(op uint64) (Checksum, bool) {
	if op > r.head || op < r.base || !r.at(op).idOK {
		return Checksum{}, false
	}
	return r.at(op).id, true
}

// HasReady reports whether Ready would return something.
func (r *Replica) HasReady() bool { return !r.out.Empty() }

// Ready hands out what the last inputs produced; call Advance after
// persisting and sending it.
func (r *Replica) Ready() Ready {
	r.assertNotAdvancing()
	rd := r.out
	r.out = Ready{}
	r.advancing = true
	return rd
}

// Advance tells the replica that rd's writes are durable.
func (r *Replica) Advance(rd Ready) {
	r.advancing = false
	r.checkpointLanded()
	for _, w := range rd.Writes {
		r.landed(w.Op, w.p)
	}
	r.advanceContig()
	r.maybeRecovered()
	switch {
	case r.primaryNormal():
		r.tryCommit()
	case r.status == StatusNormal:
		r.sendAck(false)
	}
	r.execute()
}

func (r *Replica) assertNotAdvancing() {
	if r.advancing {
		panic("vsr: input between Ready and Advance")
	}
}

// landed records that a write reached disk.
func (r *Replica) landed(op uint64, p *Prepare) {
	r.markSlot(op, SlotInfo{View: p.View, Checksum: p.Checksum})
	if op > r.head || op <= r.base {
		return
	}
	e := r.at(op)
	switch {
	case e.p != nil && e.p.Checksum == p.Checksum:
		e.durable = true
	case e.p == nil && e.idOK && e.id == p.Checksum:
		r.setHeader(p.Header)
		e.p, e.durable, e.cand = p, true, nil
	case e.p == nil:
		e.cand = p
	}
}

// Tick advances logical time by one tick.
func (r *Replica) Tick() {
	r.assertNotAdvancing()
	r.now++
	switch r.status {
	case StatusNormal:
		r.tickNormal()
	case StatusViewChange:
		r.tickViewChange()
	case StatusRecovering:
		r.tickRecovering()
	}
	r.tickRecovery()
	r.maybeRecovered()
	if r.now >= r.repairAt {
		r.repairAt = r.now + uint64(r.cfg.RepairTicks)
		r.repair()
	}
}

func (r *Replica) tickNormal() {
	if !r.IsPrimary() {
		if r.now-r.heardAt > r.jitter(r.cfg.PrimaryTimeoutTicks) {
			r.startViewChange(r.view + 1)
		}
		return
	}
	if r.now >= r.heartbeatAt {
		r.heartbeatAt = r.now + uint64(r.cfg.HeartbeatTicks)
		r.broadcast(&Message{Command: CmdCommit, View: r.view, Commit: r.commitMax, Op: r.head}, false)
	}
	if r.now >= r.prepareAt {
		r.prepareAt = r.now + uint64(r.cfg.PrepareTimeoutTicks)
		r.resendUnacked()
	}
	// Abdicate when the pipeline cannot commit (a quorum unreachable, or
	// an op nobody can produce): the next view change may cut it.
	if r.head > r.commitMax && r.now-r.stuckAt > 4*uint64(r.cfg.ViewChangeTicks) {
		r.startViewChange(r.view + 1)
	}
}

func (r *Replica) tickViewChange() {
	if r.now-r.vcAt > r.jitter(r.cfg.ViewChangeTicks) {
		r.startViewChange(r.view + 1)
		return
	}
	if r.now >= r.resendAt {
		r.resendAt = r.now + uint64(r.cfg.ResendTicks)
		r.broadcast(&Message{Command: CmdStartViewChange, View: r.view}, false)
		if r.dvcSent && !r.IsPrimary() {
			r.send(r.Primary(), r.dvcMessage(), false)
		}
	}
}

func (r *Replica) tickRecovering() {
	if r.rec.on || r.now < r.rsvAt { // a lost disk: tickRecovery asks instead
		return
	}
	r.rsvAt = r.now + uint64(r.cfg.ResendTicks)
	if r.rsvAttempts >= r.cfg.RecoveryAttempts {
		r.startViewChange(r.view + 1)
		return
	}
	r.rsvAttempts++
	r.broadcast(&Message{Command: CmdRequestStartView, View: r.view}, false)
}

func (r *Replica) resetTimers() {
	r.heardAt, r.vcAt = r.now, r.now
	r.resendAt, r.heartbeatAt, r.prepareAt, r.rsvAt = r.now, r.now, r.now+uint64(r.cfg.PrepareTimeoutTicks), r.now
}

// jitter spreads a timeout by up to half its length so replicas do not
// time out in lockstep.
func (r *Replica) jitter(ticks int) uint64 {
	r.rng += 0x9e3779b97f4a7c15
	z := r.rng
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return uint64(ticks) + z%uint64(ticks/2+1)
}

// Step processes one message.
func (r *Replica) Step(m *Message) {
	r.assertNotAdvancing()
	if m.Command != CmdRequest && (m.Replica < 0 || m.Replica >= r.n) {
		return
	}
	switch m.Command {
	case CmdRequest:
		r.onRequest(m)
	case CmdPrepare:
		r.onPrepare(m)
	case CmdPrepareOk:
		r.onPrepareOk(m)
	case CmdCommit:
		r.onCommit(m)
	case CmdStartViewChange:
		r.onStartViewChange(m)
	case CmdDoViewChange:
		r.onDoViewChange(m)
	case CmdStartView:
		r.onStartView(m)
	case CmdRequestStartView:
		r.onRequestStartView(m)
	case CmdRequestPrepare:
		r.onRequestPrepare(m)
	case CmdRepair:
		r.onRepair(m)
	case CmdRequestSyncCheckpoint:
		r.onRequestSyncCheckpoint(m)
	case CmdSyncCheckpoint:
		r.onSyncCheckpoint(m)
	case CmdViewReport:
		r.onViewReport(m)
	}
}

// Output helpers.

func (r *Replica) send(to int, m *Message, early bool) {
	if to == r.me {
		return
	}
	m.Replica = r.me
	env := Envelope{To: to, Msg: m}
	if early {
		r.out.Early = append(r.out.Early, env)
	} else {
		r.out.Messages = append(r.out.Messages, env)
	}
}

func (r *Replica) broadcast(m *Message, early bool) {
	for i := range r.n {
		r.send(i, m, early)
	}
}

func (r *Replica) reply(m *Message) {
	m.Replica = r.me
	r.out.Messages = append(r.out.Messages, Envelope{ToClient: true, Client: m.Client, Msg: m})
}

func (r *Replica) write(p *Prepare) {
	if !r.writable(p.Op) {
		panic(fmt.Sprintf("vsr: replica %d: op %d would overwrite a slot no checkpoint covers", r.me, p.Op))
	}
	r.out.Writes = append(r.out.Writes, JournalWrite{Op: p.Op, Slot: p.Op % uint64(r.cfg.JournalSlots),
		Prepare: p.Encode(), p: p})
}

func (r *Replica) persistSuperblock() {
	r.sbSeq++
	sb := Superblock{Seq: r.sbSeq, Cluster: r.cfg.Cluster, Replica: uint32(r.me), View: r.view,
		LogView: r.logView, CommitMax: r.commitMax, HeadOp: r.head, HeadID: r.at(r.head).id,
		AnchorOp: r.commitMin, AnchorID: r.at(r.commitMin).id, ViewHeaders: r.suffix(), Recovering: r.rec.on}
	c := &r.ckpt
	if r.ckptNext != nil {
		c = r.ckptNext
	}
	sb.CheckpointOp, sb.CheckpointID, sb.CheckpointChecksum = c.op, c.id, c.sum
	sb.CheckpointSize, sb.CheckpointSlot = uint64(len(c.data)), c.slot
	r.out.Superblock = sb.Encode()
}

// suffix returns the known headers from the head down (highest first).
func (r *Replica) suffix() []Header {
	hs := make([]Header, 0, suffixHeadersMax)
	for op := r.head; len(hs) < suffixHeadersMax && op > r.commitMin && r.at(op).hOK; op-- {
		hs = append(hs, r.at(op).h)
		if op == 0 {
			break
		}
	}
	return hs
}

func u64Bytes(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// FirstMissing returns the lowest op above the executed prefix whose
// prepare is not held, and whether its checksum is known (diagnostics).
func (r *Replica) FirstMissing() (op uint64, idKnown bool, ok bool) {
	for op := r.commitMin + 1; op <= r.head; op++ {
		if r.at(op).p == nil {
			return op, r.at(op).idOK, true
		}
	}
	return 0, false, false
}

// Describe summarises the replica's journal position (diagnostics).
func (r *Replica) Describe() string {
	s := fmt.Sprintf("base%d ckpt%d contig%d", r.base, r.ckpt.op, r.contig)
	if r.sync.active() {
		s += fmt.Sprintf(" syncing%d@%d/%d", r.sync.op, len(r.sync.buf), r.sync.size)
	}
	return s
}
