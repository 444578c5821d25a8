package orm

import (
	"context"
	"fmt"
	"slices"
	"unsafe"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
)

// Many-to-many relationships through a secondary (association) table: loading, and the
// association rows a flush writes.
//
// Loading: one SELECT of the target's columns and the association columns that
// reference the owner, FROM target JOIN secondary, WHERE those columns IN (owner keys),
// per chunk of 500 owners; rows are grouped by owner and assigned as collections (with
// back_populates, each target's collection of owners is filled from the same rows when
// all of the target's owners are among those loaded — otherwise it is left as it was).
//
// Flushing: after the INSERTs and UPDATEs of both sides (so that new rows have their
// keys), the association rows of pairs that left a collection are deleted, then those of
// pairs that entered one are inserted (one multi-row INSERT per chunk); the association
// rows of a deleted object are deleted (by the object's key) before the DELETEs of either
// side. A pair changed on both sides of a back_populates pair is written once.

// loadSecondary fills many-to-many relationship r of the objects sts.
func (s *Session) loadSecondary(ctx context.Context, r *relation, sts []*state, chunk int) ([]*state, error) {
	j := r.secondary
	objKeys := make([]any, len(sts))
	var keys [][]any
	seen := map[any]bool{}
	for i, st := range sts {
		vals := make([]any, len(j.ownFields))
		for k, f := range j.ownFields {
			v, err := f.get(st.base)
			if err != nil {
				return nil, err
			}
			vals[k] = v
		}
		k, ok := groupKey(j.ownFields, vals)
		if !ok {
			continue
		}
		objKeys[i] = k
		if !seen[k] {
			seen[k] = true
			keys = append(keys, vals)
		}
	}
	target := r.target
	on := make([]expr.Expr, len(j.tgtCols))
	for k, c := range j.tgtCols {
		on[k] = expr.Eq(c.ColumnClause, j.tgtFields[k].col.ColumnClause)
	}
	extra := make([]any, len(j.ownCols))
	for k, c := range j.ownCols {
		extra[k] = c.ColumnClause
	}
	groups := map[any][]unsafe.Pointer{}
	n := len(target.fields)
	var loaded []*state
	seenT := map[*state]bool{}
	for start := 0; start < len(keys); start += chunk {
		part := keys[start:min(start+chunk, len(keys))]
		q := expr.Select(target.table).AddColumns(extra...).Join(j.table, expr.And(on...)).
			Where(inColumns(j.ownCols, part)).OrderBy(r.orderExprs()...)
		if err := s.noteStatement(q, r); err != nil {
			return nil, err
		}
		res, err := s.conn.Execute(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, row := range res.All() {
			vals := row.Values()
			st, err := s.hydrate(target, vals, 0, false, nil)
			if err != nil {
				return nil, err
			}
			if !seenT[st] {
				seenT[st] = true
				loaded = append(loaded, st)
			}
			k, ok := groupKey(j.ownFields, vals[n:n+len(j.ownCols)])
			if ok {
				groups[k] = append(groups[k], st.base)
			}
		}
	}
	for i, st := range sts {
		var related []unsafe.Pointer
		if objKeys[i] != nil {
			related = groups[objKeys[i]]
		}
		s.setLoaded(r, st, related)
	}
	newGroup(loaded)
	return loaded, nil
}

// inColumns is inCondition for Core columns: cols IN (keys), or an OR of ANDs.
func inColumns(cols []*schema.Column, keys [][]any) expr.Expr {
	if len(cols) == 1 {
		vals := make([]any, len(keys))
		for i, k := range keys {
			vals[i] = k[0]
		}
		return cols[0].ColumnClause.In(vals...)
	}
	ors := make([]expr.Expr, len(keys))
	for i, k := range keys {
		ands := make([]expr.Expr, len(cols))
		for c, col := range cols {
			ands[c] = col.ColumnClause.Eq(k[c])
		}
		ors[i] = expr.And(ands...)
	}
	return expr.Or(ors...)
}

// assocPair is one association row: owner related to target through r.
type assocPair struct {
	r             *relation
	owner, target *state
}

// assocOwnerDelete deletes the association rows of a deleted owner (by its loaded key).
type assocOwnerDelete struct {
	r     *relation
	owner *state
}

// assocWork is what a flush writes to secondary tables.
type assocWork struct {
	deletes      []assocPair
	inserts      []assocPair
	ownerDeletes []assocOwnerDelete
}

func (w *assocWork) empty() bool {
	return w == nil || len(w.deletes)+len(w.inserts)+len(w.ownerDeletes) == 0
}

// pairKey identifies an association row independently of the side that reports it.
type pairKey struct {
	t    *schema.Table
	x, y *state
}

func (p assocPair) key() pairKey {
	j := p.r.secondary
	// Orient by the position of the owner's columns in the secondary table.
	if slices.Index(j.table.Cols, j.ownCols[0]) < slices.Index(j.table.Cols, j.tgtCols[0]) {
		return pairKey{j.table, p.owner, p.target}
	}
	return pairKey{j.table, p.target, p.owner}
}

// assocChanges lists the association rows to write: pairs that entered or left the
// many-to-many collections of the session's objects, and the rows of deleted objects.
func (s *Session) assocChanges() *assocWork {
	w := &assocWork{}
	seen := map[pairKey]bool{}
	ownerSeen := map[*relation]map[*state]bool{}
	for _, st := range s.sorted() {
		for i, r := range st.m.rels {
			if r.kind != manyToMany || r.secondary == nil {
				continue
			}
			if st.status == Deleted {
				if st.flushedDelete || r.passiveDeletes || r.onDelete == "CASCADE" {
					continue
				}
				if ownerSeen[r] == nil {
					ownerSeen[r] = map[*state]bool{}
				}
				if !ownerSeen[r][st] {
					ownerSeen[r][st] = true
					w.ownerDeletes = append(w.ownerDeletes, assocOwnerDelete{r: r, owner: st})
				}
				continue
			}
			// A collection not loaded counts as additions (relChanges: nothing lost).
			gained, lost := s.relChanges(st, i, r)
			for _, c := range lost {
				cst := s.states[c]
				if cst == nil || cst.status == Pending {
					continue
				}
				p := assocPair{r: r, owner: st, target: cst}
				if k := p.key(); !seen[k] {
					seen[k] = true
					w.deletes = append(w.deletes, p)
				}
			}
			for _, c := range gained {
				cst := s.states[c]
				if cst == nil || cst.status == Deleted {
					continue
				}
				p := assocPair{r: r, owner: st, target: cst}
				if k := p.key(); !seen[k] {
					seen[k] = true
					w.inserts = append(w.inserts, p)
				}
			}
		}
	}
	return w
}

// pairRow returns the values of p's association row, in the order of cols (the
// secondary table's owner columns then target columns), from the objects' current
// fields.
func (p assocPair) row() ([]any, error) {
	j := p.r.secondary
	out := make([]any, 0, len(j.ownCols)+len(j.tgtCols))
	for _, f := range j.ownFields {
		v, err := f.get(p.owner.base)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	for _, f := range j.tgtFields {
		v, err := f.get(p.target.base)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// assocDelete deletes the association rows of the flush: the rows of deleted owners
// (by the owner's loaded key, one statement per chunk of owners), then the pairs that
// left collections (an OR of the pairs' keys, per chunk and table).
func (e *emitter) assocDelete(ctx context.Context) error {
	w := e.assoc
	// Rows of deleted owners, grouped by relationship.
	for i := 0; i < len(w.ownerDeletes); {
		r := w.ownerDeletes[i].r
		j := r.secondary
		var keys [][]any
		for ; i < len(w.ownerDeletes) && w.ownerDeletes[i].r == r && len(keys) < selectInChunk; i++ {
			st := w.ownerDeletes[i].owner
			vals := make([]any, len(j.ownFields))
			for k, f := range j.ownFields {
				vals[k] = st.snap[f.pos]
			}
			keys = append(keys, vals)
		}
		if _, err := e.exec(ctx, expr.Delete(j.table).Where(inColumns(j.ownCols, keys)), false); err != nil {
			return err
		}
	}
	byTable := map[*schema.Table][]assocPair{}
	var tables []*schema.Table
	for _, p := range w.deletes {
		t := p.r.secondary.table
		if byTable[t] == nil {
			tables = append(tables, t)
		}
		byTable[t] = append(byTable[t], p)
	}
	for _, t := range tables {
		pairs := byTable[t]
		for start := 0; start < len(pairs); start += selectInChunk {
			chunk := pairs[start:min(start+selectInChunk, len(pairs))]
			ors := make([]expr.Expr, 0, len(chunk))
			for _, p := range chunk {
				j := p.r.secondary
				ands := make([]expr.Expr, 0, len(j.ownCols)+len(j.tgtCols))
				for k, c := range j.ownCols {
					ands = append(ands, c.ColumnClause.Eq(p.owner.snap[j.ownFields[k].pos]))
				}
				for k, c := range j.tgtCols {
					ands = append(ands, c.ColumnClause.Eq(p.target.snap[j.tgtFields[k].pos]))
				}
				ors = append(ors, expr.And(ands...))
			}
			cond := ors[0]
			if len(ors) > 1 {
				cond = expr.Or(ors...)
			}
			res, err := e.exec(ctx, expr.Delete(t).Where(cond), false)
			if err != nil {
				return err
			}
			e.checkDeleted(ctx, p0mapper(chunk), int64(len(chunk)), res.RowsAffected())
		}
	}
	return nil
}

func p0mapper(ps []assocPair) *mapper { return ps[0].r.m }

// assocInsert inserts the association rows of pairs that entered collections: one
// multi-row INSERT per secondary table and chunk.
func (e *emitter) assocInsert(ctx context.Context, last bool) error {
	w := e.assoc
	byTable := map[*schema.Table][]assocPair{}
	var tables []*schema.Table
	for _, p := range w.inserts {
		t := p.r.secondary.table
		if byTable[t] == nil {
			tables = append(tables, t)
		}
		byTable[t] = append(byTable[t], p)
	}
	for ti, t := range tables {
		pairs := byTable[t]
		j := pairs[0].r.secondary
		// Every pair of a table is written in the column order of its first relationship.
		cols := make([]*expr.ColumnClause, 0, len(j.ownCols)+len(j.tgtCols))
		var types []*schema.Column
		for _, c := range j.ownCols {
			cols, types = append(cols, c.ColumnClause), append(types, c)
		}
		for _, c := range j.tgtCols {
			cols, types = append(cols, c.ColumnClause), append(types, c)
		}
		per := 1
		if e.feat.Has(compile.MultiValuesInsert) {
			per = min(maxBatchRows, max(1, maxBatchParams/len(cols)))
		}
		for start := 0; start < len(pairs); start += per {
			chunk := pairs[start:min(start+per, len(pairs))]
			stmt := &expr.InsertStmt{Table: t, Cols: cols}
			for _, p := range chunk {
				if p.r.secondary != j {
					// The other side of a back_populates pair: swap it round.
					p = assocPair{r: j0rel(pairs), owner: p.target, target: p.owner}
				}
				vals, err := p.row()
				if err != nil {
					return err
				}
				row := make([]expr.Expr, len(vals))
				for k, v := range vals {
					row[k] = &expr.Bind{Value: v, Type: types[k].Type}
				}
				stmt.Rows = append(stmt.Rows, row)
			}
			isLast := last && ti == len(tables)-1 && start+per >= len(pairs)
			if _, err := e.exec(ctx, stmt, isLast); err != nil {
				return err
			}
		}
	}
	return nil
}

func j0rel(ps []assocPair) *relation { return ps[0].r }

// loadOther loads the relationships loadRelation does not: many-to-many ones (through
// their secondary table); a write-only collection cannot be loaded.
func (s *Session) loadOther(ctx context.Context, r *relation, sts []*state, chunk int) ([]*state, error) {
	if r.writeOnly {
		return nil, fmt.Errorf("%w: %s.%s cannot be loaded; read it with %s.%s.Select()", ErrWriteOnly, r.m.name, r.goName, r.m.typ.Name(), r.goName)
	}
	return s.loadSecondary(ctx, r, sts, chunk)
}
