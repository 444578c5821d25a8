package orm

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"time"
	"unsafe"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

// The joined strategy (SQLAlchemy's joinedload): the related table joins the query's own
// statement, under an alias (b_1, c_2, ... numbered in the order of the joins), with
// LEFT OUTER JOIN (INNER JOIN on request), and its columns follow the model's in each
// row. The rows of one object with several related rows repeat the object, which the
// identity map turns into one object; such a query must be marked Unique (SQLAlchemy's
// rule). When the query has LIMIT or OFFSET and joins a collection, the query itself
// becomes a subquery (anon_1) that the joins apply to, so that the limit counts objects,
// not rows, as SQLAlchemy does. A joined collection is in the order a selectin load gives:
// the relationship's order_by, else the related model's primary key. A many-to-many
// relationship joins its association table (under an alias of its own) and the target
// through it; as in SQLAlchemy, the other side's collection is not filled.

// joinedStep is one joined relationship of a query.
type joinedStep struct {
	node   *loadNode
	parent int // the step whose objects own the relationship; -1 for the query's model
	alias  *expr.AliasClause
	off    int // where the related model's columns start in a row
}

// joinedSteps lists the joined nodes of a plan (depth first), with their aliases and
// column offsets after the query's width columns.
func joinedSteps(nodes []*loadNode, width int) []joinedStep {
	var out []joinedStep
	var walk func(nodes []*loadNode, parent int)
	walk = func(nodes []*loadNode, parent int) {
		for _, n := range nodes {
			if n.strat != lazyJoined {
				continue
			}
			t := n.r.target.table
			out = append(out, joinedStep{node: n, parent: parent, off: width,
				alias: expr.Alias(t, fmt.Sprintf("%s_%d", t.Name, len(out)+1))})
			width += len(n.r.target.fields)
			walk(n.kids, len(out)-1)
		}
	}
	walk(nodes, -1)
	return out
}

// joinedStatement returns core with the joins and columns of steps, core being a SELECT of
// m's columns. With LIMIT or OFFSET and a joined collection, core becomes a subquery.
func joinedStatement(m *mapper, core *expr.SelectStmt, steps []joinedStep, collection bool) (*expr.SelectStmt, error) {
	// col returns the column of field f on the side of a join: the step's alias, or the
	// query's model (its table, or the subquery that replaces it).
	var sub *expr.Subquery
	col := func(step int, f *field) expr.Expr {
		if step >= 0 {
			return steps[step].alias.C(f.col.Name)
		}
		if sub != nil {
			return sub.C(f.col.Name)
		}
		return f.col.ColumnClause
	}
	q := core
	if collection && (core.LimitExpr != nil || core.OffsetExpr != nil) {
		sub = core.Subquery("anon_1")
		q = expr.Select(sub)
		for _, o := range core.OrderBys {
			item, ok := onSubquery(m, sub, o)
			if !ok {
				return nil, fmt.Errorf("orm: a query of %s with LIMIT or OFFSET and a Joined collection can be ordered by %s's columns only; use SelectIn for this query", m.name, m.name)
			}
			q = q.OrderBy(item)
		}
	}
	for i, st := range steps {
		r := st.node.r
		inner := st.node.inner
		for p := st.parent; p >= 0 && inner; p = steps[p].parent {
			inner = steps[p].node.inner // an inner join under an outer one stays outer
		}
		join := q.OuterJoin
		if inner {
			join = q.Join
		}
		cols := make([]any, 0, len(r.target.fields))
		for _, f := range r.target.fields {
			cols = append(cols, st.alias.C(f.col.Name))
		}
		if sj := r.secondary; sj != nil {
			// Many-to-many: the association table joins under an alias of its own, then
			// the target through it.
			sec := expr.Alias(sj.table, fmt.Sprintf("%s_%d", sj.table.Name, i+1))
			toSec := make([]expr.Expr, len(sj.ownCols))
			for k, c := range sj.ownCols {
				toSec[k] = expr.Eq(col(st.parent, sj.ownFields[k]), sec.C(c.Name))
			}
			toTarget := make([]expr.Expr, len(sj.tgtCols))
			for k, c := range sj.tgtCols {
				toTarget[k] = expr.Eq(sec.C(c.Name), col(i, sj.tgtFields[k]))
			}
			q = join(sec, toSec...).AddColumns(cols...)
			if inner {
				q = q.Join(st.alias, toTarget...)
			} else {
				q = q.OuterJoin(st.alias, toTarget...)
			}
			continue
		}
		own, other := r.parentCols, r.childCols
		if r.kind == manyToOne {
			own, other = r.childCols, r.parentCols
		}
		conds := make([]expr.Expr, len(own))
		for k := range own {
			conds[k] = expr.Eq(col(st.parent, own[k]), col(i, other[k]))
		}
		q = join(st.alias, conds...).AddColumns(cols...)
	}
	return q, nil
}

