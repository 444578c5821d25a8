package bench

import (
	"context"
	"testing"

	"github.com/retortdb/retort/orm"
)

// The retort cases, written with the ORM Session only, the same on every database.

func (r *retortEnv) insert(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := r.sm.New()
		if err := s.Add(&Item{Name: "new", Value: int64(i)}); err != nil {
			b.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

func (r *retortEnv) insertN(b *testing.B, n int) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s := r.sm.New()
		for k := 0; k < n; k++ {
			if err := s.Add(&Item{Name: "new", Value: int64(k)}); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// update changes one field of an object loaded once into a long-lived session (without
// expire-on-commit, so that Commit does not reload it) and commits.
func (r *retortEnv) update(b *testing.B) {
	ctx := context.Background()
	s := r.smKeep.New()
	defer s.Close()
	it, err := orm.Get[Item](ctx, s, int64(3))
	if err != nil || it == nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		it.Value++
		if err := s.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func (r *retortEnv) read(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := r.sm.New()
		it, err := orm.Get[Item](ctx, s, int64(1+i%SeedItems))
		if err != nil || it == nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

func (r *retortEnv) readSlice(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := r.sm.New()
		res, err := orm.Scalars(ctx, s, orm.Select(ItemT).Where(ItemT.ID.Gt(int64(i%(SeedItems-SliceRows)))).Limit(SliceRows))
		if err != nil || res.Len() != SliceRows {
			b.Fatal(err)
		}
		s.Close()
	}
}

// eager loads every parent with its children (SQLAlchemy's selectinload).
func (r *retortEnv) eagerOnce(ctx context.Context, sm *orm.SessionMaker) error {
	s := sm.New()
	defer s.Close()
	ps, err := orm.Scalars(ctx, s, orm.Select(ParentT).Options(orm.SelectIn(ParentT.Children)))
	if err != nil {
		return err
	}
	return checkEager(ps.Len(), func(yield func(int) bool) {
		for p := range ps.Values() {
			if !yield(len(p.Children)) {
				return
			}
		}
	})
}

func (r *retortEnv) eager(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := r.eagerOnce(ctx, r.sm); err != nil {
			b.Fatal(err)
		}
	}
	before := r.counter.Count()
	if err := r.eagerOnce(ctx, r.counted); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(r.counter.Count()-before), "stmts/op")
}
