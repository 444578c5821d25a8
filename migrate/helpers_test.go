package migrate_test

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/retortdb/retort/migrate"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
)

// open returns an engine on the target, closed when t ends.
func open(t *testing.T, tg testdb.Target) *engine.Engine {
	t.Helper()
	eng, err := engine.Create(t.Context(), tg.URL)
	if err != nil {
		t.Fatalf("engine.Create on %s: %v", tg.Name, err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// quiet is a Migrator option that drops the progress log.
var quiet = migrate.WithLogger(slog.New(slog.DiscardHandler))

// str returns a value read without a column type as text ([]byte on MySQL).
func str(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return fmt.Sprint(v)
}

// textStmt is expr.Text, for tests that only run raw SQL.
func textStmt(sql string) *expr.TextStmt { return expr.Text(sql) }
