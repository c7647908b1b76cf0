// Package iouringstore is the `iouring` storage backend: segment files in
// the file backend's layout and format, with every read, write and fsync
// submitted through one io_uring per store
// (github.com/pawelgaczynski/giouring).
//
// It is built only with the `iouring` build tag on Linux, because giouring
// links into syscall with go:linkname and every binary or test binary that
// links it needs -ldflags=-checklinkname=0:
//
//	go test -tags iouring -ldflags=-checklinkname=0 ./plugins/storage/iouringstore
//
// Without the tag, New returns an error wrapping storage.ErrUnavailable
// that names the fallback backend "file", and nothing links giouring.
//
// Submitters prepare SQEs and submit under one mutex. There is no reaper
// goroutine: a submitter waiting for its completions leads, waiting in
// io_uring_enter and delivering every completion it reaps, then hands
// over; so an fsync in flight (group commit) never blocks the next
// append's submission. An Append is one submission: one writev SQE per
// IOV_MAX buffers, linked so the kernel runs them in order (a kill
// mid-append leaves a prefix of the batch, never a hole). The ring's depth
// bounds the operations in flight, so its completion queue cannot
// overflow.
//
// Where io_uring cannot be set up, Start fails with storage.ErrUnavailable
// and names "file" as the fallback. Layout, directory fsyncs and removal
// order come from dirstore. New does no I/O; Start creates the data
// directory and the ring.
package iouringstore
