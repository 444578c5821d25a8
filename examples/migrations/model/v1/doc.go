// Package v1 is the first version of the example's models: users and notes.
package v1
