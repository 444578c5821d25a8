package bench

import (
	"github.com/uptrace/bun"

	"github.com/retortdb/retort/orm"
)

// Item is the single-table model of the Insert, Update, Read, ReadSlice, Flush10k and Core
// cases (table item).
type Item struct {
	ID    int64  `retort:"pk"`
	Name  string `retort:"size=64"`
	Value int64
}

// Parent has ten Children in the Eager case (table parent).
type Parent struct {
	ID       int64  `retort:"pk"`
	Name     string `retort:"size=64"`
	Children []*Child
}

// Child belongs to a Parent (table child).
type Child struct {
	ID       int64  `retort:"pk"`
	ParentID int64  `retort:"parent_id,fk=parent.id"`
	Name     string `retort:"size=64"`
}

// BigRow is a row of the Stream case (table big_row).
type BigRow struct {
	ID    int64  `retort:"pk"`
	Name  string `retort:"size=64"`
	Value int64
}

// ItemT is the handle of Item.
var ItemT = struct {
	orm.Table[Item]
	ID    orm.Column[int64]
	Name  orm.Column[string]
	Value orm.Column[int64]
}{}

// ParentT is the handle of Parent.
var ParentT = struct {
	orm.Table[Parent]
	ID       orm.Column[int64]
	Name     orm.Column[string]
	Children orm.Relation[Parent, Child]
}{}

// ChildT is the handle of Child.
var ChildT = struct {
	orm.Table[Child]
	ID orm.Column[int64]
}{}

// BigRowT is the handle of BigRow.
var BigRowT = struct {
	orm.Table[BigRow]
	ID orm.Column[int64]
}{}

// Registry holds the retort models of the benchmarks.
var Registry = orm.NewRegistry()

func init() {
	orm.MustRegister(Registry, &ItemT)
	orm.MustRegister(Registry, &ParentT)
	orm.MustRegister(Registry, &ChildT)
	orm.MustRegister(Registry, &BigRowT)
}

// GormItem is GORM's model of table item.
type GormItem struct {
	ID    int64
	Name  string
	Value int64
}

// TableName names GORM's table.
func (GormItem) TableName() string { return "item" }

// GormParent is GORM's model of table parent.
type GormParent struct {
	ID       int64
	Name     string
	Children []GormChild `gorm:"foreignKey:ParentID"`
}

// TableName names GORM's table.
func (GormParent) TableName() string { return "parent" }

// GormChild is GORM's model of table child.
type GormChild struct {
	ID       int64
	ParentID int64
	Name     string
}

// TableName names GORM's table.
func (GormChild) TableName() string { return "child" }

// BunItem is Bun's model of table item.
type BunItem struct {
	bun.BaseModel `bun:"table:item"`
	ID            int64 `bun:",pk,autoincrement"`
	Name          string
	Value         int64
}

// BunParent is Bun's model of table parent.
type BunParent struct {
	bun.BaseModel `bun:"table:parent"`
	ID            int64 `bun:",pk,autoincrement"`
	Name          string
	Children      []*BunChild `bun:"rel:has-many,join:id=parent_id"`
}

// BunChild is Bun's model of table child.
type BunChild struct {
	bun.BaseModel `bun:"table:child"`
	ID            int64 `bun:",pk,autoincrement"`
	ParentID      int64
	Name          string
}
