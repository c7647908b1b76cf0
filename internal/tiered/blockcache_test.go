package tiered

import "testing"

// TestBlockCacheReusesOnlyUnpinnedBlocks: a block dropped from the cache
// while a reader holds it is reused only after the reader releases it.
func TestBlockCacheReusesOnlyUnpinnedBlocks(t *testing.T) {
	const bs = 4 << 10
	c := newBlockCache(bs, bs) // room for one block
	a := c.alloc(bs)
	a[0] = 'a'
	c.claim("k", 0, 1)
	c.finish("k", 0, 1, [][]byte{a})
	held, _ := c.get(blockKey{"k", 0})
	if held == nil || held.b[0] != 'a' {
		t.Fatal("block 0 not cached")
	}
	c.claim("k", 1, 2)
	c.finish("k", 1, 2, [][]byte{c.alloc(bs)}) // drops block 0
	if got, _ := c.get(blockKey{"k", 0}); got != nil {
		t.Fatal("block 0 still cached past the budget")
	}
	if b := c.alloc(bs); &b[0] == &a[0] {
		t.Fatal("a pinned block's buffer was handed out again")
	}
	c.release(held)
	if b := c.alloc(bs); &b[0] != &a[0] {
		t.Fatal("a released, dropped block's buffer was not reused")
	}
	if short := c.alloc(100); len(short) != 100 {
		t.Fatalf("alloc(100) gave %d bytes", len(short))
	}
}

// TestBlockCacheWithoutBudgetKeepsNothing: with no budget, fetched blocks
// wake their waiters and go straight back for reuse.
func TestBlockCacheWithoutBudgetKeepsNothing(t *testing.T) {
	const bs = 4 << 10
	c := newBlockCache(0, bs)
	if end := c.claim("k", 0, 3); end != 3 {
		t.Fatalf("claimed up to %d, want 3", end)
	}
	_, wait := c.get(blockKey{"k", 1})
	b := c.alloc(bs)
	c.finish("k", 0, 3, [][]byte{b})
	select {
	case <-wait:
	default:
		t.Fatal("a waiter was not woken")
	}
	if got, _ := c.get(blockKey{"k", 0}); got != nil {
		t.Fatal("cached a block without a budget")
	}
	if again := c.alloc(bs); &again[0] != &b[0] {
		t.Fatal("an uncached block's buffer was not reused")
	}
}
