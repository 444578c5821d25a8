package expr

import (
	"fmt"
	"strconv"

	"github.com/retortdb/retort/types"
)

// SelectStatement is a query: a *SelectStmt or a *CompoundSelect.
// Implementations are immutable, safe for concurrent use, and live as long as the
// statements that hold them.
type SelectStatement interface {
	Statement
	selectNode()
}

// JoinKind is the kind of a join.
type JoinKind uint8

// The join kinds.
const (
	InnerJoin JoinKind = iota + 1 // JOIN
	LeftJoin                      // LEFT OUTER JOIN
	FullJoin                      // FULL OUTER JOIN
)

// LockStrength is the lock a SELECT ... FOR UPDATE/SHARE takes.
type LockStrength uint8

// The lock strengths.
const (
	LockUpdate LockStrength = iota + 1 // FOR UPDATE
	LockShare                          // FOR SHARE (LOCK IN SHARE MODE on MariaDB and MySQL 5.7)
)

// LockWait says what a locking SELECT does when a row is locked.
type LockWait uint8

// The lock waiting behaviours.
const (
	LockWaitDefault LockWait = iota // wait
	LockNoWait                      // NOWAIT: fail at once
	LockSkipLocked                  // SKIP LOCKED: skip locked rows
)

// LockOption modifies ForUpdate.
type LockOption uint8

// The ForUpdate options.
const (
	SkipLocked LockOption = iota + 1 // FOR UPDATE SKIP LOCKED
	NoWait                           // FOR UPDATE NOWAIT
	Share                            // FOR SHARE instead of FOR UPDATE
	ReadOnly                         // same as Share (SQLAlchemy's read=True)
)

// LockClause is the locking clause of a SELECT.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type LockClause struct {
	Strength LockStrength
	Wait     LockWait
}

// JoinStep is one Join/OuterJoin/FullJoin call on a SelectStmt: the right side and the
// condition (nil: inferred from foreign keys when compiled). The left side is chosen when
// compiling, among the FROM items of the statement, as SQLAlchemy's Select.join does.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type JoinStep struct {
	Right FromClause
	On    Expr
	Kind  JoinKind
}

// SelectStmt is a SELECT statement. Build it with Select; every method returns a new
// statement and leaves its receiver unchanged, so a SelectStmt may be shared between
// goroutines.
// It holds no connection or other resource and lives as long as the caller keeps it: build
// it once and reuse it.
type SelectStmt struct {
	Cols       []Expr
	Froms      []FromClause // explicit FROM items (From); more are inferred from the columns
	Joins      []JoinStep
	Wheres     []Expr // ANDed
	GroupBys   []Expr
	Havings    []Expr // ANDed
	OrderBys   []Expr // Expr or *Ordering
	LimitExpr  Expr   // nil or a bound value
	OffsetExpr Expr   // nil or a bound value
	IsDistinct bool
	Lock       *LockClause
	// Err is the first error found while building (an item that is neither an expression
	// nor a table); compiling the statement reports it.
	Err error
}

func (*SelectStmt) statementNode() {}
func (*SelectStmt) selectNode()    {}

// ColumnLister is a FromClause that can list its columns (tables, aliases, subqueries,
// CTEs). Select(t) selects all of them.
// Implementations are immutable, safe for concurrent use, and live as long as the
// statements that hold them.
type ColumnLister interface {
	// ColumnList returns the columns in order. The slice must not be modified.
	ColumnList() []*ColumnClause
}

// Select returns SELECT items. An item is an Expr, or a table-like FromClause (a table,
// alias, subquery or CTE), which selects all its columns.
func Select(items ...any) *SelectStmt {
	s := &SelectStmt{}
	s.Cols, s.Err = selectItems(nil, items)
	return s
}

