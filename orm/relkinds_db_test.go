package orm

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// One-to-one: Person.Passport is a *Passport whose foreign key is on passport's table.
type Person struct {
	ID       int64
	Name     string
	Passport *Passport `retort:"uselist=false,back_populates=Person"`
}

type Passport struct {
	ID       int64
	Number   string
	PersonID *int64  `retort:"fk=person.id"`
	Person   *Person `retort:"back_populates=Passport"`
}

// Many-to-many through a Core table, with back_populates and order_by.
type Student struct {
	ID      int64
	Name    string
	Courses []*Course `retort:"secondary=enrollment,back_populates=Students,order_by=title"`
}

type Course struct {
	ID       int64
	Title    string
	Students []*Student `retort:"secondary=enrollment,back_populates=Courses,order_by=name desc"`
}

func registerEnrollment(reg *Registry) error {
	if _, err := reg.MetaData().Table("enrollment",
		schema.Col("student_id", types.BigInt(), schema.PrimaryKey(), schema.ForeignKey("student.id")),
		schema.Col("course_id", types.BigInt(), schema.PrimaryKey(), schema.ForeignKey("course.id")),
	); err != nil {
		return err
	}
	return Register[Student](reg)
}

// An association object: LineItem has its own column (Quantity) and a composite key made
// of its two foreign keys.
type Purchase struct {
	ID    int64
	Note  string
	Items []*LineItem `retort:"back_populates=Purchase,cascade=all|delete-orphan"`
}

type LineItem struct {
	PurchaseID int64     `retort:"pk,fk=purchase.id"`
	ProductID  int64     `retort:"pk,fk=product.id"`
	Quantity   int64     //
	Purchase   *Purchase `retort:"back_populates=Items"`
	Product    *Product
}

type Product struct {
	ID   int64
	Name string
}

// Self-referential adjacency list with both directions.
type TreeNode struct {
	ID       int64
	Name     string
	ParentID *int64      `retort:"fk=tree_node.id"`
	Parent   *TreeNode   `retort:"remote_side=id,back_populates=Children"`
	Children []*TreeNode `retort:"back_populates=Parent,order_by=name"`
}

// Two relationships between the same two tables, each naming its foreign key.
type Customer struct {
	ID         int64
	Name       string
	BillingID  *int64   `retort:"fk=address.id"`
	ShippingID *int64   `retort:"fk=address.id"`
	Billing    *Address `retort:"fk=billing_id"`
	Shipping   *Address `retort:"fk=shipping_id"`
}

type Address struct {
	ID     int64
	Street string
}

// Composite foreign key: Sheet references Volume by (shelf, slot).
type Volume struct {
	Shelf  string `retort:"pk"`
	Slot   int64  `retort:"pk"`
	Title  string
	Sheets []*Sheet
}

type Sheet struct {
	ID          int64
	VolumeShelf string
	VolumeSlot  int64
	Text        string
	Volume      *Volume
}

func registerAllKinds(reg *Registry) error {
	if err := Register[Person](reg); err != nil {
		return err
	}
	if err := registerEnrollment(reg); err != nil {
		return err
	}
	if err := Register[Product](reg); err != nil {
		return err
	}
	if err := Register[Purchase](reg); err != nil {
		return err
	}
	if err := Register[TreeNode](reg); err != nil {
		return err
	}
	if err := Register[Address](reg); err != nil {
		return err
	}
	if err := Register[Customer](reg); err != nil {
		return err
	}
	if err := Register[Sheet](reg, WithTableItems(schema.ForeignKeyConstraint("", []string{"volume_shelf", "volume_slot"}, "volume", []string{"shelf", "slot"}))); err != nil {
		return err
	}
	return nil
}

