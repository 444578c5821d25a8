package main

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/retortdb/retort/orm"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// User is a blog's author and commenter.
type User struct {
	ID        int64
	Email     string    `retort:"size=200,unique"`
	Name      string    `retort:"size=100"`
	CreatedAt time.Time `retort:"server_default=now()"`
	Posts     []*Post   `retort:"rel,back_populates=Author"`
}

// TableName names User's table "users" ("user" is reserved on PostgreSQL).
func (User) TableName() string { return "users" }

// Validate rejects an e-mail address without @ at flush.
func (u *User) Validate() error {
	if !strings.Contains(u.Email, "@") {
		return errors.New("email " + u.Email + " has no @")
	}
	return nil
}

// Post is a blog post. Its slug is derived from its title by a hook; UpdatedAt is set by
// every UPDATE of the row.
type Post struct {
	ID        int64
	AuthorID  int64      `retort:"fk=users.id"`
	Title     string     `retort:"size=200"`
	Slug      string     `retort:"size=200"`
	Body      string     `retort:"type=text"`
	CreatedAt time.Time  `retort:"server_default=now()"`
	UpdatedAt *time.Time `retort:"update_default=now()"`
	Author    *User      `retort:"rel,back_populates=Posts"`
	Comments  []*Comment `retort:"rel,back_populates=Post"`
	Tags      []*Tag     `retort:"secondary=post_tags,order_by=name"`
}

// TableName names Post's table "posts".
func (Post) TableName() string { return "posts" }

// BeforeInsert derives the slug.
func (p *Post) BeforeInsert(ctx context.Context, s *orm.Session) error {
	p.Slug = slugify(p.Title)
	return nil
}

// BeforeUpdate keeps the slug in step with the title.
func (p *Post) BeforeUpdate(ctx context.Context, s *orm.Session) error {
	p.Slug = slugify(p.Title)
	return nil
}

func slugify(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), "-")
}

// Comment is a comment on a post.
type Comment struct {
	ID       int64
	PostID   int64     `retort:"fk=posts.id,ondelete=cascade"`
	AuthorID int64     `retort:"fk=users.id"`
	Body     string    `retort:"type=text"`
	Created  time.Time `retort:"server_default=now()"`
	Post     *Post     `retort:"rel,back_populates=Comments"`
}

// TableName names Comment's table "comments".
func (Comment) TableName() string { return "comments" }

// Tag is a label of posts.
type Tag struct {
	ID   int64
	Name string `retort:"size=50,unique"`
}

// TableName names Tag's table "tags".
func (Tag) TableName() string { return "tags" }

var reg = orm.NewRegistry()

// UserT is User's typed handle.
var UserT = struct {
	orm.Table[User]
	ID    orm.Column[int64]
	Email orm.Column[string]
	Name  orm.Column[string]
	Posts orm.Relation[User, Post]
}{}

// PostT is Post's typed handle.
var PostT = struct {
	orm.Table[Post]
	ID        orm.Column[int64]
	AuthorID  orm.Column[int64]
	Title     orm.Column[string]
	CreatedAt orm.Column[time.Time]
	Author    orm.Relation[Post, User]
	Comments  orm.Relation[Post, Comment]
	Tags      orm.Relation[Post, Tag]
}{}

// CommentT is Comment's typed handle.
var CommentT = struct {
	orm.Table[Comment]
	ID     orm.Column[int64]
	PostID orm.Column[int64]
}{}

// TagT is Tag's typed handle.
var TagT = struct {
	orm.Table[Tag]
	ID   orm.Column[int64]
	Name orm.Column[string]
}{}

func init() {
	// post_tags, the association table of Post.Tags (many-to-many), is a Core table of
	// the registry's MetaData, defined before the models.
	if _, err := reg.MetaData().Table("post_tags",
		schema.Col("post_id", types.BigInt(), schema.PrimaryKey(), schema.ForeignKey("posts.id", schema.OnDelete("CASCADE"))),
		schema.Col("tag_id", types.BigInt(), schema.PrimaryKey(), schema.ForeignKey("tags.id", schema.OnDelete("CASCADE"))),
	); err != nil {
		panic(err)
	}
	orm.MustRegister(reg, &UserT)
	orm.MustRegister(reg, &PostT)
	orm.MustRegister(reg, &CommentT)
	orm.MustRegister(reg, &TagT)
}
