package bench

import (
	"context"
	"iter"
	"testing"

	"github.com/retortdb/retort/bench/ent"
	"github.com/retortdb/retort/bench/ent/item"
)

// The Bun, GORM and ent cases, each as its documentation shows.

func (e *pgEnv) bunInsert(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(i int) error {
		it := &BunItem{Name: "new", Value: int64(i)}
		_, err := e.bun.NewInsert().Model(it).Exec(ctx)
		return err
	})
}

func (e *pgEnv) bunInsertMulti(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(int) error {
		items := make([]BunItem, SliceRows)
		for k := range items {
			items[k] = BunItem{Name: "new", Value: int64(k)}
		}
		_, err := e.bun.NewInsert().Model(&items).Exec(ctx)
		return err
	})
}

func (e *pgEnv) bunUpdate(b *testing.B) {
	ctx := context.Background()
	it := new(BunItem)
	if err := e.bun.NewSelect().Model(it).Where("id = ?", 5).Scan(ctx); err != nil {
		b.Fatal(err)
	}
	loop(b, e.pgCounter, func(int) error {
		it.Value++
		_, err := e.bun.NewUpdate().Model(it).Column("value").WherePK().Exec(ctx)
		return err
	})
}

func (e *pgEnv) bunRead(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(i int) error {
		it := new(BunItem)
		return e.bun.NewSelect().Model(it).Where("id = ?", int64(1+i%SeedItems)).Scan(ctx)
	})
}

func (e *pgEnv) bunReadSlice(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(i int) error {
		var items []BunItem
		if err := e.bun.NewSelect().Model(&items).Where("id > ?", int64(i%(SeedItems-SliceRows))).Limit(SliceRows).Scan(ctx); err != nil {
			return err
		}
		return checkRows(len(items), SliceRows)
	})
}

func (e *pgEnv) bunEager(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(int) error {
		var parents []BunParent
		if err := e.bun.NewSelect().Model(&parents).Relation("Children").Scan(ctx); err != nil {
			return err
		}
		return checkEager(len(parents), lens(parents, func(p BunParent) int { return len(p.Children) }))
	})
}

// lens yields the number of children of each parent.
func lens[P any](parents []P, n func(P) int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for _, p := range parents {
			if !yield(n(p)) {
				return
			}
		}
	}
}

func (e *pgEnv) gormInsert(b *testing.B) {
	loop(b, e.pgCounter, func(i int) error {
		return e.gorm.Create(&GormItem{Name: "new", Value: int64(i)}).Error
	})
}

func (e *pgEnv) gormInsertMulti(b *testing.B) {
	loop(b, e.pgCounter, func(int) error {
		items := make([]GormItem, SliceRows)
		for k := range items {
			items[k] = GormItem{Name: "new", Value: int64(k)}
		}
		return e.gorm.Create(&items).Error
	})
}

func (e *pgEnv) gormUpdate(b *testing.B) {
	it := new(GormItem)
	if err := e.gorm.First(it, 6).Error; err != nil {
		b.Fatal(err)
	}
	loop(b, e.pgCounter, func(int) error {
		return e.gorm.Model(it).Update("value", it.Value+1).Error
	})
}

func (e *pgEnv) gormRead(b *testing.B) {
	loop(b, e.pgCounter, func(i int) error {
		return e.gorm.First(new(GormItem), int64(1+i%SeedItems)).Error
	})
}

func (e *pgEnv) gormReadSlice(b *testing.B) {
	loop(b, e.pgCounter, func(i int) error {
		var items []GormItem
		if err := e.gorm.Where("id > ?", int64(i%(SeedItems-SliceRows))).Limit(SliceRows).Find(&items).Error; err != nil {
			return err
		}
		return checkRows(len(items), SliceRows)
	})
}

func (e *pgEnv) gormEager(b *testing.B) {
	loop(b, e.pgCounter, func(int) error {
		var parents []GormParent
		if err := e.gorm.Preload("Children").Find(&parents).Error; err != nil {
			return err
		}
		return checkEager(len(parents), lens(parents, func(p GormParent) int { return len(p.Children) }))
	})
}

func (e *pgEnv) entInsert(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(i int) error {
		_, err := e.ent.Item.Create().SetName("new").SetValue(int64(i)).Save(ctx)
		return err
	})
}

func (e *pgEnv) entInsertMulti(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(int) error {
		builders := make([]*ent.ItemCreate, SliceRows)
		for k := range builders {
			builders[k] = e.ent.Item.Create().SetName("new").SetValue(int64(k))
		}
		items, err := e.ent.Item.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return err
		}
		return checkRows(len(items), SliceRows)
	})
}

func (e *pgEnv) entUpdate(b *testing.B) {
	ctx := context.Background()
	it, err := e.ent.Item.Get(ctx, 7)
	if err != nil {
		b.Fatal(err)
	}
	loop(b, e.pgCounter, func(int) error {
		it, err = it.Update().SetValue(it.Value + 1).Save(ctx)
		return err
	})
}

func (e *pgEnv) entRead(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(i int) error {
		_, err := e.ent.Item.Get(ctx, int64(1+i%SeedItems))
		return err
	})
}

func (e *pgEnv) entReadSlice(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(i int) error {
		items, err := e.ent.Item.Query().Where(item.IDGT(int64(i % (SeedItems - SliceRows)))).Limit(SliceRows).All(ctx)
		if err != nil {
			return err
		}
		return checkRows(len(items), SliceRows)
	})
}

func (e *pgEnv) entEager(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(int) error {
		parents, err := e.ent.Parent.Query().WithChildren().All(ctx)
		if err != nil {
			return err
		}
		return checkEager(len(parents), lens(parents, func(p *ent.Parent) int { return len(p.Edges.Children) }))
	})
}
