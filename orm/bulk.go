package orm

import (
	"context"
	"fmt"
	"reflect"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/expr"
)

// Synchronize says how an ORM bulk UPDATE or DELETE (Update, Delete) keeps the objects of
// its model that the session holds true to the rows it changed (SQLAlchemy's
// synchronize_session).
type Synchronize uint8

const (
	// SyncFetch, the default, finds the rows the statement changes and brings the
	// session's objects of those rows in line: updated objects get the rows' new values
	// (fields and snapshot), deleted ones are marked deleted and leave the identity map.
	// It is exact whatever the criteria and values (SQL expressions included). It costs
	// nothing when the session holds no object of the model, and otherwise nothing more
	// than the statement where RETURNING carries the rows (UPDATE on PostgreSQL and
	// SQLite, DELETE on the three); elsewhere a SELECT ... FOR UPDATE of the matched keys
	// comes first (and, for an UPDATE, a SELECT of the held objects' new rows after).
	// SQLAlchemy's default, "auto", evaluates the criteria in Python first and falls back
	// to fetching; retort always fetches, which gives the same objects.
	SyncFetch Synchronize = iota
	// SyncNone sends the statement alone and leaves the session's objects as they are
	// (SQLAlchemy's synchronize_session=False): they may hold values their rows no longer
	// have until they are expired or refreshed.
	SyncNone
)

// UpdateStmt is an ORM-enabled UPDATE of the rows of model A that match criteria
// (SQLAlchemy's update(User).where(...).values(...)), run with Exec. Columns with
// update_default= that the statement does not set are set as the flush sets them. Build
// it with Update; every method returns a new statement, so it is immutable and safe for
// concurrent use; it holds no connection and lives as long as the caller keeps it.
type UpdateStmt[A any] struct {
	m      *mapper
	sets   []expr.Assignment
	wheres []expr.Expr
	sync   Synchronize
	err    error
}

// Update returns an UPDATE of the rows of the handle's model:
//
//	n, err := orm.Exec(ctx, s, orm.Update(PostT).Where(PostT.UserID.Eq(from)).Set(PostT.UserID.Set(to)))
func Update[A any](h Entity[A]) *UpdateStmt[A] {
	t := h.modelTable()
	if t.m == nil {
		return &UpdateStmt[A]{err: fmt.Errorf("%w: Update of %s", ErrUnboundHandle, reflect.TypeFor[A]())}
	}
	return &UpdateStmt[A]{m: t.m}
}

// Set adds assignments (Column.Set(v), or expr.Set(col, expression) for SQL such as
// score + 1); each must be a column of the model's table.
func (q *UpdateStmt[A]) Set(assigns ...expr.Assignment) *UpdateStmt[A] {
	n := *q
	n.sets = append(append([]expr.Assignment(nil), q.sets...), assigns...)
	return &n
}

// Where adds conditions (ANDed). An UPDATE without any condition updates every row.
func (q *UpdateStmt[A]) Where(conds ...expr.Expr) *UpdateStmt[A] {
	n := *q
	n.wheres = append(append([]expr.Expr(nil), q.wheres...), conds...)
	return &n
}

// Synchronize sets how the session's objects are kept in line (default SyncFetch).
func (q *UpdateStmt[A]) Synchronize(mode Synchronize) *UpdateStmt[A] {
	n := *q
	n.sync = mode
	return &n
}

// DeleteStmt is an ORM-enabled DELETE of the rows of model A that match criteria
// (SQLAlchemy's delete(User).where(...)), run with Exec. The database's foreign keys
// decide what happens to rows that reference them (no ORM cascade runs, as in
// SQLAlchemy). Build it with Delete; it is immutable and safe for concurrent use; it holds
// no connection and lives as long as the caller keeps it.
type DeleteStmt[A any] struct {
	m      *mapper
	wheres []expr.Expr
	sync   Synchronize
	err    error
}

// Delete returns a DELETE of the rows of the handle's model.
func Delete[A any](h Entity[A]) *DeleteStmt[A] {
	t := h.modelTable()
	if t.m == nil {
		return &DeleteStmt[A]{err: fmt.Errorf("%w: Delete of %s", ErrUnboundHandle, reflect.TypeFor[A]())}
	}
	return &DeleteStmt[A]{m: t.m}
}

// Where adds conditions (ANDed). A DELETE without any condition deletes every row.
func (q *DeleteStmt[A]) Where(conds ...expr.Expr) *DeleteStmt[A] {
	n := *q
	n.wheres = append(append([]expr.Expr(nil), q.wheres...), conds...)
	return &n
}

