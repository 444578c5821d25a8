package orm

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/retortdb/retort/expr"
)

// Cascade fixtures: a folder owning its files with cascade=all|delete-orphan, a shelf
// whose boxes have the default cascade (save-update, merge) and a nullable foreign key,
// and a crate whose bins the database deletes (ondelete=cascade, passive_deletes).
type Dir struct {
	ID    int64
	Name  string
	Files []*DirFile `retort:"back_populates=Dir,cascade=all|delete-orphan,order_by=name"`
}

type DirFile struct {
	ID    int64
	Name  string
	DirID int64 `retort:"fk=dir.id"`
	Dir   *Dir  `retort:"back_populates=Files"`
}

type Shelf struct {
	ID    int64
	Name  string
	Boxes []*Box `retort:"back_populates=Shelf"`
}

type Box struct {
	ID      int64
	Label   string
	ShelfID *int64 `retort:"fk=shelf.id"`
	Shelf   *Shelf `retort:"back_populates=Boxes"`
}

type Crate struct {
	ID   int64
	Bins []*Bin `retort:"cascade=all,passive_deletes"`
}

type Bin struct {
	ID      int64
	CrateID int64 `retort:"fk=crate.id,ondelete=cascade"`
}

// A cycle between two tables: an owner has many gadgets and one favourite gadget,
// written after the rows (post_update).
type Owner struct {
	ID         int64
	FavoriteID *int64    `retort:"fk=gadget.id"`
	Gadgets    []*Gadget `retort:"back_populates=Owner"`
	Favorite   *Gadget   `retort:"fk=favorite_id,post_update"`
}

type Gadget struct {
	ID      int64
	Name    string
	OwnerID *int64 `retort:"fk=owner.id"`
	Owner   *Owner `retort:"back_populates=Gadgets"`
}

func registerCascades(reg *Registry) error {
	for _, f := range []func(*Registry) error{
		func(r *Registry) error { return Register[Dir](r) },
		func(r *Registry) error { return Register[Shelf](r) },
		func(r *Registry) error { return Register[Crate](r) },
		func(r *Registry) error { return Register[Owner](r) },
	} {
		if err := f(reg); err != nil {
			return err
		}
	}
	return nil
}

func seedDir(t *testing.T, e *env, sm *SessionMaker) *Dir {
	t.Helper()
	d := &Dir{Name: "d", Files: []*DirFile{{Name: "a"}, {Name: "b"}, {Name: "c"}}}
	if err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error { return s.Add(d) }); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestCascadeDeleteLoadsChildren: deleting a parent whose collection is not loaded loads
// it (one SELECT) and deletes the children before the parent.
func TestCascadeDeleteLoadsChildren(t *testing.T) {
	eachDB(t, registerCascades, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		d := seedDir(t, e, sm)
		s := sm.New()
		defer s.Close()
		got, err := Get[Dir](e.ctx, s, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(got); err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		stmts := e.cap.take(false)
		if len(stmts) != 3 || !strings.HasPrefix(stmts[0], "SELECT dir_file.") || !strings.HasPrefix(stmts[1], "DELETE FROM dir_file WHERE dir_file.id IN") || !strings.HasPrefix(stmts[2], "DELETE FROM dir ") {
			t.Errorf("statements:\n%s", strings.Join(stmts, "\n"))
		}
		assertRows(t, e, "SELECT COUNT(*) FROM dir_file", "0")
	})
}

