// Command vopr runs the deterministic VSR simulator for one or more seeds:
//
//	vopr -seed 42 -ticks 4000           one seed
//	vopr -seed 1 -count 10000 -quiet    seeds 1..10000, failures only (-seeds = -count)
//
// Every line names its seed; a violation exits 1 and prints the seed that
// reproduces it. The same seeds always print the same lines, whatever -jobs
// is (seeds run in parallel, lines are printed in seed order).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/runnel-io/runnel/internal/vsrsim"
)

func main() {
	seed := flag.Uint64("seed", 1, "first seed")
	count := flag.Int("count", 1, "number of consecutive seeds")
	flag.IntVar(count, "seeds", 1, "same as -count")
	ticks := flag.Int("ticks", 4000, "safety-phase ticks (faults on)")
	liveness := flag.Int("liveness", 4000, "ticks allowed to converge after healing")
	replicas := flag.Int("replicas", 0, "replica count (0: drawn from the seed)")
	clients := flag.Int("clients", 0, "client count (0: drawn from the seed)")
	quiet := flag.Bool("quiet", false, "print only failures and a total")
	stack := flag.Bool("stack", false, "print the stack of a panic")
	jobs := flag.Int("jobs", runtime.GOMAXPROCS(0), "seeds simulated in parallel")
	flag.Parse()
	os.Exit(run(os.Stdout, *seed, *count, *jobs, vsrsim.Options{Ticks: *ticks, LivenessTicks: *liveness,
		Replicas: *replicas, Clients: *clients, Stack: *stack}, *quiet))
}

type outcome struct {
	res vsrsim.Result
	err error
}

// run simulates count seeds from first on jobs workers, writes one line per
// seed in seed order (or only failures when quiet) and returns the exit
// code.
func run(w io.Writer, first uint64, count, jobs int, opts vsrsim.Options, quiet bool) int {
	jobs = max(1, min(jobs, count))
	out := make([]outcome, count)
	var wg sync.WaitGroup
	next := make(chan int)
	for range jobs {
		wg.Go(func() {
			for i := range next {
				o := opts
				o.Seed = first + uint64(i)
				res, err := vsrsim.Run(o)
				out[i] = outcome{res, err}
			}
		})
	}
	for i := range count {
		next <- i
	}
	close(next)
	wg.Wait()
	failed := 0
	for _, o := range out {
		if o.err != nil {
			failed++
			fmt.Fprintf(w, "FAIL %s\n     %v\n", o.res.Summary(), o.err)
			continue
		}
		if !quiet {
			fmt.Fprintf(w, "ok   %s\n", o.res.Summary())
		}
	}
	if count > 1 || failed > 0 {
		fmt.Fprintf(w, "%d seeds from %d: %d failed\n", count, first, failed)
	}
	if failed > 0 {
		return 1
	}
	return 0
}
