// Package archivertest is the conformance suite of the archiver contract.
// Every implementation runs it in its own tests, in process, and an
// external one also through the real plugin boundary:
//
//	archivertest.Run(t, func(t *testing.T) archiver.Archiver { ... })
package archivertest