func TestRelationshipKindsMapping(t *testing.T) {
	reg := NewRegistry()
	if err := registerAllKinds(reg); err != nil {
		t.Fatal(err)
	}
	kind := func(typ any, name string) relKind {
		m, _ := reg.mapperOf(typeOfValue(typ))
		return m.relByGoName(name).kind
	}
	for _, c := range []struct {
		typ  any
		name string
		want relKind
	}{
		{Person{}, "Passport", oneToOne}, {Passport{}, "Person", manyToOne},
		{Student{}, "Courses", manyToMany}, {Course{}, "Students", manyToMany},
		{TreeNode{}, "Parent", manyToOne}, {TreeNode{}, "Children", oneToMany},
		{Purchase{}, "Items", oneToMany}, {LineItem{}, "Product", manyToOne},
		{Volume{}, "Sheets", oneToMany},
	} {
		if got := kind(c.typ, c.name); got != c.want {
			t.Errorf("%T.%s is %s, want %s", c.typ, c.name, got, c.want)
		}
	}
	m, _ := reg.mapperOf(typeOf[Purchase]())
	if c := m.relByGoName("Items").cascade; c != cascadeAll|cascadeDeleteOrphan {
		t.Errorf("cascade=all|delete-orphan parsed as %b", c)
	}
	m, _ = reg.mapperOf(typeOf[Volume]())
	if r := m.relByGoName("Sheets"); len(r.childCols) != 2 || r.childCols[1].col.Name != "volume_slot" {
		t.Errorf("composite foreign key: %v", r.childCols)
	}
}

func typeOfValue(v any) reflect.Type { return reflect.TypeOf(v) }

// renderValue renders a value of a row for assertRows: NULL, or fmt's form.
func renderValue(v any) string {
	if v == nil {
		return "NULL"
	}
	return fmt.Sprint(v)
}

// Mapping errors of the relationship options.
func TestRelationshipOptionErrors(t *testing.T) {
	type Orphan struct {
		ID     int64
		Parent *Node `retort:"cascade=delete-orphan"`
	}
	type BadCascade struct {
		ID   int64
		Kids []*Node `retort:"cascade=save-update|explode"`
	}
	type BadOrder struct {
		ID   int64
		Kids []*Node `retort:"order_by=nope"`
	}
	type BadSecondary struct {
		ID   int64
		Kids []*Node `retort:"secondary=missing"`
	}
	type BadUselist struct {
		ID   int64
		Kids []*Node `retort:"uselist=false"`
	}
	type OrderOnColumn struct {
		ID   int64
		Name string `retort:"order_by=name"`
	}
	for _, c := range []struct {
		reg  func(*Registry) error
		want string
	}{
		{func(r *Registry) error { return Register[Orphan](r) }, "delete-orphan applies to one-to-many"},
		{func(r *Registry) error { return Register[BadCascade](r) }, `unknown cascade "explode"`},
		{func(r *Registry) error { return Register[BadOrder](r) }, "order_by=nope: orm.Node has no column nope"},
		{func(r *Registry) error { return Register[BadSecondary](r) }, "secondary=missing: no such table"},
		{func(r *Registry) error { return Register[BadUselist](r) }, "uselist=false needs a *Node field"},
		{func(r *Registry) error { return Register[OrderOnColumn](r) }, "option order_by needs a relationship field"},
	} {
		reg := NewRegistry()
		if err := Register[Node](reg); err != nil {
			t.Fatal(err)
		}
		err := c.reg(reg)
		var me *MappingError
		if err == nil || !errors.As(err, &me) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want a MappingError containing %q", err, c.want)
		}
	}
}

func TestOneToOne(t *testing.T) {
	eachDB(t, registerAllKinds, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		p := &Person{Name: "ann", Passport: &Passport{Number: "X1"}}
		s := sm.New()
		defer s.Close()
		if err := s.Add(p); err != nil {
			t.Fatal(err)
		}
		// back_populates at Add: the passport points back at its person.
		if p.Passport.Person != p {
			t.Errorf("passport.Person = %p, want %p", p.Passport.Person, p)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if p.Passport.PersonID == nil || *p.Passport.PersonID != p.ID {
			t.Fatalf("passport.person_id = %v, want %d", p.Passport.PersonID, p.ID)
		}
		s2 := sm.New()
		defer s2.Close()
		got, err := Scalars(e.ctx, s2, SelectOf[Person](e.reg).Options(selectInByName[Person](e.reg, "Passport")))
		if err != nil || got.Len() != 1 {
			t.Fatal(got, err)
		}
		g := got.All()[0]
		if g.Passport == nil || g.Passport.Number != "X1" || g.Passport.Person != g {
			t.Fatalf("loaded passport: %+v", g.Passport)
		}
		// Replacing the one-to-one releases the old passport (its foreign key set to NULL).
		old := g.Passport
		g.Passport = &Passport{Number: "X2"}
		if err := s2.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if old.PersonID != nil || *g.Passport.PersonID != g.ID || old.Person != nil || g.Passport.Person != g {
			t.Errorf("after replacing: old person_id %v person %p, new person_id %v", old.PersonID, old.Person, g.Passport.PersonID)
		}
		assertRows(t, e, "SELECT number FROM passport WHERE person_id IS NULL", "X1")
	})
}

