// Package mysql is retort's dialect for MySQL and MariaDB, on go-sql-driver/mysql. The two
// servers differ (MariaDB has INSERT/DELETE ... RETURNING, MySQL has none); the dialect is
// built for the server detected at connect time.
package mysql
