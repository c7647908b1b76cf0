package vsrsim

import (
	"fmt"
	"math/rand/v2"
	"runtime/debug"

	"github.com/runnel-io/runnel/core/vsr"
)

// Result summarises one run.
type Result struct {
	Seed        uint64
	Replicas    int
	Clients     int
	Ticks       uint64 // total, safety and liveness phase
	Committed   uint64 // canonical committed ops
	Completed   int    // client requests answered
	View        uint64 // highest view reached
	Crashes     int
	Tears       int
	Corrupted   int
	Lost        int // journal writes lost
	Misdirect   int // journal writes that landed in another slot
	Checkpoints int
	Syncs       int // checkpoints installed by state transfer
	Reformats   int // crashes that lost the whole disk (the replica restarts recovering)
	Recovered   int // reformatted replicas that caught up and left recovering
	Partitions  int
	Messages    int
	Rejected    int    // frames corrupted in flight and rejected by the decoder
	Trace       uint64 // hash of the event stream: equal seeds, equal traces
}

// Summary is the one-line report.
func (r Result) Summary() string {
	return fmt.Sprintf("seed=%d replicas=%d clients=%d ticks=%d committed=%d completed=%d view=%d crashes=%d tears=%d corrupt=%d lost=%d misdirected=%d checkpoints=%d syncs=%d reformats=%d recovered=%d partitions=%d messages=%d rejected=%d trace=%016x",
		r.Seed, r.Replicas, r.Clients, r.Ticks, r.Committed, r.Completed, r.View, r.Crashes, r.Tears,
		r.Corrupted, r.Lost, r.Misdirect, r.Checkpoints, r.Syncs, r.Reformats, r.Recovered, r.Partitions,
		r.Messages, r.Rejected, r.Trace)
}

// Violation is a safety or liveness failure; it names the seed.
type Violation struct {
	Seed   uint64
	Tick   uint64
	Reason string
}

func (v *Violation) Error() string {
	return fmt.Sprintf("vsrsim: seed=%d tick=%d: %s", v.Seed, v.Tick, v.Reason)
}

type node struct {
	r             *vsr.Replica
	sm            *vsr.MemoryMachine
	disk          *disk
	up            bool
	restartAt     uint64
	applied       uint64 // last op executed since (re)start
	viewMax       uint64
	reformat      bool // the disk is lost at the next restart
	wasRecovering bool
}

type stats struct {
	crashes, tears, corrupted, lost, misdirected, checkpoints, syncs, partitions int
	reformats, recovered                                                         int
}

// Cluster is one simulated cluster.
type Cluster struct {
	opts     Options
	faults   faults
	rng      *rand.Rand
	tick     uint64
	nodes    []*node
	net      *network
	clients  []*client
	byID     map[uint64]*client
	canon    []canonOp // index = op
	stats    stats
	traceH   uint64
	healed   bool
	failure  *Violation
	viewMax  uint64
	cfg      vsr.Config
	atlasMax int // replicas whose copy of one op may be corrupted
	// faulty: in seeds that reformat, the atlasMax replicas to which every
	// storage fault (a reformat included) is confined, so that no op is
	// ever faulty on more than Qr−1 replicas at once.
	faulty uint64
}

type canonOp struct {
	checksum vsr.Checksum
	client   uint64
	request  uint64
	result   string
}

