package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
)

// TestContextEndedBeforeStatement: a statement whose context has already ended is not
// sent; its error says so with the engine's prefix and the SQL, wraps the context's
// error, and leaves the Conn usable.
func TestContextEndedBeforeStatement(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		c := connect(t, openEngine(t, tg))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		stmt := expr.Text("SELECT 1")
		check := func(what string, err error) {
			t.Helper()
			var se *StatementError
			if !errors.Is(err, context.Canceled) || !errors.As(err, &se) || se.SQL != "SELECT 1" {
				t.Fatalf("%s: err = %v, want a *StatementError for SELECT 1 wrapping context.Canceled", what, err)
			}
			if want := "engine: statement failed: context canceled [SQL: SELECT 1]"; err.Error() != want {
				t.Fatalf("%s: error text %q, want %q", what, err.Error(), want)
			}
		}
		_, err := c.Execute(ctx, stmt)
		check("Execute", err)
		n := 0
		for _, err := range c.Stream(ctx, stmt) {
			check("Stream", err)
			n++
		}
		if n != 1 {
			t.Fatalf("Stream yielded %d times, want one error", n)
		}
		v, err := c.Scalar(t.Context(), stmt)
		if err != nil || v == nil {
			t.Fatalf("Scalar after the cancelled statements: %v, %v", v, err)
		}
	})
}
