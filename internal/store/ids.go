package store

import (
	"context"
	"database/sql"
	"fmt"
)

// reserveMessageIDs takes n new archive ids within tx and returns the first. Ids are
// never given twice, also after the newest posts were erased or withdrawn: clients
// keep them as IMAP UIDs and links.
func reserveMessageIDs(ctx context.Context, tx *sql.Tx, n int) (int64, error) {
	var last int64
	err := tx.QueryRowContext(ctx, `UPDATE id_high SET value = max(value, (SELECT COALESCE(MAX(id), 0) FROM messages)) + ?
		WHERE name = 'messages' RETURNING value`, n).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("reserve archive ids: %w", err)
	}
	return last - int64(n) + 1, nil
}