// onSubquery returns ORDER BY item o with the columns of m's table replaced by those of
// sub, and false when o is not a plain column of m (or its Ordering).
func onSubquery(m *mapper, sub *expr.Subquery, o expr.Expr) (expr.Expr, bool) {
	if ord, ok := o.(*expr.Ordering); ok {
		x, ok := onSubquery(m, sub, ord.X)
		if !ok {
			return nil, false
		}
		n := *ord
		n.X = x
		return &n, true
	}
	c, ok := expr.Unwrap(o).(*expr.ColumnClause)
	if !ok {
		return nil, false
	}
	for _, f := range m.fields {
		if f.col.ColumnClause == c {
			return sub.C(f.col.Name), true
		}
	}
	return nil, false
}

// joinedRows collects the related objects of joined steps while the rows of a query are
// hydrated, and assigns them at the end.
type joinedRows struct {
	steps []joinedStep
	// per step: the owner objects seen, in order, and what each holds
	owners [][]*state
	held   []map[*state][]unsafe.Pointer
	dup    []map[[2]unsafe.Pointer]bool
}

func newJoinedRows(steps []joinedStep) *joinedRows {
	j := &joinedRows{steps: steps, owners: make([][]*state, len(steps)), held: make([]map[*state][]unsafe.Pointer, len(steps)), dup: make([]map[[2]unsafe.Pointer]bool, len(steps))}
	for i := range steps {
		j.held[i] = map[*state][]unsafe.Pointer{}
		j.dup[i] = map[[2]unsafe.Pointer]bool{}
	}
	return j
}

// row hydrates the related objects of one row, whose query object is top.
func (j *joinedRows) row(s *Session, top *state, vals []any) error {
	objs := make([]*state, len(j.steps))
	for i, st := range j.steps {
		owner := top
		if st.parent >= 0 {
			owner = objs[st.parent]
		}
		if owner == nil {
			continue
		}
		if _, ok := j.held[i][owner]; !ok {
			j.held[i][owner] = nil
			j.owners[i] = append(j.owners[i], owner)
		}
		t := st.node.r.target
		if allNil(vals[st.off : st.off+len(t.fields)]) {
			continue
		}
		rel, err := s.hydrate(t, vals, st.off, false, nil)
		if err != nil {
			return err
		}
		objs[i] = rel
		k := [2]unsafe.Pointer{owner.base, rel.base}
		if !j.dup[i][k] {
			j.dup[i][k] = true
			j.held[i][owner] = append(j.held[i][owner], rel.base)
		}
	}
	return nil
}

// finish assigns the relationships of the owners seen; the related objects of each step
// form a group for batched loads (see Load).
func (j *joinedRows) finish(s *Session) {
	for i, st := range j.steps {
		r := st.node.r
		var group []*state
		seen := map[unsafe.Pointer]bool{}
		for _, owner := range j.owners[i] {
			for _, p := range j.held[i][owner] {
				if !seen[p] {
					seen[p] = true
					if rst := s.states[p]; rst != nil {
						group = append(group, rst)
					}
				}
			}
		}
		newGroup(group)
		for _, owner := range j.owners[i] {
			related := j.held[i][owner]
			if r.list() {
				sortRelated(s, r, related)
			}
			s.setLoaded(r, owner, related)
		}
	}
}

// sortRelated orders the objects of a collection of r as a selectin load's ORDER BY does:
// by r's order_by, else by the target's primary key.
func sortRelated(s *Session, r *relation, objs []unsafe.Pointer) {
	if len(objs) < 2 {
		return
	}
	type key struct {
		pos  int
		desc bool
	}
	var keys []key
	for _, o := range r.orderBy {
		keys = append(keys, key{o.f.pos, o.desc})
	}
	if len(keys) == 0 {
		for _, f := range r.target.pk {
			keys = append(keys, key{f.pos, false})
		}
	}
	slices.SortStableFunc(objs, func(a, b unsafe.Pointer) int {
		sa, sb := s.states[a], s.states[b]
		if sa == nil || sb == nil {
			return 0
		}
		for _, k := range keys {
			if len(sa.snap) <= k.pos || len(sb.snap) <= k.pos {
				return 0
			}
			c := compareValues(sa.snap[k.pos], sb.snap[k.pos])
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
}

// compareValues orders two canonical values of one column type.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmp.Compare(x, y)
		}
	case string:
		if y, ok := b.(string); ok {
			return cmp.Compare(x, y)
		}
	case float64:
		if y, ok := b.(float64); ok {
			return cmp.Compare(x, y)
		}
	case []byte:
		if y, ok := b.([]byte); ok {
			return bytes.Compare(x, y)
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	case types.UUID:
		if y, ok := b.(types.UUID); ok {
			return bytes.Compare(x[:], y[:])
		}
	case bool:
		if y, ok := b.(bool); ok && x != y {
			if !x {
				return -1
			}
			return 1
		}
	}
	return 0
}