// selectInByName returns SelectIn for relationship name of A, for tests without handles.
func selectInByName[A any](reg *Registry, name string) LoadOption {
	m, _ := reg.mapperOf(typeOf[A]())
	return newLoader(m.relByGoName(name), lazySelectIn)
}

// assertRows compares the rows of a query, each rendered as its values joined by spaces.
func assertRows(t *testing.T, e *env, query string, want ...string) {
	t.Helper()
	c, err := e.eng.Connect(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Execute(e.ctx, expr.Text(query))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, row := range res.All() {
		var parts []string
		for _, v := range row.Values() {
			parts = append(parts, renderValue(v))
		}
		got = append(got, strings.Join(parts, " "))
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n  got  %q\n  want %q", query, got, want)
	}
}

func TestManyToMany(t *testing.T) {
	eachDB(t, registerAllKinds, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		math, art, bio := &Course{Title: "math"}, &Course{Title: "art"}, &Course{Title: "bio"}
		ann := &Student{Name: "ann", Courses: []*Course{math, art}}
		bob := &Student{Name: "bob", Courses: []*Course{math}}
		s := sm.New()
		defer s.Close()
		if err := s.AddAll(ann, bob, bio); err != nil {
			t.Fatal(err)
		}
		// back_populates at Add: each course lists its students.
		if len(math.Students) != 2 || math.Students[0] != ann || math.Students[1] != bob || len(art.Students) != 1 {
			t.Errorf("math.Students = %v, art.Students = %v", math.Students, art.Students)
		}
		e.cap.take(true)
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		// Both sides first, then the association rows in one INSERT, written once though
		// both sides list them.
		got := e.cap.take(false)
		if len(got) < 3 || !strings.HasPrefix(got[len(got)-1], "INSERT INTO enrollment (student_id, course_id) VALUES") ||
			strings.Count(got[len(got)-1], "(?, ?)")+strings.Count(got[len(got)-1], "($") != 3 {
			t.Fatalf("flush statements:\n%s", strings.Join(got, "\n"))
		}
		for _, g := range got[:len(got)-1] {
			if strings.Contains(g, "enrollment") {
				t.Errorf("association row written before both sides: %s", g)
			}
		}
		// Moving: ann leaves art, joins bio; bob's math is removed from the course side.
		ann.Courses = []*Course{math, bio}
		math.Students = []*Student{ann}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		// bio was flushed with a nil collection: a collection not loaded, left alone.
		if len(bob.Courses) != 0 || len(art.Students) != 0 || bio.Students != nil || IsLoaded(s, bio, relationOf[Course, Student](e.reg, "Students")) {
			t.Errorf("in memory after commit: bob %v, art %v, bio %v", bob.Courses, art.Students, bio.Students)
		}
		assertRows(t, e, "SELECT s.name, c.title FROM enrollment e JOIN student s ON s.id = e.student_id JOIN course c ON c.id = e.course_id ORDER BY s.name, c.title",
			"ann bio", "ann math")

		// Loading in a new session: selectin through the secondary table, ordered by
		// order_by (title; names descending on the other side).
		s2 := sm.New()
		defer s2.Close()
		e.cap.take(true)
		studs, err := Scalars(e.ctx, s2, SelectOf[Student](e.reg).Options(selectInByName[Student](e.reg, "Courses")).OrderBy(expr.Text("student.name")))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(e.cap.take(false)); n != 2 {
			t.Errorf("%d statements for students with courses, want 2", n)
		}
		a := studs.All()[0]
		if len(a.Courses) != 2 || a.Courses[0].Title != "bio" || a.Courses[1].Title != "math" || len(studs.All()[1].Courses) != 0 {
			t.Fatalf("ann's courses %v", a.Courses)
		}
		if err := Load(e.ctx, s2, relationOf[Course, Student](e.reg, "Students"), a.Courses...); err != nil {
			t.Fatal(err)
		}
		if len(a.Courses[1].Students) != 1 || a.Courses[1].Students[0] != a {
			t.Errorf("math's students %v", a.Courses[1].Students)
		}
		// Joined: one statement, the association table and the courses joined under
		// aliases; the collections in order_by's order, each course once per student.
		s3 := sm.New()
		defer s3.Close()
		e.cap.take(true)
		joined, err := Scalars(e.ctx, s3, SelectOf[Student](e.reg).Options(newLoader(relationOf[Student, Course](e.reg, "Courses").r, lazyJoined)).
			OrderBy(expr.Text("student.name")).Unique())
		if err != nil {
			t.Fatal(err)
		}
		stmts := e.cap.take(false)
		if len(stmts) != 1 || !strings.Contains(stmts[0], "LEFT OUTER JOIN enrollment AS enrollment_1 ON student.id = enrollment_1.student_id LEFT OUTER JOIN course AS course_1 ON enrollment_1.course_id = course_1.id") {
			t.Errorf("joined many-to-many: %q", stmts)
		}
		if js := joined.All(); len(js) != 2 || len(js[0].Courses) != 2 || js[0].Courses[0].Title != "bio" || js[0].Courses[1].Title != "math" ||
			js[1].Courses == nil || len(js[1].Courses) != 0 || !IsLoaded(s3, js[1], relationOf[Student, Course](e.reg, "Courses")) {
			t.Errorf("joined many-to-many loaded %d students: %+v", len(js), js)
		}
		// Deleting a student deletes its association rows first.
		if err := s2.Delete(a); err != nil {
			t.Fatal(err)
		}
		if err := s2.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		assertRows(t, e, "SELECT COUNT(*) FROM enrollment", "0")
		assertRows(t, e, "SELECT title FROM course ORDER BY title", "art", "bio", "math")
	})
}

