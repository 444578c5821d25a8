package orm

import (
	"context"
	"errors"
	"fmt"
	"unsafe"
)

// Relationship loading. No I/O ever happens on field access: a relationship field holds
// what was loaded into it (or what the application assigned), and is filled only by the
// loader strategies a query runs (selectin, joined; see loader.go) or by an explicit Load
// call, both of which take a context.
//
// The objects of one result (a query's objects, the related objects of one selectin
// load, one batch of a stream) form a group. Load called for some objects of a group
// loads the relationship for every object of the group that lacks it, in one chunked IN
// query: the N+1 loop "for each a: Load(a.Bs)" costs two statements, not N+1.

// loadGroup is the objects of one result, for batched loads. It lives as long as one of
// its objects' states points to it.
type loadGroup struct {
	sts []*state
}

// newGroup makes sts one group (a group of one object is no group).
func newGroup(sts []*state) {
	if len(sts) < 2 {
		return
	}
	g := &loadGroup{sts: sts}
	for _, st := range sts {
		st.grp = g
	}
}

// runLoads runs the resolved loader nodes for sts, objects of one mapper (joined nodes
// were filled by the query's own rows: only their sub-nodes run here).
//
// Loads run level by level: every selectin load that can run at a level (the sibling
// relationships of the objects, the loads under joined relationships, the nested loads of
// every relationship loaded at the level before) goes in one engine.Conn.ExecuteAll,
// which PostgreSQL sends in one round trip; a tree of loads costs one round trip per
// level, whatever its width.
func (s *Session) runLoads(ctx context.Context, nodes []*loadNode, sts []*state) error {
	type level struct {
		nodes []*loadNode
		sts   []*state
	}
	todo := []level{{nodes, sts}}
	for len(todo) > 0 {
		var jobs []selectInJob
		var kids [][]*loadNode
		// todo grows while it is walked: the loads under joined relationships join the
		// level (their objects are loaded already).
		for k := 0; k < len(todo); k++ {
			lv := todo[k]
			if len(lv.sts) == 0 {
				continue
			}
			for _, n := range lv.nodes {
				switch n.strat {
				case lazySelectIn:
					jobs = append(jobs, selectInJob{r: n.r, sts: lv.sts, chunk: n.chunkSize()})
					kids = append(kids, n.kids)
				case lazyJoined:
					if len(n.kids) > 0 {
						todo = append(todo, level{n.kids, joinedTargets(s, n.r, lv.sts)})
					}
				case lazyRaise:
					for _, st := range lv.sts {
						if !st.loaded.has(n.r.pos) && n.r.pos < 64 {
							st.markRaise(n.r.pos)
						}
					}
				case lazyNoLoad:
					noLoad(n.r, lv.sts)
				}
			}
		}
		todo = todo[:0]
		if len(jobs) == 0 {
			break
		}
		done, err := s.selectInAll(ctx, jobs)
		if err != nil {
			return err
		}
		for i := range done {
			if len(kids[i]) > 0 {
				todo = append(todo, level{kids[i], done[i].loaded})
			}
		}
	}
	return nil
}

// noLoad empties relationship r of the objects sts where it is not loaded, and marks it
// loaded (NoLoad).
func noLoad(r *relation, sts []*state) {
	if r.writeOnly {
		return // never loaded: nothing to empty
	}
	for _, st := range sts {
		if st.loaded.has(r.pos) {
			continue
		}
		p := unsafe.Add(st.base, r.offset)
		if r.list() {
			*(*[]unsafe.Pointer)(p) = []unsafe.Pointer{}
		} else {
			*(*unsafe.Pointer)(p) = nil
		}
		st.loaded.set(r.pos)
		snapRelations(st)
	}
}

