-- The PostgreSQL twin of migrations/sqlite/0011_challenges_by_customer.sql.
CREATE INDEX challenges_customer ON challenges (customer_id, kind, created_at);
