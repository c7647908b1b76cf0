package vsr

// clientEntry is one registered session. request and reply are those of
// the latest executed request.
type clientEntry struct {
	client  uint64
	session uint64 // op of the register: always increases
	request uint64
	op      uint64 // op of the latest execution (eviction order)
	reply   []byte
}

// clientTable is bounded; entries live in a slice (deterministic order) with
// an index map that is looked up, never iterated.
type clientTable struct {
	entries []clientEntry
	index   map[uint64]int
	max     int
}

func newClientTable(max int) clientTable {
	return clientTable{index: make(map[uint64]int, max), max: max}
}

func (t *clientTable) get(client uint64) *clientEntry {
	i, ok := t.index[client]
	if !ok {
		return nil
	}
	return &t.entries[i]
}

// register adds a session, evicting the entry whose latest op is oldest
// when the table is full. Every replica evicts the same entry.
func (t *clientTable) register(client, session uint64) {
	e := clientEntry{client: client, session: session, op: session}
	if len(t.entries) < t.max {
		t.index[client] = len(t.entries)
		t.entries = append(t.entries, e)
		return
	}
	oldest := 0
	for i := range t.entries {
		if t.entries[i].op < t.entries[oldest].op {
			oldest = i
		}
	}
	delete(t.index, t.entries[oldest].client)
	t.entries[oldest] = e
	t.index[client] = oldest
}
