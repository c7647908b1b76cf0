package consumer

import (
	"testing"
	"time"

	"github.com/runnel-io/runnel/sdk/wire"
)

var t0 = time.Unix(1_700_000_000, 0)

func TestTrackerOwedAndCommitted(t *testing.T) {
	tr := newTracker(AutoCommitDisabled(), t0)
	tr.deliver(2, 10)
	tr.deliver(0, 5)
	tr.deliver(2, 7) // out of order: the highest stays
	owed := tr.owed()
	if len(owed) != 2 || owed[0] != (partitionOffset{0, 5}) || owed[1] != (partitionOffset{2, 10}) {
		t.Fatalf("owed %v", owed)
	}
	tr.markCommitted(2, 10)
	tr.markCommitted(2, 3) // lower: ignored
	if owed := tr.owed(); len(owed) != 1 || owed[0].Partition != 0 {
		t.Fatalf("owed after commit %v", owed)
	}
	if tr.due(eventMessage, t0.Add(time.Hour)) || tr.owesOnClose() {
		t.Fatal("disabled mode must never commit by itself")
	}
}

func TestTrackerModes(t *testing.T) {
	cases := []struct {
		ac        AutoCommit
		delivered int
		ev        event
		at        time.Duration
		want      bool
	}{
		{AutoCommitAfterPoll(), 5, eventPoll, 0, false}, // the server commits
		{AutoCommitAfterMessage(), 1, eventMessage, 0, true},
		{AutoCommitAfterMessage(), 1, eventPoll, 0, true},
		{AutoCommitAfterMessage(), 0, eventIdle, 0, false},
		{AutoCommitEvery(3), 2, eventMessage, 0, false},
		{AutoCommitEvery(3), 3, eventMessage, 0, true},
		{AutoCommitEvery(3), 4, eventIdle, 0, true},
		{AutoCommitInterval(time.Second), 1, eventMessage, 999 * time.Millisecond, false},
		{AutoCommitInterval(time.Second), 1, eventIdle, time.Second, true},
	}
	for i, c := range cases {
		tr := newTracker(c.ac, t0)
		for j := range c.delivered {
			tr.deliver(0, uint64(j))
		}
		if got := tr.due(c.ev, t0.Add(c.at)); got != c.want {
			t.Errorf("case %d (%v): due = %v, want %v", i, c.ac.Mode, got, c.want)
		}
	}
}

func TestTrackerCommitDoneRestarts(t *testing.T) {
	tr := newTracker(AutoCommitEvery(2), t0)
	tr.deliver(0, 0)
	tr.deliver(0, 1)
	if !tr.due(eventMessage, t0) {
		t.Fatal("2 of 2 delivered: want due")
	}
	tr.commitDone(t0)
	tr.deliver(0, 2)
	if tr.due(eventMessage, t0) {
		t.Fatal("1 since the commit: want not due")
	}
	iv := newTracker(AutoCommitInterval(time.Second), t0)
	iv.commitDone(t0.Add(5 * time.Second))
	if iv.due(eventIdle, t0.Add(5500*time.Millisecond)) {
		t.Fatal("interval restarts at the commit")
	}
}

func TestConfigValidate(t *testing.T) {
	base := Config{Stream: wire.NamedID("s"), Topic: wire.NamedID("t"), Name: "c"}
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
	mod := func(f func(*Config)) Config { c := base; f(&c); return c }
	bad := []Config{
		mod(func(c *Config) { c.Name = "" }),
		mod(func(c *Config) { c.Group, c.Partition = true, wire.Partition(1) }),
		mod(func(c *Config) { c.Group, c.Strategy = true, wire.PollFirst() }),
		mod(func(c *Config) { c.Strategy = wire.PollingStrategy{Kind: 9} }),
		mod(func(c *Config) { c.BatchMessagesMax = BatchMessagesLimit + 1 }),
		mod(func(c *Config) { c.AutoCommit = AutoCommit{Mode: CommitInterval} }),
		mod(func(c *Config) { c.AutoCommit = AutoCommit{Mode: CommitEveryN} }),
		mod(func(c *Config) { c.AutoCommit = AutoCommit{Mode: 42} }),
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("config %d: no error", i)
		}
	}
}

func TestMessageHeaderLookup(t *testing.T) {
	raw := wire.AppendUserHeaders(nil, []wire.HeaderEntry{
		{Key: wire.StringHeader("type"), Value: wire.StringHeader("order")},
		{Key: wire.StringHeader("n"), Value: wire.Uint64Header(9)},
	})
	m := Message{RawHeaders: raw}
	v, ok, err := m.Header("n")
	if err != nil || !ok {
		t.Fatalf("Header(n): %v %v", ok, err)
	}
	if n, err := v.AsUint64(); err != nil || n != 9 {
		t.Fatalf("n = %d, %v", n, err)
	}
	if _, ok, _ := m.Header("missing"); ok {
		t.Fatal("found a missing header")
	}
}
