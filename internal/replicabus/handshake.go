package replicabus

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Handshake layout and protocol: see doc.go.
const (
	handshakeBytes   = 96
	handshakeMagic   = "RNBH"
	handshakeVersion = 1
	nonceBytes       = 32
	macBytes         = sha256.Size

	stepHello     = 1
	stepChallenge = 2
	stepProof     = 3
	stepWelcome   = 4

	labelAcceptor = "runnel/replicabus/v1/acceptor"
	labelDialer   = "runnel/replicabus/v1/dialer"
)

// status is a handshake verdict sent to the other side.
type status byte

const (
	statusOK             status = 0
	statusBadVersion     status = 1
	statusWrongCluster   status = 2
	statusUnknownReplica status = 3
	statusWrongDirection status = 4
	statusWrongKey       status = 5
)

func (s status) err() error {
	switch s {
	case statusBadVersion:
		return ErrBadVersion
	case statusWrongCluster:
		return ErrWrongCluster
	case statusUnknownReplica:
		return ErrUnknownReplica
	case statusWrongDirection:
		return ErrWrongDirection
	case statusWrongKey:
		return ErrWrongKey
	}
	return fmt.Errorf("%w: status %d", ErrBadHandshake, byte(s))
}

// statusOf maps a refusal back to the status that tells the peer.
func statusOf(err error) (status, bool) {
	for _, s := range []status{statusBadVersion, statusWrongCluster, statusUnknownReplica, statusWrongDirection, statusWrongKey} {
		if errors.Is(err, s.err()) {
			return s, true
		}
	}
	return 0, false
}

type hsRecord struct {
	step    byte
	status  status
	cluster ClusterID
	from    uint16
	to      uint16
	nonce   [nonceBytes]byte
	mac     [macBytes]byte
}

func (m *hsRecord) encode() [handshakeBytes]byte {
	var b [handshakeBytes]byte
	copy(b[0:4], handshakeMagic)
	b[4] = handshakeVersion
	b[5] = m.step
	b[6] = byte(m.status)
	copy(b[8:24], m.cluster[:])
	binary.LittleEndian.PutUint16(b[24:26], m.from)
	binary.LittleEndian.PutUint16(b[26:28], m.to)
	copy(b[32:64], m.nonce[:])
	copy(b[64:96], m.mac[:])
	return b
}

// decodeHandshake checks the framing of a record; the caller checks its
// meaning. A wrong version is reported as ErrBadVersion so it can be
// answered; anything else malformed is ErrBadHandshake.
func decodeHandshake(b *[handshakeBytes]byte, step byte) (hsRecord, error) {
	var m hsRecord
	if string(b[0:4]) != handshakeMagic {
		return m, fmt.Errorf("%w: magic %x (not a replica?)", ErrBadHandshake, b[0:4])
	}
	if b[4] != handshakeVersion {
		return m, fmt.Errorf("%w: handshake version %d (want %d)", ErrBadVersion, b[4], handshakeVersion)
	}
	if b[5] != step {
		return m, fmt.Errorf("%w: step %d (want %d)", ErrBadHandshake, b[5], step)
	}
	if b[7] != 0 || binary.LittleEndian.Uint32(b[28:32]) != 0 {
		return m, fmt.Errorf("%w: reserved bytes not zero", ErrBadHandshake)
	}
	m.step, m.status = b[5], status(b[6])
	copy(m.cluster[:], b[8:24])
	m.from = binary.LittleEndian.Uint16(b[24:26])
	m.to = binary.LittleEndian.Uint16(b[26:28])
	copy(m.nonce[:], b[32:64])
	copy(m.mac[:], b[64:96])
	return m, nil
}

func writeRecord(w io.Writer, m hsRecord) error {
	b := m.encode()
	_, err := w.Write(b[:])
	return err
}

func readRecord(r io.Reader, step byte) (hsRecord, error) {
	var b [handshakeBytes]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return hsRecord{}, fmt.Errorf("replicabus: handshake step %d: %w", step, err)
	}
	return decodeHandshake(&b, step)
}

// hsParams is one side's view of one handshake.
type hsParams struct {
	cluster ClusterID
	key     []byte
	me      uint16
	n       int // roster size
}

func handshakeMAC(key []byte, label string, cluster ClusterID, dialer, acceptor uint16, nd, na *[nonceBytes]byte) [macBytes]byte {
	h := hmac.New(sha256.New, key)
	var ids [4]byte
	binary.LittleEndian.PutUint16(ids[0:2], dialer)
	binary.LittleEndian.PutUint16(ids[2:4], acceptor)
	h.Write([]byte(label))
	h.Write(cluster[:])
	h.Write(ids[:])
	h.Write(nd[:])
	h.Write(na[:])
	var out [macBytes]byte
	h.Sum(out[:0])
	return out
}