// Run simulates one seed: a safety phase with faults, then a liveness phase
// that heals everything and requires convergence.
func Run(opts Options) (res Result, err error) {
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5eed))
	opts, f := opts.withDefaults(rng)
	c := &Cluster{opts: opts, faults: f, rng: rng, byID: make(map[uint64]*client),
		canon: []canonOp{{}}}
	c.net = &network{c: c, inflight: make(map[uint64][]packet)}
	c.cfg = vsr.Config{Cluster: 7, ReplicaCount: opts.Replicas, ClientsMax: opts.Clients + 2,
		Seed: opts.Seed, PipelineMax: simPipelineMax, JournalSlots: opts.JournalSlots,
		CheckpointInterval: opts.CheckpointInterval, SyncChunkBytes: opts.SyncChunkBytes,
		// A quarter of the seeds replicate data prepares by star, not ring
		// (drawn from the seed, not the PRNG, so other draws stay put).
		DataStar: opts.Seed%4 == 3}
	q := vsr.QuorumsFor(opts.Replicas)
	if opts.Replicas >= 3 {
		c.atlasMax = q.Replication - 1
		if f.reformatP > 0 {
			first := int(opts.Seed>>3) % opts.Replicas
			for k := range c.atlasMax {
				c.faulty |= 1 << ((first + k) % opts.Replicas)
			}
		}
	}
	defer func() {
		if p := recover(); p != nil {
			reason := fmt.Sprintf("panic: %v", p)
			if opts.Stack {
				reason += "\n" + string(debug.Stack())
			}
			err = &Violation{Seed: opts.Seed, Tick: c.tick, Reason: reason}
			res = c.result()
		}
	}()
	for i := range opts.Replicas {
		cfg := c.cfg
		cfg.Replica = i
		sm := vsr.NewMemoryMachine()
		r, err := vsr.New(cfg, sm, nil)
		if err != nil {
			return Result{}, err
		}
		c.nodes = append(c.nodes, &node{r: r, sm: sm, disk: newDisk(), up: true})
	}
	for i := range opts.Clients {
		cl := &client{c: c, idx: i, id: c.rng.Uint64() | 1, target: c.rng.IntN(opts.Replicas)}
		c.clients = append(c.clients, cl)
		c.byID[cl.id] = cl
	}
	c.runSafety()
	if c.failure == nil {
		c.runLiveness()
	}
	if c.failure == nil {
		c.checkFinal()
	}
	res = c.result()
	if c.failure != nil {
		return res, c.failure
	}
	return res, nil
}

func (c *Cluster) result() Result {
	return Result{Seed: c.opts.Seed, Replicas: c.opts.Replicas, Clients: c.opts.Clients, Ticks: c.tick,
		Committed: uint64(len(c.canon) - 1), Completed: c.completed(), View: c.viewMax,
		Crashes: c.stats.crashes, Tears: c.stats.tears, Corrupted: c.stats.corrupted,
		Lost: c.stats.lost, Misdirect: c.stats.misdirected, Checkpoints: c.stats.checkpoints, Syncs: c.stats.syncs,
		Reformats: c.stats.reformats, Recovered: c.stats.recovered,
		Partitions: c.stats.partitions, Messages: c.net.delivered, Rejected: c.net.rejected, Trace: c.traceH}
}

func (c *Cluster) fail(format string, args ...any) {
	if c.failure == nil {
		c.failure = &Violation{Seed: c.opts.Seed, Tick: c.tick, Reason: fmt.Sprintf(format, args...)}
	}
}

func (c *Cluster) trace(vs ...uint64) {
	for _, v := range vs {
		c.traceH = (c.traceH ^ v) * 0x100000001b3
		c.traceH ^= c.traceH >> 29
	}
}

func (c *Cluster) runSafety() {
	for c.failure == nil && c.tick < uint64(c.opts.Ticks) {
		c.step(true)
	}
}

// runLiveness heals the cluster: restart every replica, end partitions and
// network faults, stop new requests; then the cluster must converge.
func (c *Cluster) runLiveness() {
	c.healed = true
	c.faults = faults{delayMax: c.faults.delayMax}
	c.net.side = 0
	end := c.tick + uint64(c.opts.LivenessTicks)
	for c.failure == nil && c.tick < end {
		c.step(false)
		if c.converged() {
			return
		}
	}
	if c.failure == nil {
		c.fail("liveness: no convergence %d ticks after healing (%s)", c.opts.LivenessTicks, c.describe())
	}
}

func (c *Cluster) describe() string {
	s := ""
	for i, n := range c.nodes {
		if !n.up {
			s += fmt.Sprintf("r%d:down ", i)
			continue
		}
		r := n.r
		s += fmt.Sprintf("r%d:%s v%d lv%d head%d cmin%d cmax%d", i, r.Status(), r.View(), r.LogView(),
			r.Head(), r.CommitMin(), r.CommitMax())
		s += " " + r.Describe()
		if op, known, ok := r.FirstMissing(); ok {
			s += fmt.Sprintf(" missing%d/%v", op, known)
		}
		s += " "
	}
	for _, cl := range c.clients {
		if cl.pending != nil {
			s += fmt.Sprintf("c%d:pending ", cl.idx)
		}
	}
	return s
}

