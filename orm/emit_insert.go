package orm

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// insert writes a batch of new rows: one multi-row INSERT per chunk where the dialect
// allows, reading generated values back with RETURNING.
func (e *emitter) insert(ctx context.Context, b planBatch) error {
	m := b.m
	fields := e.work[b.items[0]].fields
	// Values, with client-side defaults applied to zero fields.
	rows := make([][]any, len(b.items))
	flat := make([]any, len(b.items)*len(fields))
	for n, i := range b.items {
		st := e.items[i].st
		row := flat[n*len(fields) : (n+1)*len(fields) : (n+1)*len(fields)]
		for k, f := range fields {
			if f.hasDefault && f.isZero(st.base) {
				if err := e.undo.setField(st, f, f.defVal); err != nil {
					return err
				}
			}
			v, err := f.get(st.base)
			if err != nil {
				return err
			}
			row[k] = v
		}
		rows[n] = row
		e.bound(i, row)
	}
	// What must be read back: generated columns left out of the INSERT.
	var fetch []*field
	for _, f := range m.fetchOnInsert {
		if !slices.Contains(fields, f) {
			fetch = append(fetch, f)
		}
	}
	keyGiven := true
	for _, f := range m.pk {
		keyGiven = keyGiven && slices.Contains(fields, f)
	}
	if len(fetch) > 0 && !e.feat.Has(compile.InsertReturning) {
		return e.insertWithoutReturning(ctx, b, fields, rows, fetch)
	}
	var returning []*field
	if len(fetch) > 0 {
		returning = append(returning, m.pk...)
		for _, f := range fetch {
			if !slices.Contains(returning, f) {
				returning = append(returning, f)
			}
		}
	}
	// Rows per statement: several when the dialect has multi-row VALUES and the returned
	// rows can be matched to the objects (by their given key, or by the order of the
	// autoincrement key), one otherwise.
	per := 1
	if e.feat.Has(compile.MultiValuesInsert) && len(fields) > 0 && (len(fetch) == 0 || keyGiven || m.autoinc != nil && slices.Contains(fetch, m.autoinc)) {
		per = min(maxBatchRows, max(1, maxBatchParams/len(fields)))
	}
	var ret []expr.Expr
	for _, f := range returning {
		ret = append(ret, f.col.ColumnClause)
	}
	cols := insertColumns(fields)
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		res, err := e.exec(ctx, insertStmt(m, fields, cols, rows[start:end], ret), end == len(rows))
		if err != nil {
			return err
		}
		if len(returning) == 0 {
			continue
		}
		if err := e.readBack(m, b.items[start:end], res, returning, keyGiven); err != nil {
			return err
		}
	}
	return nil
}

// insertColumns returns the columns of fields.
func insertColumns(fields []*field) []*expr.ColumnClause {
	cols := make([]*expr.ColumnClause, len(fields))
	for k, f := range fields {
		cols[k] = f.col.ColumnClause
	}
	return cols
}

// insertStmt builds the INSERT of rows (values of fields, whose columns are cols). The
// statement is built directly (its fields are exported) rather than with one Row call per
// row, which copies the rows each time: one slab of bound values.
func insertStmt(m *mapper, fields []*field, cols []*expr.ColumnClause, rows [][]any, ret []expr.Expr) *expr.InsertStmt {
	stmt := &expr.InsertStmt{Table: m.table, Returns: ret}
	if len(fields) == 0 {
		return stmt
	}
	n := len(rows)
	binds := make([]expr.Bind, n*len(fields))
	exprs := make([]expr.Expr, n*len(fields))
	stmt.Cols = cols
	stmt.Rows = make([][]expr.Expr, n)
	for r, row := range rows {
		for k, v := range row {
			x := r*len(fields) + k
			binds[x] = expr.Bind{Value: v, Type: fields[k].col.Type}
			exprs[x] = &binds[x]
		}
		stmt.Rows[r] = exprs[r*len(fields) : (r+1)*len(fields) : (r+1)*len(fields)]
	}
	return stmt
}

