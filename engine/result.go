package engine

import (
	"iter"
	"sync"

	"github.com/retortdb/retort/compile"
)

// resultMeta describes the columns shared by every Row of one result.
type resultMeta struct {
	cols  []compile.ResultColumn
	once  sync.Once
	names []string // built on first use by Columns
}

func (m *resultMeta) columnNames() []string {
	m.once.Do(func() {
		m.names = make([]string, len(m.cols))
		for i, c := range m.cols {
			m.names[i] = c.Name
		}
	})
	return m.names
}

func (m *resultMeta) index(name string) int {
	for i := range m.cols {
		if m.cols[i].Name == name {
			return i
		}
	}
	return -1
}

// Result is the buffered result of a statement, as SQLAlchemy's Result: every row has been
// read and converted to canonical Go values (see types.Kind) when Execute returns, so the
// connection is free again. A Result needs no closing, may be read any number of times and
// is safe for concurrent reads.
// It holds no connection and lives as long as the caller keeps it.
type Result struct {
	meta         *resultMeta
	rows         []Row // every row; for a result read into chunks, built on first use (all)
	rowsAffected int64
	one          [1]Row // storage of rows for a one-row result

	// A result of several rows keeps its values as read: n rows of ncol values in
	// chunks, which Rows iterates without building rows.
	chunks   [][]any
	n        int
	rowsOnce sync.Once

	lastInsertID    int64
	hasLastInsertID bool
}

// Columns returns the names of the result's columns, in order (nil for a statement that
// returns no rows). The slice must not be modified.
func (r *Result) Columns() []string {
	if r.meta == nil {
		return nil
	}
	return r.meta.columnNames()
}

// Keys is Columns, under SQLAlchemy's name.
func (r *Result) Keys() []string { return r.Columns() }

// RowsAffected returns the number of rows the statement inserted, updated or deleted; for a
// statement that returns rows (SELECT, or DML with RETURNING) it is the number of rows
// returned.
func (r *Result) RowsAffected() int64 { return r.rowsAffected }

// LastInsertID returns the key of a row the statement inserted, as the database reports
// it without RETURNING (SQLAlchemy's CursorResult.lastrowid), and ok true when there is
// one. SQLite gives the rowid of the last row inserted, after an INSERT or REPLACE that
// inserted rows; MySQL and MariaDB give the AUTO_INCREMENT key of the first row of the
// statement (generated or given). ok is false on PostgreSQL (use Returning), for
// statements that return rows, and for statements that inserted no row or, on MySQL and
// MariaDB, into a table without an AUTO_INCREMENT key.
func (r *Result) LastInsertID() (id int64, ok bool) { return r.lastInsertID, r.hasLastInsertID }

// Len returns the number of rows.
func (r *Result) Len() int {
	if r.chunks != nil {
		return r.n
	}
	return len(r.rows)
}

// All returns every row. The slice must not be modified.
func (r *Result) All() []Row { return r.all() }

// all returns r.rows, building it from the chunks the first time.
func (r *Result) all() []Row {
	if r.chunks != nil {
		r.rowsOnce.Do(r.buildRows)
	}
	return r.rows
}

func (r *Result) buildRows() {
	rows := make([]Row, 0, r.n)
	for row := range r.chunkRows {
		rows = append(rows, row)
	}
	r.rows = rows
}

// chunkRows yields the rows of the chunks, in order.
func (r *Result) chunkRows(yield func(Row) bool) {
	ncol := len(r.meta.cols)
	k := 0
	for _, ch := range r.chunks {
		for off := 0; off+ncol <= len(ch) && k < r.n; off += ncol {
			k++
			if !yield(Row{vals: ch[off : off+ncol : off+ncol], meta: r.meta}) {
				return
			}
		}
	}
}

// Rows returns an iterator over the rows.
func (r *Result) Rows() iter.Seq[Row] { return r.Each }

// Each calls fn with each row in order until fn returns false: Rows without an iterator
// value, for loops that must not allocate.
func (r *Result) Each(fn func(Row) bool) {
	if r.chunks != nil {
		r.chunkRows(fn)
		return
	}
	for _, row := range r.rows {
		if !fn(row) {
			return
		}
	}
}

// Partitions returns an iterator over the rows in slices of up to n rows (all rows in one
// slice when n <= 0). The slices must not be modified.
func (r *Result) Partitions(n int) iter.Seq[[]Row] {
	rows := r.all()
	return func(yield func([]Row) bool) {
		if n <= 0 {
			n = len(rows)
		}
		for i := 0; i < len(rows); i += n {
			end := min(i+n, len(rows))
			if !yield(rows[i:end:end]) {
				return
			}
		}
	}
}

// First returns the first row, ignoring any others, or ErrNoResult when there is none.
func (r *Result) First() (Row, error) {
	rows := r.all()
	if len(rows) == 0 {
		return Row{}, ErrNoResult
	}
	return rows[0], nil
}

// One returns the only row: ErrNoResult when there is none, ErrMultipleResults when there
// are more than one.
func (r *Result) One() (Row, error) {
	rows := r.all()
	switch len(rows) {
	case 0:
		return Row{}, ErrNoResult
	case 1:
		return rows[0], nil
	}
	return Row{}, ErrMultipleResults
}

