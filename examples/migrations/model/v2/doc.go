// Package v2 is the second version of the example's models: users get an email column
// and an index on it.
package v2
