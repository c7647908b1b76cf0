package vsr

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPurity fails if the package does I/O, reads the clock, uses shared
// randomness or starts goroutines: each of those breaks seed replay.
func TestPurity(t *testing.T) {
	forbidden := map[string]bool{"net": true, "os": true, "time": true, "sync": true, "sync/atomic": true,
		"math/rand": true, "math/rand/v2": true, "crypto/rand": true, "unsafe": true, "syscall": true, "io/fs": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if forbidden[path] || strings.HasPrefix(path, "net/") || strings.HasPrefix(path, "os/") {
				t.Errorf("%s imports %q", name, path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: go statement", name)
			case *ast.SelectStmt:
				t.Errorf("%s: select statement", name)
			case *ast.ChanType:
				t.Errorf("%s: channel type", name)
			case *ast.RangeStmt:
				_ = n // map ranges are allowed only where order cannot matter (reviewed)
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("no files checked")
	}
}