// relationOf returns the Relation handle of A's relationship name.
func relationOf[A, B any](reg *Registry, name string) Relation[A, B] {
	m, _ := reg.mapperOf(typeOf[A]())
	return Relation[A, B]{r: m.relByGoName(name)}
}

func TestAssociationObject(t *testing.T) {
	eachDB(t, registerAllKinds, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		pen, ink := &Product{Name: "pen"}, &Product{Name: "ink"}
		p := &Purchase{Note: "first", Items: []*LineItem{{Product: pen, Quantity: 2}, {Product: ink, Quantity: 5}}}
		s := sm.New()
		defer s.Close()
		if err := s.Add(p); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if p.Items[0].PurchaseID != p.ID || p.Items[1].ProductID != ink.ID || p.Items[0].Purchase != p {
			t.Fatalf("keys: %+v", p.Items[0])
		}
		s2 := sm.New()
		defer s2.Close()
		ps, err := Scalars(e.ctx, s2, SelectOf[Purchase](e.reg).Options(selectInByName[Purchase](e.reg, "Items")))
		if err != nil {
			t.Fatal(err)
		}
		got := ps.All()[0]
		if err := Load(e.ctx, s2, relationOf[LineItem, Product](e.reg, "Product"), got.Items...); err != nil {
			t.Fatal(err)
		}
		if len(got.Items) != 2 || got.Items[0].Product.Name != "pen" || got.Items[1].Quantity != 5 {
			t.Fatalf("loaded items %+v", got.Items)
		}
		// delete-orphan: an item removed from the purchase is deleted.
		got.Items = got.Items[1:]
		if err := s2.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		assertRows(t, e, "SELECT quantity FROM line_item", "5")
		// delete cascade: deleting the purchase deletes its items, the products stay.
		if err := s2.Delete(got); err != nil {
			t.Fatal(err)
		}
		if err := s2.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		assertRows(t, e, "SELECT COUNT(*) FROM line_item", "0")
		assertRows(t, e, "SELECT name FROM product ORDER BY name", "ink", "pen")
	})
}

