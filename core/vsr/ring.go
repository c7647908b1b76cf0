package vsr

// ringIntact reports whether every backup has acknowledged to within a
// pipeline of the commit point, so a data prepare sent along the ring
// reaches each of them promptly. A backup further behind (down, cut off,
// slow, recovering) would hold up every replica after it in the ring until
// the prepare timeout resends directly: a commit then waits for that
// timeout, op after op. Until the backup catches up, data prepares go from
// the primary to every backup, as control prepares do.
func (r *Replica) ringIntact() bool {
	for i, a := range r.acked {
		if i != r.me && a+uint64(r.cfg.PipelineMax) < r.commitMax {
			return false
		}
	}
	return true
}
