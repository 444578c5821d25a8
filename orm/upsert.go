package orm

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/expr"
)

// InsertStmt is an ORM-enabled INSERT of rows of model A, usually an upsert: SQLAlchemy's
// insert(User).values(...).on_conflict_do_update(...).returning(User), run with Upsert,
// which returns the session's objects of the rows. Build it with Insert; every method
// returns a new statement, so it is immutable and safe for concurrent use (the objects
// given to Values are read when Upsert runs). It holds no connection and lives as long as
// the caller keeps it.
//
// The dialects spell it differently and retort picks the spelling: ON CONFLICT (target)
// DO UPDATE SET col = excluded.col on PostgreSQL and SQLite, ON DUPLICATE KEY UPDATE
// col = VALUES(col) on MySQL and MariaDB (where any unique key of the table is the
// conflict; the target still names the columns that identify the rows).
type InsertStmt[A any] struct {
	m      *mapper
	objs   []*A
	target []*field
	action expr.ConflictAction // 0: a plain INSERT
	update []*field            // DO UPDATE: columns set from the proposed row
	sets   []expr.Assignment   // DO UPDATE: other assignments
	err    error
}

// Insert returns an INSERT of rows of the handle's model.
//
//	users, err := orm.Upsert(ctx, s, orm.Insert(UserT).Values(u1, u2).
//		OnConflict(UserT.Email).DoUpdate(UserT.Name))
func Insert[A any](h Entity[A]) *InsertStmt[A] {
	t := h.modelTable()
	if t.m == nil {
		return &InsertStmt[A]{err: fmt.Errorf("%w: Insert of %s", ErrUnboundHandle, reflect.TypeFor[A]())}
	}
	return &InsertStmt[A]{m: t.m}
}

func (q *InsertStmt[A]) fail(err error) *InsertStmt[A] {
	n := *q
	if n.err == nil {
		n.err = err
	}
	return &n
}

// Values adds rows, one per object: the values of its column fields, as a flush would
// insert them (client defaults applied to zero fields; a generated column, such as an
// autoincrement key, left out when it is zero in every object). The objects are value
// carriers: Upsert does not add them to the session; it returns the session's objects.
func (q *InsertStmt[A]) Values(objs ...*A) *InsertStmt[A] {
	n := *q
	n.objs = append(append([]*A(nil), q.objs...), objs...)
	return &n
}

// OnConflict names the columns whose unique constraint decides a conflict (ON CONFLICT
// (target) on PostgreSQL and SQLite); Upsert also uses them to find rows it must read
// back (the rows DoNothing left alone, every row on MySQL, which has no RETURNING).
func (q *InsertStmt[A]) OnConflict(target ...expr.Expr) *InsertStmt[A] {
	fs, err := q.fields("OnConflict", target)
	if err != nil {
		return q.fail(err)
	}
	n := *q
	n.target = fs
	return &n
}

// DoNothing leaves the conflicting rows as they are; Upsert still returns their objects.
func (q *InsertStmt[A]) DoNothing() *InsertStmt[A] {
	n := *q
	n.action, n.update, n.sets = expr.ConflictDoNothing, nil, nil
	return &n
}

// DoUpdate sets the given columns of a conflicting row to the values the INSERT
// proposed (excluded.col); with no column, every inserted column but the target and the
// primary key. Columns with update_default= are set too.
func (q *InsertStmt[A]) DoUpdate(cols ...expr.Expr) *InsertStmt[A] {
	fs, err := q.fields("DoUpdate", cols)
	if err != nil {
		return q.fail(err)
	}
	n := *q
	n.action, n.update = expr.ConflictDoUpdate, fs
	if len(fs) == 0 {
		n.update = nil
	}
	return &n
}

// DoUpdateSet adds assignments to the update of a conflicting row (Column.Set(v), or
// expr.Set(col, expression), with expr.Excluded(col) for the proposed value).
func (q *InsertStmt[A]) DoUpdateSet(assigns ...expr.Assignment) *InsertStmt[A] {
	n := *q
	n.action = expr.ConflictDoUpdate
	n.sets = append(append([]expr.Assignment(nil), q.sets...), assigns...)
	return &n
}

