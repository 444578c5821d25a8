package orm_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/orm"
)

// ExUser has a unique e-mail address.
type ExUser struct {
	ID    int64
	Email string `retort:"unique"`
}

var usersReg = orm.NewRegistry()

func init() {
	if err := orm.Register[ExUser](usersReg); err != nil {
		log.Fatal(err)
	}
}

// openUsers returns an in-memory SQLite engine with the ex_user table and one user,
// ann@example.com.
func openUsers(ctx context.Context) *engine.Engine {
	eng, err := engine.Create(ctx, "sqlite://")
	if err != nil {
		log.Fatal(err)
	}
	if err := eng.CreateAll(ctx, usersReg.MetaData()); err != nil {
		log.Fatal(err)
	}
	err = orm.NewSessionMaker(eng, usersReg).Begin(ctx, func(ctx context.Context, s *orm.Session) error {
		return s.Add(&ExUser{Email: "ann@example.com"})
	})
	if err != nil {
		log.Fatal(err)
	}
	return eng
}

// The catch-fix-retry pattern: a Commit fails on a unique constraint; Rollback makes the
// new object transient again (nothing of it will be written), the application fixes it and
// adds it again.
func ExampleSession_Rollback() {
	ctx := context.Background()
	eng := openUsers(ctx)
	defer eng.Close()
	s := orm.NewSessionMaker(eng, usersReg).New()
	defer s.Close()

	u := &ExUser{Email: "ann@example.com"}
	if err := s.Add(u); err != nil {
		log.Fatal(err)
	}
	err := s.Commit(ctx)
	var dup *engine.IntegrityError
	if errors.As(err, &dup) && dup.Kind == engine.UniqueViolation {
		if err := s.Rollback(ctx); err != nil {
			log.Fatal(err)
		}
		fmt.Println("after Rollback:", s.Status(u), "id", u.ID)
		u.Email = "ann+2@example.com"
		if err := s.Add(u); err != nil {
			log.Fatal(err)
		}
		err = s.Commit(ctx)
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("committed:", s.Status(u), "with a key:", u.ID != 0, u.Email)
	// Output:
	// after Rollback: transient id 0
	// committed: persistent with a key: true ann+2@example.com
}

// A test that rolls back everything the code under test committed: the session joins the
// test's transaction, and each of its commits releases a savepoint instead of committing.
func ExampleSessionMaker_JoinTransaction() {
	ctx := context.Background()
	eng := openUsers(ctx)
	defer eng.Close()
	sm := orm.NewSessionMaker(eng, usersReg)

	conn, err := eng.Connect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		log.Fatal(err)
	}
	s := sm.JoinTransaction(conn, orm.CreateSavepoint)

	// The code under test adds a user and commits.
	if err := s.Add(&ExUser{Email: "bob@example.com"}); err != nil {
		log.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	users, err := orm.Scalars(ctx, s, orm.SelectOf[ExUser](usersReg))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("users seen by the test:", users.Len())
	s.Close()

	// The test ends: everything is rolled back.
	if err := tx.Rollback(ctx); err != nil {
		log.Fatal(err)
	}
	conn.Close()
	s2 := sm.New()
	defer s2.Close()
	users, err = orm.Scalars(ctx, s2, orm.SelectOf[ExUser](usersReg))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("users after the test:", users.Len())
	// Output:
	// users seen by the test: 2
	// users after the test: 1
}