func (c *Cluster) step(faulty bool) {
	c.tick++
	for i, n := range c.nodes {
		if !n.up && c.tick >= n.restartAt {
			c.restart(i)
		}
	}
	if faulty {
		c.net.maybePartition()
		c.maybeCrash()
	}
	c.net.deliver()
	for i, n := range c.nodes {
		if n.up {
			n.r.Tick()
			c.flush(i)
		}
	}
	for _, cl := range c.clients {
		cl.tickClient(!c.healed)
	}
}

func (c *Cluster) deliverReplica(i int, m *vsr.Message) {
	n := c.nodes[i]
	if !n.up {
		return
	}
	n.r.Step(m)
	c.flush(i)
}

// flush runs the host side of Ready/Advance for replica i, possibly
// crashing it in the middle of persisting.
func (c *Cluster) flush(i int) {
	n := c.nodes[i]
	for n.up && n.r.HasReady() && c.failure == nil {
		rd := n.r.Ready()
		for _, e := range rd.Early {
			c.net.send(i, e)
		}
		if rd.Checkpoint != nil {
			c.stats.checkpoints++
		}
		if rd.Synced > 0 {
			c.stats.syncs++
			c.trace(0x5c, uint64(i), rd.Synced)
			c.checkInstalled(i, rd.Synced)
		}
		c.observe(i, rd.Applied)
		ws := writesOf(&rd)
		if len(ws) > 0 && !c.healed && c.canCrash() && c.rng.Float64() < c.faults.tearP {
			at := c.rng.IntN(len(ws))
			n.disk.persist(ws, at, c.rng.IntN(2) == 0, byte(c.rng.Uint32()))
			c.stats.tears++
			c.crash(i)
			return
		}
		if !c.healed {
			c.injectWriteFaults(i, ws)
		}
		n.disk.persist(ws, -1, false, 0)
		for _, e := range rd.Messages {
			c.net.send(i, e)
		}
		n.r.Advance(rd)
		n.viewMax = max(n.viewMax, n.r.View()) // durable now: a restart must not go back
		if n.wasRecovering && !n.r.Recovering() {
			c.stats.recovered++
			c.trace(0x4ec, uint64(i))
		}
		n.wasRecovering = n.r.Recovering()
		c.viewMax = max(c.viewMax, n.viewMax)
	}
}

// checkInstalled checks a checkpoint installed by state transfer: it ends
// at a canonical committed op, and the replica continues from there.
func (c *Cluster) checkInstalled(i int, op uint64) {
	n := c.nodes[i]
	id, ok := n.r.Checksum(op)
	if op >= uint64(len(c.canon)) || !ok || id != c.canon[op].checksum {
		c.fail("replica %d installed a checkpoint at op %d that is not the canonical committed op", i, op)
		return
	}
	if op < n.applied {
		c.fail("replica %d installed checkpoint %d below its executed op %d", i, op, n.applied)
	}
	n.applied = op
}

// observe checks executed ops against the canonical history.
func (c *Cluster) observe(i int, applied []vsr.Applied) {
	n := c.nodes[i]
	for _, a := range applied {
		if a.Op != n.applied+1 {
			c.fail("replica %d executed op %d after %d", i, a.Op, n.applied)
			return
		}
		n.applied = a.Op
		c.trace(uint64(i), a.Op, a.Checksum.Lo)
		op := canonOp{checksum: a.Checksum, client: a.Client, request: a.Request, result: string(a.Result)}
		if a.Op < uint64(len(c.canon)) {
			if c.canon[a.Op] != op {
				c.fail("replica %d executed op %d as %x, canonical %x (or a different result)", i, a.Op,
					a.Checksum, c.canon[a.Op].checksum)
			}
			continue
		}
		c.canon = append(c.canon, op)
	}
}

func (c *Cluster) canCrash() bool {
	down := 0
	for _, n := range c.nodes {
		if !n.up {
			down++
		}
	}
	return down < max(1, (c.opts.Replicas-1)/2)
}