// TestDeleteOrphan: a file removed from its folder's loaded collection is deleted at the
// next flush; a file moved to another folder is not; a file whose many-to-one is set to
// nil is an orphan too. Only the current members cascade when the folder is deleted.
func TestDeleteOrphan(t *testing.T) {
	eachDB(t, registerCascades, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		seedDir(t, e, sm)
		d2 := &Dir{Name: "d2"}
		if err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error { return s.Add(d2) }); err != nil {
			t.Fatal(err)
		}
		s := sm.New()
		defer s.Close()
		dirs, err := Scalars(e.ctx, s, SelectOf[Dir](e.reg).Options(selectInByName[Dir](e.reg, "Files")).OrderBy(dirIDOrder(e)))
		if err != nil {
			t.Fatal(err)
		}
		one, two := dirs.All()[0], dirs.All()[1]
		a, b, c := one.Files[0], one.Files[1], one.Files[2]
		// a: removed (orphan); b: moved to d2 through the collection; c: stays.
		one.Files = []*DirFile{c}
		two.Files = append(two.Files, b)
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		if s.Status(a) != Deleted || b.Dir != two || b.DirID != two.ID || s.Status(b) != Persistent {
			t.Errorf("a %v, b.Dir %p (want %p) dir_id %d", s.Status(a), b.Dir, two, b.DirID)
		}
		// c's many-to-one set to nil: an orphan too.
		c.Dir = nil
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if len(one.Files) != 0 {
			t.Errorf("one.Files = %v after c.Dir = nil", one.Files)
		}
		assertRows(t, e, "SELECT name FROM dir_file", "b")
		// Deleting d2 cascades to its current member b.
		if err := s.Delete(two); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		assertRows(t, e, "SELECT COUNT(*) FROM dir_file", "0")
	})
}

func dirIDOrder(e *env) expr.Expr { return expr.Text("dir.id") }

// TestRemovedChildReleased: without delete-orphan, a box removed from its shelf's
// collection gets its foreign key set to NULL; deleting a shelf releases its boxes.
func TestRemovedChildReleased(t *testing.T) {
	eachDB(t, registerCascades, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		sh := &Shelf{Name: "s", Boxes: []*Box{{Label: "x"}, {Label: "y"}}}
		s := sm.New()
		defer s.Close()
		if err := s.Add(sh); err != nil {
			t.Fatal(err)
		}
		if sh.Boxes[0].Shelf != sh {
			t.Error("back_populates at Add: box.Shelf not set")
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		x := sh.Boxes[0]
		Remove(relationOf[Shelf, Box](e.reg, "Boxes"), sh, x)
		if x.Shelf != nil || len(sh.Boxes) != 1 {
			t.Errorf("Remove: x.Shelf %p, boxes %v", x.Shelf, sh.Boxes)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		assertRows(t, e, "SELECT label FROM box WHERE shelf_id IS NULL", "x")
		if err := s.Delete(sh); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		assertRows(t, e, "SELECT label FROM box WHERE shelf_id IS NULL ORDER BY label", "x", "y")
	})
}

// TestBackPopulatesInMemory: the helpers change both sides at once; without them the
// session reconciles at Add and flush, whichever side was changed.
func TestBackPopulatesInMemory(t *testing.T) {
	eachDB(t, registerCascades, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		boxes := relationOf[Shelf, Box](e.reg, "Boxes")
		shelf := relationOf[Box, Shelf](e.reg, "Shelf")
		s1, s2 := &Shelf{Name: "one", Boxes: []*Box{}}, &Shelf{Name: "two", Boxes: []*Box{}}
		x := &Box{Label: "x"}
		Append(boxes, s1, x)
		if x.Shelf != s1 || len(s1.Boxes) != 1 {
			t.Fatalf("Append: %p %v", x.Shelf, s1.Boxes)
		}
		SetParent(shelf, x, s2)
		if len(s1.Boxes) != 0 || len(s2.Boxes) != 1 || s2.Boxes[0] != x {
			t.Fatalf("SetParent: s1 %v s2 %v", s1.Boxes, s2.Boxes)
		}
		s := sm.New()
		defer s.Close()
		if err := s.AddAll(s1, s2); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		// Plain assignment: moving x back to s1 through its many-to-one.
		x.Shelf = s1
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		if len(s2.Boxes) != 0 || len(s1.Boxes) != 1 || *x.ShelfID != s1.ID {
			t.Errorf("after x.Shelf = s1: s1 %v s2 %v shelf_id %v", s1.Boxes, s2.Boxes, x.ShelfID)
		}
		// Through the collection: appending to s2 takes x out of s1.
		s2.Boxes = append(s2.Boxes, x)
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if x.Shelf != s2 || len(s1.Boxes) != 0 || *x.ShelfID != s2.ID {
			t.Errorf("after append to s2: x.Shelf %p s1 %v shelf_id %v", x.Shelf, s1.Boxes, *x.ShelfID)
		}
		// Not through a backref: a new box pointing at a session shelf is not added.
		y := &Box{Label: "y", Shelf: s1}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if s.Status(y) != Transient {
			t.Errorf("y is %v, want transient", s.Status(y))
		}
	})
}

