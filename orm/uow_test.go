package orm

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Node is a self-referencing model (a tree).
type Node struct {
	ID       int64
	ParentID *int64  `retort:"fk=node.id"`
	Children []*Node `retort:"rel"`
}

func planFixture(t *testing.T) (ma, mb, mn *mapper, rank func(*mapper) int) {
	t.Helper()
	reg := NewRegistry()
	ma = mustRegister[A](t, reg)
	mn = mustRegister[Node](t, reg)
	mb, _ = reg.mapperOf(reflect.TypeFor[B]())
	ranks, err := reg.ranks()
	if err != nil {
		t.Fatal(err)
	}
	return ma, mb, mn, func(m *mapper) int { return ranks[m] }
}

// describe renders batches as "INSERT a [0 1]" lines.
func describe(batches []planBatch) string {
	var lines []string
	for _, b := range batches {
		lines = append(lines, fmt.Sprintf("%s %s %v", b.kind, b.m.table.Name, b.items))
	}
	return strings.Join(lines, "\n")
}

func TestPlanParentsBeforeChildren(t *testing.T) {
	ma, mb, _, rank := planFixture(t)
	// Added in the order of the seed's add_all: A(bs=[B(), B()]), A(bs=[B()]); the B's
	// come first in the list to show that the order does not come from the input.
	items := []planItem{
		{kind: opInsert, m: mb, colKey: "b", deps: []int{3}}, // 0: B of the first A
		{kind: opInsert, m: mb, colKey: "b", deps: []int{3}}, // 1
		{kind: opInsert, m: mb, colKey: "b", deps: []int{4}}, // 2: B of the second A
		{kind: opInsert, m: ma, colKey: "a"},                 // 3
		{kind: opInsert, m: ma, colKey: "a"},                 // 4
	}
	batches, err := plan(items, rank)
	if err != nil {
		t.Fatal(err)
	}
	want := "INSERT a [3 4]\nINSERT b [0 1 2]"
	if got := describe(batches); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
}

func TestPlanGroupsByColumnSet(t *testing.T) {
	ma, mb, _, rank := planFixture(t)
	items := []planItem{
		{kind: opInsert, m: ma, colKey: "data"},
		{kind: opInsert, m: ma, colKey: "data,create_date"}, // create_date given: another statement
		{kind: opInsert, m: ma, colKey: "data"},
		{kind: opUpdate, m: mb, colKey: "data"},
		{kind: opUpdate, m: ma, colKey: "data"},
		{kind: opInsert, m: mb, colKey: "b"},
	}
	batches, err := plan(items, rank)
	if err != nil {
		t.Fatal(err)
	}
	// Heap order: table a first (inserts before updates, then by input order); the two
	// inserts with the column set "data" are not adjacent, so they form two batches.
	want := "INSERT a [0]\nINSERT a [1]\nINSERT a [2]\nUPDATE a [4]\nINSERT b [5]\nUPDATE b [3]"
	if got := describe(batches); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
}

func TestPlanDeletesChildrenFirst(t *testing.T) {
	ma, mb, _, rank := planFixture(t)
	items := []planItem{
		{kind: opDelete, m: ma, deps: []int{1, 2}}, // 0: the parent waits for its children
		{kind: opDelete, m: mb},                    // 1
		{kind: opDelete, m: mb},                    // 2
		{kind: opInsert, m: mb, colKey: "b"},       // 3: saves come before deletes
		{kind: opDelete, m: ma},                    // 4
	}
	batches, err := plan(items, rank)
	if err != nil {
		t.Fatal(err)
	}
	want := "INSERT b [3]\nDELETE b [1 2]\nDELETE a [0 4]"
	if got := describe(batches); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
}

func TestPlanSelfReference(t *testing.T) {
	_, _, mn, rank := planFixture(t)
	// A tree root <- child <- grandchild, listed bottom-up, plus an unrelated node.
	items := []planItem{
		{kind: opInsert, m: mn, colKey: "n", deps: []int{1}}, // 0 grandchild
		{kind: opInsert, m: mn, colKey: "n", deps: []int{2}}, // 1 child
		{kind: opInsert, m: mn, colKey: "n"},                 // 2 root
		{kind: opInsert, m: mn, colKey: "n"},                 // 3 other root
	}
	batches, err := plan(items, rank)
	if err != nil {
		t.Fatal(err)
	}
	// Roots batch together; each level waits for the previous one's keys.
	want := "INSERT node [2 3]\nINSERT node [1]\nINSERT node [0]"
	if got := describe(batches); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	// Deleting the tree: leaves first.
	del := []planItem{
		{kind: opDelete, m: mn, deps: []int{1}}, // root waits for child
		{kind: opDelete, m: mn, deps: []int{2}}, // child waits for grandchild
		{kind: opDelete, m: mn},
	}
	batches, err = plan(del, rank)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := describe(batches), "DELETE node [2]\nDELETE node [1]\nDELETE node [0]"; got != want {
		t.Errorf("delete plan:\n%s\nwant:\n%s", got, want)
	}
}

func TestPlanCycle(t *testing.T) {
	_, _, mn, rank := planFixture(t)
	items := []planItem{
		{kind: opInsert, m: mn, colKey: "n", deps: []int{1}},
		{kind: opInsert, m: mn, colKey: "n", deps: []int{0}},
	}
	_, err := plan(items, rank)
	if !errors.Is(err, ErrCycle) || !strings.Contains(err.Error(), "INSERT orm.Node") {
		t.Errorf("cycle: %v", err)
	}
}

func TestPlanEmpty(t *testing.T) {
	_, _, _, rank := planFixture(t)
	if b, err := plan(nil, rank); err != nil || len(b) != 0 {
		t.Errorf("plan(nil) = %v, %v", b, err)
	}
}

// TestExtraBatchesBetweenPhases: post-updates and association rows go after the saves,
// the NULLs of post_update keys just before the deletes.
func TestExtraBatchesBetweenPhases(t *testing.T) {
	x := &flushExtra{
		post:  []postUpdate{{}},
		nulls: []postUpdate{{}},
		assoc: &assocWork{inserts: []assocPair{{}}, deletes: []assocPair{{}}},
	}
	got := x.insertBatches([]planBatch{{kind: opInsert}, {kind: opUpdate}, {kind: opDelete}})
	want := []opKind{opInsert, opUpdate, opPostUpdate, opAssocDelete, opAssocInsert, opNullBeforeDelete, opDelete}
	if len(got) != len(want) {
		t.Fatalf("%d batches, want %d", len(got), len(want))
	}
	for i, k := range want {
		if got[i].kind != k {
			t.Errorf("batch %d is %v, want %v", i, got[i].kind, k)
		}
	}
	if n := len((&flushExtra{assoc: &assocWork{}}).insertBatches(nil)); n != 0 {
		t.Errorf("%d batches without extra work", n)
	}
}
