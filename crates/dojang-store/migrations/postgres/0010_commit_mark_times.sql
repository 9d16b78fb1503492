-- The PostgreSQL twin of migrations/sqlite/0010_commit_mark_times.sql.
ALTER TABLE commit_marks ADD COLUMN written_at BIGINT NOT NULL DEFAULT 0;
