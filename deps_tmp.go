package retort
import (
 _ "modernc.org/sqlite"
 _ "github.com/jackc/pgx/v5/pgxpool"
 _ "github.com/go-sql-driver/mysql"
 _ "golang.org/x/sync/errgroup"
)

