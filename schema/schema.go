// Package schema holds the embedded SQL migrations, applied in name order.
package schema

import "embed"

// FS holds the migrations: NNN_name.sql, each applied once.
//
//go:embed *.sql
var FS embed.FS
