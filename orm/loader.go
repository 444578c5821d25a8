package orm

import (
	"fmt"
	"strings"
)

// Loader strategies and loader options.
//
// A relationship has a default strategy (its tag's lazy=..., else "select") and a query
// may override it for any path of relationships with loader options. At run time the
// options and the defaults are resolved into a tree of loadNode values, one per
// relationship to handle, which the strategies (strategy_selectin.go,
// strategy_joined.go) then execute.

// strategy is how a relationship is loaded.
type strategy uint8

const (
	// lazySelect: not loaded by queries; Load loads it, for every object of the result
	// at once (SQLAlchemy's lazy="select", made explicit since Go cannot load on access).
	lazySelect strategy = iota
	lazySelectIn
	lazyJoined
	lazyRaise
	lazyNoLoad
	// lazyDefault is the strategy of DefaultLoad: the relationship's own.
	lazyDefault
)

var strategyNames = [...]string{"select", "selectin", "joined", "raise", "noload", "default"}

func (k strategy) String() string { return strategyNames[k] }

// parseLazy parses the value of a relationship tag's lazy= option.
func parseLazy(s string) (strategy, error) {
	switch strings.ToLower(s) {
	case "select", "":
		return lazySelect, nil
	case "selectin":
		return lazySelectIn, nil
	case "joined":
		return lazyJoined, nil
	case "raise":
		return lazyRaise, nil
	case "noload":
		return lazyNoLoad, nil
	}
	return 0, fmt.Errorf("lazy=%s: want select, selectin, joined, raise or noload", s)
}

// LoadOption is a relationship loader option for SelectStmt.Options: a *Loader, made by
// SelectIn, Joined, Raise, NoLoad or DefaultLoad. Options are immutable values, safe to
// share between goroutines and to reuse in any number of statements; they hold no
// resource and live as long as the statements that carry them.
type LoadOption interface {
	loader() *Loader
}

// RelationHandle is a relationship for the chained loader options of Loader, such as
// SelectIn(AT.Bs).SelectIn(BT.Cs): Relation[A, B] implements it. Go methods cannot have
// type parameters, so the chained step's owner model is checked when the statement runs
// (an error names the path), not by the compiler. Implementations are small read-only
// values, safe for concurrent use, living as long as their handle.
type RelationHandle interface {
	relationOf() *relation
}

func (r Relation[A, B]) relationOf() *relation { return r.r }

// Loader is a loader option: a path of relationships from the queried model, each with
// the strategy that loads it (SQLAlchemy's selectinload(A.bs).joinedload(B.cs)). Build it
// with SelectIn, Joined, Raise, NoLoad or DefaultLoad, and extend the path with the
// methods of the same names; ChunkSize and InnerJoin adjust the path's last step. Every
// method returns a new Loader: a Loader is immutable, safe for concurrent use, holds no
// resource and lives as long as the statements that carry it.
type Loader struct {
	steps []loadStep
	err   error
}

// loadStep is one relationship of a loader path.
type loadStep struct {
	r     *relation
	strat strategy
	chunk int  // keys per IN list (selectin); 0 for the default
	inner bool // joined: INNER JOIN instead of LEFT OUTER JOIN
}

func (l *Loader) loader() *Loader { return l }

func newLoader(r *relation, k strategy) *Loader {
	l := &Loader{steps: []loadStep{{r: r, strat: k}}}
	if r == nil {
		l.err = fmt.Errorf("%w: loader option on a Relation handle that is not bound", ErrUnboundHandle)
	}
	return l
}

func (l *Loader) then(h RelationHandle, k strategy) *Loader {
	n := &Loader{steps: append(append([]loadStep(nil), l.steps...), loadStep{strat: k}), err: l.err}
	var r *relation
	if h != nil {
		r = h.relationOf()
	}
	n.steps[len(n.steps)-1].r = r
	if n.err != nil {
		return n
	}
	prev := l.steps[len(l.steps)-1].r
	switch {
	case r == nil:
		n.err = fmt.Errorf("%w: loader option %s on a Relation handle that is not bound", ErrUnboundHandle, l.pathString())
	case prev != nil && r.m != prev.target:
		n.err = fmt.Errorf("orm: loader option %s then %s.%s: the path reaches %s, not %s", l.pathString(), r.m.name, r.goName, prev.target.name, r.m.name)
	}
	return n
}