func selectItems(dst []Expr, items []any) ([]Expr, error) {
	var err error
	for i, it := range items {
		switch x := it.(type) {
		case Expr:
			if x == nil {
				if err == nil {
					err = fmt.Errorf("expr: select item %d is nil", i)
				}
				continue
			}
			dst = append(dst, Unwrap(x))
		case ColumnLister:
			for _, c := range x.ColumnList() {
				dst = append(dst, c)
			}
		case SelectStatement:
			dst = append(dst, &ScalarSubquery{Select: x})
		default:
			if err == nil {
				err = fmt.Errorf("expr: select item %d (%T) is not an expression or table", i, it)
			}
		}
	}
	return dst, err
}

func (s *SelectStmt) clone() *SelectStmt { n := *s; return &n }

// AddColumns returns s with more result columns (Exprs or tables).
func (s *SelectStmt) AddColumns(items ...any) *SelectStmt {
	n := s.clone()
	cols := make([]Expr, len(s.Cols), len(s.Cols)+len(items))
	copy(cols, s.Cols)
	var err error
	n.Cols, err = selectItems(cols, items)
	if n.Err == nil {
		n.Err = err
	}
	return n
}

// From returns s with explicit FROM items appended. Tables used by the columns and WHERE
// clause are added automatically; From is needed for tables that appear nowhere else
// (or to fix their order).
func (s *SelectStmt) From(froms ...FromClause) *SelectStmt {
	n := s.clone()
	n.Froms = make([]FromClause, 0, len(s.Froms)+len(froms))
	n.Froms = append(n.Froms, s.Froms...)
	for _, f := range froms {
		n.Froms = append(n.Froms, UnwrapFrom(f))
	}
	return n
}

// Where returns s with the conditions added; all conditions of all calls are ANDed. A nil
// condition is an error when the statement is compiled (it is not skipped, which would
// widen the statement). expr.And, by contrast, skips nil conditions.
func (s *SelectStmt) Where(conds ...Expr) *SelectStmt {
	n := s.clone()
	n.Wheres = appendExprs(s.Wheres, conds)
	return n
}

func (s *SelectStmt) join(right FromClause, kind JoinKind, on []Expr) *SelectStmt {
	n := s.clone()
	n.Joins = make([]JoinStep, len(s.Joins), len(s.Joins)+1)
	copy(n.Joins, s.Joins)
	var cond Expr
	if len(on) > 0 {
		cond = And(on...)
	}
	// Keep a *schema.Table as given: its foreign keys are needed to infer the condition.
	n.Joins = append(n.Joins, JoinStep{Right: right, On: cond, Kind: kind})
	return n
}

// Join returns s with an inner join to right. The conditions in on are ANDed; with none,
// the condition is inferred from the single foreign key between right and the left side
// (schema tables only) when the statement is compiled. The left side is the FROM item the
// condition refers to (or that the foreign key links), else the first FROM item.
func (s *SelectStmt) Join(right FromClause, on ...Expr) *SelectStmt {
	return s.join(right, InnerJoin, on)
}

// OuterJoin is Join with LEFT OUTER JOIN.
func (s *SelectStmt) OuterJoin(right FromClause, on ...Expr) *SelectStmt {
	return s.join(right, LeftJoin, on)
}

// FullJoin is Join with FULL OUTER JOIN (not available on MySQL/MariaDB).
func (s *SelectStmt) FullJoin(right FromClause, on ...Expr) *SelectStmt {
	return s.join(right, FullJoin, on)
}

// GroupBy returns s with GROUP BY items appended.
func (s *SelectStmt) GroupBy(items ...Expr) *SelectStmt {
	n := s.clone()
	n.GroupBys = appendExprs(s.GroupBys, items)
	return n
}

// Having returns s with HAVING conditions added (ANDed).
func (s *SelectStmt) Having(conds ...Expr) *SelectStmt {
	n := s.clone()
	n.Havings = appendExprs(s.Havings, conds)
	return n
}

// OrderBy returns s with ORDER BY items appended: expressions (ascending) or Orderings
// (c.Desc(), c.Asc().NullsLast(), ...).
func (s *SelectStmt) OrderBy(items ...Expr) *SelectStmt {
	n := s.clone()
	n.OrderBys = appendExprs(s.OrderBys, items)
	return n
}

