-- The PostgreSQL twin of migrations/sqlite/0009_commit_marks.sql (see 0001 for the conventions).
CREATE TABLE commit_marks (
    writer TEXT   PRIMARY KEY NOT NULL,
    mark   BIGINT NOT NULL
);
