-- The first statement succeeds, the second fails: the kernel must roll back
-- both, so second_table must not exist afterwards.
CREATE TABLE second_table (id integer PRIMARY KEY);
INSERT INTO second_table VALUES (1), (1);