func (c *Cluster) maybeCrash() {
	if c.faulty != 0 && c.rng.Float64() < c.faults.reformatP && c.canCrash() {
		c.reformat()
		return
	}
	if c.rng.Float64() >= c.faults.crashP || !c.canCrash() {
		return
	}
	c.crash(c.rng.IntN(c.opts.Replicas))
}

// reformat crashes a replica of the faulty set and loses its disk: it
// restarts from a freshly formatted, recovering superblock. It stays down
// longer than any message is delayed (its messages from before the loss
// are no longer in flight: vsr's assumption for a recovering replica).
func (c *Cluster) reformat() {
	i := c.rng.IntN(c.opts.Replicas)
	n := c.nodes[i]
	if c.faulty>>i&1 == 0 || !n.up {
		return
	}
	c.crash(i)
	n.reformat = true
	n.restartAt = max(n.restartAt, c.tick+uint64(c.faults.delayMax)+2)
	c.stats.reformats++
	c.trace(0xf0f, uint64(i))
}

func (c *Cluster) crash(i int) {
	n := c.nodes[i]
	if !n.up {
		return
	}
	n.up = false
	n.restartAt = c.tick + 1 + uint64(c.rng.IntN(c.faults.downTicksMax+1))
	if c.healed {
		n.restartAt = c.tick + 1
	}
	c.stats.crashes++
	c.trace(0xdead, uint64(i))
}

// restart reads the disk back, with read faults inside the fault model,
// and rebuilds the replica.
func (c *Cluster) restart(i int) {
	n := c.nodes[i]
	if n.reformat { // a new disk, formatted recovering (as `runnel-server recover` does)
		n.reformat, n.viewMax = false, 0
		n.disk = newDisk()
		sb := vsr.RecoveringSuperblock(c.cfg.Cluster, i)
		for k := range n.disk.sb {
			n.disk.sb[k] = sb.Encode()
		}
	}
	if !c.healed {
		c.injectReadFaults(i)
	}
	sb, repairs, err := vsr.OpenSuperblock(n.disk.sb[:], c.cfg.Cluster, i)
	if err != nil {
		c.fail("replica %d: %v", i, err)
		return
	}
	for k, w := range repairs {
		if !c.healed && c.rng.Float64() < c.faults.tearP {
			if c.rng.IntN(2) == 0 {
				n.disk.sb[w.Index] = corrupt(w.Data, c.rng.IntN(len(w.Data)))
			}
			c.stats.tears++
			n.restartAt = c.tick + 1 + uint64(c.rng.IntN(c.faults.downTicksMax+1))
			c.trace(0xdead, uint64(i), uint64(k))
			return // crashed while repairing; stays down
		}
		n.disk.sb[w.Index] = w.Data
	}
	cfg := c.cfg
	cfg.Replica = i
	if sb.Recovering {
		cfg.Seed = c.rng.Uint64() // a fresh nonce per incarnation, as a host's random seed
	}
	sm := vsr.NewMemoryMachine()
	var ckpt []byte
	if sb.CheckpointOp > 0 {
		ckpt = n.disk.ckpt[sb.CheckpointSlot]
	}
	r, err := vsr.Restart(cfg, sm, nil, sb, ckpt, n.disk.records())
	if err != nil {
		c.fail("replica %d restart: %v", i, err)
		return
	}
	if r.View() < n.viewMax {
		c.fail("replica %d restarted in view %d after reaching view %d", i, r.View(), n.viewMax)
	}
	if op := r.CheckpointOp(); op > 0 {
		if id, _ := r.Checksum(op); op >= uint64(len(c.canon)) || id != c.canon[op].checksum {
			c.fail("replica %d restarted from checkpoint %d that is not the canonical committed op", i, op)
		}
	}
	n.r, n.sm, n.up, n.applied = r, sm, true, r.CheckpointOp()
	n.wasRecovering = r.Recovering()
	c.trace(0xbeef, uint64(i))
	c.flush(i)
}

