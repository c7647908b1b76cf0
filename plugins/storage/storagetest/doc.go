// Package storagetest is the conformance suite for storage backends. Every
// backend (file, mmap, directio, iouring, and any external one) calls
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T, dir string) storage.Store { ... })
//	}
//
// Run checks the File and Store contracts directly, then drives the
// partition log (core/partition) over the backend through crash cases: it
// damages segment files the way a crash or power loss does (torn and
// zero-filled tails, missing, short and long indexes, rotation cut short,
// corruption in the middle) by writing them with the os package at
// Store.Path, reopens, and checks that recovery keeps every intact message,
// continues at the right offset, refuses damage in the middle, and finds
// nothing left to do the second time.
package storagetest
