package vsrsim

import "math/rand/v2"

// simPipelineMax is the primary's pipeline in the simulator (small, so a
// small journal still leaves a useful checkpoint interval).
const simPipelineMax = 4

// Options describe one simulation. Zero fields are drawn from the seed
// (swarm testing: every seed explores its own configuration).
type Options struct {
	Seed          uint64
	Ticks         int // safety phase, faults on
	LivenessTicks int // heal, then require convergence within this many ticks
	Replicas      int // 1..6
	Clients       int
	NoFaults      bool

	// Journal geometry: small rings so every run wraps its journal and
	// checkpoints often (zero: drawn from the seed).
	JournalSlots       int
	CheckpointInterval int
	SyncChunkBytes     int
	Stack              bool // add the stack to a panic's report (debugging)
}

// faults are the per-seed fault rates.
type faults struct {
	dropP, dupP       float64
	netCorruptP       float64 // a byte of a frame flipped in flight
	delayMax          int
	partitionP        float64
	crashP            float64
	tearP             float64 // crash while persisting a Ready
	corruptP          float64 // per journal record, on restart
	writeFaultP       float64 // per journal write: lost or misdirected
	superblockP       float64 // one superblock copy, on restart
	reformatP         float64 // per tick: a crash that loses the whole disk
	downTicksMax      int
	partitionTicksMax int
	issueP            float64
}

func (o Options) withDefaults(rng *rand.Rand) (Options, faults) {
	if o.Ticks == 0 {
		o.Ticks = 4000
	}
	if o.LivenessTicks == 0 {
		o.LivenessTicks = 4000
	}
	if o.Replicas == 0 {
		o.Replicas = []int{1, 2, 3, 3, 3, 4, 5, 5}[rng.IntN(8)]
	}
	if o.Clients == 0 {
		o.Clients = 1 + rng.IntN(5)
	}
	if o.JournalSlots == 0 {
		o.JournalSlots = []int{24, 32, 64}[rng.IntN(3)]
	}
	if o.CheckpointInterval == 0 {
		o.CheckpointInterval = 4 + rng.IntN(o.JournalSlots-2*simPipelineMax-3)
	}
	if o.SyncChunkBytes == 0 {
		o.SyncChunkBytes = 64 << rng.IntN(6)
	}
	f := faults{
		dropP:             rng.Float64() * 0.1,
		dupP:              rng.Float64() * 0.05,
		netCorruptP:       rng.Float64() * 0.01,
		delayMax:          1 + rng.IntN(8),
		partitionP:        rng.Float64() * 0.004,
		crashP:            rng.Float64() * 0.003,
		tearP:             rng.Float64() * 0.01,
		corruptP:          rng.Float64() * 0.05,
		writeFaultP:       rng.Float64() * 0.02,
		superblockP:       rng.Float64() * 0.3,
		downTicksMax:      50 + rng.IntN(400),
		partitionTicksMax: 50 + rng.IntN(400),
		issueP:            0.05 + rng.Float64()*0.3,
	}
	// Half the seeds (from the seed, not the PRNG) reformat replicas;
	// they confine every storage fault to a fixed set of replicas (see
	// Cluster.atlasAllows).
	if (o.Seed/4)%2 == 1 {
		f.reformatP = 0.0005 + rng.Float64()*0.0015
	}
	if o.NoFaults {
		f = faults{delayMax: 1, issueP: f.issueP}
	}
	return o, f
}
