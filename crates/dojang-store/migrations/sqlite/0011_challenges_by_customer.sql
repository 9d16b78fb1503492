-- Every new one-time code first counts the customer's unanswered codes of that kind in the last
-- day (dojang-identity's Limits::unanswered_per_day): without this index that count read the
-- whole table, once per code sent.
CREATE INDEX challenges_customer ON challenges (customer_id, kind, created_at);
