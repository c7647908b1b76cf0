package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ByteSize is a size in bytes written with a unit: "512", "64KiB", "1GiB",
// "10MB". "unlimited" is math.MaxUint64.
type ByteSize uint64

// Unlimited is the ByteSize of "unlimited".
const Unlimited ByteSize = math.MaxUint64

var byteUnits = []struct {
	suffix string
	factor uint64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

// UnmarshalText parses a size with an optional unit.
func (s *ByteSize) UnmarshalText(text []byte) error {
	str := strings.TrimSpace(string(text))
	if str == "unlimited" {
		*s = Unlimited
		return nil
	}
	factor := uint64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(str, u.suffix) {
			factor = u.factor
			str = strings.TrimSpace(strings.TrimSuffix(str, u.suffix))
			break
		}
	}
	n, err := strconv.ParseUint(str, 10, 64)
	if err != nil {
		return fmt.Errorf("invalid size %q: want a number with an optional unit (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB) or \"unlimited\"", string(text))
	}
	if n > math.MaxUint64/factor {
		return fmt.Errorf("size %q overflows", string(text))
	}
	*s = ByteSize(n * factor)
	return nil
}

func (s ByteSize) String() string {
	if s == Unlimited {
		return "unlimited"
	}
	for _, u := range byteUnits[:4] {
		if uint64(s) >= u.factor && uint64(s)%u.factor == 0 && uint64(s)/u.factor < 1<<10 {
			return fmt.Sprintf("%d%s", uint64(s)/u.factor, u.suffix)
		}
	}
	return fmt.Sprintf("%dB", uint64(s))
}

// OptionalDuration is a time.Duration where "none" (zero) means "never".
type OptionalDuration time.Duration

// UnmarshalText parses "none" or a Go duration.
func (d *OptionalDuration) UnmarshalText(text []byte) error {
	str := strings.TrimSpace(string(text))
	if str == "none" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(str)
	if err != nil || v <= 0 {
		return fmt.Errorf("invalid duration %q: want \"none\" or a positive Go duration such as \"168h\"", str)
	}
	*d = OptionalDuration(v)
	return nil
}

func (d OptionalDuration) String() string {
	if d == 0 {
		return "none"
	}
	return time.Duration(d).String()
}
