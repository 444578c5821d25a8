package orm

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

type userHandle = struct {
	Table[User]
	ID    Column[int64]
	Name  Column[string]
	Age   Column[*int64]
	Posts Relation[User, Post]
}

type postHandle = struct {
	Table[Post]
	ID     Column[int64]
	Title  Column[string]
	UserID Column[*int64]
	User   Relation[Post, User]
}

func registerUsers(reg *Registry) error { return Register[User](reg) }

// TestUsersPosts follows seed 003: a two-way relationship, add one and many, select
// all / where / by id, scalar_one_or_none, update, delete, a user's posts.
func TestUsersPosts(t *testing.T) {
	eachDB(t, registerUsers, func(e *env) {
		t := e.t
		var uh userHandle
		var ph postHandle
		if err := RegisterHandle(e.reg, &uh); err != nil {
			t.Fatal(err)
		}
		if err := RegisterHandle(e.reg, &ph); err != nil {
			t.Fatal(err)
		}
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		ctx := e.ctx

		// add_user, add_many_users; posts through both sides of the relationship.
		alice := &User{Name: "alice", Age: ptr[int64](30), Posts: []*Post{{Title: "hello"}, {Title: "again"}}}
		err := sm.Begin(ctx, func(ctx context.Context, s *Session) error { return s.Add(alice) })
		if err != nil {
			t.Fatal(err)
		}
		bob := &User{Name: "bob", Age: ptr[int64](25)}
		carol := &User{Name: "carol"}
		bobsPost := &Post{Title: "bob's", User: bob} // many-to-one to a new user
		err = sm.Begin(ctx, func(ctx context.Context, s *Session) error { return s.AddAll(bobsPost, carol) })
		if err != nil {
			t.Fatal(err)
		}
		if bob.ID == 0 || bobsPost.UserID == nil || *bobsPost.UserID != bob.ID || *alice.Posts[1].UserID != alice.ID {
			t.Fatalf("foreign keys not filled: bob %d, bob's post user_id %v, alice's post user_id %v", bob.ID, bobsPost.UserID, alice.Posts[1].UserID)
		}

		s := sm.New()
		defer s.Close()
		// select(User): all, ordered.
		all, err := Scalars(ctx, s, Select(uh).OrderBy(uh.ID.Asc()))
		if err != nil || all.Len() != 3 || all.All()[2].Name != "carol" || all.All()[2].Age != nil {
			t.Fatalf("all users: %v %v", all, err)
		}
		// where name == ...: first()
		byName, err := Scalars(ctx, s, Select(uh).Where(uh.Name.Eq("bob")))
		if err != nil {
			t.Fatal(err)
		}
		if u, err := byName.First(); err != nil || u.ID != bob.ID || u != all.All()[1] {
			t.Errorf("first bob: %v %v", u, err)
		}
		// scalar_one by id; scalar_one_or_none for a missing id.
		if u, err := ScalarOne(ctx, s, Select(uh).Where(uh.ID.Eq(alice.ID))); err != nil || u.Name != "alice" {
			t.Errorf("scalar_one: %v %v", u, err)
		}
		if u, ok, err := ScalarOneOrNone(ctx, s, Select(uh).Where(uh.ID.Eq(999))); u != nil || ok || err != nil {
			t.Errorf("scalar_one_or_none(999) = %v %v %v", u, ok, err)
		}
		if _, err := ScalarOne(ctx, s, Select(uh)); !errors.Is(err, ErrMultipleResults) {
			t.Errorf("scalar_one over 3 rows: %v", err)
		}
		// Posts with their users loaded: the back reference is filled from the loaded side.
		users, err := Scalars(ctx, s, Select(uh).Options(SelectIn(uh.Posts)).OrderBy(uh.ID.Asc()))
		if err != nil {
			t.Fatal(err)
		}
		a := users.All()[0]
		if len(a.Posts) != 2 || a.Posts[0].User != a || !IsLoaded(s, a.Posts[0], ph.User) {
			t.Errorf("alice's posts: %d, back reference %p (want %p)", len(a.Posts), a.Posts[0].User, a)
		}
		// Many-to-one loading from the child side.
		posts, err := Scalars(ctx, s, Select(ph).Where(ph.UserID.Eq(&bob.ID)).Options(SelectIn(ph.User)))
		if err != nil || posts.Len() != 1 || posts.All()[0].User != users.All()[1] {
			t.Errorf("bob's posts with user: %v %v", posts, err)
		}
		// update_user_name
		b := users.All()[1]
		b.Name = "robert"
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		// delete_user: its posts go with it (ON DELETE CASCADE).
		if err := s.Delete(b); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		s2 := sm.New()
		defer s2.Close()
		left, err := Scalars(ctx, s2, Select(uh).OrderBy(uh.Name.Asc()))
		if err != nil || left.Len() != 2 || left.All()[0].Name != "alice" || left.All()[1].Name != "carol" {
			t.Errorf("users after delete: %v %v", left, err)
		}
		if u, err := Get[User](ctx, s2, alice.ID); err != nil || u.Name != "alice" {
			t.Errorf("alice: %v %v", u, err)
		}
	})
}

// TestSelfReferenceInsertOrder inserts a three-level tree in one flush: each level waits
// for the keys of the previous one.
func TestSelfReferenceInsertOrder(t *testing.T) {
	eachDB(t, func(reg *Registry) error { return Register[Node](reg) }, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		leaf := &Node{}
		root := &Node{Children: []*Node{{Children: []*Node{leaf}}, {}}}
		other := &Node{}
		s := sm.New()
		defer s.Close()
		if err := s.AddAll(leaf, other, root); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if e.mysql() {
			// No RETURNING: one INSERT per row, each key from the last insert id, in the
			// same order (a level of the tree after the other).
			e.expect(
				"INSERT INTO node (parent_id) VALUES (?) | [NULL]",
				"INSERT INTO node (parent_id) VALUES (?) | [NULL]",
				fmt.Sprintf("INSERT INTO node (parent_id) VALUES (?) | [%d]", root.ID),
				fmt.Sprintf("INSERT INTO node (parent_id) VALUES (?) | [%d]", root.ID),
				fmt.Sprintf("INSERT INTO node (parent_id) VALUES (?) | [%d]", root.Children[0].ID),
			)
		} else {
			e.expect(
				e.sql("INSERT INTO node (parent_id) VALUES (?), (?) RETURNING id | [NULL NULL]",
					"INSERT INTO node (parent_id) VALUES ($1), ($2) RETURNING id | [NULL NULL]",
					"INSERT INTO node (parent_id) VALUES (?), (?) RETURNING id | [NULL NULL]"),
				e.sqlf("INSERT INTO node (parent_id) VALUES (?), (?) RETURNING id | [%[1]d %[1]d]",
					"INSERT INTO node (parent_id) VALUES ($1), ($2) RETURNING id | [%[1]d %[1]d]",
					"INSERT INTO node (parent_id) VALUES (?), (?) RETURNING id | [%[1]d %[1]d]", root.ID),
				e.sqlf("INSERT INTO node (parent_id) VALUES (?) RETURNING id | [%d]",
					"INSERT INTO node (parent_id) VALUES ($1) RETURNING id | [%d]",
					"INSERT INTO node (parent_id) VALUES (?) RETURNING id | [%d]", root.Children[0].ID),
			)
		}
		if *leaf.ParentID != root.Children[0].ID || *root.Children[1].ParentID != root.ID || root.ParentID != nil {
			t.Errorf("tree keys: leaf->%v, root=%d child0=%d", leaf.ParentID, root.ID, root.Children[0].ID)
		}
	})
}