// fields resolves column handles (Column[T], or Core columns of the model's table).
func (q *InsertStmt[A]) fields(op string, cols []expr.Expr) ([]*field, error) {
	if q.m == nil {
		return nil, q.err
	}
	fs := make([]*field, 0, len(cols))
	for i, c := range cols {
		var cc *expr.ColumnClause
		switch x := c.(type) {
		case interface{ Expr() *expr.ColumnClause }:
			cc = x.Expr()
		case *expr.ColumnClause:
			cc = x
		}
		f := q.m.fieldOfClause(cc)
		if f == nil {
			return nil, fmt.Errorf("orm: %s of %s: item %d is not a column of table %s", op, q.m.name, i, q.m.table.Name)
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// Upsert runs q in the session's transaction, after an autoflush, and returns the
// session's objects of its rows, one per row given, in the order given (rows given twice
// come back once per mention): the identity map's objects, overwritten with the rows'
// values (they come from the database, which the statement has just written), or new
// persistent objects. One statement where the dialect has INSERT ... RETURNING (the
// three, but MySQL); a SELECT by the target columns follows when some rows are not
// returned (DoNothing on PostgreSQL and SQLite; every row on MySQL). Many rows go in
// chunks, one statement each, as a flush's INSERTs do. Of the model hooks
// only AfterLoad runs (SQLAlchemy's mapper events do not run for bulk statements either).
func Upsert[A any](ctx context.Context, s *Session, q *InsertStmt[A]) ([]*A, error) {
	if q.err != nil {
		return nil, q.err
	}
	m := q.m
	if len(q.objs) == 0 {
		return nil, nil
	}
	feat := s.sm.eng.Dialect().Features()
	returning := feat.Has(compile.InsertReturning)
	if q.action != 0 && len(q.target) == 0 {
		return nil, fmt.Errorf("orm: Upsert of %s: OnConflict names no column", m.name)
	}
	fields, rows, err := q.rows()
	if err != nil {
		return nil, err
	}
	// One statement per chunk of rows, within the databases' parameter limits.
	per := min(maxBatchRows, max(1, maxBatchParams/max(1, len(fields))))
	cols := insertColumns(fields)
	stmts := make([]*expr.InsertStmt, 0, (len(rows)+per-1)/per)
	for start := 0; start < len(rows); start += per {
		stmt := insertStmt(m, fields, cols, rows[start:min(start+per, len(rows))], nil)
		if err := q.conflict(stmt, fields, feat); err != nil {
			return nil, err
		}
		if returning {
			stmt.Returns = make([]expr.Expr, len(m.fields))
			for i, f := range m.fields {
				stmt.Returns[i] = f.col.ColumnClause
			}
		}
		stmts = append(stmts, stmt)
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := s.beforeQuery(ctx, "Upsert", stmts[0]); err != nil {
		return nil, err
	}
	var sts []*state
	for _, stmt := range stmts {
		res, err := s.conn.Execute(ctx, stmt)
		if err != nil {
			return nil, err
		}
		if !returning {
			continue
		}
		for _, row := range res.All() {
			st, err := s.hydrate(m, row.Values(), 0, true, nil)
			if err != nil {
				return nil, err
			}
			sts = append(sts, st)
		}
	}
	if len(sts) < len(rows) {
		if len(q.target) == 0 {
			return nil, fmt.Errorf("orm: Upsert of %s: this dialect returns no rows from INSERT; name the columns that identify them with OnConflict", m.name)
		}
		keys := make([][]any, len(rows))
		for i, row := range rows {
			k := make([]any, len(q.target))
			for j, f := range q.target {
				k[j] = row[slices.Index(fields, f)]
			}
			keys[i] = k
		}
		sts = sts[:0]
		for start := 0; start < len(keys); start += maxBatchRows {
			chunk := keys[start:min(start+maxBatchRows, len(keys))]
			sel, err := s.conn.Execute(ctx, expr.Select(m.table).Where(inCondition(q.target, chunk)))
			if err != nil {
				return nil, err
			}
			for _, row := range sel.All() {
				st, err := s.hydrate(m, row.Values(), 0, true, nil)
				if err != nil {
					return nil, err
				}
				sts = append(sts, st)
			}
		}
	}
	if len(s.loadedNow) > 0 {
		if err := s.afterLoad(ctx); err != nil {
			return nil, err
		}
	}
	return q.inOrder(sts, fields, rows), nil
}

// rows returns the inserted columns and the row of each object.
func (q *InsertStmt[A]) rows() ([]*field, [][]any, error) {
	m := q.m
	var fields []*field
	for _, f := range m.fields {
		if f.genOnInsert {
			zero := true
			for _, o := range q.objs {
				if o != nil && !f.isZero(unsafePointer(o)) {
					zero = false
				}
			}
			if zero {
				continue
			}
		}
		fields = append(fields, f)
	}
	for _, f := range q.target {
		if !slices.Contains(fields, f) {
			return nil, nil, fmt.Errorf("orm: Upsert of %s: the conflict column %s is given no value", m.name, f.col.Name)
		}
	}
	rows := make([][]any, len(q.objs))
	for i, o := range q.objs {
		if o == nil {
			return nil, nil, fmt.Errorf("orm: Upsert of %s: object %d is nil", m.name, i)
		}
		base := unsafePointer(o)
		row := make([]any, len(fields))
		for k, f := range fields {
			if f.hasDefault && f.isZero(base) {
				row[k] = f.defVal
				continue
			}
			v, err := f.get(base)
			if err != nil {
				return nil, nil, err
			}
			row[k] = v
		}
		rows[i] = row
	}
	return fields, rows, nil
}

// conflict adds the dialect's spelling of the conflict clause to stmt.
func (q *InsertStmt[A]) conflict(stmt *expr.InsertStmt, fields []*field, feat compile.Features) error {
	if q.action == 0 {
		return nil
	}
	var sets []expr.Assignment
	if q.action == expr.ConflictDoUpdate {
		update := q.update
		if update == nil && len(q.sets) == 0 {
			for _, f := range fields {
				if !slices.Contains(q.target, f) && !isKeyField(q.m, f) {
					update = append(update, f)
				}
			}
		}
		for _, f := range update {
			sets = append(sets, expr.Set(f.col.ColumnClause, expr.Excluded(f.col.ColumnClause)))
		}
		sets = append(sets, q.sets...)
		for _, f := range q.m.updDefaults {
			if !slices.ContainsFunc(sets, func(a expr.Assignment) bool { return a.Col != nil && a.Col.Name == f.col.Name }) {
				v, err := updateValue(f)
				if err != nil {
					return err
				}
				sets = append(sets, expr.Set(f.col.ColumnClause, v))
			}
		}
		if len(sets) == 0 {
			return fmt.Errorf("orm: Upsert of %s: DoUpdate has no column to update", q.m.name)
		}
	}
	target := make([]*expr.ColumnClause, len(q.target))
	for i, f := range q.target {
		target[i] = f.col.ColumnClause
	}
	switch {
	case feat.Has(compile.OnConflict):
		if q.action == expr.ConflictDoNothing {
			stmt.Conflict = &expr.OnConflictClause{Target: target, Action: expr.ConflictDoNothing}
		} else {
			stmt.Conflict = &expr.OnConflictClause{Target: target, Action: expr.ConflictDoUpdate, Set: sets}
		}
	case feat.Has(compile.OnDuplicateKey):
		if q.action == expr.ConflictDoNothing {
			// A no-op update: the row stays as it is (and is returned, where RETURNING is).
			sets = []expr.Assignment{expr.Set(target[0], target[0])}
		}
		stmt.DupUpdate = sets
	default:
		return fmt.Errorf("orm: Upsert of %s: %w: the dialect has no upsert", q.m.name, compile.ErrUnsupported)
	}
	return nil
}

// inOrder returns the objects of sts in the order of the rows given, matched by the
// target columns (or the primary key); unmatched rows are left out.
func (q *InsertStmt[A]) inOrder(sts []*state, fields []*field, rows [][]any) []*A {
	match := q.target
	if len(match) == 0 {
		match = q.m.pk
		for _, f := range match {
			if !slices.Contains(fields, f) {
				// Nothing identifies the rows but the database's order: as returned.
				out := make([]*A, len(sts))
				for i, st := range sts {
					out[i] = (*A)(st.base)
				}
				return out
			}
		}
	}
	byKey := make(map[string]*state, len(sts))
	for _, st := range sts {
		byKey[matchKey(st, match)] = st
	}
	out := make([]*A, 0, len(rows))
	for _, row := range rows {
		vals := make([]any, len(match))
		for j, f := range match {
			vals[j] = row[slices.Index(fields, f)]
		}
		if st, ok := byKey[fmt.Sprint(normKey(vals))]; ok {
			out = append(out, (*A)(st.base))
		}
	}
	return out
}

func matchKey(st *state, fs []*field) string {
	vals := make([]any, len(fs))
	for i, f := range fs {
		vals[i], _ = f.get(st.base)
	}
	return fmt.Sprint(normKey(vals))
}

// normKey makes values read back comparable with those given (identity key form).
func normKey(vals []any) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = comparableKey(v)
	}
	return out
}

func unsafePointer[A any](o *A) unsafe.Pointer { return unsafe.Pointer(o) }