// Limit returns s with LIMIT n (bound as a parameter).
func (s *SelectStmt) Limit(n int) *SelectStmt {
	c := s.clone()
	c.LimitExpr = &Bind{Value: int64(n), Type: types.BigInt()}
	c.Err = rowCountErr(c.Err, "LIMIT", n)
	return c
}

// Offset returns s with OFFSET n (bound as a parameter).
func (s *SelectStmt) Offset(n int) *SelectStmt {
	c := s.clone()
	c.OffsetExpr = &Bind{Value: int64(n), Type: types.BigInt()}
	c.Err = rowCountErr(c.Err, "OFFSET", n)
	return c
}

// rowCountErr returns prev, or an error for a negative LIMIT or OFFSET (which databases
// treat differently: SQLite reads LIMIT -1 as no limit, PostgreSQL rejects it).
func rowCountErr(prev error, clause string, n int) error {
	if prev != nil || n >= 0 {
		return prev
	}
	return fmt.Errorf("expr: negative %s %d", clause, n)
}

// Distinct returns s as SELECT DISTINCT.
func (s *SelectStmt) Distinct() *SelectStmt {
	n := s.clone()
	n.IsDistinct = true
	return n
}

// ForUpdate returns s with a locking clause: FOR UPDATE, or FOR SHARE with Share or
// ReadOnly, with NOWAIT or SKIP LOCKED. SQLite has no row locks and no locking clause;
// there the clause is left out (as SQLAlchemy does), but NoWait and SkipLocked are
// reported as unsupported.
func (s *SelectStmt) ForUpdate(opts ...LockOption) *SelectStmt {
	n := s.clone()
	l := &LockClause{Strength: LockUpdate}
	for _, o := range opts {
		switch o {
		case SkipLocked:
			l.Wait = LockSkipLocked
		case NoWait:
			l.Wait = LockNoWait
		case Share, ReadOnly:
			l.Strength = LockShare
		}
	}
	n.Lock = l
	return n
}

// Subquery returns s as a named derived table, usable in FROM and joins; its columns
// are s's result columns (sq.C("name")).
func (s *SelectStmt) Subquery(name string) *Subquery { return newSubquery(s, name) }

// CTE returns s as a common table expression named name (WITH name AS (...)).
func (s *SelectStmt) CTE(name string) *CTE { return newCTE(s, name, false) }

// RecursiveCTE returns s as the anchor part of a recursive common table expression. Add
// the recursive part with UnionAll (or Union), passing a SELECT that refers to the CTE.
func (s *SelectStmt) RecursiveCTE(name string) *CTE { return newCTE(s, name, true) }

// ScalarSubquery returns s as a value: (SELECT ...). s must select one column.
func (s *SelectStmt) ScalarSubquery() *ScalarSubquery { return &ScalarSubquery{Select: s} }

// Exists returns EXISTS (s).
func (s *SelectStmt) Exists() *ExistsExpr { return &ExistsExpr{Select: s} }

// Union returns s UNION others.
func (s *SelectStmt) Union(others ...SelectStatement) *CompoundSelect {
	return Compound(SetUnion, prepend(s, others)...)
}

// UnionAll returns s UNION ALL others.
func (s *SelectStmt) UnionAll(others ...SelectStatement) *CompoundSelect {
	return Compound(SetUnionAll, prepend(s, others)...)
}

// Intersect returns s INTERSECT others.
func (s *SelectStmt) Intersect(others ...SelectStatement) *CompoundSelect {
	return Compound(SetIntersect, prepend(s, others)...)
}

// Except returns s EXCEPT others.
func (s *SelectStmt) Except(others ...SelectStatement) *CompoundSelect {
	return Compound(SetExcept, prepend(s, others)...)
}

func prepend(s SelectStatement, others []SelectStatement) []SelectStatement {
	out := make([]SelectStatement, 0, len(others)+1)
	return append(append(out, s), others...)
}