func (l *Loader) last(fn func(*loadStep)) *Loader {
	n := &Loader{steps: append([]loadStep(nil), l.steps...), err: l.err}
	fn(&n.steps[len(n.steps)-1])
	return n
}

// pathString names the path: "A.Bs.Cs".
func (l *Loader) pathString() string {
	var b strings.Builder
	for i, st := range l.steps {
		if st.r == nil {
			b.WriteString(".?")
			continue
		}
		if i == 0 {
			b.WriteString(st.r.m.name)
		}
		b.WriteString("." + st.r.goName)
	}
	return b.String()
}

// SelectIn loads relationship rel of the query's objects with one more SELECT ... WHERE
// key IN (...) per 500 objects (ChunkSize changes it), as SQLAlchemy's
// selectinload(A.bs). Composite keys are matched with (k1 = ? AND k2 = ?) OR ... lists.
func SelectIn[A, B any](rel Relation[A, B]) *Loader { return newLoader(rel.r, lazySelectIn) }

// Joined loads relationship rel in the query's own statement with a LEFT OUTER JOIN
// (InnerJoin for an inner join), as SQLAlchemy's joinedload(A.bs). A query that joins a
// collection (a one-to-many) must be marked Unique (SQLAlchemy's unique() rule: each
// parent comes back once, however many child rows it has).
func Joined[A, B any](rel Relation[A, B]) *Loader { return newLoader(rel.r, lazyJoined) }

// Raise marks relationship rel of the query's objects as not to be loaded: reading it
// through Related or RelatedOne is an error wrapping ErrNotLoaded that says so
// (SQLAlchemy's raiseload). An explicit Load still loads it.
func Raise[A, B any](rel Relation[A, B]) *Loader { return newLoader(rel.r, lazyRaise) }

// NoLoad leaves relationship rel of the query's objects empty on purpose and marks it
// loaded (SQLAlchemy's noload): Related returns an empty collection (or nil) and no
// error.
func NoLoad[A, B any](rel Relation[A, B]) *Loader { return newLoader(rel.r, lazyNoLoad) }

// DefaultLoad names relationship rel with its own default strategy, to reach deeper
// options: DefaultLoad(AT.Bs).SelectIn(BT.Cs) (SQLAlchemy's defaultload).
func DefaultLoad[A, B any](rel Relation[A, B]) *Loader { return newLoader(rel.r, lazyDefault) }

// SelectIn extends the path: relationship rel of the objects the path loads is loaded
// with SELECT ... IN.
func (l *Loader) SelectIn(rel RelationHandle) *Loader { return l.then(rel, lazySelectIn) }

// Joined extends the path with a joined load of rel.
func (l *Loader) Joined(rel RelationHandle) *Loader { return l.then(rel, lazyJoined) }

// Raise extends the path with a raise load of rel.
func (l *Loader) Raise(rel RelationHandle) *Loader { return l.then(rel, lazyRaise) }

// NoLoad extends the path with a noload of rel.
func (l *Loader) NoLoad(rel RelationHandle) *Loader { return l.then(rel, lazyNoLoad) }

// DefaultLoad extends the path with rel loaded by its own default strategy.
func (l *Loader) DefaultLoad(rel RelationHandle) *Loader { return l.then(rel, lazyDefault) }

// ChunkSize sets how many keys one IN list of the path's last (SelectIn) step holds
// (500 unless set; n <= 0 keeps the default).
func (l *Loader) ChunkSize(n int) *Loader {
	return l.last(func(s *loadStep) {
		if n > 0 {
			s.chunk = n
		}
	})
}

// InnerJoin makes the path's last (Joined) step an INNER JOIN: objects without a
// related row are left out of the result, as with SQLAlchemy's innerjoin=True.
func (l *Loader) InnerJoin() *Loader { return l.last(func(s *loadStep) { s.inner = true }) }

// loadNode is one relationship to handle for the objects of a query, resolved from the
// options and the defaults.
type loadNode struct {
	r     *relation
	strat strategy
	chunk int
	inner bool
	kids  []*loadNode
}

func (n *loadNode) chunkSize() int {
	if n.chunk > 0 {
		return n.chunk
	}
	return selectInChunk
}

