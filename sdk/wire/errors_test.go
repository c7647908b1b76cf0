package wire

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"testing"
)

func TestErrorTableSortedAndUnique(t *testing.T) {
	for i := 1; i < len(errorTable); i++ {
		if errorTable[i-1].Code >= errorTable[i].Code {
			t.Fatalf("errorTable out of order at %d: %d then %d", i, errorTable[i-1].Code, errorTable[i].Code)
		}
	}
}

// TestErrorTableComplete parses errors.go: every `ErrX = &Error{...}` var
// must be listed in errorTable, or ErrorFromCode would miss it.
func TestErrorTableComplete(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	listed := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Values) != 1 {
			return true
		}
		switch v := vs.Values[0].(type) {
		case *ast.UnaryExpr:
			if lit, ok := v.X.(*ast.CompositeLit); ok && fmt.Sprint(lit.Type) == "Error" {
				declared[vs.Names[0].Name] = true
			}
		case *ast.CompositeLit:
			if vs.Names[0].Name == "errorTable" {
				for _, e := range v.Elts {
					listed[e.(*ast.Ident).Name] = true
				}
			}
		}
		return true
	})
	if len(declared) < 200 {
		t.Fatalf("found only %d sentinels; parser check broken?", len(declared))
	}
	for name := range declared {
		if !listed[name] {
			t.Errorf("%s is not in errorTable", name)
		}
	}
	if len(listed) != len(declared) {
		t.Errorf("errorTable has %d entries, %d sentinels declared", len(listed), len(declared))
	}
}

func TestErrorFromCode(t *testing.T) {
	for _, e := range errorTable {
		if got := ErrorFromCode(e.Code); got != e {
			t.Errorf("ErrorFromCode(%d) = %v, want the sentinel %v", e.Code, got, e)
		}
	}
	err := ErrorFromCode(65000)
	var we *Error
	if !errors.As(err, &we) || we.Code != 65000 {
		t.Fatalf("unknown code: %v", err)
	}
	if errors.Is(err, ErrGeneric) {
		t.Fatal("unknown code must not match Error(1)")
	}
}

func TestStatusCode(t *testing.T) {
	cases := []struct {
		err  error
		want uint32
	}{
		{nil, 0},
		{ErrStreamIDNotFound, 1009},
		{ErrTopicIDNotFound.Detail("topic %d", 3), 2010},
		{fmt.Errorf("layer: %w", ErrUnauthorized.Detail("x")), 41},
		{errors.New("plain"), 1},
	}
	for _, c := range cases {
		if got := StatusCode(c.err); got != c.want {
			t.Errorf("StatusCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
	if !errors.Is(ErrTopicIDNotFound.Detail("x"), ErrTopicIDNotFound) {
		t.Fatal("Detail must match its sentinel")
	}
	if errors.Is(ErrTopicIDNotFound.Detail("x"), ErrStreamIDNotFound) {
		t.Fatal("Detail matched another code")
	}
}