// ResultColumns returns the result columns of s: their names (label, column name, or a
// generated name such as count_1 or anon_1) and types. A * item yields a column named "*".
func (s *SelectStmt) ResultColumns() []ResultColumn {
	out := make([]ResultColumn, len(s.Cols))
	var counts map[string]int
	for i, c := range s.Cols {
		name, generated := itemName(c)
		if generated {
			if counts == nil {
				counts = make(map[string]int)
			}
			counts[name]++
			name = name + "_" + strconv.Itoa(counts[name])
		}
		out[i] = ResultColumn{Name: name, Type: TypeOf(c), Expr: c, Generated: generated}
	}
	return out
}

// itemName returns the name of a result column and whether it is a generated base name.
func itemName(e Expr) (string, bool) {
	switch x := e.(type) {
	case *LabelExpr:
		return x.Name, false
	case *ColumnClause:
		return x.Name, false
	case *LiteralExpr:
		if x.Kind == KwStar {
			return "*", false
		}
	case *FuncCall:
		return x.Name, true
	case *OverExpr:
		if f, ok := x.Fn.(*FuncCall); ok {
			return f.Name, true
		}
	}
	return "anon", true
}

// ResultColumn is one column of a query's result.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type ResultColumn struct {
	Name string
	Type types.Type
	Expr Expr
	// Generated is true when Name was made up (count_1, anon_1) and must be rendered as a
	// label for the database to use it.
	Generated bool
}

// ResultColumnsOf returns the result columns of a query (for a compound select, those of
// its first member).
func ResultColumnsOf(s SelectStatement) []ResultColumn {
	switch x := s.(type) {
	case *SelectStmt:
		return x.ResultColumns()
	case *CompoundSelect:
		if len(x.Selects) > 0 {
			return ResultColumnsOf(x.Selects[0])
		}
	}
	return nil
}

// SetOp is a set operation of a CompoundSelect.
type SetOp uint8

// The set operations.
const (
	SetUnion SetOp = iota + 1
	SetUnionAll
	SetIntersect
	SetIntersectAll
	SetExcept
	SetExceptAll
)

var setOpNames = [...]string{SetUnion: "UNION", SetUnionAll: "UNION ALL", SetIntersect: "INTERSECT",
	SetIntersectAll: "INTERSECT ALL", SetExcept: "EXCEPT", SetExceptAll: "EXCEPT ALL"}

// String returns the operation's SQL keywords.
func (o SetOp) String() string {
	if int(o) < len(setOpNames) {
		return setOpNames[o]
	}
	return "?setop"
}

// CompoundSelect is SELECT ... UNION|INTERSECT|EXCEPT SELECT ..., with its own ORDER BY,
// LIMIT and OFFSET. Immutable like SelectStmt.
// It holds no connection or other resource and lives as long as the caller keeps it: build
// it once and reuse it.
type CompoundSelect struct {
	Op         SetOp
	Selects    []SelectStatement
	OrderBys   []Expr
	LimitExpr  Expr
	OffsetExpr Expr
	// Err is the first error found while building (a negative LIMIT or OFFSET);
	// compiling the statement reports it.
	Err error
}

func (*CompoundSelect) statementNode() {}
func (*CompoundSelect) selectNode()    {}

// Compound returns the set operation op over selects.
func Compound(op SetOp, selects ...SelectStatement) *CompoundSelect {
	return &CompoundSelect{Op: op, Selects: append([]SelectStatement(nil), selects...)}
}

// Union returns the UNION of selects.
func Union(selects ...SelectStatement) *CompoundSelect { return Compound(SetUnion, selects...) }

// UnionAll returns the UNION ALL of selects.
func UnionAll(selects ...SelectStatement) *CompoundSelect { return Compound(SetUnionAll, selects...) }

// Intersect returns the INTERSECT of selects.
func Intersect(selects ...SelectStatement) *CompoundSelect {
	return Compound(SetIntersect, selects...)
}

// Except returns the first select EXCEPT the others.
func Except(selects ...SelectStatement) *CompoundSelect { return Compound(SetExcept, selects...) }