// insertWithoutReturning writes a batch of new rows whose generated values (fetch) must
// be read back, on a dialect without INSERT ... RETURNING (MySQL), as SQLAlchemy does
// there: when the autoincrement key is generated, one INSERT per row and the key from the
// row's last insert id; otherwise (keys given) multi-row INSERTs. Server-generated values
// other than the key (a create_date defaulting to now()) are then read by one
// SELECT ... WHERE key IN (...) per chunk of the batch: SQLAlchemy leaves them expired to
// load on first access, which Go cannot intercept, so they are fetched at once.
func (e *emitter) insertWithoutReturning(ctx context.Context, b planBatch, fields []*field, rows [][]any, fetch []*field) error {
	m := b.m
	genKey := m.autoinc != nil && slices.Contains(fetch, m.autoinc)
	for _, f := range m.pk {
		if f != m.autoinc && !slices.Contains(fields, f) {
			return fmt.Errorf("orm: flush: INSERT into %s: key column %s is left to its server default, which dialect %s cannot read back without INSERT ... RETURNING (give %s.%s a value): %w",
				m.table.Name, f.col.Name, e.s.sm.eng.Dialect().Name(), m.typ.Name(), f.goName, compile.ErrUnsupported)
		}
	}
	per := 1
	if !genKey && len(fields) > 0 && e.feat.Has(compile.MultiValuesInsert) {
		per = min(maxBatchRows, max(1, maxBatchParams/len(fields)))
	}
	cols := insertColumns(fields)
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		res, err := e.conn.Execute(ctx, insertStmt(m, fields, cols, rows[start:end], nil))
		if err != nil {
			return err
		}
		if !genKey {
			continue
		}
		id, ok := res.LastInsertID()
		if !ok {
			return fmt.Errorf("orm: flush: INSERT into %s: dialect %s reported no generated key for %s", m.table.Name, e.s.sm.eng.Dialect().Name(), m.autoinc.col.Name)
		}
		if err := e.undo.setField(e.items[b.items[start]].st, m.autoinc, id); err != nil {
			return err
		}
	}
	// The other generated columns, by key.
	var others []*field
	for _, f := range fetch {
		if !slices.Contains(m.pk, f) {
			others = append(others, f)
		}
	}
	if len(others) == 0 {
		return nil
	}
	sel := make([]any, 0, len(m.pk)+len(others))
	for _, f := range m.pk {
		sel = append(sel, f.col.ColumnClause)
	}
	for _, f := range others {
		sel = append(sel, f.col.ColumnClause)
	}
	chunk := min(maxBatchRows, max(1, maxBatchParams/len(m.pk)))
	for start := 0; start < len(b.items); start += chunk {
		items := b.items[start:min(start+chunk, len(b.items))]
		keys := make(map[identityKey]*state, len(items))
		conds := make([]expr.Expr, 0, len(items))
		var in []any
		for _, i := range items {
			st := e.items[i].st
			k, ok, err := m.keyOfObject(st.base)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("orm: flush: INSERT into %s: object %s has no key to read its server defaults back", m.table.Name, m.name)
			}
			keys[k] = st
			if len(m.pk) == 1 {
				v, err := m.pk[0].get(st.base)
				if err != nil {
					return err
				}
				in = append(in, v)
				continue
			}
			eqs := make([]expr.Expr, len(m.pk))
			for n, f := range m.pk {
				v, err := f.get(st.base)
				if err != nil {
					return err
				}
				eqs[n] = f.col.ColumnClause.Eq(v)
			}
			conds = append(conds, expr.And(eqs...))
		}
		var where expr.Expr
		switch {
		case len(m.pk) > 1:
			where = expr.Or(conds...)
		case len(in) == 1:
			where = m.pk[0].col.ColumnClause.Eq(in[0])
		default:
			where = m.pk[0].col.ColumnClause.In(in...)
		}
		res, err := e.conn.Execute(ctx, expr.Select(sel...).Where(where))
		if err != nil {
			return err
		}
		if res.Len() != len(items) {
			return fmt.Errorf("orm: flush: reading the server defaults of %d new %s rows back found %d", len(items), m.table.Name, res.Len())
		}
		for _, row := range res.All() {
			vals := row.Values()
			st, ok := keys[m.keyOfValues(vals[:len(m.pk)])]
			if !ok {
				return fmt.Errorf("orm: flush: reading the server defaults of new %s rows back found a row of another key", m.table.Name)
			}
			for n, f := range others {
				if err := e.undo.setField(st, f, vals[len(m.pk)+n]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readBack assigns the generated values of an INSERT ... RETURNING to the objects.
func (e *emitter) readBack(m *mapper, items []int, res *engine.Result, returning []*field, keyGiven bool) error {
	rows := res.All()
	if len(rows) != len(items) {
		return fmt.Errorf("orm: flush: INSERT into %s returned %d rows for %d objects", m.table.Name, len(rows), len(items))
	}
	order := make([]int, len(rows)) // order[n]: the row for items[n]
	for n := range order {
		order[n] = n
	}
	switch {
	case len(items) == 1:
	case keyGiven:
		byKey := make(map[identityKey]int, len(rows))
		for r, row := range rows {
			byKey[m.keyOfValues(row.Values()[:len(m.pk)])] = r
		}
		for n, i := range items {
			k, ok, err := m.keyOfObject(e.items[i].st.base)
			if err != nil {
				return err
			}
			r, found := byKey[k]
			if !ok || !found {
				return fmt.Errorf("orm: flush: INSERT into %s: no returned row has the key of object %d", m.table.Name, n)
			}
			order[n] = r
		}
	default:
		// Generated keys increase in the order the rows were inserted.
		k := slices.Index(returning, m.autoinc)
		slices.SortStableFunc(order, func(a, b int) int {
			x, _ := rows[a].Get(k).(int64)
			y, _ := rows[b].Get(k).(int64)
			return cmp.Compare(x, y)
		})
	}
	for n, i := range items {
		st := e.items[i].st
		vals := rows[order[n]].Values()
		e.returned(i, returning, vals)
		for k, f := range returning {
			if err := e.undo.setField(st, f, vals[k]); err != nil {
				return err
			}
		}
	}
	return nil
}