// dialHandshake runs the dialer's side against replica peer. The caller
// sets deadlines on rw.
func dialHandshake(rw io.ReadWriter, p hsParams, peer uint16) error {
	hello := hsRecord{step: stepHello, cluster: p.cluster, from: p.me, to: peer}
	_, _ = rand.Read(hello.nonce[:]) // never fails (crypto/rand contract)
	if err := writeRecord(rw, hello); err != nil {
		return fmt.Errorf("%w: send hello: %w", ErrBadHandshake, err)
	}
	ch, err := readRecord(rw, stepChallenge)
	if err != nil {
		return err
	}
	if ch.status != statusOK {
		return fmt.Errorf("%w (refused by replica %d)", ch.status.err(), peer)
	}
	if ch.cluster != p.cluster || ch.from != peer || ch.to != p.me {
		return fmt.Errorf("%w: challenge names cluster %s %d→%d, want %s %d→%d",
			ErrBadHandshake, ch.cluster, ch.from, ch.to, p.cluster, peer, p.me)
	}
	wantA := handshakeMAC(p.key, labelAcceptor, p.cluster, p.me, peer, &hello.nonce, &ch.nonce)
	keyOK := hmac.Equal(wantA[:], ch.mac[:])
	proof := hsRecord{step: stepProof, cluster: p.cluster, from: p.me, to: peer,
		mac: handshakeMAC(p.key, labelDialer, p.cluster, p.me, peer, &hello.nonce, &ch.nonce)}
	if !keyOK {
		// Still send a proof, marked, so the acceptor logs the precise reason.
		proof.status = statusWrongKey
	}
	if err := writeRecord(rw, proof); err != nil {
		return fmt.Errorf("%w: send proof: %w", ErrBadHandshake, err)
	}
	if !keyOK {
		return fmt.Errorf("%w: replica %d's proof does not verify", ErrWrongKey, peer)
	}
	w, err := readRecord(rw, stepWelcome)
	if err != nil {
		return err
	}
	if w.status != statusOK {
		return fmt.Errorf("%w (refused by replica %d)", w.status.err(), peer)
	}
	return nil
}

// acceptHandshake runs the acceptor's side and returns the authenticated
// peer id. Refusals are answered with a status before returning.
func acceptHandshake(rw io.ReadWriter, p hsParams) (uint16, error) {
	hello, err := readRecord(rw, stepHello)
	if err == nil {
		err = p.checkHello(hello)
	}
	if err != nil {
		refuse(rw, p, hello.from, stepChallenge, err)
		return 0, err
	}
	ch := hsRecord{step: stepChallenge, cluster: p.cluster, from: p.me, to: hello.from}
	_, _ = rand.Read(ch.nonce[:])
	ch.mac = handshakeMAC(p.key, labelAcceptor, p.cluster, hello.from, p.me, &hello.nonce, &ch.nonce)
	if err := writeRecord(rw, ch); err != nil {
		return 0, fmt.Errorf("%w: send challenge: %w", ErrBadHandshake, err)
	}
	proof, err := readRecord(rw, stepProof)
	if err != nil {
		return 0, err
	}
	if proof.status == statusWrongKey {
		return 0, fmt.Errorf("%w: replica %d says our proof does not verify", ErrWrongKey, hello.from)
	}
	want := handshakeMAC(p.key, labelDialer, p.cluster, hello.from, p.me, &hello.nonce, &ch.nonce)
	if !hmac.Equal(want[:], proof.mac[:]) {
		err := fmt.Errorf("%w: proof from replica %d does not verify", ErrWrongKey, hello.from)
		refuse(rw, p, hello.from, stepWelcome, err)
		return 0, err
	}
	welcome := hsRecord{step: stepWelcome, cluster: p.cluster, from: p.me, to: hello.from}
	if err := writeRecord(rw, welcome); err != nil {
		return 0, fmt.Errorf("%w: send welcome: %w", ErrBadHandshake, err)
	}
	return hello.from, nil
}

func (p hsParams) checkHello(m hsRecord) error {
	switch {
	case m.cluster != p.cluster:
		return fmt.Errorf("%w: hello for cluster %s, this is cluster %s", ErrWrongCluster, m.cluster, p.cluster)
	case m.to != p.me:
		return fmt.Errorf("%w: hello addressed to replica %d, this is replica %d", ErrUnknownReplica, m.to, p.me)
	case int(m.from) >= p.n:
		return fmt.Errorf("%w: hello from replica %d, roster has %d", ErrUnknownReplica, m.from, p.n)
	case m.from >= p.me:
		return fmt.Errorf("%w: replica %d dialed replica %d", ErrWrongDirection, m.from, p.me)
	}
	return nil
}

// refuse tells the other side why, if the reason is one it can act on.
// Best effort: the connection is closed right after.
func refuse(w io.Writer, p hsParams, to uint16, step byte, err error) {
	s, ok := statusOf(err)
	if !ok {
		return // garbage or I/O failure: nothing useful to say
	}
	_ = writeRecord(w, hsRecord{step: step, status: s, cluster: p.cluster, from: p.me, to: to})
}