// OrderBy returns c with ORDER BY items appended. Columns are rendered by name, since a
// compound's ORDER BY refers to its result columns.
func (c *CompoundSelect) OrderBy(items ...Expr) *CompoundSelect {
	n := *c
	n.OrderBys = appendExprs(c.OrderBys, items)
	return &n
}

// Limit returns c with LIMIT n.
func (c *CompoundSelect) Limit(n int) *CompoundSelect {
	x := *c
	x.LimitExpr = &Bind{Value: int64(n), Type: types.BigInt()}
	x.Err = rowCountErr(x.Err, "LIMIT", n)
	return &x
}

// Offset returns c with OFFSET n.
func (c *CompoundSelect) Offset(n int) *CompoundSelect {
	x := *c
	x.OffsetExpr = &Bind{Value: int64(n), Type: types.BigInt()}
	x.Err = rowCountErr(x.Err, "OFFSET", n)
	return &x
}

// Subquery returns c as a named derived table.
func (c *CompoundSelect) Subquery(name string) *Subquery { return newSubquery(c, name) }

// CTE returns c as a common table expression.
func (c *CompoundSelect) CTE(name string) *CTE { return newCTE(c, name, false) }

// ScalarSubquery returns c as a value.
func (c *CompoundSelect) ScalarSubquery() *ScalarSubquery { return &ScalarSubquery{Select: c} }

// derivedColumns makes the columns of a derived table (subquery, CTE) named after the
// result columns of s.
func derivedColumns(owner FromClause, s SelectStatement) ([]*ColumnClause, map[string]*ColumnClause) {
	rc := ResultColumnsOf(s)
	cols := make([]*ColumnClause, 0, len(rc))
	byName := make(map[string]*ColumnClause, len(rc))
	for _, r := range rc {
		if r.Name == "*" {
			continue
		}
		c := &ColumnClause{Table: owner, Name: r.Name, Type: r.Type}
		cols = append(cols, c)
		if _, dup := byName[r.Name]; !dup {
			byName[r.Name] = c
		}
	}
	return cols, byName
}

// Subquery is a SELECT used as a derived table in FROM: (SELECT ...) AS name.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type Subquery struct {
	Select  SelectStatement
	Name    string
	columns []*ColumnClause
	byName  map[string]*ColumnClause
}

func (*Subquery) fromNode() {}

func newSubquery(s SelectStatement, name string) *Subquery {
	sq := &Subquery{Select: s, Name: name}
	sq.columns, sq.byName = derivedColumns(sq, s)
	return sq
}

// TableName returns the subquery's name.
func (s *Subquery) TableName() string { return s.Name }

// C returns the subquery's column called name (a column reporting an error if none).
func (s *Subquery) C(name string) *ColumnClause {
	if c, ok := s.byName[name]; ok {
		return c
	}
	return &ColumnClause{Table: s, Name: name, Err: &UnknownColumnError{Table: s.Name, Column: name}}
}

// ColumnList returns the subquery's columns.
func (s *Subquery) ColumnList() []*ColumnClause { return s.columns }

// CTE is a common table expression: WITH name AS (SELECT ...). It is used like a table;
// the WITH clause is rendered at the top of the statement that uses it.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type CTE struct {
	Select    SelectStatement
	Name      string
	Recursive bool
	columns   []*ColumnClause
	byName    map[string]*ColumnClause
}

func (*CTE) fromNode() {}

func newCTE(s SelectStatement, name string, recursive bool) *CTE {
	c := &CTE{Select: s, Name: name, Recursive: recursive}
	c.columns, c.byName = derivedColumns(c, s)
	return c
}

// TableName returns the CTE's name.
func (c *CTE) TableName() string { return c.Name }

// C returns the CTE's column called name (a column reporting an error if none).
func (c *CTE) C(name string) *ColumnClause {
	if col, ok := c.byName[name]; ok {
		return col
	}
	return &ColumnClause{Table: c, Name: name, Err: &UnknownColumnError{Table: c.Name, Column: name}}
}

// ColumnList returns the CTE's columns.
func (c *CTE) ColumnList() []*ColumnClause { return c.columns }

