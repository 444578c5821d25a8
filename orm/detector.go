package orm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// The N+1 detector: a session option that watches for the two shapes of the N+1 problem
// and names the fix.
//
//   - A relationship loaded one object at a time: Load of a relationship for a single
//     object (one that was not part of a larger result, so batching could not help),
//     Threshold times in one session.
//   - The same statement run again and again: a query whose SQL text (its shape, with
//     other parameter values) runs Threshold times in one session, such as
//     select(B).where(B.a_id == a.id) written inside a loop over the as.
//
// In the default mode each finding is logged once per session as a warning through the
// engine's logger (engine.WithLogger); in strict mode the call that reaches the threshold
// (and every later one of the same shape) fails with an *NPlusOneError, which is what a
// test suite wants: NewSessionMaker(eng, reg, orm.DetectNPlusOne(orm.NPlusOne{Strict:
// true})). Statements of the loaders themselves (selectin, joined) are never counted.

// ErrNPlusOne is wrapped by *NPlusOneError.
var ErrNPlusOne = errors.New("orm: N+1 query pattern")

// NPlusOne configures the N+1 detector (DetectNPlusOne, Session.DetectNPlusOne). It is a
// plain value, safe for concurrent reads, that lives as long as the caller keeps it.
type NPlusOne struct {
	// Threshold is how many one-object loads of one relationship, or runs of one
	// statement shape, a session may make before the detector reports (10 when 0).
	Threshold int
	// Strict makes the offending call fail with an *NPlusOneError instead of logging a
	// warning.
	Strict bool
}

// DetectNPlusOne turns the N+1 detector on for every session of the SessionMaker (each
// session may change it with Session.DetectNPlusOne).
func DetectNPlusOne(d NPlusOne) SessionOption {
	return func(o *sessionOptions) { o.nPlusOne = &d }
}

// engineNPlusOne holds the engine-wide defaults of DetectNPlusOneOn, by engine.
var engineNPlusOne sync.Map // *engine.Engine -> *NPlusOne

// DetectNPlusOneOn sets the N+1 detector's default for every SessionMaker made afterwards
// on eng (nil removes it): one call where a test suite creates its engine makes every
// session of the suite report N+1 patterns, strict mode failing the tests. A
// DetectNPlusOne option of a SessionMaker, and Session.DetectNPlusOne, take precedence.
func DetectNPlusOneOn(eng *engine.Engine, d *NPlusOne) {
	if d == nil {
		engineNPlusOne.Delete(eng)
		return
	}
	c := *d
	engineNPlusOne.Store(eng, &c)
}

// engineDetector returns the engine-wide detector settings of eng, or nil.
func engineDetector(eng *engine.Engine) *NPlusOne {
	if v, ok := engineNPlusOne.Load(eng); ok {
		c := *v.(*NPlusOne)
		return &c
	}
	return nil
}

// DetectNPlusOne turns the N+1 detector on (or, with a nil d, off) for this session,
// with fresh counts.
func (s *Session) DetectNPlusOne(d *NPlusOne) {
	if s.enter() != nil {
		return
	}
	defer s.leave()
	s.opts.nPlusOne = d
	s.n1 = nil
}

// NPlusOneError reports an N+1 pattern in strict mode: which relationship was loaded one
// object at a time, or which statement ran repeatedly, how often, and the loader option
// that would fix it.
//
// An *NPlusOneError is made for one call and never modified afterwards, so it may be read
// from any goroutine; it holds no resource and lives as long as the caller keeps it.
type NPlusOneError struct {
	Relation string // "main.A.Bs", or "" for a repeated statement naming no relationship
	SQL      string // the repeated statement, or "" for one-object loads
	Count    int
	Fix      string // the loader option or rewrite that avoids it
}

