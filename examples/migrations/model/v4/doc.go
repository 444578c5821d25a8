// Package v4 is the last version of the example's models: the notes table is gone.
package v4
