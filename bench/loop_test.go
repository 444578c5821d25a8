package bench

import (
	"testing"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/orm"
)

// loop times op, then runs it once more outside the timer to report the statements it
// sends (when counter is not nil): stmts/op.
func loop(b *testing.B, counter *StatementCounter, op func(i int) error) {
	b.ReportAllocs()
	i := 0
	for ; b.Loop(); i++ {
		if err := op(i); err != nil {
			b.Fatal(err)
		}
	}
	if counter == nil {
		return
	}
	before := counter.Count()
	if err := op(i); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(counter.Count()-before), "stmts/op")
}

// sessions is retort on one engine: a session maker with SQLAlchemy's defaults and one
// without expire-on-commit (for Update's long-lived session).
type sessions struct {
	eng  *engine.Engine
	sm   *orm.SessionMaker
	keep *orm.SessionMaker
}

func newSessions(eng *engine.Engine) *sessions {
	return &sessions{eng: eng, sm: orm.NewSessionMaker(eng, Registry), keep: orm.NewSessionMaker(eng, Registry, orm.ExpireOnCommit(false))}
}

// loop times the op that newOp makes for retort's engine, then, where the environment
// has an echoing engine behind a round-trip proxy, runs the op made for it twice and
// reports the statements (stmts/op) and round trips (round-trips/op) of the second run.
// newOp may return a cleanup function.
func (r *retortEnv) loop(b *testing.B, newOp func(s *sessions) (op func(i int) error, cleanup func(), err error)) {
	op, cleanup, err := newOp(r.main)
	if err != nil {
		b.Fatal(err)
	}
	if cleanup != nil {
		defer cleanup()
	}
	loop(b, nil, op)
	if r.counted == nil {
		return
	}
	cop, ccleanup, err := newOp(r.counted)
	if err != nil {
		b.Fatal(err)
	}
	if ccleanup != nil {
		defer ccleanup()
	}
	// The first op on the echoing engine's connection prepares its statements (a round
	// trip of its own for each new statement); the second shows the steady state.
	if err := cop(0); err != nil {
		b.Fatal(err)
	}
	before, tripsBefore := r.counter.Count(), r.trips.Count()
	if err := cop(1); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(r.counter.Count()-before), "stmts/op")
	b.ReportMetric(float64(r.trips.Count()-tripsBefore), "round-trips/op")
}