func TestSelfReferentialTree(t *testing.T) {
	eachDB(t, registerAllKinds, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		root := &TreeNode{Name: "root"}
		b := &TreeNode{Name: "b", Parent: root} // many-to-one side
		a := &TreeNode{Name: "a"}
		root.Children = []*TreeNode{a} // one-to-many side
		s := sm.New()
		defer s.Close()
		if err := s.AddAll(root, b); err != nil {
			t.Fatal(err)
		}
		if len(root.Children) != 2 || root.Children[1] != b || a.Parent != root {
			t.Errorf("back_populates at Add: children %v, a.Parent %p", root.Children, a.Parent)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		s2 := sm.New()
		defer s2.Close()
		r, err := ScalarOne(e.ctx, s2, SelectOf[TreeNode](e.reg).Where(expr.Text("tree_node.parent_id IS NULL")).Options(selectInByName[TreeNode](e.reg, "Children")))
		if err != nil {
			t.Fatal(err)
		}
		// order_by=name
		if len(r.Children) != 2 || r.Children[0].Name != "a" || r.Children[1].Name != "b" || r.Children[0].Parent != r {
			t.Fatalf("children %v", r.Children)
		}
		// Move b under a through the many-to-one: the collections follow at flush.
		bb, aa := r.Children[1], r.Children[0]
		if err := Load(e.ctx, s2, relationOf[TreeNode, TreeNode](e.reg, "Children"), aa); err != nil {
			t.Fatal(err)
		}
		bb.Parent = aa
		if err := s2.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		if len(r.Children) != 1 || len(aa.Children) != 1 || aa.Children[0] != bb || *bb.ParentID != aa.ID {
			t.Errorf("after move: root %v, a %v, b.parent_id %v", r.Children, aa.Children, bb.ParentID)
		}
		if err := s2.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		assertRows(t, e, "SELECT n.name, p.name FROM tree_node n JOIN tree_node p ON p.id = n.parent_id ORDER BY n.name", "a root", "b a")
	})
}

func TestSeveralRelationshipsSameTables(t *testing.T) {
	eachDB(t, registerAllKinds, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		home, work := &Address{Street: "home"}, &Address{Street: "work"}
		c := &Customer{Name: "c", Billing: home, Shipping: work}
		if err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error { return s.Add(c) }); err != nil {
			t.Fatal(err)
		}
		if *c.BillingID != home.ID || *c.ShippingID != work.ID {
			t.Fatalf("billing %v shipping %v", *c.BillingID, *c.ShippingID)
		}
		s := sm.New()
		defer s.Close()
		got, err := ScalarOne(e.ctx, s, SelectOf[Customer](e.reg).Options(selectInByName[Customer](e.reg, "Billing"), selectInByName[Customer](e.reg, "Shipping")))
		if err != nil {
			t.Fatal(err)
		}
		if got.Billing.Street != "home" || got.Shipping.Street != "work" {
			t.Errorf("billing %v shipping %v", got.Billing, got.Shipping)
		}
		// Setting a many-to-one to nil overrides the foreign key set earlier.
		got.ShippingID = &home.ID
		got.Shipping = nil
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		assertRows(t, e, "SELECT name FROM customer WHERE billing_id IS NOT NULL AND shipping_id IS NULL", "c")
	})
}

func TestCompositeForeignKey(t *testing.T) {
	eachDB(t, registerAllKinds, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		b1 := &Volume{Shelf: "A", Slot: 1, Title: "one", Sheets: []*Sheet{{Text: "p1"}, {Text: "p2"}}}
		b2 := &Volume{Shelf: "A", Slot: 2, Title: "two", Sheets: []*Sheet{{Text: "q1"}}}
		if err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error { return s.AddAll(b1, b2) }); err != nil {
			t.Fatal(err)
		}
		if b2.Sheets[0].VolumeShelf != "A" || b2.Sheets[0].VolumeSlot != 2 {
			t.Fatalf("sheet key %+v", b2.Sheets[0])
		}
		s := sm.New()
		defer s.Close()
		e.cap.take(true)
		books, err := Scalars(e.ctx, s, SelectOf[Volume](e.reg).Options(selectInByName[Volume](e.reg, "Sheets")).OrderBy(expr.Text("volume.slot")))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(e.cap.take(false)); n != 2 {
			t.Errorf("%d statements, want 2", n)
		}
		if len(books.All()[0].Sheets) != 2 || books.All()[1].Sheets[0].Text != "q1" {
			t.Errorf("sheets %v %v", books.All()[0].Sheets, books.All()[1].Sheets)
		}
	})
}