// Synchronize sets how the session's objects are kept in line (default SyncFetch).
func (q *DeleteStmt[A]) Synchronize(mode Synchronize) *DeleteStmt[A] {
	n := *q
	n.sync = mode
	return &n
}

// BulkStmt is an ORM bulk statement for Exec: *UpdateStmt[A] or *DeleteStmt[A]. Its
// implementations are immutable and safe for concurrent use, and live as long as the
// caller keeps them.
type BulkStmt interface {
	bulk() bulkSpec
}

type bulkSpec struct {
	m      *mapper
	sets   []expr.Assignment // nil: a DELETE
	wheres []expr.Expr
	sync   Synchronize
	err    error
	delete bool
}

func (q *UpdateStmt[A]) bulk() bulkSpec {
	return bulkSpec{m: q.m, sets: q.sets, wheres: q.wheres, sync: q.sync, err: q.err}
}

func (q *DeleteStmt[A]) bulk() bulkSpec {
	return bulkSpec{m: q.m, wheres: q.wheres, sync: q.sync, err: q.err, delete: true}
}

// Exec runs an ORM bulk UPDATE or DELETE in the session's transaction, after an
// autoflush, and returns the number of rows it matched. The session's objects of the
// rows it changed are synchronised as q's Synchronize mode says. A rollback of the
// transaction undoes the synchronisation as it undoes a flush: updated objects are
// expired back to their values from before, deleted ones are persistent again.
func Exec(ctx context.Context, s *Session, q BulkStmt) (int64, error) {
	if q == nil {
		return 0, fmt.Errorf("orm: Exec of a nil statement")
	}
	b := q.bulk()
	if b.err != nil {
		return 0, b.err
	}
	m := b.m
	if !b.delete {
		if len(b.sets) == 0 {
			return 0, fmt.Errorf("orm: Update of %s sets no column", m.name)
		}
		for _, a := range b.sets {
			f := m.fieldOfClause(a.Col)
			if f == nil {
				return 0, fmt.Errorf("orm: Update of %s sets a column that is not one of table %s", m.name, m.table.Name)
			}
			if b.sync == SyncFetch && isKeyField(m, f) {
				return 0, fmt.Errorf("orm: Update of %s sets its primary key column %s, which SyncFetch cannot follow; use Synchronize(SyncNone)", m.name, f.col.Name)
			}
		}
	}
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	var stmt expr.Statement
	if b.delete {
		stmt = expr.Delete(m.table).Where(b.wheres...)
	} else {
		u, err := b.updateStmt()
		if err != nil {
			return 0, err
		}
		stmt = u
	}
	if err := s.beforeQuery(ctx, "Exec", stmt); err != nil {
		return 0, err
	}
	if b.sync == SyncNone || !s.holds(m) {
		res, err := s.conn.Execute(ctx, stmt)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected(), nil
	}
	if b.delete {
		return s.bulkDelete(ctx, b)
	}
	return s.bulkUpdate(ctx, b, stmt.(*expr.UpdateStmt))
}

// updateStmt returns the UPDATE with the update_default= columns it does not set.
func (b *bulkSpec) updateStmt() (*expr.UpdateStmt, error) {
	u := expr.Update(b.m.table)
	u.Sets = append(u.Sets, b.sets...)
	for _, f := range b.m.updDefaults {
		set := false
		for _, a := range b.sets {
			if a.Col != nil && a.Col.Name == f.col.Name {
				set = true
			}
		}
		if !set {
			v, err := updateValue(f)
			if err != nil {
				return nil, err
			}
			u.Sets = append(u.Sets, expr.Set(f.col.ColumnClause, v))
		}
	}
	return u.Where(b.wheres...), nil
}

// fieldOfClause returns the field of m whose column is c (by table and name).
func (m *mapper) fieldOfClause(c *expr.ColumnClause) *field {
	if c == nil {
		return nil
	}
	for _, f := range m.fields {
		if f.col.ColumnClause == c || c.Name == f.col.Name && sameTable(c.Table, m) {
			return f
		}
	}
	return nil
}

func isKeyField(m *mapper, f *field) bool {
	for _, k := range m.pk {
		if k == f {
			return true
		}
	}
	return false
}

// holds reports whether the session tracks an object of m.
func (s *Session) holds(m *mapper) bool {
	for _, st := range s.identity {
		if st.m == m {
			return true
		}
	}
	return false
}

