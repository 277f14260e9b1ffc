-- Customer notices (docs/helpdesk.md, "Customer notices"): the customer is
-- emailed when their ticket is received, waits on them, and is resolved,
-- unless the ticket opts out (an internal ticket an agent logs, say).
ALTER TABLE ticket ADD COLUMN customer_notices_off boolean NOT NULL DEFAULT false;