// UnionAll returns the CTE whose body is c's body UNION ALL others: for a recursive CTE,
// others is the recursive part, which refers to c. The result has the same name; CTEs are
// identified by name within a statement.
func (c *CTE) UnionAll(others ...SelectStatement) *CTE {
	return newCTE(Compound(SetUnionAll, prepend(c.Select, others)...), c.Name, c.Recursive)
}

// Union is UnionAll with UNION.
func (c *CTE) Union(others ...SelectStatement) *CTE {
	return newCTE(Compound(SetUnion, prepend(c.Select, others)...), c.Name, c.Recursive)
}

// AliasClause is a table-like FromClause under another name: t AS name.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type AliasClause struct {
	Of      FromClause // the aliased table (or subquery, CTE)
	Name    string
	columns []*ColumnClause
	byName  map[string]*ColumnClause
}

func (*AliasClause) fromNode() {}

// Alias returns t under the name name (FROM t AS name), so a table can appear twice in a
// statement. Its columns are new columns qualified by the alias. A *schema.Table is kept
// as given, so joins to the alias can still use its foreign keys.
func Alias(t TableLike, name string) *AliasClause {
	a := &AliasClause{Of: t, Name: name}
	var src []*ColumnClause
	if l, ok := t.(ColumnLister); ok {
		src = l.ColumnList()
	}
	a.columns = make([]*ColumnClause, len(src))
	a.byName = make(map[string]*ColumnClause, len(src))
	for i, c := range src {
		nc := &ColumnClause{Table: a, Name: c.Name, Type: c.Type}
		a.columns[i] = nc
		a.byName[c.Name] = nc
	}
	return a
}

// TableName returns the alias name.
func (a *AliasClause) TableName() string { return a.Name }

// C returns the alias's column called name (a column reporting an error if none).
func (a *AliasClause) C(name string) *ColumnClause {
	if c, ok := a.byName[name]; ok {
		return c
	}
	return &ColumnClause{Table: a, Name: name, Err: &UnknownColumnError{Table: a.Name, Column: name}}
}

// ColumnList returns the alias's columns.
func (a *AliasClause) ColumnList() []*ColumnClause { return a.columns }

// JoinClause is Left JOIN Right ON On, a FromClause. Build it with Join, OuterJoin or
// FullJoin (or the methods of SelectStmt).
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type JoinClause struct {
	Left, Right FromClause
	On          Expr // nil: inferred from foreign keys when compiled
	Kind        JoinKind
}

func (*JoinClause) fromNode() {}

func newJoin(left, right FromClause, kind JoinKind, on []Expr) *JoinClause {
	j := &JoinClause{Left: left, Right: right, Kind: kind}
	if len(on) > 0 {
		j.On = And(on...)
	}
	return j
}

// Join returns left JOIN right ON on (on ANDed; inferred from foreign keys when omitted).
func Join(left, right FromClause, on ...Expr) *JoinClause {
	return newJoin(left, right, InnerJoin, on)
}

// OuterJoin returns left LEFT OUTER JOIN right ON on.
func OuterJoin(left, right FromClause, on ...Expr) *JoinClause {
	return newJoin(left, right, LeftJoin, on)
}

// FullOuterJoin returns left FULL OUTER JOIN right ON on.
func FullOuterJoin(left, right FromClause, on ...Expr) *JoinClause {
	return newJoin(left, right, FullJoin, on)
}

// Join returns j JOIN right ON on.
func (j *JoinClause) Join(right FromClause, on ...Expr) *JoinClause {
	return newJoin(j, right, InnerJoin, on)
}

// OuterJoin returns j LEFT OUTER JOIN right ON on.
func (j *JoinClause) OuterJoin(right FromClause, on ...Expr) *JoinClause {
	return newJoin(j, right, LeftJoin, on)
}

// FullJoin returns j FULL OUTER JOIN right ON on.
func (j *JoinClause) FullJoin(right FromClause, on ...Expr) *JoinClause {
	return newJoin(j, right, FullJoin, on)
}
