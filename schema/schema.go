// Package schema holds the embedded SQL migrations of each storage engine,
// applied in version order: sqlite/NNN_name.sql and mysql/NNN_name.sql.
package schema

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed sqlite/*.sql mysql/*.sql
var files embed.FS

// Migration is one versioned step of an engine's schema.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists an engine's migrations ("sqlite" or "mysql") in order.
func Migrations(engine string) ([]Migration, error) {
	names, err := fs.Glob(files, engine+"/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Migration
	for _, name := range names {
		base := strings.TrimPrefix(name, engine+"/")
		n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad name", name)
		}
		body, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: n, Name: name, SQL: string(body)})
	}
	return out, nil
}

// Statements splits a migration into its statements (";" at a line's end
// ends one; "--" lines are comments).
func (m Migration) Statements() []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(m.SQL, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
