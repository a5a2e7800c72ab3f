package store

import (
	"context"
	"database/sql"
)

// The full-text index is contentless (migration 0016): posts' text is stored
// compressed, so the store hands the index each post's words when it stores or
// changes the post, and a trigger takes them out by rowid when the post is deleted.

const insertFTSSQL = `INSERT INTO messages_fts (rowid, subject, body_text, from_name) VALUES (?, ?, ?, ?)`

// unindex takes post id's words out of the index.
func unindex(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM messages_fts WHERE rowid = ?`, id)
	return err
}

// reindex replaces post id's words in the index.
func reindex(ctx context.Context, tx *sql.Tx, id int64, subject, text, fromName string) error {
	if err := unindex(ctx, tx, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, insertFTSSQL, id, subject, text, fromName)
	return err
}
