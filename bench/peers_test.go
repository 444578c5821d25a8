package bench

import (
	"context"
	"testing"

	"github.com/retortdb/retort/bench/ent"
	"github.com/retortdb/retort/bench/ent/item"
)

// The Bun, GORM and ent cases, each as its documentation shows.

func (e *pgEnv) bunInsert(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		it := &BunItem{Name: "new", Value: int64(i)}
		if _, err := e.bun.NewInsert().Model(it).Exec(ctx); err != nil || it.ID == 0 {
			b.Fatal(err)
		}
	}
}

func (e *pgEnv) bunInsertMulti(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		items := make([]BunItem, SliceRows)
		for k := range items {
			items[k] = BunItem{Name: "new", Value: int64(k)}
		}
		if _, err := e.bun.NewInsert().Model(&items).Exec(ctx); err != nil || items[SliceRows-1].ID == 0 {
			b.Fatal(err)
		}
	}
}

func (e *pgEnv) bunUpdate(b *testing.B) {
	ctx := context.Background()
	it := new(BunItem)
	if err := e.bun.NewSelect().Model(it).Where("id = ?", 5).Scan(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		it.Value++
		if _, err := e.bun.NewUpdate().Model(it).Column("value").WherePK().Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func (e *pgEnv) bunRead(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		it := new(BunItem)
		if err := e.bun.NewSelect().Model(it).Where("id = ?", int64(1+i%SeedItems)).Scan(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func (e *pgEnv) bunReadSlice(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var items []BunItem
		if err := e.bun.NewSelect().Model(&items).Where("id > ?", int64(i%(SeedItems-SliceRows))).Limit(SliceRows).Scan(ctx); err != nil || len(items) != SliceRows {
			b.Fatal(err, len(items))
		}
	}
}

func (e *pgEnv) bunEagerOnce(ctx context.Context) error {
	var parents []BunParent
	if err := e.bun.NewSelect().Model(&parents).Relation("Children").Scan(ctx); err != nil {
		return err
	}
	return checkEager(len(parents), func(yield func(int) bool) {
		for _, p := range parents {
			if !yield(len(p.Children)) {
				return
			}
		}
	})
}

func (e *pgEnv) bunEager(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := e.bunEagerOnce(ctx); err != nil {
			b.Fatal(err)
		}
	}
	countStatements(b, e.pgCounter, func() error { return e.bunEagerOnce(ctx) })
}

func (e *pgEnv) gormInsert(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		it := &GormItem{Name: "new", Value: int64(i)}
		if err := e.gorm.Create(it).Error; err != nil || it.ID == 0 {
			b.Fatal(err)
		}
	}
}

func (e *pgEnv) gormInsertMulti(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		items := make([]GormItem, SliceRows)
		for k := range items {
			items[k] = GormItem{Name: "new", Value: int64(k)}
		}
		if err := e.gorm.Create(&items).Error; err != nil || items[SliceRows-1].ID == 0 {
			b.Fatal(err)
		}
	}
}

func (e *pgEnv) gormUpdate(b *testing.B) {
	it := new(GormItem)
	if err := e.gorm.First(it, 6).Error; err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := e.gorm.Model(it).Update("value", it.Value+1).Error; err != nil {
			b.Fatal(err)
		}
	}
}

func (e *pgEnv) gormRead(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		it := new(GormItem)
		if err := e.gorm.First(it, int64(1+i%SeedItems)).Error; err != nil {
			b.Fatal(err)
		}
	}
}

func (e *pgEnv) gormReadSlice(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var items []GormItem
		if err := e.gorm.Where("id > ?", int64(i%(SeedItems-SliceRows))).Limit(SliceRows).Find(&items).Error; err != nil || len(items) != SliceRows {
			b.Fatal(err, len(items))
		}
	}
}

func (e *pgEnv) gormEagerOnce() error {
	var parents []GormParent
	if err := e.gorm.Preload("Children").Find(&parents).Error; err != nil {
		return err
	}
	return checkEager(len(parents), func(yield func(int) bool) {
		for _, p := range parents {
			if !yield(len(p.Children)) {
				return
			}
		}
	})
}

func (e *pgEnv) gormEager(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := e.gormEagerOnce(); err != nil {
			b.Fatal(err)
		}
	}
	countStatements(b, e.pgCounter, e.gormEagerOnce)
}

func (e *pgEnv) entInsert(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := e.ent.Item.Create().SetName("new").SetValue(int64(i)).Save(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func (e *pgEnv) entInsertMulti(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		builders := make([]*ent.ItemCreate, SliceRows)
		for k := range builders {
			builders[k] = e.ent.Item.Create().SetName("new").SetValue(int64(k))
		}
		items, err := e.ent.Item.CreateBulk(builders...).Save(ctx)
		if err != nil || len(items) != SliceRows {
			b.Fatal(err)
		}
	}
}

func (e *pgEnv) entUpdate(b *testing.B) {
	ctx := context.Background()
	it, err := e.ent.Item.Get(ctx, 7)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if it, err = it.Update().SetValue(it.Value + 1).Save(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func (e *pgEnv) entRead(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := e.ent.Item.Get(ctx, int64(1+i%SeedItems)); err != nil {
			b.Fatal(err)
		}
	}
}

func (e *pgEnv) entReadSlice(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		items, err := e.ent.Item.Query().Where(item.IDGT(int64(i % (SeedItems - SliceRows)))).Limit(SliceRows).All(ctx)
		if err != nil || len(items) != SliceRows {
			b.Fatal(err, len(items))
		}
	}
}

func (e *pgEnv) entEagerOnce(ctx context.Context) error {
	parents, err := e.ent.Parent.Query().WithChildren().All(ctx)
	if err != nil {
		return err
	}
	return checkEager(len(parents), func(yield func(int) bool) {
		for _, p := range parents {
			if !yield(len(p.Edges.Children)) {
				return
			}
		}
	})
}

func (e *pgEnv) entEager(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := e.entEagerOnce(ctx); err != nil {
			b.Fatal(err)
		}
	}
	countStatements(b, e.pgCounter, func() error { return e.entEagerOnce(ctx) })
}
