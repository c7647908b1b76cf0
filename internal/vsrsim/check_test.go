package vsrsim

import (
	"testing"

	"github.com/anishathalye/porcupine"
)

// The linearizability checker can fail: two appends that both claim offset
// 0 of one key, one finishing before the other starts, are illegal; an
// unanswered append may or may not have happened.
func TestAppendModelRejectsLostWrite(t *testing.T) {
	nm := appendModel()
	m := nm.ToModel()
	bad := []porcupine.Operation{
		{ClientId: 0, Input: appendIn{key: 1, count: 2}, Call: 0, Output: appendOut{offset: 0}, Return: 1},
		{ClientId: 1, Input: appendIn{key: 1, count: 1}, Call: 2, Output: appendOut{offset: 0}, Return: 3},
	}
	if porcupine.CheckOperations(m, bad) {
		t.Fatal("a history that loses an acknowledged append passed")
	}
	ok := []porcupine.Operation{
		{ClientId: 0, Input: appendIn{key: 1, count: 2}, Call: 0, Output: appendOut{unknown: true}, Return: 1 << 62},
		{ClientId: 1, Input: appendIn{key: 1, count: 1}, Call: 2, Output: appendOut{offset: 2}, Return: 3},
		{ClientId: 2, Input: appendIn{key: 0, count: 1}, Call: 4, Output: appendOut{offset: 0}, Return: 5},
	}
	if !porcupine.CheckOperations(m, ok) {
		t.Fatal("a linearizable history failed")
	}
}
