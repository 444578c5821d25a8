package migrate_test

import (
	"testing"

	"github.com/retortdb/retort/engine"
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
