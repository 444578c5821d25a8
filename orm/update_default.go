package orm

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/retortdb/retort/types"
)

// update_default= gives a column the value it takes whenever its row is updated without
// it (SQLAlchemy's onupdate=): the flush's UPDATEs and the ORM's bulk updates (Update)
// add it to their SET list. now() is the current time, taken in Go when the statement is
// built (UTC, to the microsecond, the precision the three databases keep), and written
// to the object too, so that the object holds what its row holds without reading it back
// (SQLAlchemy's onupdate=func.now() runs the SQL function and leaves the attribute
// expired, to load on access, which Go cannot do). Any other value is a constant, written
// as default= writes it.

// parseUpdateDefault returns the function giving the canonical value of update_default=s
// for a column of type ct held by a field of Go type ft with codec c.
func parseUpdateDefault(s string, ct types.Type, ft reflect.Type, c codec) (func() any, error) {
	if strings.EqualFold(s, "now()") || strings.EqualFold(s, "current_timestamp") {
		if ct.Kind != types.KindTimestamp {
			return nil, fmt.Errorf("update_default=%s needs a timestamp column, not %s", s, ct.Kind)
		}
		fn := func() any { return time.Now().UTC().Truncate(time.Microsecond) }
		if err := defaultFits(ft, c, fn()); err != nil {
			return nil, fmt.Errorf("update_default=%s: %w", s, err)
		}
		return fn, nil
	}
	v, err := parseDefault(unquote(s), ct)
	if err == nil {
		err = defaultFits(ft, c, v)
	}
	if err != nil {
		return nil, fmt.Errorf("update_default: %w", err)
	}
	return func() any { return v }, nil
}

// applyUpdateDefaults sets, on the object of st about to be updated with the columns
// changed, the update_default columns that are not among them, journalled in undo, and
// returns the column list with them added.
func applyUpdateDefaults(st *state, changed []*field, undo *undoLog) ([]*field, error) {
	for _, f := range st.m.updDefaults {
		if slices.Contains(changed, f) {
			continue
		}
		if err := undo.setField(st, f, f.updDefault()); err != nil {
			return nil, err
		}
		changed = append(changed, f)
	}
	return changed, nil
}
