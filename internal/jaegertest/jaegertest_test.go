package jaegertest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A missing binary fails with a message that says how to get one.
func TestFindBinaryNamesMakeTools(t *testing.T) {
	t.Setenv(EnvBinary, t.TempDir()+"/no-jaeger")
	_, err := FindBinary()
	if err == nil || !strings.Contains(err.Error(), "make tools-jaeger") {
		t.Fatalf("FindBinary() error = %v, want one naming `make tools-jaeger`", err)
	}
}

// Jaeger prints a trace id whose high half is zero with 16 digits; Span
// carries the 32 the OpenTelemetry API prints, and the parent comes from
// the CHILD_OF reference in the same trace, not from a link elsewhere.
func TestFlattenPadsTraceIDAndReadsParent(t *testing.T) {
	var sp uiSpan
	err := json.Unmarshal([]byte(`{"traceID":"00000000000000ab","spanID":"0000000000000002","operationName":"op",
		"references":[{"refType":"FOLLOWS_FROM","traceID":"ff","spanID":"0000000000000009"},
		{"refType":"CHILD_OF","traceID":"00000000000000ab","spanID":"0000000000000001"}],
		"startTime":1000000,"duration":1500,"processID":"p1",
		"tags":[{"key":"n","type":"int64","value":101},{"key":"b","type":"bool","value":false},{"key":"span.kind","type":"string","value":"producer"}]}`), &sp)
	if err != nil {
		t.Fatal(err)
	}
	got := flatten(sp, map[string]uiProcess{"p1": {ServiceName: "svc"}})
	if got.TraceID != "000000000000000000000000000000ab" || got.ParentSpanID != "0000000000000001" || got.Service != "svc" ||
		got.Kind != "producer" || got.Tags["n"] != "101" || got.Tags["b"] != "false" || got.Duration != 1500*time.Microsecond {
		t.Fatalf("flatten = %+v", got)
	}
}