// joinedTargets returns the objects that relationship r of sts holds (each once): the
// objects a joined load put there, for the loads nested under it.
func joinedTargets(s *Session, r *relation, sts []*state) []*state {
	var out []*state
	seen := map[unsafe.Pointer]bool{}
	add := func(p unsafe.Pointer) {
		if p == nil || seen[p] {
			return
		}
		seen[p] = true
		if st := s.states[p]; st != nil {
			out = append(out, st)
		}
	}
	for _, st := range sts {
		p := unsafe.Add(st.base, r.offset)
		if r.list() {
			for _, c := range *(*[]unsafe.Pointer)(p) {
				add(c)
			}
		} else {
			add(*(*unsafe.Pointer)(p))
		}
	}
	return out
}

// Load loads relationship rel of those of objs (which the session must track as
// persistent) where it is not loaded, with one SELECT ... WHERE IN per chunk of 500 keys:
// the explicit form of SQLAlchemy's lazy load (await a1.awaitable_attrs.bs). Where rel is
// loaded already it is left as it is and no SQL is sent, as SQLAlchemy's attribute access
// does; Expire or Refresh the object first to reload it.
//
// Load is batched: the other objects of the results objs came from (the objects of the
// same query, of the same relationship load, of the same stream batch) that the session
// still tracks and whose rel is not loaded get it loaded by the same statements. So
//
//	for _, a := range as.All() {
//		orm.Load(ctx, s, AT.Bs, a) // the first call loads every a's Bs; the others send nothing
//	}
//
// costs one statement (per 500 objects), where a lazy loader costs one per object: the
// later calls find rel loaded and send nothing.
func Load[A, B any](ctx context.Context, s *Session, rel Relation[A, B], objs ...*A) error {
	if rel.r == nil {
		return fmt.Errorf("%w: Load with an unbound Relation", ErrUnboundHandle)
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	r := rel.r
	sts := make([]*state, 0, len(objs))
	var seen map[*state]bool
	if len(objs) > 1 {
		seen = make(map[*state]bool, len(objs))
	}
	explicit := 0
	for _, o := range objs {
		if o == nil {
			continue
		}
		st, ok := s.states[unsafe.Pointer(o)]
		if !ok || st.status == Pending {
			return fmt.Errorf("%w: Load of %s.%s on an object the session does not hold as persistent", ErrNotPersistent, r.m.name, r.goName)
		}
		if st.loaded.has(r.pos) || seen != nil && seen[st] {
			continue
		}
		if seen != nil {
			seen[st] = true
		}
		sts = append(sts, st)
		explicit++
	}
	if explicit == 0 {
		return nil
	}
	// The rest of the objects' groups.
	var groups map[*loadGroup]bool
	for _, st := range sts[:explicit] {
		g := st.grp
		if g == nil || groups[g] {
			continue
		}
		if groups == nil {
			groups = map[*loadGroup]bool{}
		}
		groups[g] = true
		for _, o := range g.sts {
			if o == st || o.m != r.m || o.loaded.has(r.pos) || o.base == nil || o.status != Persistent || s.states[o.base] != o {
				continue
			}
			if seen == nil {
				seen = map[*state]bool{}
				for _, x := range sts {
					seen[x] = true
				}
			}
			if !seen[o] {
				seen[o] = true
				sts = append(sts, o)
			}
		}
	}
	if err := s.beforeQuery(ctx, "Load", nil); err != nil {
		return err
	}
	if err := s.noteLoad(r, len(sts)); err != nil {
		return err
	}
	related, err := s.selectIn(ctx, r, sts, selectInChunk)
	if err != nil {
		return err
	}
	if err := s.runLoads(ctx, planBelow(r), related); err != nil {
		return err
	}
	return s.afterLoad(ctx)
}

// IsLoaded reports whether relationship rel of obj was loaded (by a loader strategy or
// Load) or assigned on a new object that was flushed; false means the field's content says
// nothing about the database.
func IsLoaded[A, B any](s *Session, obj *A, rel Relation[A, B]) bool {
	if rel.r == nil || obj == nil || s.enter() != nil {
		return false
	}
	defer s.leave()
	st, ok := s.states[unsafe.Pointer(obj)]
	return ok && st.loaded.has(rel.r.pos)
}

// NotLoadedError is the error of Related and RelatedOne for a relationship that was not
// loaded: it wraps ErrNotLoaded, and names the relationship, the reason (never loaded,
// or marked by a Raise option or lazy=raise) and the loader option that would load it.
//
// A *NotLoadedError is made for one call and never modified afterwards, so it may be read
// from any goroutine; it holds no resource and lives as long as the caller keeps it.
type NotLoadedError struct {
	Model    string // the owner's Go type, such as "main.A"
	Relation string // the field, such as "Bs"
	Raise    bool   // the relationship was marked raise by the query that loaded the object
}

// Error describes the relationship and how to load it.
func (e *NotLoadedError) Error() string {
	why := "was not loaded"
	if e.Raise {
		why = "is not available due to lazy=raise"
	}
	return fmt.Sprintf("%v: %s.%s %s; load it with the query (Options(orm.SelectIn(...)) or orm.Joined(...), or the tag lazy=selectin) or with orm.Load", ErrNotLoaded, e.Model, e.Relation, why)
}

// Unwrap returns ErrNotLoaded.
func (e *NotLoadedError) Unwrap() error { return ErrNotLoaded }

// Related returns the collection of one-to-many relationship rel of obj, which the session
// tracks, when it is loaded, and otherwise an error wrapping ErrNotLoaded (a
// *NotLoadedError): the strict way to read a relationship, which never mistakes a
// collection that was not loaded for an empty one. It does no I/O, and may be called
// inside the loop of a Stream of the same session. A pending object's collection is what
// the application assigned.
//
//	bs, err := orm.Related(s, a, AT.Bs) // instead of a.Bs
func Related[A, B any](s *Session, obj *A, rel Relation[A, B]) ([]*B, error) {
	p, err := related(s, unsafe.Pointer(obj), rel.r, oneToMany)
	if err != nil {
		return nil, err
	}
	bs := *(*[]*B)(p)
	if bs == nil {
		bs = []*B{}
	}
	return bs, nil
}

// RelatedOne is Related for a many-to-one relationship: the related object (nil when the
// foreign key is NULL), or an error wrapping ErrNotLoaded.
func RelatedOne[A, B any](s *Session, obj *A, rel Relation[A, B]) (*B, error) {
	p, err := related(s, unsafe.Pointer(obj), rel.r, manyToOne)
	if err != nil {
		return nil, err
	}
	return *(**B)(p), nil
}

// errRelationKind is wrapped when Related and RelatedOne are given the other kind.
var errRelationKind = errors.New("orm: wrong accessor for the relationship")

func related(s *Session, base unsafe.Pointer, r *relation, kind relKind) (unsafe.Pointer, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: Related with an unbound Relation", ErrUnboundHandle)
	}
	if base == nil {
		return nil, fmt.Errorf("orm: Related of %s.%s on a nil object", r.m.name, r.goName)
	}
	if r.writeOnly {
		return nil, fmt.Errorf("%w: %s.%s cannot be read through Related; use its Select", ErrWriteOnly, r.m.name, r.goName)
	}
	if r.list() != (kind == oneToMany) {
		fn := "Related"
		if r.scalar() {
			fn = "RelatedOne"
		}
		return nil, fmt.Errorf("%w: %s.%s is %s; use %s", errRelationKind, r.m.name, r.goName, r.kind, fn)
	}
	// Inside a Stream loop the session is busy, but its goroutine may read what the
	// stream loaded.
	if !s.yielding {
		if err := s.enter(); err != nil {
			return nil, err
		}
		defer s.leave()
	}
	st, ok := s.states[base]
	if !ok {
		return nil, fmt.Errorf("%w: Related of %s.%s", ErrNotInSession, r.m.name, r.goName)
	}
	p := unsafe.Add(base, r.offset)
	if st.status == Pending || st.loaded.has(r.pos) {
		return p, nil
	}
	return nil, &NotLoadedError{Model: r.m.name, Relation: r.goName, Raise: st.raised(r.pos)}
}