// OneOrNone returns the only row with ok true, or ok false and a nil error when there is
// no row (SQLAlchemy's one_or_none returning None); ErrMultipleResults when there are more.
func (r *Result) OneOrNone() (row Row, ok bool, err error) {
	rows := r.all()
	switch len(rows) {
	case 0:
		return Row{}, false, nil
	case 1:
		return rows[0], true, nil
	}
	return Row{}, false, ErrMultipleResults
}

// Scalar returns the first column of the first row, ignoring any other rows, or
// ErrNoResult when there is no row. A SQL NULL is a nil value with a nil error.
func (r *Result) Scalar() (any, error) {
	rows := r.all()
	if len(rows) == 0 {
		return nil, ErrNoResult
	}
	return rows[0].Get(0), nil
}

// ScalarOne returns the first column of the only row (errors as One).
func (r *Result) ScalarOne() (any, error) {
	row, err := r.One()
	if err != nil {
		return nil, err
	}
	return row.Get(0), nil
}

// ScalarOneOrNone returns the first column of the only row with ok true, or ok false when
// there is no row (errors as OneOrNone). ok distinguishes "no row" from a NULL value.
func (r *Result) ScalarOneOrNone() (v any, ok bool, err error) {
	row, ok, err := r.OneOrNone()
	if !ok || err != nil {
		return nil, false, err
	}
	return row.Get(0), true, nil
}

// Scalars returns the first column of every row.
func (r *Result) Scalars() *ScalarResult {
	rows := r.all()
	vals := make([]any, len(rows))
	for i, row := range rows {
		vals[i] = row.Get(0)
	}
	return &ScalarResult{vals: vals}
}

// Mappings returns every row as a map from column name to value (one map per row; use Rows
// and Row.ByName on hot paths).
func (r *Result) Mappings() []map[string]any {
	rows := r.all()
	out := make([]map[string]any, len(rows))
	for i, row := range rows {
		out[i] = row.Mapping()
	}
	return out
}

// ScalarResult holds one value per row: the first column of each row of a Result. It is
// immutable and safe for concurrent reads.
// It holds no connection and lives as long as the caller keeps it.
type ScalarResult struct {
	vals []any
}

// All returns every value. The slice must not be modified.
func (s *ScalarResult) All() []any { return s.vals }

// Len returns the number of values.
func (s *ScalarResult) Len() int { return len(s.vals) }

// Values returns an iterator over the values.
func (s *ScalarResult) Values() iter.Seq[any] {
	return func(yield func(any) bool) {
		for _, v := range s.vals {
			if !yield(v) {
				return
			}
		}
	}
}

// First returns the first value, or ErrNoResult when there is none.
func (s *ScalarResult) First() (any, error) {
	if len(s.vals) == 0 {
		return nil, ErrNoResult
	}
	return s.vals[0], nil
}

// One returns the only value: ErrNoResult when there is none, ErrMultipleResults when
// there are more.
func (s *ScalarResult) One() (any, error) {
	switch len(s.vals) {
	case 0:
		return nil, ErrNoResult
	case 1:
		return s.vals[0], nil
	}
	return nil, ErrMultipleResults
}

// OneOrNone returns the only value with ok true, ok false when there is none, or
// ErrMultipleResults.
func (s *ScalarResult) OneOrNone() (v any, ok bool, err error) {
	switch len(s.vals) {
	case 0:
		return nil, false, nil
	case 1:
		return s.vals[0], true, nil
	}
	return nil, false, ErrMultipleResults
}

// Row is one row of a result: canonical Go values (see types.Kind) in column order, nil
// for SQL NULL. A Row is a small value, cheap to copy; it is immutable and safe for
// concurrent reads. The zero Row has no columns.
// It lives as long as the caller keeps it.
type Row struct {
	vals []any
	meta *resultMeta
}

// Len returns the number of columns.
func (r Row) Len() int { return len(r.vals) }

// Values returns the row's values in column order. The slice must not be modified.
func (r Row) Values() []any { return r.vals }

// Columns returns the names of the row's columns. The slice must not be modified.
func (r Row) Columns() []string {
	if r.meta == nil {
		return nil
	}
	return r.meta.columnNames()
}

// Get returns the value of column i (0-based), or nil when i is out of range.
func (r Row) Get(i int) any {
	if i < 0 || i >= len(r.vals) {
		return nil
	}
	return r.vals[i]
}

// ByName returns the value of the column called name (the first one, when several share
// the name) and whether there is such a column.
func (r Row) ByName(name string) (any, bool) {
	if r.meta == nil {
		return nil, false
	}
	i := r.meta.index(name)
	if i < 0 {
		return nil, false
	}
	return r.vals[i], true
}

// Mapping returns the row as a new map from column name to value.
func (r Row) Mapping() map[string]any {
	m := make(map[string]any, len(r.vals))
	if r.meta != nil {
		for i, c := range r.meta.cols {
			if _, dup := m[c.Name]; !dup {
				m[c.Name] = r.vals[i]
			}
		}
	}
	return m
}