// TestPassiveDeletes: with ON DELETE CASCADE and passive_deletes the children are not
// loaded; the database deletes them.
func TestPassiveDeletes(t *testing.T) {
	eachDB(t, registerCascades, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		c := &Crate{Bins: []*Bin{{}, {}}}
		if err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error { return s.Add(c) }); err != nil {
			t.Fatal(err)
		}
		s := sm.New()
		defer s.Close()
		got, err := Get[Crate](e.ctx, s, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(got); err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if stmts := e.cap.take(false); len(stmts) != 1 || !strings.HasPrefix(stmts[0], "DELETE FROM crate") {
			t.Errorf("statements: %v", stmts)
		}
		assertRows(t, e, "SELECT COUNT(*) FROM bin", "0")
	})
}

// TestExpungeCascade: Expunge follows relationships with the expunge cascade.
func TestExpungeCascade(t *testing.T) {
	eachDB(t, registerCascades, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		d := seedDir(t, e, sm)
		s := sm.New()
		defer s.Close()
		got, err := Get[Dir](e.ctx, s, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := Load(e.ctx, s, relationOf[Dir, DirFile](e.reg, "Files"), got); err != nil {
			t.Fatal(err)
		}
		if err := s.Expunge(got); err != nil {
			t.Fatal(err)
		}
		if s.Status(got) != Detached || s.Status(got.Files[0]) != Detached {
			t.Errorf("dir %v file %v", s.Status(got), s.Status(got.Files[0]))
		}
	})
}

// TestPostUpdate: two new rows referencing each other are written with a second UPDATE
// (SQLAlchemy's post_update); deleting both sets the key to NULL first.
func TestPostUpdate(t *testing.T) {
	eachDB(t, registerCascades, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		g := &Gadget{Name: "g"}
		o := &Owner{Gadgets: []*Gadget{g}, Favorite: g}
		s := sm.New()
		defer s.Close()
		if err := s.Add(o); err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		stmts := e.cap.take(false)
		if len(stmts) != 3 || !strings.HasPrefix(stmts[0], "INSERT INTO owner") || !strings.HasPrefix(stmts[1], "INSERT INTO gadget") || !strings.HasPrefix(stmts[2], "UPDATE owner SET favorite_id = ") {
			t.Fatalf("statements:\n%s", strings.Join(stmts, "\n"))
		}
		if *o.FavoriteID != g.ID || *g.OwnerID != o.ID {
			t.Errorf("keys: favorite %v owner %v", *o.FavoriteID, *g.OwnerID)
		}
		// A second flush has nothing to write.
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		if stmts := e.cap.take(false); len(stmts) != 0 {
			t.Errorf("second flush: %v", stmts)
		}
		if err := s.Delete(o); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(g); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		stmts = e.cap.take(false)
		if len(stmts) != 3 || !strings.HasPrefix(stmts[0], "UPDATE owner SET favorite_id = ") || !strings.HasPrefix(stmts[1], "DELETE FROM gadget") || !strings.HasPrefix(stmts[2], "DELETE FROM owner") {
			t.Fatalf("delete statements:\n%s", strings.Join(stmts, "\n"))
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCycleWithoutPostUpdate: the same cycle through relationships without post_update
// is ErrCycle, and the session is left as it was.
func TestCycleWithoutPostUpdate(t *testing.T) {
	eachDB(t, func(reg *Registry) error { return Register[Pong](reg) }, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		a := &Pong{}
		b := &Pang{Pong: a}
		a.Pang = b
		s := sm.New()
		defer s.Close()
		if err := s.Add(a); err != nil {
			t.Fatal(err)
		}
		err := s.Flush(e.ctx)
		if !errors.Is(err, ErrCycle) || !strings.Contains(err.Error(), "post_update") {
			t.Errorf("flush: %v", err)
		}
	})
}

type Pong struct {
	ID     int64
	PangID *int64 `retort:"fk=pang.id"`
	Pang   *Pang  `retort:"fk=pang_id"`
}

type Pang struct {
	ID     int64
	PongID *int64 `retort:"fk=pong.id"`
	Pong   *Pong  `retort:"fk=pong_id"`
}

// TestMergeCascade: Merge of a detached folder merges the files it holds (the default
// merge cascade): changed files become UPDATEs of the session's objects, a new file a
// pending copy, and the merged folder's collection holds the session's objects.
func TestMergeCascade(t *testing.T) {
	eachDB(t, registerCascades, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		seedDir(t, e, sm)
		s1 := sm.New()
		d, err := ScalarOne(e.ctx, s1, SelectOf[Dir](e.reg).Options(selectInByName[Dir](e.reg, "Files")))
		if err != nil {
			t.Fatal(err)
		}
		s1.Close() // d and its files are detached
		d.Name = "renamed"
		d.Files[0].Name = "a2"
		d.Files = append(d.Files, &DirFile{Name: "new"})
		s2 := sm.New()
		defer s2.Close()
		m, err := Merge(e.ctx, s2, d)
		if err != nil {
			t.Fatal(err)
		}
		if m == d || len(m.Files) != 4 || m.Files[0] == d.Files[0] || m.Files[0].Name != "a2" || s2.Status(m.Files[3]) != Pending {
			t.Fatalf("merged: %p files %v", m, m.Files)
		}
		if err := s2.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		assertRows(t, e, "SELECT d.name, f.name FROM dir_file f JOIN dir d ON d.id = f.dir_id ORDER BY f.name",
			"renamed a2", "renamed b", "renamed c", "renamed new")
	})
}

// TestForeignKeySetDirectly: setting the foreign key field of an object whose many-to-one
// is loaded and unchanged writes the new key (the relationship syncs only its changes).
func TestForeignKeySetDirectly(t *testing.T) {
	eachDB(t, registerCascades, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		s1, s2 := &Shelf{Name: "one"}, &Shelf{Name: "two"}
		x := &Box{Label: "x", Shelf: s1}
		s := sm.New()
		defer s.Close()
		if err := s.AddAll(s1, s2, x); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		x.ShelfID = &s2.ID
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		assertRows(t, e, "SELECT s.name FROM box b JOIN shelf s ON s.id = b.shelf_id", "two")
	})
}

