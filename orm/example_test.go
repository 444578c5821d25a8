package orm_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/orm"
)

// The models of SQLAlchemy's async_orm example.
type ExA struct {
	ID         int64     `retort:"pk"`
	Data       *string   //
	CreateDate time.Time `retort:"server_default=now()"`
	Bs         []*ExB    `retort:"rel"`
}

func (ExA) TableName() string { return "a" }

type ExB struct {
	ID   int64   `retort:"pk"`
	AID  int64   `retort:"a_id,fk=a.id"`
	Data *string //
}

func (ExB) TableName() string { return "b" }

var reg = orm.NewRegistry()

// AT is the typed handle of ExA: its fields are checked against the model at
// registration.
var AT = struct {
	orm.Table[ExA]
	ID   orm.Column[int64]
	Data orm.Column[*string]
	Bs   orm.Relation[ExA, ExB]
}{}

func init() { orm.MustRegister(reg, &AT) }

func ptr[T any](v T) *T { return &v }

// Example runs seed 000 (SQLAlchemy's async_orm.py) on an in-memory SQLite database.
func Example() {
	ctx := context.Background()
	eng, err := engine.Create(ctx, "sqlite://")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	if err := eng.CreateAll(ctx, reg.MetaData()); err != nil {
		log.Fatal(err)
	}
	sm := orm.NewSessionMaker(eng, reg, orm.ExpireOnCommit(false))

	// async with session.begin(): session.add_all([...])
	err = sm.Begin(ctx, func(ctx context.Context, s *orm.Session) error {
		return s.AddAll(
			&ExA{Bs: []*ExB{{}, {}}, Data: ptr("a1")},
			&ExA{Bs: []*ExB{{}}, Data: ptr("a2")},
			&ExA{Bs: []*ExB{{}, {}}, Data: ptr("a3")},
		)
	})
	if err != nil {
		log.Fatal(err)
	}

	s := sm.New()
	defer s.Close()
	// select(A).options(selectinload(A.bs))
	as, err := orm.Scalars(ctx, s, orm.Select(AT).Options(orm.SelectIn(AT.Bs)).OrderBy(AT.ID.Asc()))
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range as.All() {
		fmt.Printf("A %d %s created: %v\n", a.ID, *a.Data, !a.CreateDate.IsZero())
		for _, b := range a.Bs {
			fmt.Printf("  B %d (a_id %d)\n", b.ID, b.AID)
		}
	}

	// select(A).order_by(A.id) ... .first(); a1.data = "new data"; commit
	all, err := orm.Scalars(ctx, s, orm.Select(AT).OrderBy(AT.ID.Asc()))
	if err != nil {
		log.Fatal(err)
	}
	a1, err := all.First()
	if err != nil {
		log.Fatal(err)
	}
	a1.Data = ptr("new data")
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("after commit:", *a1.Data)
	// Output:
	// A 1 a1 created: true
	//   B 1 (a_id 1)
	//   B 2 (a_id 1)
	// A 2 a2 created: true
	//   B 3 (a_id 2)
	// A 3 a3 created: true
	//   B 4 (a_id 3)
	//   B 5 (a_id 3)
	// after commit: new data
}
