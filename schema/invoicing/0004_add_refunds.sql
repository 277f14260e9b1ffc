-- Refunds of a credit note's credit (docs/invoicing.md, "Payments and
-- balances"). A credit note worth more than was open on its original leaves
-- the buyer's credit open on it as a negative amount; RecordRefund records
-- that the seller paid it back.

-- A row of payment is money the buyer paid (payment) or money paid back
-- to the buyer (refund); the amount is positive either way.
ALTER TABLE payment
  ADD COLUMN kind text NOT NULL DEFAULT 'payment' CHECK (kind IN ('payment', 'refund'));

-- A refund counts on its credit note as a negative payment: paid_minor
-- goes below zero by what was paid back, so what is open (gross - paid -
-- credited) climbs towards zero and the formula stays the same everywhere.
-- Only an invoice with a negative gross (a credit note's credit) may have
-- a negative paid_minor, and never more paid back than its credit.
ALTER TABLE invoice
  DROP CONSTRAINT invoice_paid_minor_check,
  ADD CHECK (paid_minor >= 0 OR gross_minor < 0),
  ADD CHECK (gross_minor >= 0 OR (paid_minor <= 0 AND paid_minor + credited_minor >= gross_minor));
