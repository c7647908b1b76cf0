package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/runnel-io/runnel/sdk/wire"
)

// printJSON writes v as indented JSON with snake_case keys, so scripts see
// the same names whatever Go struct produced them.
func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return &localError{fmt.Errorf("encode JSON: %w", err)}
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var tree any
	if err := d.Decode(&tree); err != nil {
		return &localError{fmt.Errorf("encode JSON: %w", err)}
	}
	out, err := json.MarshalIndent(snakeKeys(tree), "", "  ")
	if err != nil {
		return &localError{fmt.Errorf("encode JSON: %w", err)}
	}
	if _, err := w.Write(append(out, '\n')); err != nil {
		return &localError{fmt.Errorf("write output: %w", err)}
	}
	return nil
}

func snakeKeys(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[snake(k)] = snakeKeys(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = snakeKeys(e)
		}
		return t
	}
	return v
}

// snake turns a Go field name into snake_case, keeping initialisms whole:
// CreatedAtMicros → created_at_micros, TCPPort → tcp_port, IDLow → id_low.
func snake(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 {
			prevLower := unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1])
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if prevLower || (unicode.IsUpper(r[i-1]) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// printTable writes rows under headers, aligned with tabwriter.
func printTable(w io.Writer, headers []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return &localError{fmt.Errorf("write output: %w", err)}
	}
	return nil
}

// printFields writes "name: value" lines for one object.
func printFields(w io.Writer, fields [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s:\t%s\n", f[0], f[1])
	}
	if err := tw.Flush(); err != nil {
		return &localError{fmt.Errorf("write output: %w", err)}
	}
	return nil
}

// show prints v as JSON, or as fields / a table for humans.
func (a *app) show(v any, human func(io.Writer) error) error {
	if a.jsonOutput() {
		return printJSON(a.stdout, v)
	}
	return human(a.stdout)
}

// done prints a one-line confirmation (or {"ok":true,...} as JSON).
func (a *app) done(msg string, fields map[string]any) error {
	if a.jsonOutput() {
		out := map[string]any{"ok": true}
		for k, v := range fields {
			out[k] = v
		}
		return printJSON(a.stdout, out)
	}
	_, err := fmt.Fprintln(a.stdout, msg)
	if err != nil {
		return &localError{fmt.Errorf("write output: %w", err)}
	}
	return nil
}

// parseID reads a stream, topic, group or user identifier: a number is a
// numeric id, anything else a name.
func parseID(s string) (wire.Identifier, error) {
	if s == "" {
		return wire.Identifier{}, usagef("empty identifier")
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return wire.NumericID(uint32(n)), nil
	}
	if len(s) > 255 {
		return wire.Identifier{}, usagef("identifier %q longer than 255 bytes", s[:16]+"...")
	}
	return wire.NamedID(s), nil
}

func parseIDs(args ...string) ([]wire.Identifier, error) {
	ids := make([]wire.Identifier, len(args))
	for i, s := range args {
		id, err := parseID(s)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

func parseU32(what, s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, usagef("%s %q is not a number in 0..4294967295", what, s)
	}
	return uint32(n), nil
}

func parseU64(what, s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, usagef("%s %q is not a non-negative number", what, s)
	}
	return n, nil
}

func micros(us uint64) string {
	if us == 0 {
		return "-"
	}
	return time.UnixMicro(int64(us)).UTC().Format(time.RFC3339)
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }
func u32(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// bytesText is a size for humans: 1.5 MiB.
func bytesText(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// expiryText shows a message-expiry or PAT duration setting.
func expiryText(us uint64) string {
	switch us {
	case wire.ExpiryServerDefault:
		return "server default"
	case wire.ExpiryNever:
		return "never"
	}
	return (time.Duration(us) * time.Microsecond).String()
}

func topicSizeText(n uint64) string {
	switch n {
	case wire.TopicSizeServerDefault:
		return "server default"
	case wire.TopicSizeUnlimited:
		return "unlimited"
	}
	return bytesText(n)
}

// parseExpiry reads "default", "never" or a Go duration into microseconds.
func parseExpiry(s string) (uint64, error) {
	switch s {
	case "default", "":
		return wire.ExpiryServerDefault, nil
	case "never", "none":
		return wire.ExpiryNever, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, usagef("expiry %q: want default, never or a duration like 24h", s)
	}
	return uint64(d / time.Microsecond), nil
}

// parseTopicSize reads "default", "unlimited" or a byte count with an
// optional KiB/MiB/GiB (or KB/MB/GB) suffix.
func parseTopicSize(s string) (uint64, error) {
	switch strings.ToLower(s) {
	case "default", "":
		return wire.TopicSizeServerDefault, nil
	case "unlimited":
		return wire.TopicSizeUnlimited, nil
	}
	units := []struct {
		suffix string
		mult   uint64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12}, {"b", 1}}
	lower := strings.ToLower(strings.TrimSpace(s))
	mult := uint64(1)
	for _, u := range units {
		if strings.HasSuffix(lower, u.suffix) {
			lower, mult = strings.TrimSpace(strings.TrimSuffix(lower, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseUint(lower, 10, 64)
	if err != nil || n == 0 {
		return 0, usagef("size %q: want default, unlimited or bytes like 10GiB", s)
	}
	return n * mult, nil
}
