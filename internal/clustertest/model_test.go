package clustertest

import (
	"testing"

	"github.com/anishathalye/porcupine"
)

// TestLogModelRejectsViolations shows the checker can fail: histories the
// model must refuse, and their legal twins.
func TestLogModelRejectsViolations(t *testing.T) {
	appendOp := func(id string, call, ret int64) porcupine.Operation {
		return porcupine.Operation{Input: linInput{id: id}, Call: call, Return: ret}
	}
	readOp := func(strict bool, out string, call, ret int64) porcupine.Operation {
		return porcupine.Operation{ClientId: 1, Input: linInput{read: true, strict: strict}, Output: out, Call: call, Return: ret}
	}
	cases := []struct {
		name string
		ops  []porcupine.Operation
		ok   bool
	}{
		{"strict read sees completed append", []porcupine.Operation{appendOp("a", 0, 1), readOp(true, ",a", 2, 3)}, true},
		{"strict read misses completed append", []porcupine.Operation{appendOp("a", 0, 1), readOp(true, "", 2, 3)}, false},
		{"lagging read misses completed append", []porcupine.Operation{appendOp("a", 0, 1), readOp(false, "", 2, 3)}, true},
		{"read sees an append before its call", []porcupine.Operation{readOp(false, ",a", 0, 1), appendOp("a", 2, 3)}, false},
		{"read sees appends out of order", []porcupine.Operation{appendOp("a", 0, 1), appendOp("b", 2, 3), readOp(false, ",b,a", 4, 5)}, false},
		{"unknown append may have happened", []porcupine.Operation{appendOp("a", 0, 100), readOp(true, ",a", 2, 3)}, true},
		{"unknown append may not have happened", []porcupine.Operation{appendOp("a", 0, 100), readOp(true, "", 2, 3)}, true},
		{"read sees an id never appended", []porcupine.Operation{readOp(false, ",z", 0, 1)}, false},
	}
	for _, tc := range cases {
		if got := porcupine.CheckOperations(logModel, tc.ops); got != tc.ok {
			t.Errorf("%s: linearizable = %v, want %v", tc.name, got, tc.ok)
		}
	}
}