// injectReadFaults corrupts journal records (prepare or redundant header,
// never both, and only in an intact slot) for ops the atlas lets this
// replica lose, and at most one superblock copy.
func (c *Cluster) injectReadFaults(i int) {
	d := c.nodes[i].disk
	if c.atlasMax > 0 {
		for _, slot := range d.slots {
			if !d.intact(slot) || !c.atlasAllows(opOf(d.headers[slot]), i) || c.rng.Float64() >= c.faults.corruptP {
				continue
			}
			if c.rng.IntN(2) == 0 {
				d.prepares[slot] = corrupt(d.prepares[slot], c.rng.IntN(len(d.prepares[slot])))
			} else {
				d.headers[slot] = corrupt(d.headers[slot], c.rng.IntN(len(d.headers[slot])))
			}
			c.stats.corrupted++
		}
	}
	if c.rng.Float64() < c.faults.superblockP && d.sb[0] != nil {
		for _, s := range d.sb[1:] {
			if string(s) != string(d.sb[0]) {
				return
			}
		}
		k := c.rng.IntN(len(d.sb))
		d.sb[k] = corrupt(d.sb[k], c.rng.IntN(len(d.sb[k])))
		c.stats.corrupted++
	}
}

// injectWriteFaults loses or misdirects journal writes the host believes
// durable (the replica acknowledges them). Per op, only one of its two
// records (prepare, redundant header) is faulted, only on replicas the
// atlas allows; a misdirected write lands in another slot whose records
// are intact and whose op the atlas also lets this replica lose. So every
// op keeps one readable record on this replica (never nacked) and an
// intact copy on a replication quorum.
func (c *Cluster) injectWriteFaults(i int, ws []write) {
	if c.atlasMax == 0 || c.faults.writeFaultP == 0 {
		return
	}
	d := c.nodes[i].disk
	for k := 0; k+1 < len(ws); k++ {
		w := &ws[k]
		if w.kind != writePrepare || !c.atlasAllows(w.op, i) || c.rng.Float64() >= c.faults.writeFaultP {
			continue
		}
		if c.rng.IntN(2) == 1 {
			w = &ws[k+1] // the redundant header instead
		}
		k++ // never both records of one op
		if c.rng.IntN(2) == 0 {
			w.lost = true
			c.stats.lost++
			c.trace(0x1057, uint64(i), w.op)
			continue
		}
		if len(d.slots) == 0 {
			continue
		}
		j := d.slots[c.rng.IntN(len(d.slots))]
		if j == w.slot || !d.intact(j) || !c.atlasAllows(opOf(d.headers[j]), i) || touched(ws, j) {
			continue
		}
		w.slot = j
		c.stats.misdirected++
		c.trace(0x3d1, uint64(i), w.op, j)
	}
}

// touched reports whether ws writes slot j (a misdirected write there could
// be overwritten or overwrite a record of this Ready: keep it simple).
func touched(ws []write, j uint64) bool {
	for _, w := range ws {
		if (w.kind == writePrepare || w.kind == writeHeader) && w.slot == j {
			return true
		}
	}
	return false
}

// atlasAllows: op's journal copy may be damaged only on atlasMax replicas,
// chosen from op alone, so an intact copy always survives on a quorum.
func (c *Cluster) atlasAllows(op uint64, replica int) bool {
	if c.faulty != 0 {
		return c.faulty>>replica&1 == 1
	}
	n := uint64(c.opts.Replicas)
	first := (op * 0x9e3779b97f4a7c15 >> 7) % n
	for k := range uint64(c.atlasMax) {
		if (first+k)%n == uint64(replica) {
			return true
		}
	}
	return false
}

// converged: every replica up, normal, in one view, all committed and
// executed to the same op, nothing pending at any client.
func (c *Cluster) converged() bool {
	var view, commit uint64
	for i, n := range c.nodes {
		if !n.up || n.r.Status() != vsr.StatusNormal || n.r.Recovering() {
			return false
		}
		r := n.r
		if i == 0 {
			view, commit = r.View(), r.CommitMax()
		}
		if r.View() != view || r.CommitMin() != commit || r.CommitMax() != commit || r.Head() != commit {
			return false
		}
	}
	for _, cl := range c.clients {
		if cl.pending != nil {
			return false
		}
	}
	return true
}
