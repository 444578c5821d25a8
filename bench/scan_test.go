package bench

// rowScanner is what pgx.Rows and *sql.Rows both offer: the hand-written pgx and
// database/sql cases share their scanning loops through it.
type rowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// scanItems reads id, name, value rows into new Items and checks that want came.
func scanItems(rows rowScanner, want int) error {
	items := make([]*Item, 0, want)
	for rows.Next() {
		it := new(Item)
		if err := rows.Scan(&it.ID, &it.Name, &it.Value); err != nil {
			return err
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return checkRows(len(items), want)
}

// scanParents reads id, name rows into new Parents, indexed by key, with their keys.
func scanParents(rows rowScanner) (parents []*Parent, byID map[int64]*Parent, ids []int64, err error) {
	parents = make([]*Parent, 0, EagerParents)
	byID = make(map[int64]*Parent, EagerParents)
	ids = make([]int64, 0, EagerParents)
	for rows.Next() {
		p := new(Parent)
		if err := rows.Scan(&p.ID, &p.Name); err != nil {
			return nil, nil, nil, err
		}
		parents = append(parents, p)
		byID[p.ID] = p
		ids = append(ids, p.ID)
	}
	return parents, byID, ids, rows.Err()
}

// attachChildren reads id, parent_id, name rows into new Children appended to their
// parents, then checks that every parent got all of its children.
func attachChildren(rows rowScanner, parents []*Parent, byID map[int64]*Parent) error {
	for rows.Next() {
		c := new(Child)
		if err := rows.Scan(&c.ID, &c.ParentID, &c.Name); err != nil {
			return err
		}
		p := byID[c.ParentID]
		p.Children = append(p.Children, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return checkEager(len(parents), lens(parents, func(p *Parent) int { return len(p.Children) }))
}

// scanBigRows reads every id, name, value row into a new BigRow and returns how many.
func scanBigRows(rows rowScanner) (int, error) {
	n := 0
	var sum int64
	for rows.Next() {
		r := new(BigRow)
		if err := rows.Scan(&r.ID, &r.Name, &r.Value); err != nil {
			return n, err
		}
		sum += r.Value
		n++
	}
	return n, rows.Err()
}
