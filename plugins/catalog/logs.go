package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"strings"
)

// lineBytesMax bounds one buffered line of plugin stderr.
const lineBytesMax = 64 << 10

// lineLogger re-logs a plugin process's stderr, line by line, through the
// host's logger. JSON lines (slog's or hclog's) keep their level, message
// and attributes; other lines (a panic's stack) are logged as they are.
// go-plugin calls Write from one goroutine per process.
type lineLogger struct {
	logger *slog.Logger
	buf    []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			room := lineBytesMax - len(l.buf)
			l.buf = append(l.buf, p[:min(len(p), max(room, 0))]...)
			break
		}
		l.buf = append(l.buf, p[:i]...)
		l.line(l.buf)
		l.buf = l.buf[:0]
		p = p[i+1:]
	}
	return n, nil
}

func (l *lineLogger) line(b []byte) {
	if len(bytes.TrimSpace(b)) == 0 {
		return
	}
	var rec map[string]any
	if json.Unmarshal(b, &rec) != nil {
		l.logger.Warn("plugin stderr", "line", string(b))
		return
	}
	level := slog.LevelInfo
	msg := "plugin"
	var attrs []any
	for _, k := range slices.Sorted(maps.Keys(rec)) {
		v := rec[k]
		switch k {
		case "level", "@level":
			level = parseLevel(v)
		case "msg", "@message":
			msg, _ = v.(string)
		case "time", "@timestamp", "@module", "@caller", "bundle", "instance": // the host names them
		default:
			attrs = append(attrs, k, v)
		}
	}
	l.logger.Log(context.Background(), level, msg, attrs...)
}

func parseLevel(v any) slog.Level {
	s, _ := v.(string)
	switch strings.ToLower(s) {
	case "trace", "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
