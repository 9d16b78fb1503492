-- When each writer last wrote its mark (unix seconds), so that housekeeping can drop the marks
-- of processes long gone: a mark is only ever read back by its own writer, moments after a
-- COMMIT whose answer was lost. Rows from before this column read 0 and go at the next round.
ALTER TABLE commit_marks ADD COLUMN written_at INTEGER NOT NULL DEFAULT 0;