// TestDeleteCascadePendingChild: a pending object reached by a delete cascade is never
// written and leaves the session once the flush succeeds; a flush that fails leaves it
// pending, as it was.
func TestDeleteCascadePendingChild(t *testing.T) {
	eachDB(t, registerCascades, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		d := &Dir{Name: "d", Files: []*DirFile{{Name: "old"}}}
		if err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error { return s.Add(d) }); err != nil {
			t.Fatal(err)
		}

		// The flush fails (a file of a folder that does not exist): the new file stays
		// pending.
		s := sm.New()
		defer s.Close()
		dir, err := GetOne[Dir](e.ctx, s, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := Load(e.ctx, s, relationOf[Dir, DirFile](e.reg, "Files"), dir); err != nil {
			t.Fatal(err)
		}
		fresh := &DirFile{Name: "new"}
		dir.Files = append(dir.Files, fresh)
		if err := s.Add(fresh); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(dir); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(&DirFile{Name: "stray", DirID: d.ID + 1000}); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(e.ctx); err == nil {
			t.Fatal("a flush with a file of a missing folder succeeded")
		}
		if st := s.Status(fresh); st != Pending {
			t.Errorf("after the failed flush the new file is %v, want pending", st)
		}
		if err := s.Rollback(e.ctx); err != nil {
			t.Fatal(err)
		}

		// The flush succeeds: the folder and its stored file are deleted, the new file is
		// never INSERTed and is transient.
		s2 := sm.New()
		defer s2.Close()
		dir, err = GetOne[Dir](e.ctx, s2, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := Load(e.ctx, s2, relationOf[Dir, DirFile](e.reg, "Files"), dir); err != nil {
			t.Fatal(err)
		}
		fresh = &DirFile{Name: "new"}
		dir.Files = append(dir.Files, fresh)
		if err := s2.Add(fresh); err != nil {
			t.Fatal(err)
		}
		if err := s2.Delete(dir); err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		if err := s2.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		for _, q := range e.cap.take(false) {
			if strings.HasPrefix(q, "INSERT") {
				t.Errorf("the pending file was written: %s", q)
			}
		}
		if st := s2.Status(fresh); st != Transient {
			t.Errorf("after the commit the new file is %v, want transient", st)
		}
		assertRows(t, e, "SELECT COUNT(*) FROM dir_file", "0")
	})
}