// keyColumns returns the Core columns of m's primary key.
func keyColumns(m *mapper) []any {
	cols := make([]any, len(m.pk))
	for i, f := range m.pk {
		cols[i] = f.col.ColumnClause
	}
	return cols
}

// matchedKeys selects, locking them where the dialect can, the keys of the rows of m
// that match wheres.
func (s *Session) matchedKeys(ctx context.Context, m *mapper, wheres []expr.Expr) ([]identityKey, error) {
	sel := expr.Select(keyColumns(m)...).Where(wheres...)
	if s.sm.eng.Dialect().Features().Has(compile.ForUpdate) {
		sel = sel.ForUpdate()
	}
	res, err := s.conn.Execute(ctx, sel)
	if err != nil {
		return nil, err
	}
	keys := make([]identityKey, 0, res.Len())
	for _, row := range res.All() {
		keys = append(keys, m.keyOfValues(row.Values()))
	}
	return keys, nil
}

func (s *Session) bulkUpdate(ctx context.Context, b bulkSpec, stmt *expr.UpdateStmt) (int64, error) {
	m := b.m
	if s.sm.eng.Dialect().Features().Has(compile.UpdateReturning) {
		res, err := s.conn.Execute(ctx, stmt.Returning(m.table))
		if err != nil {
			return 0, err
		}
		for _, row := range res.All() {
			if err := s.syncUpdated(m, row.Values()); err != nil {
				return 0, err
			}
		}
		return int64(res.Len()), nil
	}
	keys, err := s.matchedKeys(ctx, m, b.wheres)
	if err != nil {
		return 0, err
	}
	res, err := s.conn.Execute(ctx, stmt)
	if err != nil {
		return 0, err
	}
	var held [][]any
	for _, k := range keys {
		if st, ok := s.identity[k]; ok && st.status == Persistent {
			held = append(held, st.keyValues())
		}
	}
	for start := 0; start < len(held); start += maxBatchRows {
		chunk := held[start:min(start+maxBatchRows, len(held))]
		rows, err := s.conn.Execute(ctx, expr.Select(m.table).Where(inCondition(m.pk, chunk)))
		if err != nil {
			return 0, err
		}
		for _, row := range rows.All() {
			if err := s.syncUpdated(m, row.Values()); err != nil {
				return 0, err
			}
		}
	}
	return res.RowsAffected(), nil
}

// syncUpdated brings the session's object of a row (all of m's columns), if it holds
// one, in line with the row, recording its snapshot from before for a rollback.
func (s *Session) syncUpdated(m *mapper, vals []any) error {
	key, ok := m.keyOf(vals, 0)
	if !ok {
		return nil
	}
	st, ok := s.identity[key]
	if !ok || st.status != Persistent {
		return nil
	}
	before := frameSnap{snap: st.snap, key: st.key}
	if err := s.populate(st, vals); err != nil {
		return err
	}
	s.top().markDirty(st, before)
	return nil
}

func (s *Session) bulkDelete(ctx context.Context, b bulkSpec) (int64, error) {
	m := b.m
	del := expr.Delete(m.table).Where(b.wheres...)
	var keys []identityKey
	var n int64
	if s.sm.eng.Dialect().Features().Has(compile.DeleteReturning) {
		res, err := s.conn.Execute(ctx, del.Returning(keyColumns(m)...))
		if err != nil {
			return 0, err
		}
		for _, row := range res.All() {
			keys = append(keys, m.keyOfValues(row.Values()))
		}
		n = int64(res.Len())
	} else {
		var err error
		if keys, err = s.matchedKeys(ctx, m, b.wheres); err != nil {
			return 0, err
		}
		res, err := s.conn.Execute(ctx, del)
		if err != nil {
			return 0, err
		}
		n = res.RowsAffected()
	}
	f := s.top()
	for _, k := range keys {
		st, ok := s.identity[k]
		if !ok || st.status != Persistent && st.status != Deleted {
			continue
		}
		st.status, st.flushedDelete = Deleted, true
		delete(s.identity, k)
		f.deleted = append(f.deleted, st)
	}
	return n, nil
}

// sameTable reports whether t is m's table (or an unnamed one).
func sameTable(t expr.FromClause, m *mapper) bool {
	if t == nil {
		return true
	}
	tl, ok := t.(expr.TableLike)
	return ok && tl.TableName() == m.table.Name
}
