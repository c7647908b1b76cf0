package wire

import "testing"

func TestXXH32KnownVectors(t *testing.T) {
	cases := []struct {
		in   string
		want uint32
	}{
		{"", 0x02CC5D05},
		{"a", 0x550D7456},
		{"abc", 0x32D153FF},
		{"Nobody inspects the spammish repetition", 0xE2293B2F},
	}
	for _, c := range cases {
		if got := XXH32([]byte(c.in), 0); got != c.want {
			t.Errorf("XXH32(%q) = %#08x, want %#08x", c.in, got, c.want)
		}
	}
}

// TestXXH32Lengths covers every code path (short, stripes, 4-byte and 1-byte
// tails). Expected values come from xxhsum -H0 over the same bytes.
func TestXXH32Lengths(t *testing.T) {
	want := map[int]uint32{
		0: 0x02cc5d05, 1: 0x002e0d32, 3: 0xaca17380, 4: 0x073faa82, 5: 0x16ac9537,
		15: 0x9f29f87b, 16: 0x3f6c9665, 17: 0xe048ecdb, 31: 0x00f1525c, 32: 0xee42e668,
		33: 0x770b5126, 63: 0x471925bb, 64: 0xf2a797fa, 100: 0x75936eb8, 255: 0xdbe7dd0a,
		1000: 0xa793e7c7,
	}
	for n, w := range want {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*31 + 7)
		}
		if got := XXH32(b, 0); got != w {
			t.Errorf("XXH32(len %d) = %#08x, want %#08x", n, got, w)
		}
	}
}

func TestXXH32SeedMatters(t *testing.T) {
	b := []byte("Nobody inspects the spammish repetition")
	if XXH32(b, 0) == XXH32(b, 1) {
		t.Fatal("seed ignored")
	}
}

func BenchmarkXXH32(b *testing.B) {
	buf := make([]byte, 4096)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		XXH32(buf, 0)
	}
}
