// Package v3 is the third version of the example's models: users.name is renamed
// full_name, and users belong to teams, a new table, through a foreign key.
package v3
