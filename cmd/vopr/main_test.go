package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/runnel-io/runnel/internal/vsrsim"
)

// The same seeds print byte-identical output.
func TestSameSeedSameOutput(t *testing.T) {
	opts := vsrsim.Options{Ticks: 1500, LivenessTicks: 3000}
	var a, b bytes.Buffer
	if code := run(&a, 11, 3, 1, opts, false); code != 0 {
		t.Fatalf("exit %d:\n%s", code, a.String())
	}
	run(&b, 11, 3, 3, opts, false) // parallel: same lines, same order
	if a.String() != b.String() {
		t.Fatalf("outputs differ:\n%s\n---\n%s", a.String(), b.String())
	}
	if !strings.Contains(a.String(), "seed=11 ") || !strings.Contains(a.String(), "3 seeds from 11: 0 failed") {
		t.Fatalf("unexpected output:\n%s", a.String())
	}
}
