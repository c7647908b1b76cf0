package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func examplePartitionTiers() []PartitionTiers {
	return []PartitionTiers{
		{PartitionID: 0, Tiers: TierMemory | TierArchive, NextOffset: 5000,
			Memory: TierRange{4900, 5000}, Local: TierRange{3000, 5000},
			Archive: []TierRange{{0, 1200}, {1500, 4000}}},
		{PartitionID: 1, NextOffset: 0},
		{PartitionID: 7, Tiers: TierArchive, NextOffset: 10, Local: TierRange{0, 10}},
	}
}

func TestPartitionTiersRoundTrip(t *testing.T) {
	for _, ps := range [][]PartitionTiers{nil, examplePartitionTiers()} {
		b := AppendPartitionTiers(nil, ps)
		got, err := DecodePartitionTiers(b)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !reflect.DeepEqual(got, ps) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, ps)
		}
		for n := range len(b) {
			if _, err := DecodePartitionTiers(b[:n]); !errors.Is(err, ErrMalformedResponse) {
				t.Fatalf("%d of %d bytes decoded: %v", n, len(b), err)
			}
		}
	}
	// The documented size: 4 + 49 per partition + 16 per archive run.
	if got, want := len(AppendPartitionTiers(nil, examplePartitionTiers())), 4+3*49+2*16; got != want {
		t.Errorf("encoded %d bytes, want %d", got, want)
	}
}

func TestPartitionTiersRejects(t *testing.T) {
	for name, edit := range map[string]func([]PartitionTiers) []PartitionTiers{
		"unknown tier bit":  func(ps []PartitionTiers) []PartitionTiers { ps[0].Tiers = 4; return ps },
		"inverted memory":   func(ps []PartitionTiers) []PartitionTiers { ps[0].Memory = TierRange{9, 8}; return ps },
		"inverted local":    func(ps []PartitionTiers) []PartitionTiers { ps[2].Local = TierRange{11, 10}; return ps },
		"empty archive run": func(ps []PartitionTiers) []PartitionTiers { ps[0].Archive[1] = TierRange{1500, 1500}; return ps },
		"overlapping runs":  func(ps []PartitionTiers) []PartitionTiers { ps[0].Archive[1].First = 1199; return ps },
		"unordered runs": func(ps []PartitionTiers) []PartitionTiers {
			ps[0].Archive[0], ps[0].Archive[1] = ps[0].Archive[1], ps[0].Archive[0]
			return ps
		},
		"duplicate partition": func(ps []PartitionTiers) []PartitionTiers { ps[1].PartitionID = 0; return ps },
		"descending ids":      func(ps []PartitionTiers) []PartitionTiers { ps[0], ps[2] = ps[2], ps[0]; return ps },
	} {
		b := AppendPartitionTiers(nil, edit(examplePartitionTiers()))
		if _, err := DecodePartitionTiers(b); !errors.Is(err, ErrMalformedResponse) {
			t.Errorf("%s: decoded: %v", name, err)
		}
	}
	good := AppendPartitionTiers(nil, examplePartitionTiers())
	if _, err := DecodePartitionTiers(append(good, 0)); !errors.Is(err, ErrMalformedResponse) {
		t.Errorf("trailing byte accepted: %v", err)
	}
	// Counts far beyond the payload fail before any allocation.
	huge := appendU32(nil, 0xFFFFFFFF)
	if _, err := DecodePartitionTiers(huge); !errors.Is(err, ErrMalformedResponse) {
		t.Errorf("huge partitions count: %v", err)
	}
	runs := AppendPartitionTiers(nil, []PartitionTiers{{PartitionID: 1}})
	copy(runs[len(runs)-4:], appendU32(nil, 0xFFFFFFFF))
	if _, err := DecodePartitionTiers(runs); !errors.Is(err, ErrMalformedResponse) {
		t.Errorf("huge archive runs count: %v", err)
	}
}

func TestPartitionTiersCodeIsAnExtension(t *testing.T) {
	if CodeGetPartitionTiers < CodeRunnelExtensionsFirst || !KnownCommand(CodeGetPartitionTiers) {
		t.Fatalf("GetPartitionTiers code %d: extension %v, known %v", CodeGetPartitionTiers,
			CodeGetPartitionTiers >= CodeRunnelExtensionsFirst, KnownCommand(CodeGetPartitionTiers))
	}
	for code := uint32(1000); code < CodeRunnelExtensionsFirst; code++ {
		if KnownCommand(code) {
			t.Errorf("code %d between Iggy's range and the extensions is known", code)
		}
	}
	q := GetPartitionTiersRequest{StreamID: NumericID(1), TopicID: NamedID("t"), PartitionID: Partition(3)}
	// Id 1 (6 bytes), Id "t" (3 bytes), opt_pid (5 bytes).
	want := []byte{1, 4, 1, 0, 0, 0, 2, 1, 't', 1, 3, 0, 0, 0}
	if got := q.AppendTo(nil); !bytes.Equal(got, want) {
		t.Errorf("request bytes % x, want % x", got, want)
	}
}

// TestPartitionTiersDocExample checks the example in
// docs/protocol-extensions.md byte for byte.
func TestPartitionTiersDocExample(t *testing.T) {
	recent := TierRange{789, 800}
	got := AppendPartitionTiers(nil, []PartitionTiers{{PartitionID: 0, Tiers: TierMemory | TierArchive,
		NextOffset: 800, Memory: recent, Local: recent, Archive: []TierRange{{0, 789}}}})
	want := []byte{1, 0, 0, 0, 0, 0, 0, 0, 3, 0x20, 3, 0, 0, 0, 0, 0, 0,
		0x15, 3, 0, 0, 0, 0, 0, 0, 0x20, 3, 0, 0, 0, 0, 0, 0,
		0x15, 3, 0, 0, 0, 0, 0, 0, 0x20, 3, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0x15, 3, 0, 0, 0, 0, 0, 0}
	if !bytes.Equal(got, want) {
		t.Errorf("got  % x\nwant % x", got, want)
	}
}

// FuzzDecodePartitionTiers: the answer decoder never panics, fails only
// with ErrMalformedResponse, and is canonical: whatever decodes re-encodes
// to exactly the input bytes.
func FuzzDecodePartitionTiers(f *testing.F) {
	f.Add(AppendPartitionTiers(nil, examplePartitionTiers()))
	f.Add(AppendPartitionTiers(nil, nil))
	f.Add(AppendPartitionTiers(nil, examplePartitionTiers()[:1]))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, payload []byte) {
		ps, err := DecodePartitionTiers(payload)
		if err != nil {
			if !errors.Is(err, ErrMalformedResponse) {
				t.Fatalf("non-malformed error %v", err)
			}
			return
		}
		if again := AppendPartitionTiers(nil, ps); !bytes.Equal(again, payload) {
			t.Fatalf("re-encoded\n% x\nfrom\n% x", again, payload)
		}
	})
}
