package tiered

// View says which offsets of one partition each tier holds. A message can
// be in several tiers at once (recent batches are in L1 and L2; sealed
// segments stay in L2 after they are archived until local retention).
type View struct {
	// L1 is the run of recent batches cached in memory; empty when L1 is
	// off or holds nothing of the partition.
	L1 Range
	// L2 is the local log's offsets [first, next).
	L2 Range
	// L3 are the archived runs of offsets, oldest first.
	L3 []Range
	// NextOffset is the offset the next appended message gets.
	NextOffset uint64
}

// Empty reports whether r holds no offset.
func (r Range) Empty() bool { return r.Next <= r.First }

// Contains reports whether offset lies in r.
func (r Range) Contains(offset uint64) bool { return offset >= r.First && offset < r.Next }
