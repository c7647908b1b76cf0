package vsr

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Runnel's replicated operations. Appends are data ops (ring); metadata
// ops are control ops (star) whose body is core/metadata's op encoding.
const (
	OperationAppend   = OperationUserMin | OperationData
	OperationMetadata = OperationUserMin + 1
	// OperationDeleteSegments removes a partition's oldest segments up to
	// an offset (the body is the host's).
	OperationDeleteSegments = OperationUserMin + 2
	// OperationRestoreMetadata installs a metadata snapshot on empty
	// metadata (the body is the host's).
	OperationRestoreMetadata = OperationUserMin + 3
)

// PartitionRef names a partition.
type PartitionRef struct{ Stream, Topic, Partition uint32 }

// AppendOp is a produce batch for one partition: Count messages in Frames.
// It carries no offsets: they are assigned when the op is applied.
type AppendOp struct {
	PartitionRef
	Count  uint32
	Frames []byte
}

const AppendOpHeaderBytes = 16 // the fixed fields before an append's frames

// EncodeAppend returns the body of an OperationAppend prepare.
func EncodeAppend(a AppendOp) []byte {
	b := make([]byte, AppendOpHeaderBytes, AppendOpHeaderBytes+len(a.Frames))
	le := binary.LittleEndian
	le.PutUint32(b[0:], a.Stream)
	le.PutUint32(b[4:], a.Topic)
	le.PutUint32(b[8:], a.Partition)
	le.PutUint32(b[12:], a.Count)
	return append(b, a.Frames...)
}

var errBadOp = errors.New("vsr: malformed op")

// DecodeAppend parses an OperationAppend body. Frames aliases b.
func DecodeAppend(b []byte) (AppendOp, error) {
	if len(b) < AppendOpHeaderBytes {
		return AppendOp{}, fmt.Errorf("%w: append of %d bytes", errBadOp, len(b))
	}
	le := binary.LittleEndian
	a := AppendOp{PartitionRef: PartitionRef{le.Uint32(b[0:]), le.Uint32(b[4:]), le.Uint32(b[8:])},
		Count: le.Uint32(b[12:]), Frames: b[AppendOpHeaderBytes:]}
	if a.Count == 0 {
		return AppendOp{}, fmt.Errorf("%w: empty append", errBadOp)
	}
	return a, nil
}

// AppendResult is the reply of an append: the offsets given to the batch,
// or an error code (0 = ok) when the op could not be applied. An op that
// fails fails identically on every replica.
type AppendResult struct {
	Code        uint32
	FirstOffset uint64
	Count       uint32
}

// Append result codes.
const (
	CodeOK uint32 = iota
	CodeMalformed
	CodeUnknownPartition
	CodeStorage
)

// EncodeAppendResult returns the reply body.
func EncodeAppendResult(r AppendResult) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint32(b[0:], r.Code)
	binary.LittleEndian.PutUint64(b[4:], r.FirstOffset)
	binary.LittleEndian.PutUint32(b[12:], r.Count)
	return b
}

// DecodeAppendResult parses a reply body.
func DecodeAppendResult(b []byte) (AppendResult, error) {
	if len(b) != 16 {
		return AppendResult{}, fmt.Errorf("%w: append result of %d bytes", errBadOp, len(b))
	}
	return AppendResult{Code: binary.LittleEndian.Uint32(b[0:]), FirstOffset: binary.LittleEndian.Uint64(b[4:]),
		Count: binary.LittleEndian.Uint32(b[12:])}, nil
}

// MemoryMachine is an in-memory state machine for tests and the simulator:
// every partition is a list of batches; an append returns the first offset
// of its batch. Digest summarises the whole state so replicas can be
// compared.
type MemoryMachine struct {
	// DiscardBatches keeps offsets and the digest but not the batches
	// (benchmarks: memory and snapshots stay small).
	DiscardBatches bool

	logs   map[PartitionRef]*memoryLog
	digest Checksum
	ops    uint64
}

type memoryLog struct {
	next    uint64
	batches [][]byte
}

var _ StateMachine = (*MemoryMachine)(nil)

// NewMemoryMachine returns an empty machine.
func NewMemoryMachine() *MemoryMachine {
	return &MemoryMachine{logs: make(map[PartitionRef]*memoryLog)}
}

// Apply implements StateMachine.
func (m *MemoryMachine) Apply(op, timestampMicros uint64, operation Operation, body []byte) []byte {
	var res AppendResult
	if a, err := DecodeAppend(body); operation != OperationAppend || err != nil {
		res.Code = CodeMalformed
	} else {
		l := m.logs[a.PartitionRef]
		if l == nil {
			l = &memoryLog{}
			m.logs[a.PartitionRef] = l
		}
		res = AppendResult{FirstOffset: l.next, Count: a.Count}
		l.next += uint64(a.Count)
		if !m.DiscardBatches {
			l.batches = append(l.batches, append([]byte(nil), a.Frames...))
		}
	}
	out := EncodeAppendResult(res)
	m.ops++
	var b [16 + 8 + 16 + 16]byte
	putChecksum(b[:], m.digest)
	binary.LittleEndian.PutUint64(b[16:], op)
	putChecksum(b[24:], checksumOf(body))
	copy(b[40:], out)
	m.digest = checksumOf(b[:])
	return out
}

// Snapshot implements StateMachine: partitions in ref order, so equal
// states give equal bytes.
func (m *MemoryMachine) Snapshot() []byte {
	refs := make([]PartitionRef, 0, len(m.logs))
	for ref := range m.logs { // sorted below
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, func(a, b PartitionRef) int {
		return cmp.Or(cmp.Compare(a.Stream, b.Stream), cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	le := binary.LittleEndian
	b := make([]byte, 16, 64)
	putChecksum(b, m.digest)
	b = le.AppendUint64(b, m.ops)
	b = le.AppendUint32(b, uint32(len(refs)))
	for _, ref := range refs {
		l := m.logs[ref]
		b = le.AppendUint32(b, ref.Stream)
		b = le.AppendUint32(b, ref.Topic)
		b = le.AppendUint32(b, ref.Partition)
		b = le.AppendUint64(b, l.next)
		b = le.AppendUint32(b, uint32(len(l.batches)))
		for _, batch := range l.batches {
			b = le.AppendUint32(b, uint32(len(batch)))
			b = append(b, batch...)
		}
	}
	return b
}

// Restore implements StateMachine.
func (m *MemoryMachine) Restore(snapshot []byte) error {
	r := &reader{b: snapshot}
	digest, ops := r.sum(), r.u64()
	logs := make(map[PartitionRef]*memoryLog)
	for range r.count(1<<20, 24) {
		ref := PartitionRef{r.u32(), r.u32(), r.u32()}
		l := &memoryLog{next: r.u64()}
		for range r.count(1<<30, 4) {
			l.batches = append(l.batches, bytes.Clone(r.take(int(r.u32()))))
		}
		logs[ref] = l
	}
	if r.err != nil || r.off != len(snapshot) {
		return fmt.Errorf("%w: memory machine snapshot", errBadOp)
	}
	m.digest, m.ops, m.logs = digest, ops, logs
	return nil
}

// Digest is a running checksum over every applied op and its result.
func (m *MemoryMachine) Digest() Checksum { return m.digest }

// Applied is the number of ops the machine executed.
func (m *MemoryMachine) Applied() uint64 { return m.ops }

// Batches returns the batches of a partition, oldest first.
func (m *MemoryMachine) Batches(ref PartitionRef) [][]byte {
	if l := m.logs[ref]; l != nil {
		return l.batches
	}
	return nil
}
