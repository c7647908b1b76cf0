package metadata

import "iter"

// slab hands out dense ids like the Rust `slab` crate the reference server
// uses (reference §2.13): a fresh id is the slot count; a removed id goes on
// a free stack, and the next insert takes the most recently freed one.
type slab[T any] struct {
	items []*T
	free  []uint32 // stack; the last element is reused first
	count int
}

// nextID is the id the next insert will use.
func (s *slab[T]) nextID() uint32 {
	if n := len(s.free); n > 0 {
		return s.free[n-1]
	}
	return uint32(len(s.items))
}

// insert stores v under nextID and returns that id.
func (s *slab[T]) insert(v *T) uint32 {
	s.count++
	if n := len(s.free); n > 0 {
		id := s.free[n-1]
		s.free = s.free[:n-1]
		s.items[id] = v
		return id
	}
	s.items = append(s.items, v)
	return uint32(len(s.items) - 1)
}

func (s *slab[T]) get(id uint32) *T {
	if uint64(id) >= uint64(len(s.items)) {
		return nil
	}
	return s.items[id]
}

func (s *slab[T]) remove(id uint32) {
	if s.get(id) == nil {
		return
	}
	s.items[id] = nil
	s.free = append(s.free, id)
	s.count--
}

func (s *slab[T]) len() int { return s.count }

// all yields the entries in ascending id order.
func (s *slab[T]) all() iter.Seq[*T] {
	return func(yield func(*T) bool) {
		for _, v := range s.items {
			if v != nil && !yield(v) {
				return
			}
		}
	}
}