// loadPlan resolves the loader options of a query of m, with the relationships' default
// strategies, into the nodes to run: one per relationship that is loaded (selectin,
// joined), marked (raise) or emptied (noload). Default strategies apply at every level
// reached, except that a relationship is not followed back the way the path came (its
// back_populates side is filled by the load itself) nor twice on one path (a
// self-referential default stops after one level; an explicit option path may go deeper).
func loadPlan(m *mapper, opts []LoadOption) ([]*loadNode, error) {
	paths := map[string]explicitStep{}
	for _, o := range opts {
		if o == nil {
			continue
		}
		l := o.loader()
		if l == nil {
			continue
		}
		if l.err != nil {
			return nil, l.err
		}
		if l.steps[0].r.m != m {
			return nil, fmt.Errorf("orm: loader option %s on a query of %s", l.pathString(), m.name)
		}
		key := ""
		for i, st := range l.steps {
			if err := checkStrategy(st.r, st.strat); err != nil {
				return nil, err
			}
			key += "/" + st.r.goName + "@" + st.r.m.name
			if _, ok := paths[key]; ok && i < len(l.steps)-1 && st.strat == lazyDefault {
				continue // DefaultLoad(A.Bs).X(...) leaves another option's A.Bs as it is
			}
			paths[key] = explicitStep{strat: st.strat, chunk: st.chunk, inner: st.inner}
		}
	}
	if len(paths) == 0 && !m.eagerDefaults() {
		return nil, nil
	}
	return planBuild(m, paths, "", nil, nil), nil
}

// planBelow returns the default loads of the objects that relationship r loads (for
// Load, which applies the target's own defaults as a query of it would).
func planBelow(r *relation) []*loadNode {
	return planBuild(r.target, nil, "", r, []*relation{r})
}

type explicitStep struct {
	strat strategy
	chunk int
	inner bool
}

// planBuild returns the nodes for mapper m reached by path key (through came).
func planBuild(m *mapper, paths map[string]explicitStep, key string, came *relation, onPath []*relation) []*loadNode {
	var build func(m *mapper, key string, came *relation, onPath []*relation) []*loadNode
	build = func(m *mapper, key string, came *relation, onPath []*relation) []*loadNode {
		var out []*loadNode
		for _, r := range m.rels {
			k := key + "/" + r.goName + "@" + m.name
			ex, isExplicit := paths[k]
			strat := r.lazy
			var chunk int
			var inner bool
			if isExplicit {
				if ex.strat != lazyDefault {
					strat = ex.strat
				}
				chunk, inner = ex.chunk, ex.inner
			} else if came != nil && came.back == r || slicesContains(onPath, r) {
				continue
			}
			if strat == lazySelect {
				continue
			}
			n := &loadNode{r: r, strat: strat, chunk: chunk, inner: inner}
			if strat == lazySelectIn || strat == lazyJoined {
				n.kids = build(r.target, k, r, append(onPath[:len(onPath):len(onPath)], r))
			}
			out = append(out, n)
		}
		return out
	}
	return build(m, key, came, onPath)
}

func slicesContains(rs []*relation, r *relation) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// eagerDefaults reports whether a relationship of m has a default strategy other than
// select (so that a query without options still has loads to run).
func (m *mapper) eagerDefaults() bool {
	for _, r := range m.rels {
		if r.lazy != lazySelect {
			return true
		}
	}
	return false
}

// hasJoinedCollection reports whether nodes join a one-to-many collection into the
// query's rows (at any depth of joined steps), which makes parents repeat.
func hasJoinedCollection(nodes []*loadNode) bool {
	for _, n := range nodes {
		if n.strat != lazyJoined {
			continue
		}
		if n.r.list() || hasJoinedCollection(n.kids) {
			return true
		}
	}
	return false
}

// checkStrategy reports a loader strategy relationship r cannot have: a write-only
// collection is never loaded.
func checkStrategy(r *relation, strat strategy) error {
	switch {
	case r.writeOnly && strat != lazySelect && strat != lazyNoLoad && strat != lazyDefault:
		return fmt.Errorf("%w: %s.%s cannot be loaded (%s); read it with its Select", ErrWriteOnly, r.m.name, r.goName, strat)
	}
	return nil
}
