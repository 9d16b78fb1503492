-- The PostgreSQL twin of migrations/sqlite/0012_inquiries_masked_by.sql.
ALTER TABLE inquiries ADD COLUMN masked_by BIGINT NOT NULL DEFAULT 0;
CREATE INDEX inquiries_masked_by ON inquiries (masked_by);