// Error describes the pattern and its fix.
func (e *NPlusOneError) Error() string {
	if e.SQL == "" {
		return fmt.Sprintf("%v: relationship %s loaded one object at a time %d times; %s", ErrNPlusOne, e.Relation, e.Count, e.Fix)
	}
	if e.Relation != "" {
		return fmt.Sprintf("%v: the same statement ran %d times (%s), loading relationship %s one object at a time; %s", ErrNPlusOne, e.Count, e.SQL, e.Relation, e.Fix)
	}
	return fmt.Sprintf("%v: the same statement ran %d times (%s); %s", ErrNPlusOne, e.Count, e.SQL, e.Fix)
}

// Unwrap returns ErrNPlusOne.
func (e *NPlusOneError) Unwrap() error { return ErrNPlusOne }

// detector is a session's N+1 counts.
type detector struct {
	loads    map[*relation]int
	shapes   map[string]int
	reported map[any]bool
}

func (s *Session) detector() *detector {
	if s.opts.nPlusOne == nil {
		return nil
	}
	if s.n1 == nil {
		s.n1 = &detector{loads: map[*relation]int{}, shapes: map[string]int{}, reported: map[any]bool{}}
	}
	return s.n1
}

func (s *Session) threshold() int {
	if t := s.opts.nPlusOne.Threshold; t > 0 {
		return t
	}
	return 10
}

// fixFor names the loader options that load r with the query.
func fixFor(r *relation) string {
	return fmt.Sprintf("load it with the query that returns the %s objects: .Options(orm.SelectIn(<%s handle>.%s)) or orm.Joined(...), or tag the field lazy=selectin", r.m.name, r.m.name, r.goName)
}

// noteLoad counts a Load of r for n objects.
func (s *Session) noteLoad(r *relation, n int) error {
	d := s.detector()
	if d == nil || n != 1 {
		return nil
	}
	d.loads[r]++
	if c := d.loads[r]; c >= s.threshold() {
		return s.report(r, &NPlusOneError{Relation: r.m.name + "." + r.goName, Count: c, Fix: fixFor(r)})
	}
	return nil
}

// noteStatement counts a run of a query (loader is the relationship a loader statement
// loads, which is not counted).
func (s *Session) noteStatement(stmt *expr.SelectStmt, loader *relation) error {
	d := s.detector()
	if d == nil || loader != nil {
		return nil
	}
	comp, err := compile.Compile(s.sm.eng.Dialect(), stmt)
	if err != nil {
		return nil // the statement's own run reports it
	}
	d.shapes[comp.SQL]++
	c := d.shapes[comp.SQL]
	if c < s.threshold() {
		return nil
	}
	e := &NPlusOneError{SQL: comp.SQL, Count: c, Fix: "run it once for all the values (a WHERE ... IN query), or load the objects through a relationship loader option"}
	if r := s.sm.reg.relationFiltered(stmt); r != nil {
		e.Relation = r.m.name + "." + r.goName
		e.Fix = fixFor(r)
	}
	return s.report(comp.SQL, e)
}

// report logs e once per key (warning mode) or returns it (strict mode).
func (s *Session) report(key any, e *NPlusOneError) error {
	if s.opts.nPlusOne.Strict {
		return e
	}
	if !s.n1.reported[key] {
		s.n1.reported[key] = true
		s.sm.eng.Logger().LogAttrs(context.Background(), slog.LevelWarn, e.Error())
	}
	return nil
}

// relationFiltered returns the one-to-many relationship whose foreign key a query's WHERE
// compares with a value (select(B).where(B.a_id == x), the hand-written load of A.Bs), or
// nil.
func (reg *Registry) relationFiltered(stmt *expr.SelectStmt) *relation {
	for _, w := range stmt.Wheres {
		b, ok := w.(*expr.BinaryExpr)
		if !ok || b.Op != expr.OpEq {
			continue
		}
		c, ok := expr.Unwrap(b.Left).(*expr.ColumnClause)
		if !ok {
			continue
		}
		reg.mu.RLock()
		order := reg.order
		reg.mu.RUnlock()
		for _, m := range order {
			for _, r := range m.rels {
				if r.kind == oneToMany && len(r.childCols) == 1 && r.childCols[0].col.ColumnClause == c {
					return r
				}
			}
		}
	}
	return nil
}
