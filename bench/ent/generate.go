// Package ent is the ent client of the benchmark tables, generated from ./schema.
package ent

//go:generate go tool ent generate ./schema