func TestRelationshipLazyErrors(t *testing.T) {
	type WO struct {
		ID   int64
		Kids WriteOnly[Node] `retort:"lazy=selectin"`
	}
	reg := NewRegistry()
	if err := Register[Node](reg); err != nil {
		t.Fatal(err)
	}
	if err := Register[WO](reg); err == nil || !strings.Contains(err.Error(), "write-only collection is never loaded") {
		t.Errorf("lazy=selectin on WriteOnly: %v", err)
	}
}

// Self-referential many-to-many: a member follows members through follow(follower_id,
// followed_id); fk= names the owner's columns.
type Member struct {
	ID        int64
	Name      string
	Following []*Member `retort:"secondary=follow,fk=follower_id,back_populates=Followers"`
	Followers []*Member `retort:"secondary=follow,fk=followed_id,back_populates=Following"`
}

func registerMembers(reg *Registry) error {
	if _, err := reg.MetaData().Table("follow",
		schema.Col("follower_id", types.BigInt(), schema.PrimaryKey(), schema.ForeignKey("member.id")),
		schema.Col("followed_id", types.BigInt(), schema.PrimaryKey(), schema.ForeignKey("member.id")),
	); err != nil {
		return err
	}
	return Register[Member](reg)
}

func TestSelfReferentialManyToMany(t *testing.T) {
	eachDB(t, registerMembers, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		ann, bob, cy := &Member{Name: "ann"}, &Member{Name: "bob"}, &Member{Name: "cy"}
		ann.Following = []*Member{bob, cy}
		s := sm.New()
		defer s.Close()
		if err := s.AddAll(ann, bob, cy); err != nil {
			t.Fatal(err)
		}
		if len(bob.Followers) != 1 || bob.Followers[0] != ann {
			t.Errorf("bob.Followers = %v", bob.Followers)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		assertRows(t, e, "SELECT a.name, b.name FROM follow f JOIN member a ON a.id = f.follower_id JOIN member b ON b.id = f.followed_id ORDER BY b.name",
			"ann bob", "ann cy")
		// A failed flush (a pair already in the database, written again through a
		// collection that was not loaded) leaves the database and the session as they were.
		s2 := sm.New()
		defer s2.Close()
		b2, err := GetOne[Member](e.ctx, s2, bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		a2, err := GetOne[Member](e.ctx, s2, ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		b2.Followers = []*Member{a2}
		err = s2.Flush(e.ctx)
		var ie *engine.IntegrityError
		if !errors.As(err, &ie) {
			t.Fatalf("duplicate pair: %v, want an integrity error", err)
		}
		if len(b2.Followers) != 1 || a2.Following != nil {
			t.Errorf("after the failed flush: bob's followers %v, ann follows %v", b2.Followers, a2.Following)
		}
		if err := s2.Rollback(e.ctx); err != nil {
			t.Fatal(err)
		}
		assertRows(t, e, "SELECT COUNT(*) FROM follow", "2")
		// Loaded, both directions.
		s3 := sm.New()
		defer s3.Close()
		ms, err := Scalars(e.ctx, s3, SelectOf[Member](e.reg).Options(selectInByName[Member](e.reg, "Following"), selectInByName[Member](e.reg, "Followers")).OrderBy(expr.Text("member.name")))
		if err != nil {
			t.Fatal(err)
		}
		a3, b3 := ms.All()[0], ms.All()[1]
		if len(a3.Following) != 2 || a3.Following[0] != b3 || len(b3.Followers) != 1 || b3.Followers[0] != a3 || len(a3.Followers) != 0 {
			t.Errorf("ann follows %v, bob's followers %v", a3.Following, b3.Followers)
		}
		// Unfollow through the other side.
		b3.Followers = []*Member{}
		if err := s3.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if len(a3.Following) != 1 {
			t.Errorf("ann follows %v after bob lost his follower", a3.Following)
		}
		assertRows(t, e, "SELECT COUNT(*) FROM follow", "1")
	})
}
