// Command models is the test input of retort-gen: models whose handles are generated
// into retort_handles.go, then registered and used by main (go test runs it).
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/retortdb/retort/orm"
	"github.com/retortdb/retort/types"
)

//go:generate go run github.com/retortdb/retort/cmd/retort-gen

// Base is embedded in models.
type Base struct {
	ID int64 `retort:"pk"`
}

// A is the parent of seed 000.
type A struct {
	ID         int64     `retort:"pk"`
	Data       *string   //
	CreateDate time.Time `retort:"server_default=now()"`
	Bs         []*B      `retort:"rel"`
	Scratch    string    `retort:"-"`
	internal   int
}

// B is the child of seed 000.
type B struct {
	ID   int64              `retort:"pk"`
	AID  int64              `retort:"a_id,fk=a.id"`
	Data types.Null[string] //
}

// User has posts.
type User struct {
	Base
	Name  string
	Tags  map[string]string `retort:"json"`
	Posts []*Post           `retort:"rel,back_populates=User"`
}

// TableName names the table.
func (User) TableName() string { return "users" }

// Post belongs to a user.
type Post struct {
	Base
	Title  string
	UserID *int64 `retort:"fk=users.id"`
	User   *User  `retort:"rel,back_populates=Posts"`
}

// TableName names the table.
func (Post) TableName() string { return "posts" }

func main() {
	reg := orm.NewRegistry()
	if err := RegisterHandles(reg); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(AT.Core().Name, BT.AID.Name, UserT.ID.Name, PostT.User.Name(), UserT.Tags.Name)
	_ = A{internal: 1}.internal
}
