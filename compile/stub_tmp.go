package compile

import (
	"fmt"

	"github.com/retortdb/retort/expr"
)

// compileStatement is a placeholder until the compiler lands; it is replaced by the real one.
func compileStatement(d Dialect, stmt expr.Statement) (*Compiled, error) {
	return nil, fmt.Errorf("%w: compiler not built yet for %T", ErrCompile, stmt)
}
