package component

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
)

// Validator is a plugin config that checks itself.
type Validator interface {
	// Validate reports the first invalid setting.
	Validate() error
}

// DecodeConfig decodes raw strictly (see Decode) into a C and validates it.
func DecodeConfig[C Validator](raw map[string]any) (C, error) {
	var c C
	if err := Decode(raw, &c); err != nil {
		return c, err
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// Decode fills dst, a pointer to a plugin's config struct, from raw,
// the plugin's table as the host's config loader read it (TOML: integers
// arrive as int64). Fields are matched by their `koanf` tag. Decoding is
// strict, because a misspelt option that is silently ignored is a worse
// failure than a refused start: a key with no field, or a value of the
// wrong type, is an error naming the key.
func Decode(raw map[string]any, dst any) error {
	var md mapstructure.Metadata
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:   dst,
		TagName:  "koanf",
		Metadata: &md,
		// Environment variables and flags arrive as strings ("9", "true",
		// "5s") where a TOML file gives typed values; both must decode, but
		// only in that direction (an integer is not a string).
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToSliceHookFunc(","), parseScalarString),
	})
	if err != nil {
		return fmt.Errorf("decode config: %w", err)
	}
	if err := dec.Decode(raw); err != nil {
		return oneLine(err)
	}
	if len(md.Unused) > 0 {
		slices.Sort(md.Unused)
		return fmt.Errorf("unknown key %s", strings.Join(md.Unused, ", "))
	}
	return nil
}

// parseScalarString converts a string into the number or boolean a field
// wants. Other conversions stay errors.
func parseScalarString(from, to reflect.Type, v any) (any, error) {
	text, ok := v.(string)
	if !ok || from.Kind() != reflect.String {
		return v, nil
	}
	var err error
	switch to.Kind() {
	case reflect.Bool:
		v, err = strconv.ParseBool(text)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if to == reflect.TypeFor[time.Duration]() {
			return v, nil
		}
		v, err = strconv.ParseInt(text, 10, to.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v, err = strconv.ParseUint(text, 10, to.Bits())
	case reflect.Float32, reflect.Float64:
		v, err = strconv.ParseFloat(text, to.Bits())
	}
	if err != nil {
		return nil, fmt.Errorf("%q is not a %s", text, to.Kind())
	}
	return v, nil
}

// oneLine turns mapstructure's multi-line list of field errors into one
// line, so the host prints one clear message.
func oneLine(err error) error {
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		return err
	}
	var msgs []string
	for _, e := range joined.Unwrap() {
		msgs = append(msgs, strings.ReplaceAll(e.Error(), "'", ""))
	}
	return errors.New(strings.Join(msgs, "; "))
}

// ParseBytes reads a plugin config size: "5242880", "512B", "64KiB",
// "16MiB", "1GiB" (binary units).
func ParseBytes(text string) (uint64, error) {
	s := strings.TrimSpace(text)
	factor := uint64(1)
	for _, u := range []struct {
		suffix string
		factor uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, factor = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.factor
			break
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > math.MaxUint64/factor {
		return 0, fmt.Errorf("invalid size %q: want a number with an optional unit (B, KiB, MiB, GiB)", text)
	}
	return n * factor, nil
}

// SizeField reads the size key of a plugin's table: empty text keeps def,
// and a size above limitBytes is refused (it would not fit the field, or
// it is beyond what the plugin allows). Errors name the key; the caller
// adds its prefix.
func SizeField[T ~int | ~int64 | ~uint32 | ~uint64](key, text string, def T, limitBytes uint64) (T, error) {
	if text == "" {
		return def, nil
	}
	n, err := ParseBytes(text)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	if n > limitBytes {
		return 0, fmt.Errorf("%s %q: exceeds %d bytes", key, text, limitBytes)
	}
	return T(n), nil
}

// DurationField reads the duration key of a plugin's table ("5s",
// "250ms"): empty text keeps def. Errors name the key; the caller adds its
// prefix.
func DurationField(key, text string, def time.Duration) (time.Duration, error) {
	if text == "" {
		return def, nil
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	return d, nil
}
