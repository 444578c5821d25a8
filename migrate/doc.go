// Package migrate is retort's migration tool, SQLAlchemy's Alembic for Go: migrations
// written in Go and compiled into the application, a runner that applies them to a
// database, and autogenerate, which compares the models' schema.MetaData with the live
// database (read by engine.Conn.Reflect) and writes the migration that brings the
// database to the models.
//
// A migration is a Migration registered in a Chain, normally by a file of the
// application's migrations package (cmd/retort migrate init creates it; revision
// -autogenerate writes the files):
//
//	func init() {
//		Chain.Add(&migrate.Migration{
//			Revision: "6d315b6e3996",
//			Parents:  []string{"e1a023bbf0d7"},
//			Message:  "rename name to full_name, add teams",
//			Up: func(op *migrate.Op) {
//				op.RenameColumn("users", "name", "full_name")
//				op.CreateTable("teams", schema.Col("id", types.Integer(), schema.PrimaryKey()))
//			},
//			Down: func(op *migrate.Op) {
//				op.DropTable("teams")
//				op.RenameColumn("users", "full_name", "name")
//			},
//			Accept: []string{"drop table teams"},
//		})
//	}
//
// The runner (New, then Upgrade, Downgrade, Current, Stamp, Check, SQL) keeps the
// applied revisions in a version table (retort_migrations). It plans a whole run before
// changing anything: each migration's operations are rendered against the schema they
// will meet (reflected from the database, then advanced operation by operation), and
// destructive operations that their migration did not accept are refused with
// ErrDestructive. Then:
//
//   - PostgreSQL runs each migration in a transaction, under an advisory lock held for
//     the whole run;
//   - MySQL/MariaDB, whose DDL commits by itself, runs under GET_LOCK and marks a
//     migration dirty in the version table while it runs: one that fails half-way stays
//     dirty, later runs stop with ErrDirty, and Stamp records the revision after a
//     repair. On a Galera cluster GET_LOCK holds on one node only, so two runs through
//     two nodes are not kept apart: run migrations through one node (see
//     dialect/mysql's Galera notes);
//   - SQLite runs the whole upgrade in one transaction that writes first (taking the
//     database's write lock), each migration in a savepoint; what its ALTER TABLE cannot
//     do (change or drop a column, add or drop a constraint) is done by rebuilding the
//     table, as Alembic's batch mode does.
//
// So several processes starting at once apply each migration exactly once. SQL renders
// the same plan offline, for review by a DBA. Compare documents what autogenerate
// compares and the rule by which it proposes renames instead of a drop and an add.
package migrate
