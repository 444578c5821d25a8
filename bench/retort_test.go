package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/retortdb/retort/orm"
)

// The retort cases, written with the ORM Session only, the same on every database.

func (r *retortEnv) insert(b *testing.B) {
	ctx := context.Background()
	r.loop(b, func(ss *sessions) (func(int) error, func(), error) {
		return func(i int) error {
			s := ss.sm.New()
			defer s.Close()
			if err := s.Add(&Item{Name: "new", Value: int64(i)}); err != nil {
				return err
			}
			return s.Commit(ctx)
		}, nil, nil
	})
}

func (r *retortEnv) insertN(b *testing.B, n int) {
	ctx := context.Background()
	r.loop(b, func(ss *sessions) (func(int) error, func(), error) {
		return func(int) error {
			s := ss.sm.New()
			defer s.Close()
			for k := 0; k < n; k++ {
				if err := s.Add(&Item{Name: "new", Value: int64(k)}); err != nil {
					return err
				}
			}
			return s.Commit(ctx)
		}, nil, nil
	})
}

// update changes one field of an object loaded once into a long-lived session (without
// expire-on-commit, so that Commit does not reload it) and commits.
func (r *retortEnv) update(b *testing.B) {
	ctx := context.Background()
	r.loop(b, func(ss *sessions) (func(int) error, func(), error) {
		s := ss.keep.New()
		it, err := orm.Get[Item](ctx, s, int64(3))
		if err == nil && it == nil {
			err = fmt.Errorf("update: item 3 not found")
		}
		if err != nil {
			s.Close()
			return nil, nil, err
		}
		return func(int) error {
			it.Value++
			return s.Commit(ctx)
		}, func() { s.Close() }, nil
	})
}

func (r *retortEnv) read(b *testing.B) {
	ctx := context.Background()
	r.loop(b, func(ss *sessions) (func(int) error, func(), error) {
		return func(i int) error {
			s := ss.sm.New()
			defer s.Close()
			it, err := orm.Get[Item](ctx, s, int64(1+i%SeedItems))
			if err == nil && it == nil {
				err = fmt.Errorf("read: item %d not found", 1+i%SeedItems)
			}
			return err
		}, nil, nil
	})
}

func (r *retortEnv) readSlice(b *testing.B) {
	ctx := context.Background()
	r.loop(b, func(ss *sessions) (func(int) error, func(), error) {
		return func(i int) error {
			s := ss.sm.New()
			defer s.Close()
			res, err := orm.Scalars(ctx, s, orm.Select(ItemT).Where(ItemT.ID.Gt(int64(i%(SeedItems-SliceRows)))).Limit(SliceRows))
			if err != nil {
				return err
			}
			return checkRows(res.Len(), SliceRows)
		}, nil, nil
	})
}

// eager loads every parent with its children (SQLAlchemy's selectinload).
func (r *retortEnv) eager(b *testing.B) {
	ctx := context.Background()
	r.loop(b, func(ss *sessions) (func(int) error, func(), error) {
		return func(int) error {
			s := ss.sm.New()
			defer s.Close()
			ps, err := orm.Scalars(ctx, s, orm.Select(ParentT).Options(orm.SelectIn(ParentT.Children)))
			if err != nil {
				return err
			}
			return checkEager(ps.Len(), lens(ps.All(), func(p *Parent) int { return len(p.Children) }))
		}, nil, nil
	})
}
