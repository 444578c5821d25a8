package orm_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/orm"
)

// exampleSession creates the tables of reg on a new in-memory SQLite database, adds
// three ExA with 2, 1 and 2 ExB, and returns a session on it.
func exampleSession(ctx context.Context) (*orm.Session, func()) {
	eng, err := engine.Create(ctx, "sqlite://")
	if err != nil {
		log.Fatal(err)
	}
	if err := eng.CreateAll(ctx, reg.MetaData()); err != nil {
		log.Fatal(err)
	}
	sm := orm.NewSessionMaker(eng, reg)
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
	return s, func() { s.Close(); eng.Close() }
}

// ExampleScan runs raw SQL and reads its rows into structs: columns match fields by tag,
// snake_case name or name; a model embedded by pointer takes its own columns; the text
// timestamps and numbers of the raw result become the fields' Go types.
func ExampleScan() {
	ctx := context.Background()
	s, done := exampleSession(ctx)
	defer done()

	type aReport struct {
		*ExA           // id, data, create_date
		NB   int64     `retort:"n_bs"`
		Last time.Time `retort:"last_seen"`
	}
	rows, err := orm.Scan[aReport](ctx, s, expr.Text(`
		SELECT a.id, a.data, a.create_date, count(b.id) AS n_bs, max(a.create_date) AS last_seen
		FROM a JOIN b ON b.a_id = a.id
		GROUP BY a.id, a.data, a.create_date
		ORDER BY a.id`))
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rows {
		fmt.Println(*r.Data, r.NB, r.Last.Equal(r.CreateDate))
	}
	// Output:
	// a1 2 true
	// a2 1 true
	// a3 2 true
}

// ExampleScanRows aggregates into a struct: the row query's objects (the session's,
// through its identity map) go into the field of their model's pointer type, and its
// values into the fields their labels name.
func ExampleScanRows() {
	ctx := context.Background()
	s, done := exampleSession(ctx)
	defer done()

	type aWithCount struct {
		*ExA
		NB int64 `retort:"n_bs"`
	}
	b, err := orm.TableOf[ExB](reg)
	if err != nil {
		log.Fatal(err)
	}
	q := orm.SelectRows(AT, expr.Count(b.C("id")).Label("n_bs")).
		OuterJoin(b, expr.Eq(b.C("a_id"), AT.ID)).
		GroupBy(AT.ID, AT.Data, AT.Core().C("create_date")).OrderBy(AT.ID.Asc())
	rows, err := orm.ScanRows[aWithCount](ctx, s, q)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rows {
		fmt.Println(*r.Data, r.NB)
	}
	// Output:
	// a1 2
	// a2 1
	// a3 2
}

// Example_paginate pages through rows by keyset, (create_date, id): each page starts
// after the last row of the previous one, with a row-value comparison that every
// dialect runs (timestamps compare right whoever wrote them: here the server default).
func Example_paginate() {
	ctx := context.Background()
	s, done := exampleSession(ctx)
	defer done()

	created := AT.Core().C("create_date")
	var last *ExA
	for page := 1; ; page++ {
		q := orm.Select(AT).OrderBy(created.Asc(), AT.ID.Asc()).Limit(2)
		if last != nil {
			q = q.Where(expr.Tuple(created, AT.ID).Gt(last.CreateDate, last.ID))
		}
		res, err := orm.Scalars(ctx, s, q)
		if err != nil {
			log.Fatal(err)
		}
		if res.Len() == 0 {
			break
		}
		for _, a := range res.All() {
			fmt.Println("page", page, *a.Data)
			last = a
		}
	}
	// Output:
	// page 1 a1
	// page 1 a2
	// page 2 a3
}
