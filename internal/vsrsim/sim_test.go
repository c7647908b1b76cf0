package vsrsim

import (
	"errors"
	"testing"
)

// TestSeeds runs a batch of random seeds with every fault enabled. Longer
// runs: go run ./cmd/vopr -seed 1 -count 10000 -quiet.
func TestSeeds(t *testing.T) {
	seeds := uint64(300)
	if testing.Short() {
		seeds = 30
	}
	var hit struct{ checkpoints, syncs, lost, misdirected, rejected, recovered int }
	for seed := uint64(1); seed <= seeds; seed++ {
		res, err := Run(Options{Seed: seed, Ticks: 2500, LivenessTicks: 4000})
		if err != nil {
			t.Fatalf("%v\n%s\nreproduce: go run ./cmd/vopr -seed %d -ticks 2500", err, res.Summary(), seed)
		}
		if res.Completed == 0 {
			t.Fatalf("seed %d completed no request: %s", seed, res.Summary())
		}
		for _, c := range []struct {
			n   int
			hit *int
		}{{res.Checkpoints, &hit.checkpoints}, {res.Syncs, &hit.syncs}, {res.Lost, &hit.lost},
			{res.Misdirect, &hit.misdirected}, {res.Rejected, &hit.rejected}, {res.Recovered, &hit.recovered}} {
			if c.n > 0 {
				*c.hit++
			}
		}
	}
	// Coverage: every mechanism the faults are meant to exercise happened
	// in a fair share of the seeds.
	if min(hit.checkpoints, hit.syncs, hit.lost, hit.misdirected, hit.rejected, hit.recovered) < int(seeds)/20 {
		t.Fatalf("seeds hitting checkpoints/syncs/lost/misdirected/rejected frames/reformat recoveries: %+v of %d", hit, seeds)
	}
}

func TestDeterministic(t *testing.T) {
	for _, seed := range []uint64{3, 77} {
		a, errA := Run(Options{Seed: seed, Ticks: 2000})
		b, errB := Run(Options{Seed: seed, Ticks: 2000})
		if a != b || (errA == nil) != (errB == nil) {
			t.Fatalf("seed %d differs:\n%s\n%s", seed, a.Summary(), b.Summary())
		}
	}
}

// Every configuration size works without faults, including a cluster of
// one, and commits a fair amount.
func TestNoFaultsAllSizes(t *testing.T) {
	for n := 1; n <= 6; n++ {
		res, err := Run(Options{Seed: uint64(n), Ticks: 2000, Replicas: n, Clients: 3, NoFaults: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Completed < 50 || res.View != 0 {
			t.Fatalf("n=%d: %s", n, res.Summary())
		}
	}
}

// The checkers can fail: a cluster that cannot form a quorum (liveness)
// is reported with its seed.
func TestLivenessViolationReported(t *testing.T) {
	res, err := Run(Options{Seed: 5, Ticks: 300, LivenessTicks: 1, Replicas: 3, Clients: 2})
	var v *Violation
	if !errors.As(err, &v) || v.Seed != 5 {
		t.Fatalf("err %v (%s), want a liveness violation naming seed 5", err, res.Summary())
	}
}

// BenchmarkSimulator reports simulated ticks and committed ops per second
// (3 replicas, all faults, every message through the wire codec) so the
// simulator's own cost stays visible.
func BenchmarkSimulator(b *testing.B) {
	ticks, ops := 0, 0
	for i := range b.N {
		res, err := Run(Options{Seed: uint64(i + 1), Ticks: 2000, Replicas: 3})
		if err != nil {
			b.Fatal(err)
		}
		ticks += int(res.Ticks)
		ops += int(res.Committed)
	}
	b.ReportMetric(float64(ticks)/b.Elapsed().Seconds(), "ticks/s")
	b.ReportMetric(float64(ops)/b.Elapsed().Seconds(), "sim_ops/s")
}
