-- Group commit's marks: every shared transaction writes its writer's next mark before COMMIT.
-- When the answer to a COMMIT is lost (PostgreSQL's connection dropped as the server committed),
-- reading the mark back tells a transaction that landed from one that did not, so its members
-- are not run a second time (a certificate stored twice, a fee charged twice).
CREATE TABLE commit_marks (
    writer TEXT    PRIMARY KEY NOT NULL,   -- one store opened by one process: a random tag
    mark   INTEGER NOT NULL                -- the last shared transaction's number
);
